/**
 * The snippet's sessions, decided by the worker (worker/domain/session.ts): a token in, this page
 * view's touch in; the session kept (with its first touch) or a new one on another campaign click.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { renewMs } from "../../shared/lease";
import { SESSION_ID_PATTERN } from "../../shared/protocol";
import { campaignPattern, decide, decodeToken, encodeToken } from "../../worker/domain/session";
import { accountStub, api, BROWSER_HEADERS, type Created, createAccount, createPool, directoryStub, dump, freshNumbers, ORIGIN, poolStub } from "./helpers";

const RULES = "google-ads: gclid | utm_source=google & utm_medium=cpc -> ads; *: -> web";
const SHOP = "https://www.shop.example/";

async function world() {
  const acct = await createAccount();
  await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(4), destinations: ["+12127365000"], isDefault: true });
  await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(4), destinations: ["+12127365000"] });
  return acct;
}

/** A snippet's request: its token (if any) and this page view's touch. */
const ask = (acct: Created, source: Record<string, unknown>, token?: unknown) =>
  api("POST", "/v1/allocate", {
    raw: JSON.stringify({ key: acct.siteKey, token, sources: RULES, source }),
    headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
  });

/** The source context the lease of a session holds. */
const held = (acct: Created, pool: string, session: string) =>
  runInDurableObject(poolStub(acct.accountId, pool), (_i, state) =>
    JSON.parse(state.storage.sql.exec<{ source: string }>("SELECT source FROM numbers WHERE session = ?", session).one().source),
  );

