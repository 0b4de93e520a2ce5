/**
 * Each provider's native webhook, end to end in workerd: its documented inbound request, signed
 * with its own scheme, answered in its own format (XML parsed strictly, NCCO as JSON) for forward,
 * whisper, fallback and hang-up; any altered byte refused with 401 and nothing stored; its status
 * callbacks recorded as the call's outcome.
 */
import { describe, expect, it, vi } from "vitest";
import { twilio } from "../../worker/voice/providers/twilio";
import { plivoSign } from "../providers/signers";
import { at, DEST, GOOGLE, getCall, storage, T0, visit } from "./calls-helpers";
import { api, freshNumbers, useTestClock } from "./helpers";
import { elements, inboundFields, NATIVE, type Native, nativeId, providerWorld, send, signed, xml } from "./voice-helpers";

const CALLER_ID = "+12127365099";
const FALLBACK = "+12127365055";
const bare = (n: string) => n.replace(/^\+/, "");

useTestClock(T0);

interface Dial {
  to: string;
  callerId: string | null;
  statusUrl: string | null;
  whisperUrl: string | null;
}

/** The one forward in an answer, read the way the provider reads it; throws on anything else. */
function dialOf(p: Native, res: { text: string; headers: Headers }): Dial {
  if (p === "vonage") {
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const ncco = JSON.parse(res.text);
    expect(Array.isArray(ncco)).toBe(true);
    expect(ncco).toHaveLength(1);
    const [connect] = ncco;
    expect(connect).toMatchObject({ action: "connect", eventMethod: "POST" });
    expect(connect.endpoint).toHaveLength(1);
    expect(connect.endpoint[0].type).toBe("phone");
    expect(connect.eventUrl).toHaveLength(1);
    return { to: connect.endpoint[0].number, callerId: connect.from, statusUrl: connect.eventUrl[0], whisperUrl: connect.endpoint[0].onAnswer?.url ?? null };
  }
  expect(res.headers.get("Content-Type")).toMatch(/^application\/xml/);
  const doc = xml(res.text);
  expect(doc.documentElement?.nodeName).toBe("Response");
  const dials = elements(doc, "Dial");
  expect(dials).toHaveLength(1);
  const dial = dials[0]!;
  const numbers = elements(doc, "Number");
  expect(numbers).toHaveLength(1);
  const number = numbers[0]!;
  expect(dial.getAttribute("method")).toBe("POST");
  if (p === "plivo") {
    // The B leg's answer (who picked up) and hangup (talk time) come to our answered URL.
    expect(dial.getAttribute("callbackUrl")).toBe(dial.getAttribute("action")!.replace("/next?", "/answered?"));
    return {
      to: number.textContent!,
      callerId: dial.getAttribute("callerId"),
      statusUrl: dial.getAttribute("action"),
      whisperUrl: dial.getAttribute("confirmSound"),
    };
  }
  if (number.getAttribute("url")) expect(number.getAttribute("method")).toBe("POST");
  return { to: number.textContent!, callerId: dial.getAttribute("callerId"), statusUrl: dial.getAttribute("action"), whisperUrl: number.getAttribute("url") };
}

/** A hang-up in the provider's format. */
function expectHangup(p: Native, text: string) {
  if (p === "vonage") expect(JSON.parse(text)).toEqual([]);
  else {
    const doc = xml(text);
    expect(doc.documentElement?.nodeName).toBe("Response");
    expect(elements(doc, "Hangup")).toHaveLength(1);
    expect(elements(doc, "Dial")).toHaveLength(0);
  }
}

/** Every phone-number-like run of digits in an answer. */
const numbersIn = (text: string) => new Set([...text.matchAll(/\+?\d{10,15}/g)].map((m) => bare(m[0])));

