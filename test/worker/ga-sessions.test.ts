/**
 * The visit's GA session on its calls (worker/domain/ga-cookies.ts): the snippet sends every GA
 * cookie as "name=value"; the session keeps each GA4 stream's session id (the latest page view's),
 * the lease and the call keep them, and the call's GA4 event carries its measurement id's stream's
 * as `session_id`, so GA4 joins the call to the visit's session.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { gaClientIdOf, gaCookiesOf, gaLastHitOf, gaSessionIdOf } from "../../worker/domain/ga-cookies";
import { decodeToken } from "../../worker/domain/session";
import { at, callBody, callId, callWorld, getCall, mockNetwork, ring, T0, type Voice } from "./calls-helpers";
import { csv, parseCsv } from "./conversions-helpers";
import { accountStub, api, BROWSER_HEADERS, type Created, directoryStub, dump, ORIGIN, poolStub, useTestClock } from "./helpers";

const GA = "_ga=GA1.1.42.1700000000";
/** The configured stream's session cookie, in both formats (GS2: `$`-separated prefixed parts, any order). */
const GS2 = "_ga_TEST1234=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0";
const GS1 = "_ga_TEST1234=GS1.1.1746825440.14.0.1746825460.0.0.0";
/** Another GA4 property's stream on the same site. */
const OTHER = "_ga_OTHER99=GS2.1.s1700000099$o1$g0$t1700000100$j0$l0$h0";
const LANDING = "https://www.shop.example/?utm_source=google&utm_medium=cpc";
const GRANTED = { adStorage: "granted", analyticsStorage: "granted" } as const;

useTestClock(T0);

/** A page view as the snippet asks: the token of the last answer (if any) and this view's touch. */
async function view(acct: Created, source: Record<string, unknown>, token?: string) {
  const headers = { ...BROWSER_HEADERS, "Content-Type": "text/plain;charset=UTF-8", Origin: ORIGIN };
  return api("POST", "/v1/allocate", { raw: JSON.stringify({ key: acct.siteKey, token, source }), headers });
}

/**
 * A visit's page views (each sending the token the one before got, a few seconds apart), then a
 * call to its number: the call as the API shows it, and the GA4 event's body (null: none sent).
 */
async function visitAndCall(acct: Created, voice: Voice, touches: Record<string, unknown>[]) {
  let token: string | undefined;
  let number = "";
  let t = T0;
  for (const touch of touches) {
    t += 5000;
    at(t);
    const r = await view(acct, { landing: LANDING, referrer: "https://www.google.com/", ...touch }, token);
    expect(r.status).toBe(200);
    token = r.json.token;
    number = r.json.pools[0].number.e164;
  }
  const net = mockNetwork();
  const id = callId();
  t += 5000;
  at(t);
  expect((await ring(voice.callbackUrl, callBody(id, number, t))).status).toBe(200);
  await runDurableObjectAlarm(accountStub(acct.accountId));
  const ga4 = net.seen.filter((s) => s.url.hostname === "www.google-analytics.com");
  const call = (await getCall(acct, id)).json;
  return { call, token: decodeToken(token!)!, event: ga4.length ? JSON.parse(ga4[0]!.body) : null };
}

/** An account with GA4 on (measurement id G-TEST1234: the session cookie `_ga_TEST1234`). */
async function world() {
  const { acct, voice } = await callWorld(1);
  const r = await api("PATCH", "/v1/account/integrations", {
    key: acct.adminKey,
    body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" } },
  });
  expect(r.status).toBe(200);
  return { acct, voice };
}

