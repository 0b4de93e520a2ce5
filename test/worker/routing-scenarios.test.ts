/**
 * The route scenarios that decide what is uploaded as a conversion, per provider, each through the
 * real callback routes signed as the provider signs and sending what its documentation says it
 * sends: press 1 declined (the agent hangs up, or a voicemail box takes the agent's phone), press 1
 * accepted, a whisper only, a simultaneous ring, a failover. Plivo's are in routing.test.ts.
 *
 * Twilio family (Twilio, SignalWire cXML, Telnyx TeXML): `<Number url>` runs the whisper (and the
 * press-1 Gather) on the agent's leg "after they answer, but before the parties are connected"
 * (https://www.twilio.com/docs/voice/twiml/number#attributes-url; SignalWire's Number noun and
 * Telnyx's TeXML say the same). A Gather that times out with no digit requests nothing (Twilio's
 * `actionOnEmptyResult` defaults to false) and falls through to `<Hangup/>`. The Dial's `action`
 * then gets `DialCallStatus` / `DialCallDuration`, the dialed call's length from its pick-up; none
 * of them documents which word a dial whose only pick-up was screened out gets, so both are sent.
 * Vonage: `connect` rings one endpoint with no accept-by-keypress, so a ring and press 1 are
 * refused for its pools (routing.test.ts); its whisper (`onAnswer`) and failover are here.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, getCall, mockNetwork, T0 } from "./calls-helpers";
import { accountStub, api, createAccount, freshNumbers, useTestClock } from "./helpers";
import { agentLeg, connectOf, dialAction, dialOf, vonageEvent as event, TWIML, type Twiml } from "./leg-helpers";
import { duringRequest } from "./network-gates";
import { CALLER, forwardThenVoicemail, VOICEMAIL } from "./route-helpers";
import { elements, inboundFields, nativeId, providerWorld, send, signed, whisperThen, xml } from "./voice-helpers";

const A = "+12127365101";
const B = "+12127365102";
const C = "+12127365103";
const HOOK = "https://hooks.example/calls";

useTestClock(T0);

type World = Awaited<ReturnType<typeof providerWorld>>;

const post = async (p: Twiml | "vonage", w: World, url: string, fields: Record<string, string>) =>
  send(await signed(p, w.keys, url, fields, Date.now(), { get: false }));

/** The calls webhook set, and the network mocked: what the account sends is seen. */
async function hooked(w: World) {
  expect((await api("PATCH", "/v1/account/integrations", { key: w.acct.adminKey, body: { webhook: { url: HOOK } } })).status).toBe(200);
  return mockNetwork();
}

/** The calls of the call.completed webhooks sent. */
const completedSent = (net: ReturnType<typeof mockNetwork>) =>
  net.seen.filter((r) => r.url.href === HOOK && JSON.parse(r.body).type === "call.completed").map((r) => JSON.parse(r.body).call);

/**
 * A call no one answered that went to voicemail and ended (the calls webhook set): where the
 * provider posts the recording. `ringFirst`: the ring's own event delivered before the call goes on.
 */
async function voicemailLeft(p: Twiml, ringFirst = false) {
  const w = await providerWorld(p, { provider: p, route: forwardThenVoicemail(A) });
  const net = await hooked(w);
  const { id, text } = await inbound(p, w);
  if (ringFirst) await runDurableObjectAlarm(accountStub(w.acct.accountId));
  const voicemail = await post(p, w, dialOf(text).action!, dialAction(p, id, "no-answer", 0));
  const record = elements(xml(voicemail.text), "Record")[0]!.getAttribute("action")!;
  await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 40, ["no-answer", 0]));
  return { w, net, id, record };
}

async function inbound(p: Twiml | "vonage", w: World) {
  const id = nativeId(p);
  const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, w.tracking[0]!, CALLER), Date.now()));
  expect(res.status, res.text).toBe(200);
  return { id, text: res.text };
}