describe.each(NATIVE)("%s", (p) => {
  const num = (n: string) => (p === "plivo" || p === "vonage" ? bare(n) : n);

  it("answers its documented inbound webhook with the pool's destination only, in its own format", async () => {
    const w = await providerWorld(p, { callerId: CALLER_ID });
    const v = await visit(w.acct);
    const id = nativeId(p);
    // Numbers a hostile request might carry: never used.
    const fields = { ...inboundFields(p, id, v.number), ForwardTo: "+19005550199", no: "+19005550199", destination: "+19005550199" };
    const res = await send(await signed(p, w.keys, w.base, fields, T0));
    expect(res.status, res.text).toBe(200);
    const dial = dialOf(p, res);
    expect(dial).toEqual({
      to: num(DEST),
      callerId: num(CALLER_ID),
      // The dial action: continues the call when nobody answers (docs/routing.md).
      statusUrl: `${w.base}/next?call=${encodeURIComponent(id)}&step=0`,
      whisperUrl: null,
    });
    // The provider's call id (random hex or a uuid, echoed in the dial action's URL) may hold a digit run: not a number.
    const withoutId = res.text.replaceAll(encodeURIComponent(id), "").replaceAll(id, "");
    expect([...numbersIn(withoutId)].sort()).toEqual([bare(CALLER_ID), bare(DEST)].sort());
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({
      id,
      provider: p,
      trackingNumber: v.number,
      caller: "+13105550123",
      attributed: true,
      route: { action: "transfer", to: DEST },
      outcome: null,
    });
    // A repeat (the provider retrying) gets the same answer and stores nothing.
    const again = await send(await signed(p, w.keys, w.base, fields, T0 + 1000));
    expect(again.text).toBe(res.text);
    expect(again.headers.get("X-DNI-Duplicate")).toBe("1");
    // The fallback URL is the voice URL (worker/voice/setup.ts): after an error or a timeout the
    // provider asks it with the same call, Twilio's family adding the error's fields: the same answer.
    const extra: Record<string, string> = p === "twilio" || p === "signalwire" ? { ErrorCode: "11200", ErrorUrl: w.base } : {};
    const fallback = await send(await signed(p, w.keys, w.base, { ...fields, ...extra }, T0 + 2000));
    expect(fallback.status).toBe(200);
    expect(fallback.text).toBe(res.text);
  });

  it("whisper: the agent's leg hears the call's source, through the provider's own pre-bridge hook", async () => {
    const w = await providerWorld(p, { callerId: CALLER_ID, whisper: true });
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId(p);
    const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, v.number), T0));
    const dial = dialOf(p, res);
    expect(dial.to).toBe(num(DEST));
    expect(dial.whisperUrl).toBe(`${w.base}/whisper?call=${encodeURIComponent(id)}&step=0`);
    expect((await getCall(w.acct, id)).json.route).toMatchObject({ action: "whisper", to: DEST, list: null, answeredBy: null });
    // The provider fetches the whisper URL on the agent's leg (a child call of ours).
    const agentLeg: Record<string, string> =
      p === "vonage"
        ? { to: bare(DEST), from: bare(CALLER_ID), uuid: crypto.randomUUID(), conversation_uuid: "CON-x" }
        : p === "plivo"
          ? { CallUUID: crypto.randomUUID(), From: bare(CALLER_ID), To: bare(DEST), CallStatus: "in-progress", Direction: "outbound" }
          : { CallSid: nativeId(p), ParentCallSid: id, From: CALLER_ID, To: DEST, CallStatus: "in-progress", Direction: "outbound-dial" };
    const whisper = await send(await signed(p, w.keys, dial.whisperUrl!, agentLeg, T0 + 5_000));
    expect(whisper.status, whisper.text).toBe(200);
    // Then it reports its end to our bridge URL, where it can (its seconds are not talk time).
    const bridge = `${w.base}/bridge?call=${encodeURIComponent(id)}&step=0`;
    if (p === "vonage")
      expect(JSON.parse(whisper.text)).toEqual([
        { action: "talk", text: "Google Ads call" },
        { action: "notify", payload: { whisper: "ended" }, eventUrl: [bridge], eventMethod: "POST" },
      ]);
    else {
      const doc = xml(whisper.text);
      const say = elements(doc, p === "plivo" ? "Speak" : "Say");
      expect(say.map((e) => e.textContent)).toEqual(["Google Ads call"]);
      expect(elements(doc, "Dial")).toHaveLength(0);
      // The Twilio family: no Redirect (a Number url document holds Play, Say, Gather, Hangup only); a
      // Gather whose action, sent with no digit too, is the bridge URL.
      expect(elements(doc, "Redirect")).toHaveLength(0);
      const gathers = elements(doc, "Gather").map((e) => [e.getAttribute("action")?.startsWith(`${bridge}&heard=`), e.getAttribute("actionOnEmptyResult")]);
      expect(gathers).toEqual(p === "plivo" ? [] : [[true, "true"]]);
    }
  });

  it("a number the account does not own goes to the fallback, and without one the call is hung up", async () => {
    const w = await providerWorld(p);
    const stranger = "+18885559876";
    const hung = await send(await signed(p, w.keys, w.base, inboundFields(p, nativeId(p), stranger), T0));
    expect(hung.status, hung.text).toBe(200);
    expectHangup(p, hung.text);
    expect((await api("PATCH", "/v1/account/voice", { key: w.acct.adminKey, body: { fallbackNumber: FALLBACK } })).status).toBe(200);
    const id = nativeId(p);
    const fell = await send(await signed(p, w.keys, w.base, inboundFields(p, id, stranger), T0));
    const dial = dialOf(p, fell);
    expect(dial.to).toBe(num(FALLBACK));
    expect(dial.whisperUrl).toBeNull();
    expect((await getCall(w.acct, id)).json).toMatchObject({ reason: "unknown_number", route: { action: "fallback", to: FALLBACK }, provider: p });
  });

  it("one altered byte (URL, a parameter, the body, the timestamp or the key) or another provider's URL: 401 and nothing stored", async () => {
    const w = await providerWorld(p);
    const other = await providerWorld(p);
    const v = await visit(w.acct);
    const id = nativeId(p);
    const fields = inboundFields(p, id, v.number);
    const before = await storage(w.acct);
    const good = await signed(p, w.keys, w.base, fields, T0);
    const flipChar = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const cases: [string, typeof good][] = [
      ["signed with another account's key", await signed(p, other.keys, w.base, fields, T0)],
      [
        "a parameter changed after signing",
        p === "vonage"
          ? { ...good, url: good.url.replace(bare(v.number), bare(v.number).replace(/.$/, "9")) }
          : { ...good, body: good.body!.replace("ringing", "ringinh") },
      ],
      [
        "another call id",
        p === "vonage"
          ? { ...good, url: good.url.replace(id, nativeId(p)) }
          : { ...good, body: good.body!.replace(encodeURIComponent(id), encodeURIComponent(nativeId(p))) },
      ],
      ["no signature", { ...good, headers: { "Content-Type": good.headers["Content-Type"] ?? "application/json" } }],
      ["to another provider's URL", { ...good, url: good.url.replace(`/${p}`, p === "twilio" ? "/signalwire" : "/twilio") }],
    ];
    // Telnyx and Vonage sign the payload, not the URL: a wrong URL is just a request that does not parse there.
    if (p !== "telnyx" && p !== "vonage")
      cases.push(["another URL", { ...good, url: good.url.replace("/v1/voice/", "/v1/voice/").replace(`/${p}`, `/${p}/status`) }]);
    if (p === "telnyx") {
      const ts = good.headers["telnyx-timestamp"]!;
      cases.push(["the timestamp", { ...good, headers: { ...good.headers, "telnyx-timestamp": String(Number(ts) + 1) } }]);
      cases.push([
        "the signature",
        { ...good, headers: { ...good.headers, "telnyx-signature-ed25519": flipChar(good.headers["telnyx-signature-ed25519"]!, 10) } },
      ]);
    }
    if (p === "plivo")
      cases.push(["the nonce", { ...good, headers: { ...good.headers, "X-Plivo-Signature-V3-Nonce": `${good.headers["X-Plivo-Signature-V3-Nonce"]}1` } }]);
    if (p === "twilio")
      cases.push(["the signature", { ...good, headers: { ...good.headers, "X-Twilio-Signature": flipChar(good.headers["X-Twilio-Signature"]!, 5) } }]);
    if (p === "vonage") {
      const [h, c, s] = good.headers.Authorization!.slice(7).split(".");
      cases.push(["the token's claims", { ...good, headers: { Authorization: `Bearer ${h}.${flipChar(c!, 12)}.${s}` } }]);
    }
    for (const [label, req] of cases) {
      const res = await send(req);
      expect({ label, status: res.status, code: res.json?.error?.code }).toEqual({ label, status: 401, code: "unauthorized" });
    }
    expect(await storage(w.acct)).toBe(before);
    // The request as signed is accepted.
    expect((await send(good)).status).toBe(200);
  });

  it("a callback without what its provider signs with is refused before the account's object is asked (it is asked for one that does not verify)", async () => {
    const w = await providerWorld(p);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const refusedThere = () => warn.mock.calls.filter((c) => c[0] === "voice: refused callback").length;
    const v = await visit(w.acct);
    const good = await signed(p, w.keys, w.base, inboundFields(p, nativeId(p), v.number), T0);
    const unsigned = await send({ ...good, headers: { "Content-Type": good.headers["Content-Type"] ?? "application/json" } });
    expect([unsigned.status, unsigned.json?.error?.message]).toEqual([401, `Not signed as ${p} signs its callbacks`]);
    expect(refusedThere()).toBe(0);
    const forged = await send(await signed(p, (await providerWorld(p)).keys, w.base, inboundFields(p, nativeId(p), v.number), T0));
    expect(forged.status).toBe(401);
    expect(refusedThere()).toBe(1);
    warn.mockRestore();
  });

  it("its status and dial-action callbacks record the outcome: answered, talk time, end", async () => {
    const w = await providerWorld(p);
    const v = await visit(w.acct);
    const id = nativeId(p);
    const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, v.number), T0));
    const { statusUrl, to } = dialOf(p, res);
    const reports: Record<string, string>[] =
      p === "vonage"
        ? [
            { uuid: "b-leg-1", conversation_uuid: `CON-${id}`, status: "ringing", direction: "outbound", timestamp: "2031-03-01T10:00:05.000Z" },
            { uuid: "b-leg-1", conversation_uuid: `CON-${id}`, status: "answered", direction: "outbound", timestamp: "2031-03-01T10:00:09.000Z" },
            {
              uuid: "b-leg-1",
              conversation_uuid: `CON-${id}`,
              status: "completed",
              direction: "outbound",
              duration: "42",
              end_time: "2031-03-01T10:00:51.000Z",
              timestamp: "2031-03-01T10:00:51.000Z",
            },
          ]
        : p === "plivo"
          ? [
              // The Dial's callbackUrl: the B leg bridged (who took the call), then its hangup (talk time).
              { CallUUID: id, DialALegUUID: id, DialBLegUUID: "b-leg-1", DialAction: "connected", DialBLegStatus: "connected", DialBLegTo: to },
              {
                CallUUID: id,
                DialALegUUID: id,
                DialBLegUUID: "b-leg-1",
                DialBLegTo: to,
                DialAction: "hangup",
                DialBLegStatus: "hangup",
                DialBLegDuration: "42",
                DialBLegHangupCause: "NORMAL_CLEARING",
              },
              { CallUUID: id, DialALegUUID: id, DialBLegUUID: "b-leg-1", DialStatus: "completed", DialRingStatus: "true", DialHangupCause: "NORMAL_CLEARING" },
            ]
          : [
              {
                CallSid: id,
                AccountSid: "AC1",
                From: "+13105550123",
                To: v.number,
                CallStatus: "in-progress",
                DialCallSid: nativeId(p),
                DialCallStatus: "completed",
                DialCallDuration: "42",
              },
            ];
    for (const [i, r] of reports.entries()) {
      // Plivo's B-leg events go to the Dial's callbackUrl (our answered URL), its DialStatus to the action.
      const url = p === "plivo" && r.DialAction ? statusUrl!.replace("/next?", "/answered?") : statusUrl!;
      const sent = await send(await signed(p, w.keys, url, r, T0 + 60_000 + i, { get: false }));
      expect(sent.status, sent.text).toBe(p === "vonage" ? 204 : 200);
      expect(sent.headers.get("X-DNI-Report")).toBe("merged");
      if (p !== "vonage") expectHangup(p, sent.text);
    }
    // The call as a whole ends after the forwarded leg: that changes neither outcome nor talk time.
    const callEnd: Record<string, string> =
      p === "vonage"
        ? { uuid: id, conversation_uuid: `CON-${id}`, status: "completed", direction: "inbound", duration: "50", end_time: "2031-03-01T10:00:52.000Z" }
        : p === "plivo"
          ? {
              CallUUID: id,
              From: "13105550123",
              To: bare(v.number),
              CallStatus: "completed",
              Event: "Hangup",
              Duration: "50",
              BillDuration: "60",
              HangupCause: "NORMAL_CLEARING",
              EndTime: "2031-03-01 10:00:52",
            }
          : { CallSid: id, From: "+13105550123", To: v.number, CallStatus: "completed", CallDuration: "50", Timestamp: "Sat, 01 Mar 2031 10:00:52 +0000" };
    // The number's own status callback (Vonage: the application's event URL), without our ?call=.
    expect((await send(await signed(p, w.keys, `${w.base}/status`, callEnd, T0 + 61_000, { get: false }))).headers.get("X-DNI-Report")).toBe("merged");
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: 42, provider: p });
    expect(call.endedAt).toBe(Date.parse("2031-03-01T10:00:52Z"));
  });
});