describe("the GA cookies' values", () => {
  it("the session id of a GS1 and of a GS2 stream cookie (its parts in any order); anything else none", () => {
    expect(gaSessionIdOf("GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0")).toBe("1747132561");
    expect(gaSessionIdOf("GS2.1.o3$g1$s1747132561$t1747132655")).toBe("1747132561");
    expect(gaSessionIdOf("GS1.1.1746825440.14.0.1746825460.0.0.0")).toBe("1746825440");
    expect(gaSessionIdOf("GS1.2.1746825440.14.0.1746825460.0.0.0")).toBe("1746825440");
    for (const bad of ["GA1.1.42.1700000000", "GS2.1.o3$g1", "GS2.1.sx17$o3", "GS1.1.abc.14", "GS1.1.1746825440", "GS3.1.s1747132561", "", "s1747132561"])
      expect({ bad, id: gaSessionIdOf(bad) }).toEqual({ bad, id: null });
  });

  it("exactly: a session id is a positive unix-seconds number (the MP reference's 'positive numeric value representing a timestamp'), one s-part in GS2", () => {
    // A cookie path adds its depth to the level (`2-1`); an unknown part that merely begins with s is not the session's.
    expect(gaSessionIdOf("GS2.2-1.o3$sc9$s1747132561$t1747132655")).toBe("1747132561");
    expect(gaSessionIdOf("GS1.2-1.1746825440.14.0.1746825460.0.0.0")).toBe("1746825440");
    for (const bad of [
      "GS2.1.s0$o1",
      "GS2.1.s0174713256$o1",
      "GS2.1.s17471325610$o1", // 11 digits: not unix seconds
      "GS2.1.s99999999999999999999$o1",
      "GS2.1.s1747132561$o3$s1700000000", // two session ids: which one?
      "GS2.1.s-1747132561$o3",
      "GS2.1.s1747132561.5$o3",
      "GS2.x.s1747132561$o3",
      "GS1.1.0.14.0.1746825460",
      "GS1.1.17468254400.14.0.1746825460",
      "GS1.1.01746825440.14.0.1746825460",
    ])
      expect({ bad, id: gaSessionIdOf(bad) }).toEqual({ bad, id: null });
  });

  it("exactly: a client id is two positive numbers joined by a period (the MP reference), alone or in a GA1 _ga value", () => {
    expect(gaClientIdOf("GA1.1.42.1700000000")).toBe("42.1700000000");
    expect(gaClientIdOf("GA1.3-2.1197596843.1673515099")).toBe("1197596843.1673515099");
    expect(gaClientIdOf(" 42.1700000000 ")).toBe("42.1700000000");
    for (const bad of [
      "0.1700000000",
      "42.0",
      "042.1700000000",
      "GA1.1.0.0",
      "GA2.1.42.1700000000",
      "GA1.1.42",
      "GA1.1.42.1700000000.5",
      "GA1..42.17",
      "-42.17",
      "42.17x",
    ])
      expect({ bad, id: gaClientIdOf(bad) }).toEqual({ bad, id: null });
  });

  it("when a stream was last hit: GS1's sixth place, GS2's t part (in any place); none or junk: 0", () => {
    expect(gaLastHitOf("GS1.1.1746825440.14.0.1746825460.0.0.0")).toBe(1746825460);
    expect(gaLastHitOf("GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0")).toBe(1747132655);
    expect(gaLastHitOf("GS2.1.t1747132655$s1747132561")).toBe(1747132655);
    for (const v of ["GS2.1.s1747132561$o3", "GS2.1.s1$tx", "GS2.1.s1$t12345678901", "GS1.1.1746825440.14", "GA1.1.42.1700000000", ""])
      expect(gaLastHitOf(v), v).toBe(0);
  });

  it("the array: the first _ga holding a client id, each stream's first session id, at most 5 streams; junk and look-alikes ignored", () => {
    expect(gaCookiesOf([GA, GS2, OTHER])).toEqual({ clientId: "GA1.1.42.1700000000", sessions: { TEST1234: "1747132561", OTHER99: "1700000099" } });
    expect(gaCookiesOf(["_ga=junk", GA, GS1, GS2, "_ga_X-Y=GS2.1.s1", "_ga__A=GS2.1.s2", "noequals", "_gat=1", "__ga=GA1.1.9.9"])).toEqual({
      clientId: "GA1.1.42.1700000000",
      sessions: { TEST1234: "1746825440" },
    });
    const many = ["A1", "B2", "C3", "D4", "E5", "F6", "G7"].map((s, i) => `_ga_${s}=GS2.1.s${1700000000 + i}$o1`);
    // None says when it was hit: the first five in the page's order.
    expect(Object.keys(gaCookiesOf(many).sessions!)).toEqual(["A1", "B2", "C3", "D4", "E5"]);
    // Past five, the streams hit last (GS2's t, GS1's sixth place): G7 and F6 were hit after the others.
    const hits = many.map((c, i) => `${c}$t${i < 5 ? 1700000100 : 1700009000 + i}`);
    expect(Object.keys(gaCookiesOf(hits).sessions!)).toEqual(["G7", "F6", "A1", "B2", "C3"]);
    expect(Object.keys(gaCookiesOf([...many.slice(0, 5), GS1]).sessions!)).toEqual(["TEST1234", "A1", "B2", "C3", "D4"]);
    expect(gaCookiesOf(null)).toEqual({});
    expect(gaCookiesOf([])).toEqual({});
    // A string: the client id or the raw _ga value, as older snippets and API callers send it.
    expect(gaCookiesOf("GA1.1.42.1700000000")).toEqual({ clientId: "GA1.1.42.1700000000" });
  });
});