describe("sessions decided by the worker", () => {
  it("a first view gets a new session and a token; the token keeps it, with its first touch, on later views", async () => {
    const acct = await world();
    const landing = `${SHOP}?gclid=AAA111&utm_source=google&utm_medium=cpc`;
    const first = await ask(acct, { landing, referrer: "https://www.google.com/", gaClientId: "GA1.1.42.1700000000" });
    expect(first.status).toBe(200);
    expect(first.json.session).toMatch(SESSION_ID_PATTERN);
    expect(first.json.source).toBe("google-ads");
    expect(first.json.pools.map((p: { pool: string }) => p.pool)).toEqual(["ads"]);
    expect(decodeToken(first.json.token)).toMatchObject({
      session: first.json.session,
      first: { landing },
      campaign: { gclid: "AAA111", utm_source: "google" },
    });
    // Each pair: the destination, the number, how to write it (the same grouping: digit for digit) and its dni:swap detail.
    const number = first.json.pools[0].number;
    expect(first.json.pairs).toEqual([
      [expect.objectContaining({ e164: "+12127365000" }), number, 0, { destination: "+12127365000", number: number.e164, source: "google-ads" }],
    ]);

    // Another page, then the same click again: the same session, its source still the first touch's.
    for (const source of [
      { landing: `${SHOP}contact`, referrer: SHOP },
      { landing, referrer: "https://www.google.com/" },
    ]) {
      const again = await ask(acct, source, first.json.token);
      expect(again.status).toBe(200);
      expect(again.json.session).toBe(first.json.session);
      expect(again.json.source).toBe("google-ads");
      expect(again.json.pools[0].number).toEqual(first.json.pools[0].number);
      expect(again.json.token).toBe(first.json.token);
    }
    expect(await held(acct, "ads", first.json.session)).toMatchObject({ landing, gaClientId: "42.1700000000", clickIds: { gclid: "AAA111" } });
  });

  it.each([
    ["a new gclid", "?gclid=BBB222"],
    ["an msclkid", "?msclkid=m1"],
    ["another utm_source", "?utm_source=newsletter"],
    ["another utm_medium", "?utm_source=google&utm_medium=email"],
  ])("another campaign click (%s) starts a new session with its own first touch", async (_, query) => {
    const acct = await world();
    const first = await ask(acct, { landing: `${SHOP}?gclid=AAA111&utm_source=google&utm_medium=cpc` });
    const next = await ask(acct, { landing: `${SHOP}${query}`, referrer: "https://elsewhere.example/" }, first.json.token);
    expect(next.status).toBe(200);
    expect(next.json.session).not.toBe(first.json.session);
    expect(decodeToken(next.json.token)!.first).toEqual({ landing: `${SHOP}${query}`, referrer: "https://elsewhere.example/" });
  });

  it("a direct visitor coming back from a campaign starts a new session; empty values and other parameters do not", async () => {
    const acct = await world();
    const direct = await ask(acct, { landing: SHOP });
    expect(direct.json.source).toBe("direct");
    const same = await ask(acct, { landing: `${SHOP}?gclid=&utm_campaign=other&page=2` }, direct.json.token);
    expect(same.json.session).toBe(direct.json.session);
    const email = await ask(acct, { landing: `${SHOP}?utm_medium=email&utm_source=news` }, direct.json.token);
    expect(email.json.session).not.toBe(direct.json.session);
  });

  it("a token that is not one of ours is dropped: a new session, nothing of it kept", async () => {
    const acct = await world();
    const forged = btoa(JSON.stringify({ session: "x", first: {}, campaign: {} }));
    for (const token of ["", "not base64!", btoa("not json"), btoa('{"session":"abcdefghijklmnop1234"}'), forged]) {
      const r = await ask(acct, { landing: `${SHOP}?gclid=C1` }, token);
      expect(r.status).toBe(200);
      expect(r.json.session).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(decodeToken(r.json.token)!.first).toEqual({ landing: `${SHOP}?gclid=C1` });
    }
    // A landing URL longer than the worker ever keeps (2,048) is cut as the worker cuts one (the source
    // rules' globs would run against all of it); the session goes on.
    const made = (landing: string) => btoa(JSON.stringify({ session: "abcdefghijklmnop1234", first: { landing }, campaign: {} }));
    const long = await ask(acct, {}, made(`${SHOP}?k=${"a".repeat(10_000)}`));
    expect(long.json.session).toBe("abcdefghijklmnop1234");
    expect(decodeToken(long.json.token)!.first.landing).toBe(`${SHOP}?k=${"a".repeat(2048 - SHOP.length - 3)}`);
  });

  it("a first touch whose withheld click ids make its landing URL longer (percent-encoded anew) still fits its token: the session goes on", async () => {
    const acct = await world();
    const query = Array.from({ length: 60 }, (_, i) => `r${i}=https://a.example/b/c,d:e`).join("&");
    const landing = `${SHOP}?gclid=C1&${query}`.slice(0, 1830);
    const consent = { adStorage: "denied", analyticsStorage: "granted" };
    const first = await ask(acct, { landing, consent });
    // The token as sent (decodeToken would cut it): its landing written anew, and no longer than the worker keeps.
    const sent = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(first.json.token.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
    expect(sent.first.landing.length).toBeLessThanOrEqual(2048);
    expect(sent.first.landing).toContain("gclid=withheld");
    const next = await ask(acct, { landing: SHOP, consent }, first.json.token);
    expect(next.json.session).toBe(first.json.session);
  });

  it("a malformed token field is refused, nothing stored", async () => {
    const acct = await world();
    expect((await ask(acct, { landing: SHOP })).status).toBe(200); // the pool objects exist
    const before = [await dump(accountStub(acct.accountId)), await dump(directoryStub()), await dump(poolStub(acct.accountId, "web"))].join("\n");
    for (const token of [42, { session: "abcdefghijklmnop1234" }, "a".repeat(16_385)]) {
      const r = await ask(acct, { landing: SHOP }, token);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details[0].path).toBe("token");
    }
    expect([await dump(accountStub(acct.accountId)), await dump(directoryStub()), await dump(poolStub(acct.accountId, "web"))].join("\n")).toBe(before);
  });

  it("consent: a withheld click id keeps the session and never goes into a token; granted later, the first touch takes it", async () => {
    const acct = await world();
    const denied = { adStorage: "denied", analyticsStorage: "denied" } as const;
    const anon = await ask(acct, { landing: `${SHOP}?gclid=withheld&utm_source=google`, consent: denied });
    expect(anon.status).toBe(200);
    const t = decodeToken(anon.json.token)!;
    expect(t.campaign.gclid).toBe("withheld");
    // Ads still denied, the real value sent anyway: kept out of the token.
    const sneaky = await ask(acct, { landing: `${SHOP}?gclid=REAL&utm_source=google`, gaClientId: "GA1.1.9.9", consent: denied });
    expect(JSON.stringify(decodeToken(sneaky.json.token))).not.toMatch(/REAL|GA1/);
    // Granted on the page: the same session, and its first touch now has the click id and the GA client id.
    const granted = await ask(
      acct,
      { landing: `${SHOP}?gclid=REAL&utm_source=google`, gaClientId: "GA1.1.9.9", consent: { adStorage: "granted", analyticsStorage: "granted" } },
      anon.json.token,
    );
    expect(granted.json.session).toBe(anon.json.session);
    expect(decodeToken(granted.json.token)).toMatchObject({ first: { gaClientId: "GA1.1.9.9", clickIds: { gclid: "REAL" } }, campaign: { gclid: "REAL" } });
    expect(await held(acct, "ads", anon.json.session)).toMatchObject({ gaClientId: "9.9", clickIds: { gclid: "REAL" } });
    // Withdrawn for ads: "withheld" starts nothing.
    const withheld = await ask(acct, { landing: `${SHOP}?gclid=withheld`, consent: { adStorage: "denied", analyticsStorage: "granted" } }, granted.json.token);
    expect(withheld.json.session).toBe(anon.json.session);
  });

  it("a caller's own session id is kept as given, its source the first touch", async () => {
    const acct = await world();
    const r = await api("POST", "/v1/allocate", {
      raw: JSON.stringify({ key: acct.siteKey, session: "caller-session-0001", source: { landing: `${SHOP}?gclid=X` } }),
      headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
    });
    expect(r.status).toBe(200);
    expect(r.json.session).toBe("caller-session-0001");
    expect(decodeToken(r.json.token)).toMatchObject({ session: "caller-session-0001", campaign: { gclid: "X" } });
  });
});

