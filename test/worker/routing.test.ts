/**
 * Call routing end to end in workerd (docs/routing.md): failover driven by each provider's own
 * dial-action callback (no-answer, busy, answered), simultaneous ring with press 1, round robin
 * spread and sticky callers, voicemail with its recording URL stored, the schedule choosing the
 * list by the clock (a change applies to the next call only), providers refusing what they cannot
 * render. The property (every number in every answer is the route's) is routing-property.test.ts.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, callBody, callId, getCall, ring, T0, voiceOf } from "./calls-helpers";
import { accountStub, api, createAccount, createPool, freshNumbers, useTestClock } from "./helpers";
import { plivoHangup, plivoLeg } from "./leg-helpers";
import { CALLER, callEnded, dialEnded, inbound, post, read, VOICEMAIL } from "./route-helpers";
import { elements, inboundFields, NATIVE, type Native, nativeId, providerWorld, send, signed, whisperThen, xml } from "./voice-helpers";

const A = "+12127365101";
const B = "+12127365102";
const C = "+12127365103";

useTestClock(T0);

const failoverRoute = {
  start: "main",
  lists: {
    main: [{ type: "failover", to: [A, B], ringSeconds: 15 }, VOICEMAIL],
  },
};

describe.each(NATIVE)("%s: a call that rings nobody", (p) => {
  // The provider answers the caller to play our answer, so its own report says "completed" with
  // the whole call's length: a closed-hours message or a voicemail is still nobody answering.
  it.each([
    ["message", [{ type: "message", text: "We are closed. Our hours are 9 to 5." }], "no-answer"],
    ["voicemail", [{ type: "voicemail", greeting: "We are closed. Leave a message.", maxSeconds: 120 }], "no-answer"],
  ])("a %s list is no-answer, whatever the call's own report says", async (_, list, outcome) => {
    const w = await providerWorld(p, { provider: p, route: { start: "closed", lists: { closed: list } } });
    const { id } = await inbound(p, w);
    expect((await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 75))).status).toBeLessThan(300);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome, talkSeconds: 0 });
  });

  it("a list that rings a number, with no report from the rung leg: the call's own answer counts", async () => {
    const w = await providerWorld(p, { provider: p, route: { start: "main", lists: { main: [{ type: "forward", to: A }] } } });
    const { id } = await inbound(p, w);
    expect((await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 75))).status).toBeLessThan(300);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 75, route: { action: "transfer", to: A } });
  });
});

describe("failover: the number that answers second, its talk time", () => {
  // Plivo's Dial callbackUrl and Vonage's connect eventUrl report each attempt's leg under the same
  // word (hangup, completed): the second attempt's report must not be taken for a repeat of the first.
  const route = { start: "main", lists: { main: [{ type: "failover", to: [A, B], ringSeconds: 15 }] } };

  it("plivo: attempt 1's hangup (DialBLegDuration 95) after attempt 0's (0 s)", async () => {
    const p = "plivo";
    const w = await providerWorld(p, { provider: p, route });
    const id = nativeId(p);
    const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, w.tracking[0]!), Date.now()));
    const dial0 = elements(xml(res.text), "Dial")[0]!;
    const leg = (uuid: string, to: string, action: string, extra: Record<string, string> = {}) => ({
      CallUUID: id,
      DialALegUUID: id,
      DialBLegUUID: uuid,
      DialAction: action,
      DialBLegStatus: action,
      DialBLegTo: to.slice(1),
      ...extra,
    });
    await post(p, w, dial0.getAttribute("callbackUrl")!, leg("b-leg-0", A, "hangup", { DialBLegDuration: "0", DialBLegHangupCause: "NO_ANSWER" }));
    const r1 = await post(p, w, dial0.getAttribute("action")!, { CallUUID: id, DialALegUUID: id, DialStatus: "no-answer", DialHangupCause: "NO_ANSWER" });
    const dial1 = elements(xml(r1.text), "Dial")[0]!;
    expect(elements(xml(r1.text), "Number")[0]!.textContent).toBe(B.slice(1));
    await post(p, w, dial1.getAttribute("callbackUrl")!, leg("b-leg-1", B, "answer"));
    await post(p, w, dial1.getAttribute("callbackUrl")!, leg("b-leg-1", B, "connected"));
    const hangup = await post(
      p,
      w,
      dial1.getAttribute("callbackUrl")!,
      leg("b-leg-1", B, "hangup", { DialBLegDuration: "95", DialBLegHangupCause: "NORMAL_CLEARING" }),
    );
    expect(hangup.headers.get("X-DNI-Report")).toBe("merged");
    // The first leg's report again (a provider retry) changes nothing.
    const again = await post(
      p,
      w,
      dial0.getAttribute("callbackUrl")!,
      leg("b-leg-0", A, "hangup", { DialBLegDuration: "0", DialBLegHangupCause: "NO_ANSWER" }),
    );
    expect(again.headers.get("X-DNI-Report")).toBe("duplicate");
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
  });

  it("plivo: a Dial that ends `timeout` (a carrier's or Plivo's delay connecting, its guide says) is a failed attempt, not a no-answer; the route goes on", async () => {
    const p = "plivo";
    const w = await providerWorld(p, { provider: p, route });
    const { id, answer } = await inbound(p, w);
    const next = read(
      p,
      (await post(p, w, answer.next!, { CallUUID: id, DialALegUUID: id, DialStatus: "timeout", DialHangupCause: "RECOVERY_ON_TIMER_EXPIRE" })).text,
    );
    expect(next.targets).toEqual([B]);
    expect((await getCall(w.acct, id)).json.route.attempts[0]).toMatchObject({ step: 0, to: [A], outcome: "failed" });
  });

  it("vonage: attempt 1's completed (duration 95) after attempt 0's timed-out leg completed (0 s)", async () => {
    const p = "vonage";
    const w = await providerWorld(p, { provider: p, route });
    const id = nativeId(p);
    const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, w.tracking[0]!), Date.now()));
    const ev = (uuid: string, status: string, extra: Record<string, string> = {}) => ({
      uuid,
      conversation_uuid: `CON-${id}`,
      status,
      direction: "outbound",
      timestamp: new Date(Date.now()).toISOString(),
      ...extra,
    });
    const next0 = JSON.parse(res.text)[0].eventUrl[0];
    const connect1 = JSON.parse((await post(p, w, next0, ev("b-leg-0", "timeout"))).text)[0];
    expect(connect1.endpoint[0].number).toBe(B.slice(1));
    await post(p, w, next0, ev("b-leg-0", "completed", { duration: "0" }));
    const next1 = connect1.eventUrl[0];
    await post(p, w, next1, ev("b-leg-1", "answered"));
    const done = await post(p, w, next1, ev("b-leg-1", "completed", { duration: "95" }));
    expect(done.headers.get("X-DNI-Report")).toBe("merged");
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95 });
  });
});

describe.each(NATIVE)("%s", (p) => {
  it("failover: no-answer and busy move to the next number, then voicemail; the recording URL is stored", async () => {
    const w = await providerWorld(p, { provider: p, route: failoverRoute });
    const { id, answer } = await inbound(p, w);
    expect(answer.targets).toEqual([A]);
    expect(answer.next).toContain("/next?");
    const second = await post(p, w, answer.next!, dialEnded(p, id, "no-answer"));
    expect(second.status, second.text).toBe(200);
    const b = read(p, second.text);
    expect(b.targets).toEqual([B]);
    const third = read(p, (await post(p, w, b.next!, dialEnded(p, id, "busy"))).text);
    expect(third.targets).toEqual([]);
    expect(third.said).toEqual(["Leave a message"]);
    expect(third.record).toContain("/recording?");
    const rec: Record<string, string> =
      p === "vonage"
        ? { recording_url: "https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab", recording_uuid: "r1", conversation_uuid: `CON-${id}` }
        : p === "plivo"
          ? { CallUUID: id, RecordUrl: "https://media.plivo.com/v1/Account/MA1/Recording/r1.mp3", RecordingID: "r1", RecordingDuration: "12" }
          : { CallSid: id, RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", RecordingSid: "RE1", RecordingDuration: "12" };
    expect((await post(p, w, third.record!, rec)).status).toBeLessThan(300);
    const call = (await getCall(w.acct, id)).json;
    expect(call.route).toMatchObject({
      action: "transfer",
      to: A,
      list: "main",
      by: "start",
      answeredBy: null,
      attempts: [
        { step: 0, kind: "dial", to: [A], outcome: "no-answer" },
        { step: 1, kind: "dial", to: [B], outcome: "busy" },
        { step: 2, kind: "voicemail", to: [] },
      ],
    });
    expect(call.recordingUrl).toBe(Object.values(rec).find((v) => v.startsWith("https://")));
  });

  it("failover: the number that answers ends the route and is stored as answeredBy; a repeated action gets the same answer", async () => {
    const w = await providerWorld(p, { provider: p, route: failoverRoute });
    const { id, answer } = await inbound(p, w);
    const noAnswer = dialEnded(p, id, "no-answer");
    const second = await post(p, w, answer.next!, noAnswer);
    // The provider retrying the same callback (a fresh signature): the same next attempt.
    at(Date.now() + 1000);
    expect(read(p, (await post(p, w, answer.next!, noAnswer)).text).targets).toEqual([B]);
    // …or the very request again, its signature, nonce or token too (a retry after a late answer).
    const same = await signed(p, w.keys, answer.next!, noAnswer, Date.now(), { get: false });
    expect(read(p, (await send(same)).text).targets).toEqual([B]);
    expect(read(p, (await send(same)).text).targets).toEqual([B]);
    const done = await post(p, w, read(p, second.text).next!, dialEnded(p, id, "completed"));
    if (p === "vonage") expect(done.status).toBe(204);
    else expect(read(p, done.text)).toMatchObject({ targets: [], hangup: true });
    const call = (await getCall(w.acct, id)).json;
    expect(call.route.answeredBy).toBe(B);
    expect(call.outcome).toBe("answered");
  });
});

describe.each(NATIVE)("call recording on %s: off by default; on, the disclosure is said first", (p) => {
  const forward = { start: "m", lists: { m: [{ type: "forward", to: A }] } };
  const recUrl = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9";
  const recording = (id: string): Record<string, string> =>
    p === "vonage"
      ? { recording_url: recUrl, recording_uuid: "r9", conversation_uuid: `CON-${id}` }
      : p === "plivo"
        ? { CallUUID: id, RecordUrl: recUrl, RecordingID: "r9" }
        : { CallSid: id, RecordingUrl: recUrl, RecordingSid: "RE9" };

  it("a route without `recording` records nothing and says nothing; a recording callback for it is not stored", async () => {
    const w = await providerWorld(p, { provider: p, route: forward });
    expect((await api("GET", "/v1/pools/web", { key: w.acct.adminKey })).json.route.recording).toBeNull();
    const { id, answer, text } = await inbound(p, w);
    expect(answer).toMatchObject({ targets: [A], said: [], record: null });
    expect(text).not.toMatch(/record/i);
    await post(p, w, `${w.base}/recording?call=${id}`, recording(id));
    expect((await getCall(w.acct, id)).json.recordingUrl).toBeNull();
  });

  it("with `recording`, the caller hears the disclosure before anything else and the recording's URL is stored on the call", async () => {
    const w = await providerWorld(p, { provider: p, route: { ...forward, recording: { disclosure: "This call may be recorded." } } });
    const { id, answer } = await inbound(p, w);
    expect(answer.said[0]).toBe("This call may be recorded.");
    expect(answer.record).toContain("/recording?");
    expect(answer.targets).toEqual([A]);
    expect((await post(p, w, answer.record!, recording(id))).status).toBeLessThan(300);
    expect((await getCall(w.acct, id)).json.recordingUrl).toBe(recUrl);
  });
});

describe("simultaneous ring, press 1 to accept (Twilio family and Plivo natively)", () => {
  const route = (confirm: boolean) => ({
    start: "team",
    lists: {
      team: [
        { type: "ring", to: [A, B, C], confirm, whisper: true },
        { type: "message", text: "Sorry, nobody is free" },
      ],
    },
  });
  /** The agent's leg as the provider reports it: its own call, to the agent's number. */
  const legOf = (p: Native, id: string, agent: string): Record<string, string> =>
    p === "plivo"
      ? { CallUUID: crypto.randomUUID(), To: agent.slice(1), From: CALLER.slice(1) }
      : { CallSid: nativeId(p), ParentCallSid: id, To: agent, From: CALLER, CallStatus: "in-progress" };

  it.each(["twilio", "signalwire", "telnyx"] as const)(
    "%s: every agent rings at once; picking up is not accepting; the first to press 1 takes the call, a later one is hung up",
    async (p) => {
      const w = await providerWorld(p, { provider: p, route: route(true) });
      const { id, answer, text } = await inbound(p, w);
      expect(answer.targets).toEqual([A, B, C]);
      // With press 1 no answered event is asked for: picking up does not take the call.
      expect(answer.answered).toBeNull();
      for (const n of elements(xml(text), "Number")) expect(n.getAttribute("url")).toBe(answer.whisper);
      // B picks up: the source, then a Gather whose action is our confirm URL.
      const b = legOf(p, id, B);
      const doc = xml((await post(p, w, answer.whisper!, b)).text);
      expect(elements(doc, "Say")[0]!.textContent).toBe("Untracked call. Press 1 to accept the call.");
      const confirm = elements(doc, "Gather")[0]!.getAttribute("action")!;
      // B presses 2: hung up, nobody has the call.
      expect(elements(xml((await post(p, w, confirm, { ...b, Digits: "2" })).text), "Hangup")).toHaveLength(1);
      expect((await getCall(w.acct, id)).json.route.answeredBy).toBeNull();
      // C presses 1: bridged (an empty document ends the agent's leg), and recorded.
      const c = legOf(p, id, C);
      expect(xml((await post(p, w, confirm, { ...c, Digits: "1" })).text).documentElement!.childNodes.length).toBe(0);
      expect((await getCall(w.acct, id)).json.route.answeredBy).toBe(C);
      // A presses 1 too late: hung up; C keeps the call. A stranger's leg is never accepted.
      expect(elements(xml((await post(p, w, confirm, { ...legOf(p, id, A), Digits: "1" })).text), "Hangup")).toHaveLength(1);
      expect(elements(xml((await post(p, w, confirm, { ...legOf(p, id, "+19005550199"), Digits: "1" })).text), "Hangup")).toHaveLength(1);
      expect((await getCall(w.acct, id)).json.route.answeredBy).toBe(C);
      // The Dial ends answered: the route ends there.
      const done = read(p, (await post(p, w, answer.next!, dialEnded(p, id, "completed"))).text);
      expect(done).toMatchObject({ targets: [], said: [], hangup: true });
      expect((await getCall(w.acct, id)).json.outcome).toBe("answered");
    },
  );

  it.each(["twilio", "signalwire", "telnyx"] as const)("%s without press 1: the number's answered event names who took the call", async (p) => {
    const w = await providerWorld(p, { provider: p, route: route(false) });
    const { id, answer } = await inbound(p, w);
    expect(answer.targets).toEqual([A, B, C]);
    expect(answer.answered).toContain("/answered?");
    // A number that is not one of the attempt's is never recorded.
    await post(p, w, answer.answered!, legOf(p, id, "+19005550199"));
    expect((await getCall(w.acct, id)).json.route.answeredBy).toBeNull();
    // A's leg ringing, then ending unanswered, reported on that URL: nobody picked up.
    for (const CallStatus of ["ringing", "no-answer", "completed"]) {
      expect((await post(p, w, answer.answered!, { ...legOf(p, id, A), CallStatus })).status).toBe(200);
      expect({ CallStatus, answeredBy: (await getCall(w.acct, id)).json.route.answeredBy }).toEqual({ CallStatus, answeredBy: null });
    }
    expect((await post(p, w, answer.answered!, legOf(p, id, B))).status).toBe(200);
    expect((await getCall(w.acct, id)).json.route.answeredBy).toBe(B);
  });

  it("plivo: confirmKey 1 on the Dial; its callbackUrl's connected (the bridge), not its answer, names who pressed 1", async () => {
    const p = "plivo";
    const w = await providerWorld(p, { provider: p, route: route(true) });
    const { id, answer, text } = await inbound(p, w);
    expect(answer.targets).toEqual([A, B, C]);
    expect(xml(text).getElementsByTagName("Dial")[0]!.getAttribute("confirmKey")).toBe("1");
    const whisper = await post(p, w, answer.whisper!, legOf(p, id, B));
    expect(elements(xml(whisper.text), "Speak")[0]!.textContent).toBe("Untracked call. Press 1 to accept the call.");
    // A picks up first: the prompt plays, A has not pressed 1, A does not have the call.
    const bLeg = (to: string, action: string) => ({
      DialAction: action,
      DialBLegStatus: action,
      DialALegUUID: id,
      DialBLegUUID: `b-${to}`,
      DialBLegTo: to.slice(1),
      CallUUID: id,
    });
    await post(p, w, answer.answered!, bLeg(A, "answer"));
    expect((await getCall(w.acct, id)).json.route.answeredBy).toBeNull();
    expect((await getCall(w.acct, id)).json.outcome).toBeNull();
    // A bridge naming a number this attempt did not ring is neither who answered nor an answer.
    await post(p, w, answer.answered!, bLeg("+19005550199", "connected"));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: null, route: { answeredBy: null } });
    expect((await post(p, w, answer.answered!, bLeg(B, "connected"))).status).toBe(200);
    expect((await getCall(w.acct, id)).json.route.answeredBy).toBe(B);
  });

  it.each(["twilio", "signalwire", "telnyx", "plivo"] as const)("%s: nobody takes it (no-answer, then busy): the next step", async (p) => {
    for (const status of ["no-answer", "busy"] as const) {
      const w = await providerWorld(p, { provider: p, route: route(true) });
      const { id, answer } = await inbound(p, w);
      const after = read(p, (await post(p, w, answer.next!, dialEnded(p, id, status))).text);
      expect(after).toMatchObject({ targets: [], said: ["Sorry, nobody is free"], hangup: true });
      expect((await getCall(w.acct, id)).json.route.attempts[0]).toMatchObject({ step: 0, outcome: status });
    }
  });
});