describe("the call's GA4 event joins the visit's GA session", () => {
  it("GS2: the event's session_id is the configured stream's; the call shows every stream's; another stream's is never sent", async () => {
    const { acct, voice } = await world();
    const { call, event, token } = await visitAndCall(acct, voice, [{ gaClientId: [GA, OTHER, GS2] }]);
    expect(token.first).toMatchObject({ gaClientId: "GA1.1.42.1700000000", gaSessions: { TEST1234: "1747132561", OTHER99: "1700000099" } });
    expect(call.source.gaClientId).toBe("42.1700000000");
    expect(call.source.gaSessionIds).toEqual({ TEST1234: "1747132561", OTHER99: "1700000099" });
    expect(event.client_id).toBe("42.1700000000");
    expect(event.events[0].params).toMatchObject({ session_id: "1747132561", engagement_time_msec: 1 });
    // The CSV export carries them too, one cell: each stream's as stream=id, by stream.
    const [head, row] = parseCsv((await csv(acct)).text);
    expect(row![head!.indexOf("ga_session_ids")]).toBe("OTHER99=1700000099 TEST1234=1747132561");
    expect(row![head!.indexOf("ga_client_id")]).toBe("42.1700000000");
  });

  it("GS1: the older format's session id", async () => {
    const { acct, voice } = await world();
    const { event } = await visitAndCall(acct, voice, [{ gaClientId: [GA, GS1] }]);
    expect(event.events[0].params.session_id).toBe("1746825440");
  });

  it("only another stream's cookie: no session_id (it is not this stream's session)", async () => {
    const { acct, voice } = await world();
    const { call, event } = await visitAndCall(acct, voice, [{ gaClientId: [GA, OTHER] }]);
    expect(call.source.gaSessionIds).toEqual({ OTHER99: "1700000099" });
    expect(event.client_id).toBe("42.1700000000");
    expect(event.events[0].params).not.toHaveProperty("session_id");
  });

  it("a later page view in a newer GA session: the call joins the newer one (the same dni session and number)", async () => {
    const { acct, voice } = await world();
    const newer = "_ga_TEST1234=GS2.1.s1747140000$o4$g0$t1747140001$j0$l0$h0";
    const { call, event, token } = await visitAndCall(acct, voice, [
      { gaClientId: [GA, GS2, OTHER] },
      { landing: "https://www.shop.example/contact", gaClientId: [GA, newer] },
      // A view without the stream's cookie keeps what the session had.
      { landing: "https://www.shop.example/about", gaClientId: [GA] },
    ]);
    expect(token.first.landing).toBe(LANDING);
    expect(token.first.gaSessions).toEqual({ TEST1234: "1747140000", OTHER99: "1700000099" });
    expect(call.source.landing).toBe(LANDING);
    expect(call.source.gaSessionIds).toEqual({ TEST1234: "1747140000", OTHER99: "1700000099" });
    expect(event.events[0].params.session_id).toBe("1747140000");
    expect(event.events[0].name).toBe("phone_call");
  });

  it("analytics denied: no session id kept or sent, whatever was sent; withdrawn on a later view, the session's go too", async () => {
    const { acct, voice } = await world();
    const denied = await visitAndCall(acct, voice, [{ gaClientId: [GA, GS2], consent: { adStorage: "granted", analyticsStorage: "denied" } }]);
    expect(denied.token.first).not.toHaveProperty("gaSessions");
    expect(denied.call.source.gaSessionIds).toBeNull();
    expect(denied.call.source.gaClientId).toBeNull();
    expect(denied.event).toBeNull();

    const { acct: other, voice: otherVoice } = await world();
    const withdrawn = await visitAndCall(other, otherVoice, [
      { gaClientId: [GA, GS2], consent: GRANTED },
      { gaClientId: [GA, GS2], consent: { adStorage: "granted", analyticsStorage: "denied" } },
    ]);
    expect(withdrawn.token.first).not.toHaveProperty("gaSessions");
    expect(withdrawn.call.source.gaSessionIds).toBeNull();
    expect(await dump(poolStub(other.accountId, "web"))).not.toContain("1747132561");
  });

  it("the string form (older cached snippets, API callers) still gives the client id, without a session_id", async () => {
    const { acct, voice } = await world();
    for (const gaClientId of ["GA1.1.42.1700000000", "42.1700000000"]) {
      const { call, event } = await visitAndCall(acct, voice, [{ gaClientId }]);
      expect(call.source.gaClientId).toBe("42.1700000000");
      expect(call.source.gaSessionIds).toBeNull();
      expect(event.client_id).toBe("42.1700000000");
      expect(event.events[0].params).not.toHaveProperty("session_id");
    }
  });

  it("null (the page has no GA cookie): no client id, no event", async () => {
    const { acct, voice } = await world();
    const { call, event } = await visitAndCall(acct, voice, [{ gaClientId: null }]);
    expect(call.attributed).toBe(true);
    expect(call.source.gaClientId).toBeNull();
    expect(call.source.gaSessionIds).toBeNull();
    expect(event).toBeNull();
    const [head, row] = parseCsv((await csv(acct)).text);
    expect(row![head!.indexOf("ga_session_ids")]).toBe("");
  });
});