describe("the campaign pattern (the snippet's test before using its cache)", () => {
  const pattern = (landing: string) => RegExp(campaignPattern(decide(undefined, { landing }).campaign));
  it("matches exactly the landing URLs decide() would start a new session for", () => {
    const first = `${SHOP}?gclid=AAA111&utm_source=google&utm_medium=cpc`;
    const p = pattern(first);
    const token = decide(undefined, { landing: first });
    const tokenText = encodeToken(token);
    for (const query of [
      "",
      "?gclid=AAA111",
      "?gclid=AAA111&utm_source=google&utm_medium=cpc",
      "?utm_campaign=other&page=2",
      "?gclid=",
      "?gclid=withheld",
      "?gclid=BBB",
      "?fbclid=F",
      "?utm_source=news",
      "?utm_medium=email",
      "?x=1&utm_source=google#top",
      "?gclid=AAA1111",
    ]) {
      const fresh = !decide(tokenText, { landing: `${SHOP}${query}` }).continued;
      expect({ query, asks: p.test(`${SHOP}${query}`) }).toEqual({ query, asks: fresh });
    }
    // Values are matched as encoded in the URL; special characters are escaped.
    expect(pattern(`${SHOP}?utm_source=a.b%20c(1)`).test(`${SHOP}?utm_source=a.b%20c(1)`)).toBe(false);
    expect(pattern(`${SHOP}?utm_source=a.b%20c(1)`).test(`${SHOP}?utm_source=aXb%20c(1)`)).toBe(true);
  });
});

describe("when to renew", () => {
  it("the pools' earliest renewAt, else three quarters of the lease; never at once for a lease whose end did not move", () => {
    const now = 1_000_000;
    expect(renewMs([{ expiresAt: now + 1_800_000, renewAt: now + 1_350_000 }], now)).toBe(1_350_000);
    expect(renewMs([{ expiresAt: now + 1_800_000, renewAt: now + 120_000 }], now)).toBe(120_000);
    expect(renewMs([{ expiresAt: null }], now)).toBe(225_000);
    expect(renewMs([], now)).toBe(64_800_000);
    expect(renewMs([{ expiresAt: now + 300_000, renewAt: now - 50_000 }], now)).toBe(60_000);
    expect(renewMs([{ expiresAt: now + 20_000, renewAt: now - 50_000 }], now)).toBe(15_000);
  });

  it("an answer from a recycling pool renews within two minutes", async () => {
    const acct = await createAccount();
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: freshNumbers(2),
      destinations: ["+12127365000"],
      isDefault: true,
      exhaustionPolicy: "recycle",
    });
    const r = await ask(acct, { landing: SHOP });
    expect(r.status).toBe(200);
    expect(r.json.renew).toBe(120_000);
    expect(r.json.lease).toBeGreaterThan(120_000);
  });
});

describe("a session begun by the request (no lease looked for)", () => {
  it("a new session's request sent round again (a pool's shard count changed) leases one number per pool", async () => {
    const acct = await createAccount();
    for (const id of ["a", "b"]) await createPool(acct, { id, name: id, trackingNumbers: freshNumbers(4), destinations: ["+12127365000"] });
    const first = (landing: string) =>
      api("POST", "/v1/allocate", {
        raw: JSON.stringify({ key: acct.siteKey, pools: ["a", "b"], source: { landing } }),
        headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
      });
    // The isolate remembers one shard each; then b gets two: b's shard sends the next request back
    // after a has leased to its new session, and the second round must find that lease, not add one.
    const one = await first(`${SHOP}one`);
    expect(one.status).toBe(200);
    expect((await api("PATCH", "/v1/pools/b", { key: acct.adminKey, body: { shards: 2 } })).status).toBe(200);
    const again = await first(`${SHOP}two`);
    expect(again.status).toBe(200);
    expect(again.json.pools.map((p: { number: { e164: string } | null }) => p.number !== null)).toEqual([true, true]);
    const live = await poolStub(acct.accountId, "a").liveLeases(Date.now());
    // One lease each: the first visit's, and the new session's (not a second one for it).
    expect(live.map((l) => l.session).sort()).toEqual([one.json.session, again.json.session].sort());
  });
});