describe("plivo: the Dial callbackUrl's answer is a pick-up, connected the bridge; a hangup's talk time counts for the bridged leg only", () => {
  const p = "plivo";
  const bLeg = plivoLeg;
  const hangup = plivoHangup;
  const pressOne = {
    start: "m",
    lists: {
      m: [
        { type: "ring", to: [A, B], confirm: true, whisper: true },
        { type: "forward", to: C },
      ],
    },
  };

  // Plivo documents DialStatus's words but not which one a Dial gets whose only pick-up never
  // pressed confirmKey: either way the attempt is not answered and the route goes on.
  it.each(["no-answer", "completed"] as const)(
    "press 1: the agent picks up, hears the prompt and hangs up without pressing (DialStatus %s): not answered, no talk time, the next step rings",
    async (dialStatus) => {
      const w = await providerWorld(p, { provider: p, route: pressOne });
      const { id, answer } = await inbound(p, w);
      expect(answer.targets).toEqual([A, B]);
      await post(p, w, answer.answered!, bLeg(id, A, "answer"));
      await post(p, w, answer.answered!, hangup(id, A, 9));
      await post(p, w, answer.answered!, hangup(id, B, 0, "NO_ANSWER"));
      const next = read(p, (await post(p, w, answer.next!, { CallUUID: id, DialALegUUID: id, DialBLegUUID: "", DialStatus: dialStatus })).text);
      expect(next.targets).toEqual([C]);
      const call = (await getCall(w.acct, id)).json;
      expect(call).toMatchObject({ outcome: "no-answer", talkSeconds: 0 });
      expect(call.route).toMatchObject({
        answeredBy: null,
        attempts: [
          { step: 0, outcome: "no-answer" },
          { step: 1, to: [C] },
        ],
      });
    },
  );

  it("press 1: one agent declines, another presses 1: answered by the one who pressed, with the talk time of that leg's hangup", async () => {
    const w = await providerWorld(p, { provider: p, route: pressOne });
    const { id, answer } = await inbound(p, w);
    await post(p, w, answer.answered!, bLeg(id, A, "answer"));
    await post(p, w, answer.answered!, bLeg(id, B, "answer"));
    await post(p, w, answer.answered!, bLeg(id, B, "connected"));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", route: { answeredBy: B } });
    // A sat on the prompt longer than B talked; A's leg was never bridged: its time is not talk time.
    await post(p, w, answer.answered!, hangup(id, A, 120, "NO_ANSWER"));
    await post(p, w, answer.answered!, hangup(id, B, 95));
    const done = read(p, (await post(p, w, answer.next!, { CallUUID: id, DialALegUUID: id, DialBLegUUID: `b-${B.slice(1)}`, DialStatus: "completed" })).text);
    expect(done).toMatchObject({ targets: [], hangup: true });
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
    expect(call.route.attempts[0]).toMatchObject({ step: 0, status: "completed", outcome: "answered" });
  });

  it("without press 1 (a whisper only): answer, then connected right after: answered as before, with the leg's talk time", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, answer, text } = await inbound(p, w);
    expect(elements(xml(text), "Dial")[0]!.hasAttribute("confirmKey")).toBe(false);
    await post(p, w, answer.answered!, bLeg(id, A, "answer"));
    await post(p, w, answer.answered!, bLeg(id, A, "connected"));
    await post(p, w, answer.answered!, hangup(id, A, 42));
    const done = read(p, (await post(p, w, answer.next!, { CallUUID: id, DialALegUUID: id, DialBLegUUID: `b-${A.slice(1)}`, DialStatus: "completed" })).text);
    expect(done).toMatchObject({ targets: [], hangup: true });
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });
});