/**
 * The number's own status callback: the caller's call ended after `secs`. Telnyx's carries the last
 * Dial's result too (its TexmlCallCompletedWebhook: `DialCallStatus`, `DialCallDuration`,
 * `DialCallSid`, `CallbackSource: call-progress-events`; developers.telnyx.com/api-reference/
 * callbacks/texml-call-completed); Twilio's status callback parameters have no Dial fields.
 */
const callEnded = (p: Twiml, id: string, to: string, secs: number, dial: [string, number]) => ({
  CallSid: id,
  From: CALLER,
  To: to,
  CallStatus: "completed",
  CallDuration: String(secs),
  ...(p === "telnyx"
    ? { CallbackSource: "call-progress-events", DialCallSid: nativeId(p), DialCallStatus: dial[0], DialCallDuration: String(dial[1]), HangupSource: "caller" }
    : {}),
});

const pressOne = {
  start: "m",
  lists: {
    m: [{ type: "ring", to: [A, B], confirm: true, whisper: true }, VOICEMAIL],
  },
};

describe.each(TWIML)("%s", (p) => {
  // (1) and (6): the agent, or a voicemail box that answers the agent's phone, hears the prompt and
  // never presses 1; nothing reaches our confirm URL; the Dial ends with a word we cannot rely on.
  it.each([
    ["the agent hangs up without pressing 1", "completed", 9],
    ["the agent hangs up without pressing 1", "no-answer", 0],
    ["a voicemail box answers the agent's phone and records the prompt", "completed", 35],
  ])("press 1: %s (DialCallStatus %s): not answered, no talk time, nobody answeredBy, the next step (voicemail) follows", async (_, status, secs) => {
    const w = await providerWorld(p, { provider: p, route: pressOne });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    expect(dial.targets).toEqual([A, B]);
    const gather = elements(xml((await post(p, w, dial.url!, agentLeg(p, id, A))).text), "Gather")[0]!;
    expect(gather.getAttribute("action")).toContain("/confirm?");
    const next = dialOf((await post(p, w, dial.action!, dialAction(p, id, status, secs))).text);
    expect(next).toMatchObject({ targets: [], said: ["Leave a message"], records: 1 });
    let call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "no-answer", talkSeconds: 0, route: { answeredBy: null } });
    expect(call.route.attempts[0]).toMatchObject({ step: 0, outcome: "no-answer" });
    // The caller leaves a message and hangs up: the number's own report (Telnyx's with that Dial's
    // result again) changes nothing.
    const ended = await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 80, [status, secs]));
    expect(ended.status).toBe(200);
    call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "no-answer", talkSeconds: 0, route: { answeredBy: null } });
  });

  // (2)
  it("press 1: B picks up, listens 8 s, presses 1 and talks 95 s: answered by B, 95 s of talk (not the Dial's 103 from the pick-up)", async () => {
    const w = await providerWorld(p, { provider: p, route: pressOne });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const leg = agentLeg(p, id, B);
    const confirm = elements(xml((await post(p, w, dial.url!, leg)).text), "Gather")[0]!.getAttribute("action")!;
    at(Date.now() + 8_000);
    const bridged = xml((await post(p, w, confirm, { ...leg, Digits: "1" })).text);
    expect(bridged.documentElement!.childNodes.length).toBe(0);
    // The Dial action comes when B hangs up; DialCallDuration is the dialed call's, from the pick-up.
    at(Date.now() + 95_000);
    const done = await post(p, w, dial.action!, dialAction(p, id, "completed", 103));
    expect(dialOf(done.text).targets).toEqual([]);
    await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 110, ["completed", 103]));
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
    expect(call.route.attempts[0]).toMatchObject({ step: 0, outcome: "answered" });
    // A retry of the Dial action long after (the provider did not get our answer) changes nothing.
    at(Date.now() + 600_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 103));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95 });
  });

  it("press 1 through a confirm URL without the pick-up time (handed out before it was added): the Dial's duration stands", async () => {
    const w = await providerWorld(p, { provider: p, route: pressOne });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const leg = agentLeg(p, id, B);
    const confirm = new URL(elements(xml((await post(p, w, dial.url!, leg)).text), "Gather")[0]!.getAttribute("action")!);
    confirm.searchParams.delete("heard");
    at(Date.now() + 8_000);
    await post(p, w, confirm.href, { ...leg, Digits: "1" });
    await post(p, w, dial.action!, dialAction(p, id, "completed", 103));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 103, route: { answeredBy: B } });
  });

  it("press 1 with no Dial result at all (the caller hangs up during the prompt): the call's own completed is not an answer unless someone pressed 1", async () => {
    const route = { start: "m", lists: { m: [{ type: "ring", to: [A, B], confirm: true }] } };
    const declined = await providerWorld(p, { provider: p, route });
    const one = await inbound(p, declined);
    await post(p, declined, dialOf(one.text).url!, agentLeg(p, one.id, A));
    await post(p, declined, `${declined.base}/status`, callEnded(p, one.id, declined.tracking[0]!, 40, ["completed", 6]));
    expect((await getCall(declined.acct, one.id)).json).toMatchObject({ outcome: "no-answer", talkSeconds: 0, route: { answeredBy: null } });

    const taken = await providerWorld(p, { provider: p, route });
    const two = await inbound(p, taken);
    const leg = agentLeg(p, two.id, B);
    const confirm = elements(xml((await post(p, taken, dialOf(two.text).url!, leg)).text), "Gather")[0]!.getAttribute("action")!;
    await post(p, taken, confirm, { ...leg, Digits: "1" });
    await post(p, taken, `${taken.base}/status`, callEnded(p, two.id, taken.tracking[0]!, 120, ["completed", 100]));
    expect((await getCall(taken.acct, two.id)).json).toMatchObject({ outcome: "answered", route: { answeredBy: B } });
  });

  // (3)
  it("whisper only: the agent hears the source and is bridged; answered with the talk time", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const whisper = xml((await post(p, w, dial.url!, agentLeg(p, id, A))).text);
    // No press 1: its Gather reports the whisper's end to our bridge URL even with no key pressed.
    const gather = elements(whisper, "Gather").map((g) => [
      new URL(g.getAttribute("action")!).pathname.split("/").pop(),
      g.getAttribute("actionOnEmptyResult"),
    ]);
    expect(gather).toEqual([["bridge", "true"]]);
    expect(elements(whisper, "Say").map((e) => e.textContent)).toEqual(["Untracked call"]);
    const done = await post(p, w, dial.action!, dialAction(p, id, "completed", 42));
    expect(dialOf(done.text).targets).toEqual([]);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  // (4)
  it("simultaneous ring: B's leg reports its answered event; the Dial completes: answered by B", async () => {
    const w = await providerWorld(p, {
      provider: p,
      route: {
        start: "m",
        lists: {
          m: [
            { type: "ring", to: [A, B] },
            { type: "forward", to: C },
          ],
        },
      },
    });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    expect(dial.answered).toContain("/answered?");
    // Twilio's statusCallback parameters for the child leg: its own CallSid, the parent's, To.
    expect((await post(p, w, dial.answered!, { ...agentLeg(p, id, B), CallbackSource: "call-progress-events" })).status).toBe(200);
    const done = await post(p, w, dial.action!, dialAction(p, id, "completed", 95));
    expect(dialOf(done.text).targets).toEqual([]);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
  });

  it("failover: A's no-answer does not complete the call: call.completed goes out once, answered by B, after the call ends", async () => {
    const w = await providerWorld(p, { provider: p, route: { start: "m", lists: { m: [{ type: "failover", to: [A, B] }] } } });
    const net = await hooked(w);
    const completed = () => completedSent(net);
    const { id, text } = await inbound(p, w);
    const second = dialOf((await post(p, w, dialOf(text).action!, dialAction(p, id, "no-answer", 0))).text);
    expect(second.targets).toEqual([B]);
    // B rings, picks up and talks: the account's alarm runs meanwhile, well past the 10 s settle.
    at(Date.now() + 30_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(completed()).toEqual([]);
    await post(p, w, second.action!, dialAction(p, id, "completed", 95));
    await post(p, w, `${w.base}/status`, callEnded(p, id, w.tracking[0]!, 130, ["completed", 95]));
    at(Date.now() + 30_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(completed()).toEqual([expect.objectContaining({ id, outcome: "answered", talkSeconds: 95 })]);
  });

  it("failover: A and B both ring out (the same word twice): the second ends the call, call.completed goes out as no-answer", async () => {
    const w = await providerWorld(p, { provider: p, route: { start: "m", lists: { m: [{ type: "failover", to: [A, B] }] } } });
    const net = await hooked(w);
    const { id, text } = await inbound(p, w);
    const second = dialOf((await post(p, w, dialOf(text).action!, dialAction(p, id, "no-answer", 0))).text);
    expect(dialOf((await post(p, w, second.action!, dialAction(p, id, "no-answer", 0))).text).targets).toEqual([]);
    // No call-level status callback (a number wired without one): the last attempt's end is the call's.
    at(Date.now() + 30_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    const sent = completedSent(net);
    expect(sent).toEqual([expect.objectContaining({ id, outcome: "no-answer" })]);
  });

  it("a voicemail's recording that comes after the call ended is in call.completed (sent 10 s after the end)", async () => {
    const { w, net, id, record } = await voicemailLeft(p);
    at(Date.now() + 3_000);
    const url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";
    expect((await post(p, w, record, { CallSid: id, RecordingUrl: url, RecordingSid: "RE1", RecordingDuration: "12" })).status).toBeLessThan(300);
    at(Date.now() + 30_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    const sent = completedSent(net);
    expect(sent).toEqual([expect.objectContaining({ id, recordingUrl: url })]);
  });

  it("a recording that comes after call.completed went out follows it as call.recording, once, the call with its URL", async () => {
    const { w, net, id, record } = await voicemailLeft(p);
    at(Date.now() + 30_000);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(completedSent(net)).toEqual([expect.objectContaining({ id, recordingUrl: null })]);
    // Minutes later (a long message, the provider's processing) the recording's URL comes.
    at(Date.now() + 5 * 60_000);
    const url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2";
    const fields = { CallSid: id, RecordingUrl: url, RecordingSid: "RE2", RecordingDuration: "95" };
    expect((await post(p, w, record, fields)).status).toBeLessThan(300);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    const hook = (type: string) => net.seen.filter((r) => r.url.href === HOOK && JSON.parse(r.body).type === type);
    expect(hook("call.recording").map((r) => [r.headers.get("X-DNI-Event"), JSON.parse(r.body).call])).toEqual([
      ["call.recording", expect.objectContaining({ id, recordingUrl: url, outcome: "no-answer" })],
    ]);
    // The provider retrying its callback sends nothing more; call.completed went once.
    at(Date.now() + 60_000);
    await post(p, w, record, fields);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect([hook("call.recording").length, completedSent(net).length]).toEqual([1, 1]);
    const events = (await api("GET", `/v1/calls/${id}`, { key: w.acct.adminKey })).json.deliveries.map((d: { event: string }) => d.event);
    expect(events).toContain("call.recording");
  });

  it("a recording that comes while call.completed is out (its body replaced in flight) is not lost: call.recording follows", async () => {
    // The ring's own event goes first (it is delivered before the call ends).
    const { w, net, id, record } = await voicemailLeft(p, true);
    at(Date.now() + 30_000);
    const url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE3";
    // The recording callback comes in while the receiver has call.completed and not yet answered.
    const during = duringRequest(
      (u) => u.href === HOOK,
      () => post(p, w, record, { CallSid: id, RecordingUrl: url, RecordingSid: "RE3", RecordingDuration: "20" }),
    );
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(during.value?.status).toBeLessThan(300);
    const of = (type: string) => net.seen.filter((r) => r.url.href === HOOK && JSON.parse(r.body).type === type).map((r) => JSON.parse(r.body).call);
    // call.completed went as it was when sent (the delivery keeps that body); the URL follows.
    expect(of("call.completed")).toEqual([expect.objectContaining({ id, recordingUrl: null })]);
    await runDurableObjectAlarm(accountStub(w.acct.accountId));
    expect(of("call.recording")).toEqual([expect.objectContaining({ id, recordingUrl: url })]);
  });

  it("the Dial action (our next URL) is the attempt's result even marked as a status callback (CallbackSource)", async () => {
    const w = await providerWorld(p, { provider: p, route: { start: "m", lists: { m: [{ type: "failover", to: [A, B] }] } } });
    const { id, text } = await inbound(p, w);
    const marked = { ...dialAction(p, id, "no-answer", 0), CallbackSource: "call-progress-events" };
    expect(dialOf((await post(p, w, dialOf(text).action!, marked)).text).targets).toEqual([B]);
    expect((await getCall(w.acct, id)).json.route.attempts[0]).toMatchObject({ step: 0, outcome: "no-answer" });
  });

  // (5)
  it.each(["busy", "no-answer"])("failover: A %s, B answers and talks 95 s: answered by B", async (first) => {
    const w = await providerWorld(p, {
      provider: p,
      route: { start: "m", lists: { m: [{ type: "failover", to: [A, B] }] } },
    });
    const { id, text } = await inbound(p, w);
    const second = dialOf((await post(p, w, dialOf(text).action!, dialAction(p, id, first, 0))).text);
    expect(second.targets).toEqual([B]);
    const done = await post(p, w, second.action!, dialAction(p, id, "completed", 95));
    expect(dialOf(done.text).targets).toEqual([]);
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
    expect(call.route.attempts).toEqual([expect.objectContaining({ step: 0, outcome: first }), expect.objectContaining({ step: 1, outcome: "answered" })]);
  });
});

describe("vonage", () => {
  const p = "vonage";

  // (3)
  it("whisper only: started, ringing, answered, the onAnswer talk, completed (duration 42): answered by A", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, text } = await inbound(p, w);
    const connect = connectOf(text)!;
    const next = connect.eventUrl[0];
    for (const s of ["started", "ringing", "answered"]) expect((await post(p, w, next, event(id, "leg-a", A, s))).status).toBe(204);
    const whisper = await send(await signed(p, w.keys, connect.endpoint[0].onAnswer.url, { uuid: "leg-a", conversation_uuid: `CON-${id}` }, Date.now()));
    expect(JSON.parse(whisper.text)[0]).toMatchObject({ action: "talk" });
    expect((await post(p, w, next, event(id, "leg-a", A, "completed", { duration: "42" }))).status).toBe(204);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  // (5)
  it.each(["busy", "timeout", "rejected", "unanswered"])("failover: A %s, B answers and talks 95 s: answered by B", async (first) => {
    const w = await providerWorld(p, { provider: p, route: { start: "m", lists: { m: [{ type: "failover", to: [A, B] }] } } });
    const { id, text } = await inbound(p, w);
    const next0 = connectOf(text)!.eventUrl[0];
    await post(p, w, next0, event(id, "leg-a", A, "ringing"));
    const second = connectOf((await post(p, w, next0, event(id, "leg-a", A, first))).text)!;
    expect(second.endpoint[0].number).toBe(B.slice(1));
    const next1 = second.eventUrl[0];
    for (const s of ["started", "ringing", "answered"]) await post(p, w, next1, event(id, "leg-b", B, s));
    await post(p, w, next1, event(id, "leg-b", B, "completed", { duration: "95" }));
    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
    expect(call.route.attempts[0]).toMatchObject({ step: 0, outcome: first === "busy" || first === "rejected" ? "busy" : "no-answer" });
  });

  // (1), (2), (4), (6)
  it("a ring, with or without press 1, is refused for a Vonage pool (422): connect has no accept-by-keypress and rings one endpoint", async () => {
    const acct = await createAccount();
    for (const confirm of [true, false]) {
      const r = await api("POST", "/v1/pools", {
        key: acct.adminKey,
        body: {
          id: "v",
          name: "V",
          trackingNumbers: freshNumbers(1),
          destinations: [A],
          provider: "vonage",
          route: { start: "t", lists: { t: [{ type: "ring", to: [A, B], confirm }] } },
        },
      });
      expect(r.status).toBe(422);
      expect(r.json.error.code).toBe("route_not_supported");
    }
  });
});
