/**
 * Provider callbacks the other voice tests do not send: events a provider documents on its status
 * URLs that report no call status, sent as the provider sends them (signed with its own scheme) to
 * the real worker in workerd.
 */
import { describe, expect, it } from "vitest";
import { at, GOOGLE, getCall, storage, T0, visit } from "./calls-helpers";
import { api, useTestClock } from "./helpers";
import { inboundFields, nativeId, providerWorld, send, signed } from "./voice-helpers";

useTestClock(T0, { silence: ["warn"] });

/** The account's stored tables but the replay memory (each signed request taken is remembered, so that it is not taken twice). */
const stored = async (acct: Parameters<typeof storage>[0]) =>
  JSON.stringify((JSON.parse(await storage(acct, [])) as [string, unknown][]).filter(([table]) => table !== "voice_replays"));

describe("Vonage: events with no status on the event URL and the connect's eventUrl", () => {
  it("a transfer, an error or an input is taken (204) and stores nothing; a status-less event of no documented kind is still 400", async () => {
    const w = await providerWorld("vonage");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("vonage");
    const answer = await send(await signed("vonage", w.keys, w.base, inboundFields("vonage", id, v.number), T0));
    expect(answer.status).toBe(200);
    const next: string = JSON.parse(answer.text)[0].eventUrl[0];
    expect(next).toContain("/vonage/next?call=");
    const at = "2031-03-01T10:00:05.000Z";
    // The Voice API webhook reference's transfer event (a leg moved into another conversation) and error event.
    const transfer = { conversation_uuid_from: `CON-${id}`, conversation_uuid_to: "CON-bbbbbbbb-0000-1111-2222-333333333333", uuid: id, timestamp: at };
    const error = { reason: "Unable to connect to the endpoint", conversation_uuid: `CON-${id}`, timestamp: at };
    const input = { uuid: id, conversation_uuid: `CON-${id}`, dtmf: { digits: "1", timed_out: false }, timestamp: at };
    const before = await stored(w.acct);
    for (const [url, event] of [
      [`${w.base}/status`, transfer],
      [`${w.base}/status`, error],
      [`${w.base}/status`, input],
      [next, { ...transfer, uuid: "b-leg-uuid" }],
    ] as const) {
      const res = await send(await signed("vonage", w.keys, url, event as unknown as Record<string, string>, T0 + 5000, { get: false }));
      expect([res.status, res.text], JSON.stringify(event)).toEqual([204, ""]);
      expect(res.headers.get("X-DNI-Report")).toBeNull();
    }
    expect(await stored(w.acct)).toBe(before);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: null, talkSeconds: null });
    // No status and none of those events' fields: as before, a report without a usable status.
    const bare = await send(
      await signed("vonage", w.keys, `${w.base}/status`, { uuid: id, conversation_uuid: `CON-${id}`, timestamp: at }, T0 + 6000, { get: false }),
    );
    expect(bare.status).toBe(400);
    expect(bare.json.error.details).toEqual([{ path: "status", message: "required: the call status" }]);
    expect(await stored(w.acct)).toBe(before);
    // The call's own events go on being merged.
    const done = await send(
      await signed("vonage", w.keys, `${w.base}/status`, { uuid: id, conversation_uuid: `CON-${id}`, status: "completed", duration: "30" }, T0 + 7000, {
        get: false,
      }),
    );
    expect([done.status, done.headers.get("X-DNI-Report")]).toEqual([204, "merged"]);
  });
});

describe("Telnyx TeXML: call-progress events on the status URL", () => {
  it("an answered (in-progress) or ringing event's Timestamp is not the call's end; the completed one's is, in Telnyx's own time format", async () => {
    const w = await providerWorld("telnyx");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("telnyx");
    expect((await send(await signed("telnyx", w.keys, w.base, inboundFields("telnyx", id, v.number), T0))).status).toBe(200);
    // Telnyx's TexmlCallAnsweredWebhook and its completed status callback (the Hangup verb's "Expected callbacks").
    const progress = (CallStatus: string, Timestamp: string, extra: Record<string, string> = {}) => ({
      AccountSid: "f5586561-8ff0-4291-a51b-c7dfe4139ff9",
      CallSid: id,
      CallSidLegacy: id,
      CallStatus,
      CallbackSource: "call-progress-events",
      ConnectionId: "1234567890",
      From: "+13105550123",
      To: v.number,
      SequenceNumber: "2",
      Timestamp,
      ...extra,
    });
    for (const [i, status] of ["ringing", "in-progress"].entries()) {
      const res = await send(await signed("telnyx", w.keys, `${w.base}/status`, progress(status, `2031-03-01T10:00:0${2 + i}Z`), T0 + 2000 + i));
      expect([res.status, res.headers.get("X-DNI-Report")]).toEqual([200, "merged"]);
      expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: null, talkSeconds: null, endedAt: null });
    }
    const done = await send(
      await signed(
        "telnyx",
        w.keys,
        `${w.base}/status`,
        progress("completed", "2031-03-01 10:00:52.731479Z", { CallDuration: "50", HangupSource: "caller" }),
        T0 + 52_000,
      ),
    );
    expect(done.headers.get("X-DNI-Report")).toBe("merged");
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 50, endedAt: Date.parse("2031-03-01T10:00:52.731Z") });
  });
});