describe("reference API: simultaneous ring as its competitive call distribution (Shark Tank)", () => {
  const ID = "+12127365199";
  const ringTo = (over: Record<string, unknown> = {}, after: unknown[] = []) => ({
    start: "t",
    lists: { t: [{ type: "ring", to: [A, B, C], confirm: true, whisper: true, callerId: ID, ...over }, ...after] },
  });
  const joinOnly = (id: string) => ({
    type: "CONFERENCE",
    params: { name: id, max_participants: 2, end_on_exit: "true" },
    events: { on_enter_error_max_participants: [{ type: "SAY", params: { text: "Another agent took this call." } }, { type: "HANGUP" }] },
  });

  it("every agent DIALled at once from callerId into the caller's two-seat conference; the agent presses 1 to join; a late one is told and hung up", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(1);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: tracking, destinations: [A], route: ringTo() });
    const voice = await voiceOf(acct);
    const id = callId();
    const res = await ring(voice.callbackUrl, callBody(id, tracking[0]!, Date.now()));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      actions: [
        { "$sessionData.conference_name": id },
        {
          type: "CONFERENCE",
          params: { name: "${sessionData.conference_name}", max_participants: 2, end_on_exit: "true" },
          events: { on_enter: [A, B, C].map((no) => ({ type: "DIAL", session_data: "$sessionData", params: { no, caller_id_no: ID } })) },
        },
        { type: "HANGUP" },
      ],
    });
    expect((await getCall(acct, id)).json.route).toMatchObject({ list: "t", attempts: [{ step: 0, kind: "dial", to: [A, B, C] }] });
    // An agent's leg (the callerId's call flow callback is our agent URL): press 1 (three tries), then join.
    const agent = await ring(voice.agentCallbackUrl, { callId: "agent-leg-1", callerNo: ID, calledNo: B, sessionData: { conference_name: id } });
    expect(agent.json).toEqual({
      actions: [
        { type: "LABEL", name: "confirm" },
        {
          type: "COLLECT",
          actions: [{ type: "SAY", params: { text: "Untracked call. Press 1 to accept the call." } }],
          params: { finish_on_key: "pound", num_digits: 1, timeout: 5000 },
        },
        // biome-ignore lint/suspicious/noThenProperty: the reference API's IF action (an array, never awaited).
        { type: "IF", condition: "$collectAttempt == 3", then: [{ type: "HANGUP" }] },
        {
          type: "IF",
          condition: "$keyPresses == '1'",
          // biome-ignore lint/suspicious/noThenProperty: the reference API's IF action.
          then: [{ type: "GOTO", params: { label: "join" } }],
          orElse: [{ type: "GOTO", params: { label: "confirm" } }],
        },
        { type: "LABEL", name: "join" },
        joinOnly(id),
        { type: "HANGUP" },
      ],
    });
  });

  it("without press 1 or whisper: the first agent to pick up joins", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(1);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: tracking, destinations: [A], route: ringTo({ confirm: false, whisper: false }) });
    const voice = await voiceOf(acct);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, Date.now()))).status).toBe(200);
    const agent = await ring(voice.agentCallbackUrl, { callId: "agent-leg-2", sessionData: { conference_name: id } });
    expect(agent.json).toEqual({ actions: [joinOnly(id), { type: "HANGUP" }] });
  });

  it("refused (422 route_not_supported): a ring without callerId, or a step after the ring", async () => {
    const acct = await createAccount();
    for (const [route, path] of [
      [ringTo({ callerId: null }), "route.lists.t[0].callerId"],
      [ringTo({}, [{ type: "message", text: "Nobody is free" }]), "route.lists.t[0]"],
    ] as const) {
      const r = await api("POST", "/v1/pools", {
        key: acct.adminKey,
        body: { id: "r", name: "R", trackingNumbers: freshNumbers(1), destinations: [A], route },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(422);
      expect(r.json.error).toMatchObject({ code: "route_not_supported", details: [{ path }] });
    }
    expect((await api("GET", "/v1/pools/r", { key: acct.adminKey })).status).toBe(404);
  });
});

