import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { at, callBody, callId, callWorld, DEST, GOOGLE, getCall, hmacHex, referenceSigned, ring, storage, T0, visit, voiceOf } from "./calls-helpers";
import { api, createPool, freshNumbers, poolStub, useTestClock } from "./helpers";

const transferTo = (no: string, callerId?: string) => ({
  actions: [{ type: "TRANSFER", params: callerId ? { no, caller_id_no: callerId } : { no } }, { type: "HANGUP" }],
});

/** Signed for the account's signed inbound URL (`/v1/voice/{account}`), unless another URL is given. */
async function signedHeaders(secret: string, body: string, nowMs = Date.now(), url?: string) {
  return referenceSigned(secret, url ?? signedUrl, body, nowMs);
}
let signedUrl = "";

useTestClock(T0);

describe("callback authentication", () => {
  it("the secret path token and a valid signature are accepted; anything else is refused with 401 and nothing stored", async () => {
    const { acct, voice } = await callWorld(2);
    const other = await callWorld(1);
    const v = await visit(acct);
    const before = await storage(acct);
    const body = callBody(callId(), v.number, T0);
    const raw = JSON.stringify(body);
    const base = `https://dni.test/v1/voice/${acct.accountId}`;
    const wrong = voice.secret.slice(0, -4) + (voice.secret.endsWith("AAAA") ? "BBBB" : "AAAA");
    signedUrl = voice.signedCallbackUrl;
    const stale = await signedHeaders(voice.secret, raw, T0 - 10 * 60_000);
    // A signature captured on the inbound URL, replayed on another endpoint; the old v1 (body only).
    const captured = await signedHeaders(voice.secret, raw);
    const ts = String(Math.floor(T0 / 1000));
    const v1 = { "X-DNI-Timestamp": ts, "X-DNI-Signature": `v1=${await hmacHex(voice.secret, `${ts}.${raw}`)}` };
    const cases: [string, string, Record<string, string>][] = [
      ["wrong token", `${base}/${wrong}`, {}],
      ["another account's token", `${base}/${other.voice.secret}`, {}],
      ["token of this account on another account's path", `https://dni.test/v1/voice/${other.acct.accountId}/${voice.secret}`, {}],
      ["unsigned, no token", base, {}],
      ["signed with another secret", base, await signedHeaders(other.voice.secret, raw)],
      ["signature over another body", base, await signedHeaders(voice.secret, raw.replace("+1310", "+1311"))],
      ["stale timestamp", base, stale],
      ["garbage signature", base, { "X-DNI-Timestamp": String(Math.floor(T0 / 1000)), "X-DNI-Signature": "v1=zz" }],
      ["unknown account", `https://dni.test/v1/voice/zzzzzzzzzzzzzzzz/${voice.secret}`, {}],
      ["malformed account", `https://dni.test/v1/voice/NOPE/${voice.secret}`, {}],
      ["wrong token on the agent leg", `${base}/${wrong}/agent`, {}],
      ["unsigned agent leg", `${base}/agent`, {}],
      ["the inbound signature replayed on the agent leg", `${base}/agent`, captured],
      ["the inbound signature replayed on the status callback", `${base}/status`, captured],
      ["the inbound signature replayed on another account's URL", `https://dni.test/v1/voice/${other.acct.accountId}`, captured],
      ["a v1 signature (body only, no endpoint)", base, v1],
    ];
    for (const [label, url, headers] of cases) {
      const r = await ring(url, body, { headers });
      expect({ label, status: r.status, code: r.json?.error?.code }).toEqual({ label, status: 401, code: "unauthorized" });
    }
    // An invalid body is not described to a stranger either.
    expect((await ring(`${base}/${wrong}`, { nothing: 1 })).status).toBe(401);
    expect(await storage(acct)).toBe(before);
    // The real ones work: token form, and the signed form over the exact raw body.
    expect((await ring(voice.callbackUrl, body)).status).toBe(200);
    const signedBody = callBody(callId(), v.number, T0);
    const signedRaw = JSON.stringify(signedBody);
    const signed = await ring(voice.signedCallbackUrl, signedBody, { raw: signedRaw, headers: await signedHeaders(voice.secret, signedRaw) });
    expect(signed.status).toBe(200);
    expect(signed.json).toEqual(transferTo(DEST));
  });

  it("a signature covers the URL's query and is accepted once: a captured request neither replays nor moves to another query", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const id = callId();
    const inbound = JSON.stringify(callBody(id, v.number, T0));
    const inboundHeaders = await referenceSigned(voice.secret, voice.signedCallbackUrl, inbound, T0);
    const first = await ring(voice.signedCallbackUrl, {}, { raw: inbound, headers: inboundHeaders });
    expect(first.json).toEqual(transferTo(DEST));
    // The provider's retry of the inbound call (our answer was late): the same answer, one call.
    const again = await ring(voice.signedCallbackUrl, {}, { raw: inbound, headers: inboundHeaders });
    expect({ status: again.status, json: again.json }).toEqual({ status: 200, json: first.json });
    expect((await api("GET", "/v1/calls", { key: acct.adminKey })).json.calls).toHaveLength(1);

    // A status report, signed with a query: taken once; the same request again is a replay.
    const statusUrl = `${voice.signedCallbackUrl}/status?leg=caller`;
    const busy = JSON.stringify({ callId: id, status: "busy" });
    const statusHeaders = await referenceSigned(voice.secret, statusUrl, busy, T0);
    expect((await ring(statusUrl, {}, { raw: busy, headers: statusHeaders })).status).toBe(200);
    const before = await storage(acct);
    const replayed = await ring(statusUrl, {}, { raw: busy, headers: statusHeaders });
    expect({ status: replayed.status, code: replayed.json?.error?.code }).toEqual({ status: 401, code: "unauthorized" });
    expect(await storage(acct)).toBe(before);

    // Signed for one query, sent with another; signed over the path alone, sent with a query.
    const completed = JSON.stringify({ callId: id, status: "completed", duration: 12 });
    const forQuery = await referenceSigned(voice.secret, `${voice.signedCallbackUrl}/status?leg=a`, completed, T0);
    const pathOnly = await referenceSigned(voice.secret, `${voice.signedCallbackUrl}/status`, completed, T0);
    for (const [url, headers] of [
      [`${voice.signedCallbackUrl}/status?leg=b`, forQuery],
      [`${voice.signedCallbackUrl}/status?leg=a&leg=b`, forQuery],
      [`${voice.signedCallbackUrl}/status?leg=a`, pathOnly],
    ] as const) {
      const r = await ring(url, {}, { raw: completed, headers });
      expect({ url, status: r.status, code: r.json?.error?.code }).toEqual({ url, status: 401, code: "unauthorized" });
    }
    expect(await storage(acct)).toBe(before);
    expect(warn.mock.calls.some((c) => JSON.stringify(c).includes("does not cover the URL's query"))).toBe(true);
    // v2 (parted by ".") on a URL with a query, signed over it all: a "." in the body could be read
    // as the query's end (`?leg=a` + `callId=….5&…` signs as `?leg=a.callId=…` + `5&…`): refused.
    const form = `callId=${id}&status=completed&duration=12&note=v.5`;
    const v2 = await referenceSigned(voice.secret, `${voice.signedCallbackUrl}/status?leg=a`, form, T0, "v2");
    const v2Sent = await ring(
      `${voice.signedCallbackUrl}/status?leg=a`,
      {},
      { raw: form, headers: { ...v2, "Content-Type": "application/x-www-form-urlencoded" } },
    );
    expect([v2Sent.status, v2Sent.json?.error?.code]).toEqual([401, "unauthorized"]);
    // v3 parts them by line breaks: the same text parted otherwise is another message.
    const v3 = await referenceSigned(voice.secret, `${voice.signedCallbackUrl}/status?leg=a`, form, T0);
    const [head, tail] = [form.slice(0, form.lastIndexOf(".")), form.slice(form.lastIndexOf(".") + 1)];
    const moved = await ring(
      `${voice.signedCallbackUrl}/status?leg=a.${head}`,
      {},
      { raw: tail, headers: { ...v3, "Content-Type": "application/x-www-form-urlencoded" } },
    );
    expect([moved.status, moved.json?.error?.code]).toEqual([401, "unauthorized"]);
    expect(await storage(acct)).toBe(before);
    // The signature made for that query is good there.
    expect((await ring(`${voice.signedCallbackUrl}/status?leg=a`, {}, { raw: completed, headers: forQuery })).status).toBe(200);
    expect((await getCall(acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 12 });
    // v2 is still taken on a URL without a query.
    const later = JSON.stringify(callBody(callId(), v.number, T0));
    const v2Plain = await ring(
      voice.signedCallbackUrl,
      {},
      { raw: later, headers: await referenceSigned(voice.secret, voice.signedCallbackUrl, later, T0, "v2") },
    );
    expect(v2Plain.json).toEqual(transferTo(DEST));
  });

  it("rotating the voice secret retires the old callback URL at once", async () => {
    const { acct, tracking, voice } = await callWorld(1);
    const rotated = await api("POST", "/v1/account/voice/rotate", { key: acct.adminKey });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(voice.secret);
    expect(rotated.json.callbackUrl).toBe(`https://dni.test/v1/voice/${acct.accountId}/${rotated.json.secret}`);
    expect((await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0))).status).toBe(401);
    expect((await ring(rotated.json.callbackUrl, callBody(callId(), tracking[0]!, T0))).status).toBe(200);
    // The voice settings need the admin key.
    expect((await api("GET", "/v1/account/voice", { key: acct.siteKey })).status).toBe(403);
    expect((await api("GET", "/v1/account/voice")).status).toBe(401);
  });
});