describe("Twilio's published example, in workerd", () => {
  it("token 12345, https://mycompany.com/myapp.php?foo=1&bar=2 and its five fields verify with 0/KCTR6DLpKmkAf8muzZqo1nDgQ=", async () => {
    const body = new URLSearchParams({
      To: "+18005551212",
      CallSid: "CA1234567890ABCDE",
      Digits: "1234",
      From: "+12349013030",
      Caller: "+12349013030",
    }).toString();
    const req = {
      method: "POST",
      url: "https://mycompany.com/myapp.php?foo=1&bar=2",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" },
      body,
    };
    expect(await twilio.verify(req, { authToken: "12345" }, T0)).toEqual({ ok: true });
    expect((await twilio.verify({ ...req, body: body.replace("1234&", "1235&") }, { authToken: "12345" }, T0)).ok).toBe(false);
    expect((await twilio.verify({ ...req, url: req.url.replace("bar=2", "bar=3") }, { authToken: "12345" }, T0)).ok).toBe(false);
    expect((await twilio.verify(req, { authToken: "12346" }, T0)).ok).toBe(false);
  });
});

describe("Plivo subaccounts: each callback is signed with the subaccount's token and the main account's", () => {
  it("the stored token verifies either signature (X-Plivo-Signature-V3 or X-Plivo-Signature-Ma-V3); neither verifying is 401, nothing stored", async () => {
    const w = await providerWorld("plivo");
    const v = await visit(w.acct);
    const other = "SA-another-accounts-token-0123";
    const form = (id: string) => inboundFields("plivo", id, v.number);
    /** A callback signed as Plivo signs a subaccount's: V3 with `account`'s token, Ma-V3 with `main`'s. */
    const twice = async (id: string, account: string, main: string) => {
      const req = await signed("plivo", { ...w.keys, plivo: account }, w.base, form(id), T0);
      const nonce = req.headers["X-Plivo-Signature-V3-Nonce"]!;
      return { ...req, headers: { ...req.headers, "X-Plivo-Signature-Ma-V3": await plivoSign(main, req.url, form(id), nonce) } };
    };
    // The main account's token stored, the number in a subaccount.
    const byMain = nativeId("plivo");
    const res = await send(await twice(byMain, other, w.keys.plivo));
    expect(res.status).toBe(200);
    expect(dialOf("plivo", res).to).toBe(bare(DEST));
    // The subaccount's token stored: its own signature verifies, whatever the main account's is.
    expect((await send(await twice(nativeId("plivo"), w.keys.plivo, other))).status).toBe(200);
    const before = await storage(w.acct);
    const neither = await send(await twice(nativeId("plivo"), other, `${other}-main`));
    expect([neither.status, neither.json?.error?.code]).toEqual([401, "unauthorized"]);
    expect(await storage(w.acct)).toBe(before);
    expect((await getCall(w.acct, byMain)).status).toBe(200);
  });
});