describe("round robin", () => {
  const agents = [A, B, C];
  const route = { start: "rr", lists: { rr: [{ type: "roundRobin", to: agents, sticky: true, ringSeconds: 10 }] } };

  it("spreads first rings evenly over many calls, and tries the others in turn", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route });
    const firsts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const caller = `+1310555${String(1000 + i)}`;
      const { id, answer } = await inbound("twilio", w, caller);
      firsts.set(answer.targets[0]!, (firsts.get(answer.targets[0]!) ?? 0) + 1);
      if (i === 0) {
        const second = read("twilio", (await post("twilio", w, answer.next!, dialEnded("twilio", id, "no-answer"))).text);
        expect(second.targets).toEqual([B]);
      }
    }
    const counts = agents.map((a) => firsts.get(a) ?? 0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((s, n) => s + n, 0)).toBe(30);
  });

  it.each(NATIVE)("%s: each call starts at the next agent; its no-answer callback moves to the following one", async (p) => {
    const w = await providerWorld(p, { provider: p, route });
    const firsts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { id, answer } = await inbound(p, w, `+1310555${String(2000 + i)}`);
      firsts.push(answer.targets[0]!);
      if (i === 1) expect(read(p, (await post(p, w, answer.next!, dialEnded(p, id, "no-answer"))).text).targets).toEqual([C]);
    }
    expect(firsts).toEqual([A, B, C, A, B, C]);
  });

  it("a round robin after another step counts a turn only for the calls that reach it", async () => {
    // The receptionist (A) takes every other call: the team's rotation must still alternate over
    // the calls that come to it, not follow which calls A happened to take.
    const afterA = {
      start: "m",
      lists: {
        m: [
          { type: "forward", to: A, ringSeconds: 10 },
          { type: "roundRobin", to: [B, C], ringSeconds: 10 },
        ],
      },
    };
    const w = await providerWorld("twilio", { provider: "twilio", route: afterA });
    const firsts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { id, answer } = await inbound("twilio", w, `+1310555${String(3000 + i)}`);
      expect(answer.targets).toEqual([A]);
      if (i % 2 === 1) {
        await post("twilio", w, answer.next!, dialEnded("twilio", id, "completed"));
        continue;
      }
      const noAnswer = dialEnded("twilio", id, "no-answer");
      const team = read("twilio", (await post("twilio", w, answer.next!, noAnswer)).text);
      firsts.push(team.targets[0]!);
      // The provider repeating that callback: the same agent, no turn taken.
      expect(read("twilio", (await post("twilio", w, answer.next!, noAnswer)).text).targets).toEqual(team.targets);
      // Nobody there either: the other agent of the rotation.
      const other = read("twilio", (await post("twilio", w, team.next!, dialEnded("twilio", id, "no-answer"))).text);
      expect(other.targets).toEqual([team.targets[0] === B ? C : B]);
      expect((await getCall(w.acct, id)).json.route.attempts.map((a: { to: string[] }) => a.to)).toEqual([[A], team.targets, other.targets]);
    }
    expect(firsts).toEqual([B, C, B, C]);
  });

  it("a deleted pool's turns go once the pool is gone for good (its lease history's retention after the deletion)", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route });
    await inbound("twilio", w, "+13105559000");
    const turns = () =>
      runInDurableObject(accountStub(w.acct.accountId), (_i, state) => state.storage.sql.exec("SELECT key FROM route_turns").toArray().length);
    expect(await turns()).toBe(1);
    const pools = (await api("GET", "/v1/pools", { key: w.acct.adminKey })).json.pools as { id: string }[];
    for (const p of pools) expect((await api("DELETE", `/v1/pools/${p.id}`, { key: w.acct.adminKey })).status).toBe(204);
    at(T0 + 2 * 86_400_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(await turns()).toBe(1);
    at(T0 + 32 * 86_400_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(await turns()).toBe(0);
  });

  it("a plan of more than 100 attempts (6 round robins of 20 agents) rings every agent: attempt 100 and on are not dropped", async () => {
    const team = (k: number) => Array.from({ length: 20 }, (_, i) => `+1212736${5000 + k * 20 + i}`);
    const long = { start: "rr", lists: { rr: Array.from({ length: 6 }, (_, k) => ({ type: "roundRobin", to: team(k), ringSeconds: 5 })) } };
    const w = await providerWorld("twilio", { provider: "twilio", route: long });
    const { id, answer } = await inbound("twilio", w);
    const rung = [answer.targets[0]];
    let next = answer.next;
    for (let i = 1; i < 120; i++) {
      const r = read("twilio", (await post("twilio", w, next!, dialEnded("twilio", id, "no-answer"))).text);
      expect(r.targets).toHaveLength(1);
      rung.push(r.targets[0]);
      next = r.next;
    }
    expect(new Set(rung).size).toBe(120);
  });

  it("a change to the agents: the next turn is the one who would have been next in the old order, or the first after them still there", async () => {
    const D = "+12127365104";
    const rr = (to: string[]) => ({ start: "rr", lists: { rr: [{ type: "roundRobin", to, ringSeconds: 10 }] } });
    const w = await providerWorld("twilio", { provider: "twilio", route: rr([A, B, C, D]) });
    let caller = 4000;
    const firsts = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await inbound("twilio", w, `+1310555${caller++}`)).answer.targets[0]!);
      return out;
    };
    const change = async (to: string[]) => expect((await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { route: rr(to) } })).status).toBe(200);
    expect(await firsts(6)).toEqual([A, B, C, D, A, B]);
    // A removed after B's turn: C is next, as before (counting turns over [B, C, D] gave B twice).
    await change([B, C, D]);
    expect(await firsts(2)).toEqual([C, D]);
    // B, next after D, removed: the first after B still there, C; then on in the new order.
    await change([C, D]);
    expect(await firsts(3)).toEqual([C, D, C]);
    // Added, A takes its place in the order from the next round; nobody rings twice in a row.
    await change([C, D, A]);
    expect(await firsts(4)).toEqual([D, A, C, D]);
  });

  it("a rotation whose turns were counted before whose turn it was is kept goes on by its count", async () => {
    const w = await providerWorld("twilio", {
      provider: "twilio",
      route: { start: "rr", lists: { rr: [{ type: "roundRobin", to: agents, ringSeconds: 10 }] } },
    });
    const first = async (i: number) => (await inbound("twilio", w, `+1310555${5000 + i}`)).answer.targets[0]!;
    expect([await first(0), await first(1)]).toEqual([A, B]);
    await runInDurableObject(accountStub(w.acct.accountId), (_i, state) => {
      expect(state.storage.sql.exec("UPDATE route_turns SET last = NULL, agents = NULL").rowsWritten).toBe(1);
    });
    expect([await first(2), await first(3), await first(4)]).toEqual([C, A, B]);
  });

  it("sticky: a repeat caller first rings the agent who answered them last time", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route });
    const first = await inbound("twilio", w, CALLER);
    expect(first.answer.targets).toEqual([A]);
    const second = read("twilio", (await post("twilio", w, first.answer.next!, dialEnded("twilio", first.id, "no-answer"))).text);
    await post("twilio", w, second.next!, dialEnded("twilio", first.id, "completed"));
    expect((await getCall(w.acct, first.id)).json).toMatchObject({ caller: CALLER, callerWithheld: false, route: { answeredBy: B } });
    const other = await inbound("twilio", w, "+13105550999");
    expect(other.answer.targets).toEqual([B]); // the rotation's next turn
    const again = await inbound("twilio", w, CALLER);
    expect(again.answer.targets).toEqual([B]); // sticky
    const newcomer = await inbound("twilio", w, "+13105550998");
    expect(newcomer.answer.targets).toEqual([C]);
  });

  it('sticky: a withheld caller id (Twilio\'s +266696687 ANONYMOUS, "anonymous") is no repeat caller: every caller who withholds it sends the same', async () => {
    for (const withheld of ["+266696687", "anonymous"]) {
      const w = await providerWorld("twilio", { provider: "twilio", route });
      const first = await inbound("twilio", w, withheld);
      expect(first.answer.targets).toEqual([A]);
      const second = read("twilio", (await post("twilio", w, first.answer.next!, dialEnded("twilio", first.id, "no-answer"))).text);
      await post("twilio", w, second.next!, dialEnded("twilio", first.id, "completed"));
      expect((await getCall(w.acct, first.id)).json).toMatchObject({ caller: withheld, callerWithheld: true, route: { answeredBy: B } });
      expect((await inbound("twilio", w, "+13105550999")).answer.targets).toEqual([B]); // the rotation's next turn
      // Not B again (as for a repeat caller): the rotation's next turn.
      expect((await inbound("twilio", w, withheld)).answer.targets).toEqual([C]);
    }
  });
});