describe("Vonage: the inbound leg's own answered event", () => {
  it("is Vonage taking the call to run our NCCO, not an answer: the call stays pending while the agent rings, and ends as the forwarded leg did", async () => {
    const w = await providerWorld("vonage");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("vonage");
    const answer = await send(await signed("vonage", w.keys, w.base, inboundFields("vonage", id, v.number), T0));
    const next: string = JSON.parse(answer.text)[0].eventUrl[0];
    const event = (status: string, extra: Record<string, string> = {}) => ({
      uuid: id,
      conversation_uuid: `CON-${id}`,
      from: "13105550123",
      to: v.number.slice(1),
      direction: "inbound",
      status,
      timestamp: "2031-03-01T10:00:01.000Z",
      ...extra,
    });
    // The application's event URL: the inbound leg started, rang and was answered (by Vonage, for our NCCO).
    for (const [i, status] of ["started", "ringing", "answered"].entries()) {
      const res = await send(await signed("vonage", w.keys, `${w.base}/status`, event(status), T0 + 1000 + i, { get: false }));
      expect([res.status, res.headers.get("X-DNI-Report")]).toEqual([204, "merged"]);
    }
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: null, talkSeconds: null, endedAt: null });
    const pending = await api("GET", "/v1/calls?outcome=pending", { key: w.acct.adminKey });
    expect(pending.json.calls.map((c: { id: string }) => c.id)).toEqual([id]);
    // The agent never picked up: the connect's leg timed out, then the caller's call completed.
    const leg = { uuid: "b-leg-1", conversation_uuid: `CON-${id}`, direction: "outbound", to: "12127365000", timestamp: "2031-03-01T10:00:21.000Z" };
    expect((await send(await signed("vonage", w.keys, next, { ...leg, status: "timeout" }, T0 + 21_000, { get: false }))).status).toBe(204);
    await send(
      await signed("vonage", w.keys, `${w.base}/status`, event("completed", { duration: "22", end_time: "2031-03-01T10:00:22.000Z" }), T0 + 22_000, {
        get: false,
      }),
    );
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "no-answer", talkSeconds: 0 });
  });
});

describe("Vonage: the inbound leg's completed event with a duration of 0", () => {
  it("ends a call we hung up on as failed, as every TwiML provider's completed does (it stayed pending for ever)", async () => {
    const w = await providerWorld("vonage");
    const id = nativeId("vonage");
    // A number the account does not own, no fallback: the answer is an empty NCCO, Vonage hangs up at once.
    const hung = await send(await signed("vonage", w.keys, w.base, inboundFields("vonage", id, "+18885559876"), T0));
    expect(JSON.parse(hung.text)).toEqual([]);
    const completed = {
      uuid: id,
      conversation_uuid: `CON-${id}`,
      from: "13105550123",
      to: "18885559876",
      direction: "inbound",
      status: "completed",
      duration: "0",
      start_time: "2031-03-01T10:00:00.000Z",
      end_time: "2031-03-01T10:00:00.900Z",
      timestamp: "2031-03-01T10:00:00.900Z",
    };
    const res = await send(await signed("vonage", w.keys, `${w.base}/status`, completed, T0 + 1000, { get: false }));
    expect([res.status, res.headers.get("X-DNI-Report")]).toEqual([204, "merged"]);
    expect((await getCall(w.acct, id)).json).toMatchObject({
      route: { action: "hangup" },
      outcome: "failed",
      talkSeconds: 0,
      endedAt: Date.parse("2031-03-01T10:00:00.900Z"),
    });
  });

  it("a connect's leg that completed in 0 s is still not an answer", async () => {
    const w = await providerWorld("vonage");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("vonage");
    const answer = await send(await signed("vonage", w.keys, w.base, inboundFields("vonage", id, v.number), T0));
    const next: string = JSON.parse(answer.text)[0].eventUrl[0];
    const leg = { uuid: "b-leg-1", conversation_uuid: `CON-${id}`, direction: "outbound", status: "completed", duration: "0" };
    expect((await send(await signed("vonage", w.keys, next, leg, T0 + 20_000, { get: false }))).status).toBe(204);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: null, talkSeconds: null });
  });
});