describe("answering", () => {
  it("a repeated callback of one call id gets the same answer and is stored once", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct);
    const id = callId();
    const first = await ring(voice.callbackUrl, callBody(id, v.number, T0));
    expect(first.headers.get("X-DNI-Duplicate")).toBe("0");
    // Meanwhile the pool's destination changes: a retry still gets the answer the call got.
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { destinations: ["+12127365002"] } })).status).toBe(200);
    const again = await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1_000, { callerNo: "+13105550999" }), { form: true });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("X-DNI-Duplicate")).toBe("1");
    // Concurrent deliveries of a new call: one stored, the same answer to all.
    const id2 = callId();
    const burst = await Promise.all(Array.from({ length: 5 }, () => ring(voice.callbackUrl, callBody(id2, v.number, T0))));
    expect(new Set(burst.map((r) => r.text)).size).toBe(1);
    expect(burst.filter((r) => r.headers.get("X-DNI-Duplicate") === "0")).toHaveLength(1);
    const list = await api("GET", "/v1/calls", { key: acct.adminKey });
    expect(list.json.calls.map((c: { id: string }) => c.id).sort()).toEqual([id, id2].sort());
    expect((await getCall(acct, id)).json.caller).toBe("+13105550123");
  });

  it("a pool object that fails while the call is attributed: the caller is still put through, the call stored unattributed", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct);
    // The pool's lease table is gone (a broken object): its attributeCall throws.
    await runInDurableObject(poolStub(acct.accountId, "web"), (_i, state) => {
      state.storage.sql.exec("DROP TABLE numbers");
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const id = callId();
    const r = await ring(voice.callbackUrl, callBody(id, v.number, T0));
    expect(r.status).toBe(200);
    expect(r.json).toEqual(transferTo(DEST));
    expect((await getCall(acct, id)).json).toMatchObject({ id, session: null, trackingNumber: v.number });
    expect(error).toHaveBeenCalledWith("voice: attribution failed; the call is put through unattributed", expect.objectContaining({ call: id }));
    error.mockRestore();
  });

  it("the TRANSFER target is always the pool's first destination, whatever numbers the callback carries", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct);
    const hostile = {
      no: "+19005550199",
      destination: "+19005550199",
      forwardTo: "+19005550199",
      transfer: "+19005550199",
      caller_id_no: "+19005550199",
      destinations: ["+19005550199"],
    };
    for (const form of [false, true]) {
      const r = await ring(voice.callbackUrl, callBody(callId(), v.number, T0, form ? { no: "+19005550199", destination: "+19005550199" } : hostile), { form });
      expect(r.json).toEqual(transferTo(DEST));
      expect(r.text).not.toContain("9005550199");
    }
  });

  it("reads the provider's field names from JSON or forms (callId/callerNo/calledNo/startTime, CallSid/From/To), seconds or ISO times", async () => {
    const { acct, tracking, voice } = await callWorld(1);
    const a = callId();
    await ring(voice.callbackUrl, { CallSid: a, From: "+1 310 555 0123", To: tracking[0]!.slice(1), timestamp: String(T0 / 1000) }, { form: true });
    expect((await getCall(acct, a)).json).toMatchObject({ id: a, caller: "+13105550123", trackingNumber: tracking[0], startedAt: T0 });
    const b = callId();
    await ring(voice.callbackUrl, { call_id: b, caller_no: "anonymous", called_no: `tel:${tracking[0]}`, start_time: new Date(T0 - 2_000).toISOString() });
    expect((await getCall(acct, b)).json).toMatchObject({ caller: "anonymous", startedAt: T0 - 2_000 });
    const c = callId();
    at(T0 + 5_000);
    await ring(voice.callbackUrl, { callId: c, calledNo: tracking[0] });
    expect((await getCall(acct, c)).json.startedAt).toBe(T0 + 5_000); // no start time: the receipt time
  });

  it("the pool's callerId is sent as caller_id_no", async () => {
    const { acct, voice } = await callWorld(1, { callerId: "+12125550111" });
    const v = await visit(acct);
    expect((await ring(voice.callbackUrl, callBody(callId(), v.number, T0))).json).toEqual(transferTo(DEST, "+12125550111"));
  });

  it("an unknown number gets HANGUP, or the account's fallback once set; logged and recorded", async () => {
    const { acct, tracking, voice } = await callWorld(1);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const stranger = "+14155550100";
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, stranger, T0))).json).toEqual({ actions: [{ type: "HANGUP" }] });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("does not own"), expect.objectContaining({ number: stranger }));
    expect((await getCall(acct, id)).json).toMatchObject({
      pool: null,
      trackingNumber: stranger,
      reason: "unknown_number",
      route: { action: "hangup", to: null },
    });
    // The fallback cannot be a tracking number (a call must never be forwarded into one).
    const bad = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { fallbackNumber: tracking[0] } });
    expect({ status: bad.status, code: bad.json.error.code }).toEqual({ status: 409, code: "number_conflict" });
    expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { fallbackNumber: "+1" } })).status).toBe(400);
    const set = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { fallbackNumber: "+1 (212) 555-0177" } });
    expect(set.json.fallbackNumber).toBe("+12125550177");
    const id2 = callId();
    expect((await ring(voice.callbackUrl, callBody(id2, stranger, T0))).json).toEqual(transferTo("+12125550177"));
    expect((await getCall(acct, id2)).json.route).toMatchObject({ action: "fallback", to: "+12125550177" });
    // A set fallback can never become a tracking number later.
    const clash = await api("POST", "/v1/pools", { key: acct.adminKey, body: { id: "x", name: "X", trackingNumbers: ["+12125550177"], destinations: [DEST] } });
    expect(clash.status).toBe(409);
    expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { fallbackNumber: null } })).json.fallbackNumber).toBeNull();
    expect(
      (await api("POST", "/v1/pools", { key: acct.adminKey, body: { id: "x", name: "X", trackingNumbers: ["+12125550177"], destinations: [DEST] } })).status,
    ).toBe(201);
  });

  it("bad callbacks (authenticated) get a 4xx JSON error and store nothing", async () => {
    const { acct, tracking, voice } = await callWorld(1);
    await visit(acct);
    const before = await storage(acct);
    const n = tracking[0]!;
    const cases: [string, Record<string, unknown> | string, number, string, string?][] = [
      ["no call id", { calledNo: n, startTime: T0 }, 400, "invalid_request"],
      ["call id with spaces", { callId: "a b", calledNo: n }, 400, "invalid_request"],
      ["call id with a template", { callId: "${x}", calledNo: n }, 400, "invalid_request"],
      ["call id too long", { callId: "x".repeat(129), calledNo: n }, 400, "invalid_request"],
      // No URL path names them: the call could never be read or erased.
      ["call id of dots alone", { callId: "..", calledNo: n }, 400, "invalid_request"],
      ["call id of a dot", { callId: ".", calledNo: n }, 400, "invalid_request"],
      ["no dialled number", { callId: "c1" }, 400, "invalid_request"],
      ["dialled number too short", { callId: "c1", calledNo: "+1" }, 400, "invalid_request"],
      ["dialled number is text", { callId: "c1", calledNo: "call me" }, 400, "invalid_request"],
      ["start time is text", { callId: "c1", calledNo: n, startTime: "yesterday" }, 400, "invalid_request"],
      ["start time in the future", { callId: "c1", calledNo: n, startTime: T0 + 3_600_000 }, 400, "invalid_request"],
      ["not JSON", "{oops", 400, "invalid_json"],
      ["JSON array", "[1]", 400, "invalid_request"],
      ["XML", "<call/>", 415, "unsupported_media_type", "application/xml"],
      ["too large", JSON.stringify({ callId: "c1", calledNo: n, pad: "x".repeat(70_000) }), 413, "payload_too_large"],
    ];
    for (const [label, body, status, code, type] of cases) {
      const raw = typeof body === "string" ? body : JSON.stringify(body);
      const r = await ring(voice.callbackUrl, {}, { raw, headers: type ? { "Content-Type": type } : {} });
      expect({ label, status: r.status, code: r.json?.error?.code }).toEqual({ label, status, code });
      expect(typeof r.json.error.message).toBe("string");
    }
    const detail = await ring(voice.callbackUrl, { callId: "c1", calledNo: "+1" });
    expect(detail.json.error.details).toEqual([{ path: "calledNo", message: "is not a valid international phone number" }]);
    expect(await storage(acct)).toBe(before);
  });
});