describe("schedule", () => {
  // New York: weekdays 09:00–17:00 open (failover A then B), closed otherwise (C); Christmas closed.
  const route = (open: string[]) => ({
    schedule: {
      timeZone: "America/New_York",
      weekly: Object.fromEntries(["mon", "tue", "wed", "thu", "fri"].map((d) => [d, [{ from: "09:00", to: "17:00", steps: "open" }]])),
      exceptions: [{ date: "2031-12-25", hours: [], name: "Christmas Day" }],
      otherwise: "closed",
    },
    lists: { open: [{ type: "failover", to: open }], closed: [{ type: "forward", to: C }] },
  });

  it("routes by the local clock, a holiday closes a weekday, and a change applies from the next call only", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route: route([A, B]) });
    at(Date.parse("2031-12-24T14:00:00Z")); // Wednesday 09:00 EST
    const open = await inbound("twilio", w);
    expect(open.answer.targets).toEqual([A]);
    expect((await getCall(w.acct, open.id)).json.route).toMatchObject({ list: "open", by: "weekly" });
    at(Date.parse("2031-12-24T13:59:00Z")); // 08:59
    expect((await inbound("twilio", w)).answer.targets).toEqual([C]);
    at(Date.parse("2031-12-25T15:00:00Z")); // Thursday, Christmas Day, 10:00
    const holiday = await inbound("twilio", w);
    expect(holiday.answer.targets).toEqual([C]);
    expect((await getCall(w.acct, holiday.id)).json.route).toMatchObject({ list: "closed", by: "otherwise", exception: "Christmas Day" });

    at(Date.parse("2031-12-26T15:00:00Z")); // Friday 10:00
    const before = await inbound("twilio", w);
    expect(before.answer.targets).toEqual([A]);
    const patched = await api("PATCH", "/v1/pools/web", { key: w.acct.adminKey, body: { route: route([C, B]) } });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    // The call already running keeps its plan: its next attempt is still B.
    expect(read("twilio", (await post("twilio", w, before.answer.next!, dialEnded("twilio", before.id, "no-answer"))).text).targets).toEqual([B]);
    expect((await inbound("twilio", w)).answer.targets).toEqual([C]);
  });

  it("follows daylight saving both ways: 09:00 local opens at 14:00 UTC in winter and 13:00 UTC in summer", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route: route([A, B]) });
    at(Date.parse("2031-03-07T13:30:00Z")); // Friday before the change: 08:30 EST
    expect((await inbound("twilio", w)).answer.targets).toEqual([C]);
    at(Date.parse("2031-03-10T13:30:00Z")); // Monday after: 09:30 EDT
    expect((await inbound("twilio", w)).answer.targets).toEqual([A]);
    at(Date.parse("2031-10-31T13:30:00Z")); // Friday before clocks go back: 09:30 EDT
    expect((await inbound("twilio", w)).answer.targets).toEqual([A]);
    at(Date.parse("2031-11-03T13:30:00Z")); // Monday after: 08:30 EST
    expect((await inbound("twilio", w)).answer.targets).toEqual([C]);
  });
});