describe("Vonage: a connect's events out of order", () => {
  it("a ringing event arriving after its attempt timed out leaves the attempt's result as it was, and the route goes on", async () => {
    const route = {
      start: "m",
      lists: {
        m: [
          { type: "forward", to: "+12127365001" },
          { type: "forward", to: "+12127365002" },
        ],
      },
    };
    const w = await providerWorld("vonage", { route, provider: "vonage" });
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("vonage");
    const answer = await send(await signed("vonage", w.keys, w.base, inboundFields("vonage", id, v.number), T0));
    const next0: string = JSON.parse(answer.text)[0].eventUrl[0];
    const leg = (status: string) => ({ uuid: "b-leg-0", conversation_uuid: `CON-${id}`, direction: "outbound", to: "12127365001", status });
    const timedOut = await send(await signed("vonage", w.keys, next0, leg("timeout"), T0 + 25_000, { get: false }));
    expect(JSON.parse(timedOut.text)[0].endpoint).toEqual([{ type: "phone", number: "12127365002" }]);
    // Vonage's events are separate requests: the leg's ringing may land after its timeout.
    const late = await send(await signed("vonage", w.keys, next0, leg("ringing"), T0 + 25_500, { get: false }));
    expect(late.status).toBe(204);
    const attempts = (await getCall(w.acct, id)).json.route.attempts;
    expect(attempts.map((a: { step: number; status: string | null; outcome: string | null }) => [a.step, a.status, a.outcome])).toEqual([
      [0, "timeout", "no-answer"],
      [1, null, null],
    ]);
  });
});

describe("an end no call can have", () => {
  // Plivo writes its times in the time zone set in its console, without saying which: read as UTC,
  // India's 10:01:00 is 15:31 and Los Angeles' is 02:01, the one after the report came, the other
  // before the call began.
  it.each([
    ["a console in India (ahead of UTC)", "2031-03-01 15:31:00"],
    ["a console in Los Angeles (behind UTC)", "2031-03-01 02:01:00"],
  ])("Plivo's EndTime from %s: the call ended when its hangup report came", async (_, endTime) => {
    const w = await providerWorld("plivo");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("plivo");
    expect((await send(await signed("plivo", w.keys, w.base, inboundFields("plivo", id, v.number), T0))).status).toBe(200);
    const hangup = { CallUUID: id, To: v.number.slice(1), CallStatus: "completed", Event: "Hangup", Duration: "55", HangupCause: "NORMAL_CLEARING" };
    at(T0 + 61_000);
    const sent = await send(await signed("plivo", w.keys, `${w.base}/status`, { ...hangup, EndTime: endTime }, T0 + 61_000, { get: false }));
    expect(sent.headers.get("X-DNI-Report")).toBe("merged");
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 55, endedAt: T0 + 61_000 });
  });

  it("an EndTime that can be the call's (after its start, not after its report) is taken as given", async () => {
    const w = await providerWorld("plivo");
    const v = await visit(w.acct, GOOGLE);
    const id = nativeId("plivo");
    expect((await send(await signed("plivo", w.keys, w.base, inboundFields("plivo", id, v.number), T0))).status).toBe(200);
    at(T0 + 70_000);
    const hangup = { CallUUID: id, To: v.number.slice(1), CallStatus: "completed", Event: "Hangup", Duration: "55", HangupCause: "NORMAL_CLEARING" };
    await send(await signed("plivo", w.keys, `${w.base}/status`, { ...hangup, EndTime: "2031-03-01 10:01:00" }, T0 + 70_000, { get: false }));
    expect((await getCall(w.acct, id)).json.endedAt).toBe(Date.parse("2031-03-01T10:01:00Z"));
  });
});

describe("a forwarded leg's own events on the status URL", () => {
  it.each(["telnyx", "twilio", "signalwire"] as const)(
    "%s: a leg's ringing, answered and completed (ParentCallSid naming our call) are taken, stored nowhere, no orphan; the call's own report still counts",
    async (p) => {
      const w = await providerWorld(p);
      const v = await visit(w.acct, GOOGLE);
      const id = nativeId(p);
      expect((await send(await signed(p, w.keys, w.base, inboundFields(p, id, v.number), T0))).status).toBe(200);
      const before = await stored(w.acct);
      const leg = { CallSid: nativeId(p), ParentCallSid: id, From: v.number, To: "+12127365001", CallbackSource: "call-progress-events" };
      for (const CallStatus of ["ringing", "in-progress", "completed"]) {
        const r = await send(await signed(p, w.keys, `${w.base}/status`, { ...leg, CallStatus, CallDuration: "20" }, T0 + 30_000, { get: false }));
        expect({ CallStatus, status: r.status, report: r.headers.get("X-DNI-Report") }).toEqual({ CallStatus, status: 200, report: null });
      }
      expect(await stored(w.acct)).toBe(before);
      expect((await api("GET", "/v1/call-reports/orphans", { key: w.acct.adminKey })).json.reports).toEqual([]);
      // The call's own report (no ParentCallSid) is a report as before.
      const own = { CallSid: id, From: "+13105550123", To: v.number, CallStatus: "completed", CallDuration: "50" };
      const r = await send(await signed(p, w.keys, `${w.base}/status`, own, T0 + 60_000, { get: false }));
      expect(r.headers.get("X-DNI-Report")).toBe("merged");
    },
  );
});