describe("whisper: the agent hears the source before being connected", () => {
  it("caller into a conference, agent DIALled from the callerId; the agent leg SAYs the source and joins", async () => {
    const { acct, voice } = await callWorld(1, { whisper: true, callerId: "+12125550111" });
    const v = await visit(acct);
    const id = callId();
    const first = await ring(voice.callbackUrl, callBody(id, v.number, T0, { no: "+19005550199" }));
    expect(first.json).toEqual({
      actions: [
        { "$sessionData.conference_name": id },
        {
          type: "CONFERENCE",
          params: { name: "${sessionData.conference_name}", max_participants: 2, end_on_exit: "true" },
          events: { on_enter: [{ type: "DIAL", session_data: "$sessionData", params: { no: DEST, caller_id_no: "+12125550111" } }] },
        },
        { type: "HANGUP" },
      ],
    });
    expect((await getCall(acct, id)).json.route).toMatchObject({ action: "whisper", to: DEST });
    const agentAnswer = {
      actions: [
        { type: "SAY", params: { text: "Google Ads call" } },
        { type: "CONFERENCE", params: { name: id, max_participants: 2, end_on_exit: "true" } },
        { type: "HANGUP" },
      ],
    };
    // The provider passes the session data back: as a JSON object, or flattened in a form.
    const agent = await ring(voice.agentCallbackUrl, { callId: "agent-leg-1", callerNo: "+12125550111", sessionData: { conference_name: id } });
    expect(agent.json).toEqual(agentAnswer);
    const agentForm = await ring(voice.agentCallbackUrl, { callId: "agent-leg-2", "sessionData[conference_name]": id }, { form: true });
    expect(agentForm.json).toEqual(agentAnswer);
    // Signed form of the agent leg.
    const raw = JSON.stringify({ callId: "agent-leg-3", sessionData: { conference_name: id } });
    const headers = await referenceSigned(voice.secret, voice.signedAgentCallbackUrl, raw, T0);
    expect((await ring(voice.signedAgentCallbackUrl, {}, { raw, headers })).json).toEqual(agentAnswer);
    // The provider's retry of that very signed request (our answer was late): the same answer, not a
    // 401 replay, which would fail the agent's leg and drop the caller they picked up.
    const retried = await ring(voice.signedAgentCallbackUrl, {}, { raw, headers });
    expect({ status: retried.status, json: retried.json }).toEqual({ status: 200, json: agentAnswer });
    // The agent legs are not calls.
    expect((await api("GET", "/v1/calls", { key: acct.adminKey })).json.calls).toHaveLength(1);
  });

  it("the agent leg of an unknown conference hangs up; a browser-made source name is never spoken as a template", async () => {
    const { acct, voice } = await callWorld(1, { whisper: true, callerId: "+12125550111" });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect((await ring(voice.agentCallbackUrl, { callId: "x", sessionData: { conference_name: "no-such-call" } })).json).toEqual({
      actions: [{ type: "HANGUP" }],
    });
    expect((await ring(voice.agentCallbackUrl, { callId: "x" })).json).toEqual({ actions: [{ type: "HANGUP" }] });
    expect(warn).toHaveBeenCalled();
    const v = await visit(acct, { name: "${callerNo}_$x{y}" });
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    const say = (await ring(voice.agentCallbackUrl, { sessionData: JSON.stringify({ conference_name: id }) })).json.actions[0];
    expect(say).toEqual({ type: "SAY", params: { text: "CallerNo Xy call" } });
    // An unattributed whispered call says so.
    const free = callId();
    at(T0 + 3_600_000);
    await ring(voice.callbackUrl, callBody(free, v.number, T0 + 3_600_000));
    expect((await ring(voice.agentCallbackUrl, { sessionData: { conference_name: free } })).json.actions[0].params.text).toBe("Untracked call");
  });

  it("whisper needs a callerId that is not a tracking number", async () => {
    const { acct, tracking } = await callWorld(1);
    const base = { id: "w", name: "W", trackingNumbers: freshNumbers(1), destinations: [DEST], whisper: true };
    const r1 = await api("POST", "/v1/pools", { key: acct.adminKey, body: base });
    expect({ status: r1.status, code: r1.json.error.code }).toEqual({ status: 400, code: "whisper_needs_caller_id" });
    const r2 = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, callerId: tracking[0] } });
    expect({ status: r2.status, code: r2.json.error.code }).toEqual({ status: 409, code: "number_conflict" });
    const r3 = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, callerId: base.trackingNumbers[0] } });
    expect(r3.status).toBe(400);
    const ok = await createPool(acct, { ...base, callerId: "+12125550111" });
    expect(ok).toMatchObject({ whisper: true, callerId: "+12125550111" });
    expect((await voiceOf(acct)).agentCallbackUrl).toMatch(/\/agent$/);
    expect(GOOGLE.name).toBe("google-ads");
  });
});