describe("replays", () => {
  type Replayable = "telnyx" | "plivo" | "vonage";
  /** The call as a whole ended (the number's status callback; Vonage: the application's event URL). */
  const ended = (p: Replayable, id: string, number: string): Record<string, string> =>
    p === "vonage"
      ? { uuid: id, conversation_uuid: `CON-${id}`, status: "completed", direction: "inbound", duration: "50" }
      : p === "plivo"
        ? { CallUUID: id, To: bare(number), CallStatus: "completed", Event: "Hangup", Duration: "50", HangupCause: "NORMAL_CLEARING" }
        : { CallSid: id, To: number, CallStatus: "completed", CallDuration: "50" };

  /** A provider's signed inbound call and its status report, each taken once (200), and the account's storage after them. */
  async function takenOnce(provider: Replayable, options?: { jti: false }) {
    const w = await providerWorld(provider);
    const v = await visit(w.acct);
    const id = nativeId(provider);
    const inbound = await signed(provider, w.keys, w.base, inboundFields(provider, id, v.number), T0, options);
    const first = await send(inbound);
    expect(first.status).toBe(200);
    const report = await signed(provider, w.keys, `${w.base}/status`, ended(provider, id, v.number), T0, { get: false, ...options });
    expect((await send(report)).headers.get("X-DNI-Report")).toBe("merged");
    return { w, v, inbound, answer: first.text, report, before: await storage(w.acct, []) };
  }

  /** The same request again: 401, told as a replay. */
  async function refusedAsReplay(req: Parameters<typeof send>[0]) {
    const replay = await send(req);
    expect(replay.status).toBe(401);
    expect(replay.json.error.message).toMatch(/replay/);
  }

  it.each(["telnyx", "plivo", "vonage"] as const)(
    "%s: an inbound call sent again as it was (a provider retrying it) gets the first answer and stores nothing; a status report sent again is refused",
    async (p) => {
      const { w, inbound, answer, report, before } = await takenOnce(p);
      const retry = await send(inbound);
      expect([retry.status, retry.text]).toEqual([200, answer]);
      await refusedAsReplay(report);
      expect(await storage(w.acct, [])).toBe(before);
    },
  );

  it.each(["telnyx", "plivo", "vonage"] as const)(
    "%s: a call erased while it rings, sent again as it was, gets its answer and is not stored again; its status report is ignored",
    async (p) => {
      const w = await providerWorld(p);
      const v = await visit(w.acct);
      const id = nativeId(p);
      const inbound = await signed(p, w.keys, w.base, inboundFields(p, id, v.number), T0);
      const first = await send(inbound);
      expect(first.status).toBe(200);
      expect((await api("DELETE", `/v1/calls/${id}`, { key: w.acct.adminKey })).status).toBe(204);
      const before = await storage(w.acct, []);
      // The provider got no answer in time and sends the same signed request: the caller is still on the line.
      const retry = await send(inbound);
      expect([retry.status, retry.text]).toEqual([200, first.text]);
      // The call ends: its report (signed anew) is taken and dropped.
      const report = await signed(p, w.keys, `${w.base}/status`, ended(p, id, v.number), T0 + 60_000, { get: false });
      at(T0 + 60_000);
      expect((await send(report)).status).toBeLessThan(300);
      // Nothing stored but the report's signature, remembered against its own replay.
      const tables = (dumped: string) => Object.fromEntries((JSON.parse(dumped) as [string, unknown][]).filter(([t]) => t !== "voice_replays"));
      expect(tables(await storage(w.acct, []))).toEqual(tables(before));
      expect((await getCall(w.acct, id)).status).toBe(404);
      expect((await api("GET", "/v1/calls", { key: w.acct.adminKey })).json.calls).toEqual([]);
    },
  );

  it("an erased call id is remembered two days: a call with that id after then is a call again", async () => {
    const w = await providerWorld("telnyx");
    const v = await visit(w.acct);
    const id = nativeId("telnyx");
    expect((await send(await signed("telnyx", w.keys, w.base, inboundFields("telnyx", id, v.number), T0))).status).toBe(200);
    expect((await api("DELETE", `/v1/calls/${id}`, { key: w.acct.adminKey })).status).toBe(204);
    at(T0 + 2 * 86_400_000 + 60_000);
    const later = await visit(w.acct);
    const again = await signed("telnyx", w.keys, w.base, inboundFields("telnyx", id, later.number), Date.now());
    expect((await send(again)).status).toBe(200);
    expect((await getCall(w.acct, id)).json.trackingNumber).toBe(later.number);
  });

  it("Vonage retrying the answer URL while the first request is still being answered: both get the one answer, one call is stored", async () => {
    const w = await providerWorld("vonage");
    const v = await visit(w.acct);
    const id = nativeId("vonage");
    const inbound = await signed("vonage", w.keys, w.base, inboundFields("vonage", id, v.number), T0);
    const [a, b] = await Promise.all([send(inbound), send(inbound)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.text).toBe(a.text);
    expect((await getCall(w.acct, id)).json.trackingNumber).toBe(v.number);
    expect((await api("GET", "/v1/calls", { key: w.acct.adminKey })).json.calls).toHaveLength(1);
  });

  it("Telnyx: outside the 5-minute window, 401 even for the call already answered", async () => {
    const { w, inbound, before } = await takenOnce("telnyx");
    at(T0 + 6 * 60_000);
    expect((await send(inbound)).status).toBe(401);
    expect(await storage(w.acct, [])).toBe(before);
  });

  it("Telnyx: the same signature spelled otherwise (no padding, the URL-safe alphabet) is the same request: 401", async () => {
    const { w, report, before } = await takenOnce("telnyx");
    const sig = report.headers["telnyx-signature-ed25519"]!;
    for (const respelled of [sig.replace(/=+$/, ""), sig.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")]) {
      await refusedAsReplay({ ...report, headers: { ...report.headers, "telnyx-signature-ed25519": respelled } });
    }
    expect(await storage(w.acct, [])).toBe(before);
  });

  it("Plivo: a nonce is accepted once; the same signed report an hour later is refused", async () => {
    const { w, report, before } = await takenOnce("plivo");
    at(T0 + 60 * 60_000);
    await refusedAsReplay(report);
    expect(await storage(w.acct, [])).toBe(before);
  });

  it("Vonage: a token (jti) is accepted once, and not at all after 5 minutes", async () => {
    const { w, v, report } = await takenOnce("vonage");
    await refusedAsReplay(report);
    const late = await signed("vonage", w.keys, w.base, inboundFields("vonage", nativeId("vonage"), v.number), T0);
    at(T0 + 6 * 60_000);
    expect((await send(late)).status).toBe(401);
  });

  it("Vonage: a token without a jti is accepted once, also when its signature is spelled otherwise", async () => {
    const { w, report, before } = await takenOnce("vonage", { jti: false });
    // The last of a 32-byte signature's 43 base64url characters carries 4 bits: its lowest two are no byte's.
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auth = report.headers.Authorization!;
    const respelled = auth.slice(0, -1) + ALPHABET[ALPHABET.indexOf(auth.slice(-1)) ^ 1];
    expect(respelled).not.toBe(auth);
    for (const a of [auth, respelled]) await refusedAsReplay({ ...report, headers: { ...report.headers, Authorization: a } });
    expect(await storage(w.acct, [])).toBe(before);
  });
});

describe("provider settings", () => {
  it("credentials are write-only, sealed at rest, and GET /v1/account/voice says what to paste where", async () => {
    const w = await providerWorld("twilio", {}, 1);
    const r = await api("GET", "/v1/account/voice", { key: w.acct.adminKey });
    expect(r.status).toBe(200);
    expect(r.headers.get("Cache-Control")).toBe("no-store");
    expect(JSON.stringify(r.json)).not.toContain(w.keys.twilio);
    expect(r.json.provider).toBe("twilio");
    expect(r.json.providers.twilio).toMatchObject({
      configured: true,
      hints: { authToken: `…${w.keys.twilio.slice(-4)}` },
      pools: ["web"],
      console: [
        { field: "A call comes in (Webhook)", url: w.base, method: "HTTP POST" },
        { field: "Primary handler fails", url: w.base, method: "HTTP POST" },
        { field: "Call status changes", url: `${w.base}/status`, method: "HTTP POST" },
      ],
    });
    expect(r.json.providers.vonage).toMatchObject({
      configured: false,
      console: [
        { field: "Answer URL", method: "HTTP GET" },
        { field: "Fallback URL", method: "HTTP GET" },
        { field: "Event URL", method: "HTTP POST" },
      ],
    });
    expect(r.json.providers.reference.console[0].url).toBe(r.json.callbackUrl);
    // Nothing in the account's storage holds the token in clear.
    expect(await storage(w.acct)).not.toContain(w.keys.twilio);
    // A pool can name another provider; removing credentials refuses that provider's callbacks.
    expect((await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { provider: "plivo" } })).json.provider).toBe("plivo");
    expect((await api("GET", "/v1/account/voice", { key: w.acct.adminKey })).json.providers.plivo.pools).toEqual(["web"]);
    expect((await api("PATCH", "/v1/account/voice", { key: w.acct.adminKey, body: { credentials: { twilio: null } } })).json.providers.twilio.configured).toBe(
      false,
    );
    const refused = await send(await signed("twilio", w.keys, w.base, inboundFields("twilio", nativeId("twilio"), w.tracking[0]!), T0));
    expect(refused.status).toBe(401);
  });

  it("a tracking number can be held at another provider than its pool's; it must be one of the pool's numbers", async () => {
    const w = await providerWorld("twilio", {}, 2);
    const [a, b] = w.tracking as [string, string];
    const set = await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { numberProviders: { [`${a.slice(0, 2)} ${a.slice(2)}`]: "telnyx" } } });
    expect(set.status).toBe(200);
    expect(set.json.numberProviders).toEqual({ [a]: "telnyx" });
    const voice = (await api("GET", "/v1/account/voice", { key: w.acct.adminKey })).json;
    expect(voice.providers.telnyx.numbers).toEqual([a]);
    expect(voice.providers.twilio).toMatchObject({ pools: ["web"], numbers: [] });
    const bad = await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { numberProviders: { "+12127365000": "telnyx" } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/not a tracking number of this pool/);
    // Removing the number removes its override.
    const removed = await api("POST", "/v1/pools/web/numbers", { key: w.acct.adminKey, body: { remove: [a] } });
    expect(removed.status).toBe(200);
    expect(removed.json.numberProviders).toEqual({});
    expect(removed.json.trackingNumbers).toEqual([b]);
    // So does a PATCH that sends the pool a new list without it (the override, and the overflow number, go with it).
    const [c, d] = freshNumbers(2) as [string, string];
    expect((await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { trackingNumbers: [b, c], numberProviders: { [c]: "telnyx" } } })).status).toBe(
      200,
    );
    expect((await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { exhaustionPolicy: "overflow", overflowNumber: c } })).json.overflowNumber).toBe(
      c,
    );
    const listed = await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { trackingNumbers: [b, d] } });
    expect(listed.status, JSON.stringify(listed.json)).toBe(200);
    expect(listed.json).toMatchObject({ trackingNumbers: [b, d], numberProviders: {}, overflowNumber: b });
    // The list written nationally with the country the same PATCH sets: the numbers are still the pool's, and so is what it kept of them.
    expect((await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { numberProviders: { [d]: "telnyx" } } })).status).toBe(200);
    const national = (n: string) => `(${n.slice(2, 5)}) ${n.slice(5, 8)}-${n.slice(8)}`;
    const written = await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { country: "US", trackingNumbers: [national(b), national(d)] } });
    expect(written.status, JSON.stringify(written.json)).toBe(200);
    expect(written.json).toMatchObject({ trackingNumbers: [b, d], numberProviders: { [d]: "telnyx" }, overflowNumber: b });
  });

  it("bad provider settings are refused with 400 and change nothing", async () => {
    const w = await providerWorld("twilio", {}, 1);
    const before = await storage(w.acct);
    for (const body of [
      { provider: "skype" },
      { credentials: { telnyx: { publicKey: "not-a-key" } } },
      { credentials: { vonage: {} } },
      // A PEM's shape around no key: text, or base64 of a few bytes.
      { credentials: { vonage: { publicKey: "-----BEGIN PUBLIC KEY-----notakey-----END PUBLIC KEY-----" } } },
      { credentials: { vonage: { publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" } } },
      { credentials: { twilio: { authToken: "short" } } },
      { credentials: { twilio: { authToken: "0123456789abcdef", extra: 1 } } },
      { credentials: { reference: { secret: "x" } } },
      {},
    ]) {
      const r = await api("PATCH", "/v1/account/voice", { key: w.acct.adminKey, body });
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
    }
    expect(await storage(w.acct)).toBe(before);
    // The key WebCrypto refuses is told like a schema's refusal: its path, in the message and the details.
    const notKey = await api("PATCH", "/v1/account/voice", {
      key: w.acct.adminKey,
      body: { credentials: { vonage: { publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" } } },
    });
    expect(notKey.json.error).toEqual({
      code: "invalid_request",
      message: "Invalid request — credentials.vonage.publicKey: not an RSA public key",
      details: [{ path: "credentials.vonage.publicKey", message: "not an RSA public key" }],
    });
    // An RSA public key is taken.
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
    const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki)).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`;
    const set = await api("PATCH", "/v1/account/voice", { key: w.acct.adminKey, body: { credentials: { vonage: { publicKey: pem } } } });
    expect(set.status).toBe(200);
    expect(set.json.providers.vonage.configured).toBe(true);
  });
});