describe("GA cookies of a shape we do not take", () => {
  it("are refused (400 invalid_request at source.gaClientId), nothing stored", async () => {
    const { acct } = await world();
    expect((await view(acct, { landing: LANDING })).status).toBe(200); // the pool objects exist
    const stored = async () => [await dump(accountStub(acct.accountId)), await dump(directoryStub()), await dump(poolStub(acct.accountId, "web"))].join("\n");
    const before = await stored();
    for (const gaClientId of [
      Array.from({ length: 181 }, (_, i) => `_ga_S${i}=GS2.1.s1747132561`),
      [GA, `_ga_TEST1234=GS2.1.s1747132561$${"x".repeat(4096)}`],
      `GA1.1.${"4".repeat(4096)}`,
      [GA, 42],
      42,
      { _ga: "GA1.1.42.1700000000" },
      [[GA]],
    ]) {
      const r = await view(acct, { landing: LANDING, gaClientId });
      expect({ gaClientId, status: r.status }).toEqual({ gaClientId, status: 400 });
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details[0].path).toMatch(/^source\.gaClientId/);
    }
    expect(await stored()).toBe(before);
  });
});

describe("many or long GA cookies, as a page may have", () => {
  it("still get the visitor a number: the client id and the five streams hit last are read (this account's, its tag having just hit it), the rest dropped", async () => {
    const { acct, voice } = await world();
    // Other properties' streams, hit before this page view; this account's (GS2, TEST1234) hit on it, sent last.
    const many = Array.from({ length: 12 }, (_, i) => `_ga_S${i}=GS2.1.s17471325${10 + i}$o1$g0$t17471300${10 + i}`);
    const long = `_ga_LONG=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0$d${"x".repeat(300)}`;
    const { call, event } = await visitAndCall(acct, voice, [{ gaClientId: [...many, long, GA, GS2], consent: GRANTED }]);
    expect(call.attributed).toBe(true);
    expect(call.source.gaClientId).toBe("42.1700000000");
    // Five streams at most: the ones hit last (this account's and LONG, hit on this page view, in the page's
    // order), then the other properties' latest.
    expect(Object.keys(call.source.gaSessionIds ?? {})).toEqual(["LONG", "TEST1234", "S11", "S10", "S9"]);
    expect(event.client_id).toBe("42.1700000000");
    expect(event.events[0].params.session_id).toBe("1747132561");
  });

  it("a long cookie of this account's stream is read like a short one", async () => {
    const { acct, voice } = await world();
    const long = `_ga_TEST1234=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0$d${"x".repeat(300)}`;
    const { call, event } = await visitAndCall(acct, voice, [{ gaClientId: [GA, long], consent: GRANTED }]);
    expect(call.source.gaSessionIds).toEqual({ TEST1234: "1747132561" });
    expect(event.events[0].params.session_id).toBe("1747132561");
  });
});