describe("what a provider cannot render is refused for its pools", () => {
  const ring = { start: "t", lists: { t: [{ type: "ring", to: [A, B] }] } };

  it("Vonage rings one endpoint: a simultaneous ring is 422 route_not_supported and nothing is stored", async () => {
    const acct = await createAccount();
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "v", name: "V", trackingNumbers: freshNumbers(1), destinations: [A], provider: "vonage", route: ring },
    });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: "route_not_supported", details: [{ path: "route.lists.t[0]" }] });
    expect((await api("GET", "/v1/pools/v", { key: acct.adminKey })).status).toBe(404);
  });

  it("the reference API has no dial result: failover is refused; moving the account to it under such a pool is refused too", async () => {
    const acct = await createAccount();
    const body = { id: "r", name: "R", trackingNumbers: freshNumbers(1), destinations: [A], route: failoverRoute };
    const refused = await api("POST", "/v1/pools", { key: acct.adminKey, body });
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.map((x: { path: string }) => x.path)).toEqual(["route.lists.main[0]", "route.lists.main[1]"]);
    expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider: "twilio" } })).status).toBe(200);
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body })).status).toBe(201);
    const back = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider: "reference" } });
    expect(back.status).toBe(422);
    expect((await api("GET", "/v1/account/voice", { key: acct.adminKey })).json.provider).toBe("twilio");
  });

  it("business hours in EST (UTC-5 all year) are 400 invalid_route on route.schedule.timeZone, and nothing is stored", async () => {
    const acct = await createAccount();
    const route = {
      schedule: { timeZone: "EST", weekly: { mon: [{ from: "09:00", to: "17:00", steps: "m" }] }, otherwise: "m" },
      lists: { m: [{ type: "forward", to: A }] },
    };
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "est", name: "E", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.error).toMatchObject({ code: "invalid_route", details: [{ path: "route.schedule.timeZone" }] });
    expect(r.json.error.details[0].message).toContain("America/New_York");
    expect((await api("GET", "/v1/pools/est", { key: acct.adminKey })).status).toBe(404);
  });

  it("a time zone written in another case is stored as the database spells it; a link (US/Eastern) as written", async () => {
    const acct = await createAccount();
    for (const [id, written, stored] of [
      ["lower", "america/new_york", "America/New_York"],
      ["upper", "EUROPE/LONDON", "Europe/London"],
      ["link", "US/Eastern", "US/Eastern"],
    ] as const) {
      const route = {
        schedule: { timeZone: written, weekly: { mon: [{ from: "09:00", to: "17:00", steps: "m" }] }, otherwise: "m" },
        lists: { m: [{ type: "forward", to: A }] },
      };
      const r = await api("POST", "/v1/pools", {
        key: acct.adminKey,
        body: { id, name: id, trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      expect((await api("GET", `/v1/pools/${id}`, { key: acct.adminKey })).json.route.schedule.timeZone).toBe(stored);
    }
  });

  it("a schedule stored in an abbreviation (PST) before they were refused keeps its pool editable; giving one now is refused", async () => {
    const acct = await createAccount();
    const route = {
      schedule: { timeZone: "America/Los_Angeles", weekly: { mon: [{ from: "09:00", to: "17:00", steps: "m" }] }, otherwise: "m" },
      lists: { m: [{ type: "forward", to: A }] },
    };
    const made = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "old", name: "Old", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
    });
    expect(made.status).toBe(201);
    // As an earlier version stored it.
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.storage.sql.exec("UPDATE pools SET config = replace(config, 'America/Los_Angeles', 'PST') WHERE id = 'old'");
    });
    await evictDurableObject(accountStub(acct.accountId));
    expect((await api("GET", "/v1/pools/old", { key: acct.adminKey })).json.route.schedule.timeZone).toBe("PST");
    // Edited otherwise: a name, its numbers.
    expect((await api("PATCH", "/v1/pools/old", { key: acct.adminKey, body: { name: "Renamed" } })).status).toBe(200);
    expect((await api("POST", "/v1/pools/old/numbers", { key: acct.adminKey, body: { add: freshNumbers(1) } })).status).toBe(200);
    // A route given with it is held to the rule.
    const given = await api("PATCH", "/v1/pools/old", {
      key: acct.adminKey,
      body: { route: { ...route, schedule: { ...route.schedule, timeZone: "PST", otherwise: "m" }, lists: { m: [{ type: "forward", to: B }] } } },
    });
    expect([given.status, given.json.error.code]).toEqual([400, "invalid_route"]);
  });

  it("a start beside a schedule (which would never run) is 400 invalid_route on route.start, nothing stored", async () => {
    const acct = await createAccount();
    const route = {
      start: "m",
      schedule: { timeZone: "America/New_York", weekly: { mon: [{ from: "09:00", to: "17:00", steps: "m" }] }, otherwise: "m" },
      lists: { m: [{ type: "forward", to: A }] },
    };
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "both", name: "B", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
    });
    expect([r.status, r.json.error.code, r.json.error.details.map((d: { path: string }) => d.path)]).toEqual([400, "invalid_route", ["route.start"]]);
    expect((await api("GET", "/v1/pools/both", { key: acct.adminKey })).status).toBe(404);
  });

  it("a step list no rule runs is 400 invalid_route naming it (POST and PATCH), and nothing is stored", async () => {
    const acct = await createAccount();
    const weekly = { mon: [{ from: "09:00", to: "17:00", steps: "open" }] };
    const scheduled = {
      schedule: {
        timeZone: "America/New_York",
        weekly,
        exceptions: [{ date: "2031-12-24", hours: [{ from: "09:00", to: "12:00", steps: "eve" }] }],
        otherwise: "closed",
      },
      lists: {
        open: [{ type: "forward", to: A }],
        eve: [{ type: "forward", to: B }],
        closed: [{ type: "forward", to: C }],
        weekend: [{ type: "forward", to: B }],
      },
    };
    const body = { id: "u", name: "U", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route: scheduled };
    const refused = await api("POST", "/v1/pools", { key: acct.adminKey, body });
    expect([refused.status, refused.json.error.code, refused.json.error.details.map((d: { path: string }) => d.path)]).toEqual([
      400,
      "invalid_route",
      ["route.lists.weekend"],
    ]);
    expect(refused.json.error.details[0].message).toContain('"weekend"');
    expect((await api("GET", "/v1/pools/u", { key: acct.adminKey })).status).toBe(404);
    // Every list a range (weekly or dated) or otherwise names: accepted.
    const { weekend: _, ...used } = scheduled.lists;
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...body, route: { ...scheduled, lists: used } } })).status).toBe(201);
    // Without a schedule only start runs: a second list is refused by a PATCH too, the stored route kept.
    const spare = { start: "main", lists: { main: [{ type: "forward", to: A }], spare: [{ type: "forward", to: B }] } };
    const patched = await api("PATCH", "/v1/pools/u", { key: acct.adminKey, body: { route: spare } });
    expect([patched.status, patched.json.error.code, patched.json.error.details]).toEqual([
      400,
      "invalid_route",
      [{ path: "route.lists.spare", message: expect.stringContaining('"spare"') }],
    ]);
    expect(Object.keys((await api("GET", "/v1/pools/u", { key: acct.adminKey })).json.route.lists).sort()).toEqual(["closed", "eve", "open"]);
  });

  it("a stored route with a list no rule runs (set before that was refused) does not block edits of the pool's other fields", async () => {
    const acct = await createAccount();
    const route = { start: "main", lists: { main: [{ type: "forward", to: A }] } };
    const created = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "old", name: "Old", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
    });
    expect(created.status).toBe(201);
    await runInDurableObject(accountStub(acct.accountId), (instance, state) => {
      const { config } = state.storage.sql.exec<{ config: string }>("SELECT config FROM pools WHERE id = 'old'").one();
      const pool = JSON.parse(config);
      pool.route.lists.spare = [{ type: "forward", to: B, ringSeconds: 25, whisper: false, callerId: null }];
      state.storage.sql.exec("UPDATE pools SET config = ? WHERE id = 'old'", JSON.stringify(pool));
      (instance as unknown as { registry: { cache: Map<string, unknown> } }).registry.cache.clear();
    });
    const renamed = await api("PATCH", "/v1/pools/old", { key: acct.adminKey, body: { name: "Renamed" } });
    expect([renamed.status, Object.keys(renamed.json.route?.lists ?? {}).sort()]).toEqual([200, ["main", "spare"]]);
    expect((await api("POST", "/v1/pools/old/numbers", { key: acct.adminKey, body: { add: freshNumbers(1) } })).status).toBe(200);
    // A client that PATCHes back the route it read, unchanged, with another field: accepted.
    const stored = (await api("GET", "/v1/pools/old", { key: acct.adminKey })).json.route;
    const sentBack = await api("PATCH", "/v1/pools/old", { key: acct.adminKey, body: { name: "Renamed again", route: stored } });
    expect([sentBack.status, sentBack.json.name]).toEqual([200, "Renamed again"]);
    // Changed in any other way, it is held to the rule: the list no rule runs is refused.
    const changed = { ...stored, lists: { ...stored.lists, main: [{ type: "forward", to: B }] } };
    const refused = await api("PATCH", "/v1/pools/old", { key: acct.adminKey, body: { route: changed } });
    expect([refused.status, refused.json.error.details.map((d: { path: string }) => d.path)]).toEqual([400, ["route.lists.spare"]]);
  });

  it("a malformed route is 400 invalid_route, saying where", async () => {
    const acct = await createAccount();
    const route = {
      schedule: { timeZone: "Mars/Olympus", weekly: { mon: [{ from: "09:00", to: "08:00", steps: "nope" }] }, otherwise: "main" },
      lists: {
        main: [
          { type: "message", text: "Closed" },
          { type: "forward", to: "123" },
        ],
      },
    };
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "bad", name: "Bad", trackingNumbers: freshNumbers(1), destinations: [A], provider: "twilio", route },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    const paths = r.json.error.details.map((x: { path: string }) => x.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "route.lists.main[0]",
        "route.lists.main[1].to",
        "route.schedule.timeZone",
        "route.schedule.weekly.mon[0]",
        "route.schedule.weekly.mon[0].steps",
      ]),
    );
  });
});
