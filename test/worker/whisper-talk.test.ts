/**
 * A whisper's seconds are not talk time (docs/calls.md §6, "Press 1 and whispers"): the agent picks
 * up, hears where the call came from, and only then is bridged to the caller, while the leg's
 * duration counts from the pick-up. Per provider, through the real callback routes signed as each
 * provider signs, the clock moved as the call would take:
 * - Twilio, SignalWire, Telnyx: the `<Number url>` document may hold only Play, Say, Gather and
 *   Hangup (Twilio's Number noun), so the whisper is a Gather around its Say whose action, sent
 *   with no digit too (`actionOnEmptyResult`), is our bridge URL carrying the pick-up (`heard`);
 *   that request is the bridge.
 * - Vonage: the onAnswer NCCO (its request is the pick-up) ends with a notify to our bridge URL.
 * - Plivo: the Dial callbackUrl's `answer` (pick-up) and `connected` (bridge) of the same leg,
 *   for a whisper and for press 1 alike.
 * When the bridge report never comes, the talk time is the provider's, as before.
 */
import { describe, expect, it } from "vitest";
import { at, getCall, T0 } from "./calls-helpers";
import { useTestClock } from "./helpers";
import { agentLeg, connectOf, dialAction, dialOf, plivoHangup, plivoLeg, TWIML, type Twiml, vonageEvent } from "./leg-helpers";
import { inbound, post } from "./route-helpers";
import { elements, nativeId, providerWorld, send, signed, whisperThen, xml } from "./voice-helpers";

const A = "+12127365101";
const B = "+12127365102";
const C = "+12127365103";
const STRANGER = "+19005550199";

useTestClock(T0);

type World = Awaited<ReturnType<typeof providerWorld>>;

const later = (ms: number) => at(Date.now() + ms);

/**
 * The agent's whisper on the Twilio family: what it says, the verbs it holds, and the Gather that
 * ends it (its action: our bridge URL), posted even with no digit.
 */
async function whisperOf(p: Twiml, w: World, url: string, leg: Record<string, string>) {
  const doc = xml((await post(p, w, url, leg)).text);
  const gather = elements(doc, "Gather")[0];
  return {
    said: elements(doc, "Say").map((e) => e.textContent!),
    verbs: Array.from(doc.documentElement!.getElementsByTagName("*")).map((e) => e.tagName),
    onEmpty: gather?.getAttribute("actionOnEmptyResult") ?? null,
    bridge: gather?.getAttribute("action") ?? null,
  };
}

/** The Gather's action as the provider posts it when the whisper was said and no key pressed. */
const noDigit = (leg: Record<string, string>) => ({ ...leg, Digits: "" });

/** A call whose route whispers to A first, A's leg picked up: the world, the call, its Dial, A's leg and A's bridge URL. */
async function whispered(p: Twiml) {
  const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
  const { id, text } = await inbound(p, w);
  const dial = dialOf(text);
  const leg = agentLeg(p, id, A);
  return { w, id, dial, leg, bridge: (await whisperOf(p, w, dial.url!, leg)).bridge! };
}

const bridges = (text: string) => xml(text).documentElement!.childNodes.length === 0;

describe.each(TWIML)("%s: the whisper is a Gather whose action, with or without a digit, is our bridge URL", (p) => {
  it("6 s of whisper, bridged, 42 s of talk: talkSeconds 42, not the Dial's 48 from the pick-up; a repeat of the report changes nothing", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const leg = agentLeg(p, id, A);
    const whisper = await whisperOf(p, w, dial.url!, leg);
    // Only the verbs a Number url document may hold: no Redirect.
    expect(whisper).toMatchObject({ said: ["Untracked call"], verbs: ["Gather", "Say"], onEmpty: "true" });
    expect(whisper.bridge).toContain("/bridge?");
    expect(new URL(whisper.bridge!).searchParams.get("heard")).toBe(String(Date.now()));
    later(6_000);
    const bridged = await post(p, w, whisper.bridge!, noDigit(leg));
    expect(bridged.status).toBe(200);
    expect(bridges(bridged.text)).toBe(true);
    later(42_000);
    expect(dialOf((await post(p, w, dial.action!, dialAction(p, id, "completed", 48))).text).targets).toEqual([]);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
    // The same report again (a retry), and the Dial action again: nothing moves.
    later(1_000);
    expect(bridges((await post(p, w, whisper.bridge!, noDigit(leg))).text)).toBe(true);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 48));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  it("a key pressed during the whisper ends it there: the Gather posts that digit to the bridge URL, 3 s after the pick-up", async () => {
    const { w, id, dial, leg, bridge } = await whispered(p);
    later(3_000);
    const r = await post(p, w, bridge, { ...leg, Digits: "5" });
    expect([r.status, bridges(r.text)]).toEqual([200, true]);
    later(42_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 45));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  it("the bridge report sent again as it was (a provider retrying it: Telnyx's replayable signature) is answered, and bridges; nothing changes", async () => {
    const { w, id, dial, leg, bridge } = await whispered(p);
    later(6_000);
    const req = await signed(p, w.keys, bridge, noDigit(leg), Date.now(), { get: false });
    for (const attempt of [1, 2]) {
      const r = await send(req);
      expect([attempt, r.status, bridges(r.text)]).toEqual([attempt, 200, true]);
    }
    later(42_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 48));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  it("the whisper asked again as it was (a provider retrying the agent's leg: Telnyx's replayable signature) gets the same whisper; the pick-up stays the first", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const leg = agentLeg(p, id, A);
    const req = await signed(p, w.keys, dial.url!, leg, Date.now(), { get: false });
    const first = await send(req);
    const again = await send(req);
    expect([again.status, again.text]).toEqual([200, first.text]);
    expect(elements(xml(again.text), "Gather")[0]?.getAttribute("action")).toContain("/bridge?");
    later(6_000);
    const bridge = elements(xml(first.text), "Gather")[0]!.getAttribute("action")!;
    expect(bridges((await post(p, w, bridge, noDigit(leg))).text)).toBe(true);
    later(42_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 48));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  it("the bridge report never comes: the talk time is the Dial's, as before", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    expect((await whisperOf(p, w, dial.url!, agentLeg(p, id, A))).bridge).toContain("/bridge?");
    later(48_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 48));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 48, route: { answeredBy: A } });
  });

  it("reports that are not the agent's bridge are answered (the bridge goes ahead) and store nothing", async () => {
    const { w, id, dial, leg, bridge } = await whispered(p);
    later(6_000);
    // A number the attempt did not ring; the URL without its pick-up time; another call's (each its
    // own request: Telnyx refuses a signature seen before).
    const noHeard = new URL(bridge);
    noHeard.searchParams.delete("heard");
    const otherCall = new URL(bridge);
    otherCall.searchParams.set("call", nativeId(p));
    for (const [url, fields] of [
      [bridge, agentLeg(p, id, STRANGER)],
      [noHeard.href, agentLeg(p, id, A)],
      [otherCall.href, agentLeg(p, id, A)],
    ] as const) {
      const r = await post(p, w, url, fields);
      expect(r.status).toBe(200);
      expect(bridges(r.text)).toBe(true);
    }
    expect((await getCall(w.acct, id)).json.route.answeredBy).toBeNull();
    // Twilio and SignalWire sign the URL: a pick-up time changed after signing is refused. (Telnyx
    // signs the body alone; a replayed signature is refused there.)
    if (p !== "telnyx") {
      const req = await signed(p, w.keys, bridge, leg, Date.now(), { get: false });
      const forged = new URL(bridge);
      forged.searchParams.set("heard", String(Date.now() - 60_000));
      expect((await send({ ...req, url: forged.href })).status).toBe(401);
    }
    later(40_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 46));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 46, route: { answeredBy: A } });
  });

  it("a simultaneous ring with a whisper: B's answered event names B, B's bridge 5 s after its pick-up keeps 5 s off; A's report changes nothing", async () => {
    const w = await providerWorld(p, { provider: p, route: { start: "m", lists: { m: [{ type: "ring", to: [A, B], whisper: true }] } } });
    const { id, text } = await inbound(p, w);
    const dial = dialOf(text);
    const [a, b] = [agentLeg(p, id, A), agentLeg(p, id, B)];
    await post(p, w, dial.answered!, { ...b, CallbackSource: "call-progress-events" });
    const [toA, toB] = [(await whisperOf(p, w, dial.url!, a)).bridge!, (await whisperOf(p, w, dial.url!, b)).bridge!];
    later(3_000);
    await post(p, w, toA, a);
    later(2_000);
    await post(p, w, toB, b);
    later(95_000);
    await post(p, w, dial.action!, dialAction(p, id, "completed", 100));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
  });
});

describe("plivo: the leg's answer, then its connected, bound the whisper or the prompt", () => {
  const p = "plivo";
  const dialAttrs = (text: string) => {
    const d = elements(xml(text), "Dial")[0]!;
    return { next: d.getAttribute("action")!, events: d.getAttribute("callbackUrl")!, sound: d.getAttribute("confirmSound") };
  };
  const dialEnded = (id: string, to: string) => ({ CallUUID: id, DialALegUUID: id, DialBLegUUID: `b-${to.slice(1)}`, DialStatus: "completed" });

  it("whisper only: connected 6 s after the answer, the leg hangs up 48 s after it: talkSeconds 42; no answer before the bridge: 48, as before", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const one = await inbound(p, w);
    const d = dialAttrs(one.text);
    expect(d.sound).toContain("/whisper?");
    await post(p, w, d.events, plivoLeg(one.id, A, "answer"));
    later(6_000);
    await post(p, w, d.events, plivoLeg(one.id, A, "connected"));
    later(42_000);
    await post(p, w, d.events, plivoHangup(one.id, A, 48));
    await post(p, w, d.next, dialEnded(one.id, A));
    expect((await getCall(w.acct, one.id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });

    const two = await inbound(p, w);
    const events = dialAttrs(two.text).events;
    later(6_000);
    await post(p, w, events, plivoLeg(two.id, A, "connected"));
    later(42_000);
    await post(p, w, events, plivoHangup(two.id, A, 48));
    expect((await getCall(w.acct, two.id)).json).toMatchObject({ outcome: "answered", talkSeconds: 48, route: { answeredBy: A } });
  });

  it("press 1: A and B pick up, B presses 1 after 8 s and talks 95 s: talkSeconds 95, not the leg's 103; A, who hung up on the prompt, changes nothing", async () => {
    const route = {
      start: "m",
      lists: {
        m: [
          { type: "ring", to: [A, B], confirm: true, whisper: true },
          { type: "forward", to: C },
        ],
      },
    };
    const w = await providerWorld(p, { provider: p, route });
    const { id, text } = await inbound(p, w);
    const d = dialAttrs(text);
    await post(p, w, d.events, plivoLeg(id, A, "answer"));
    await post(p, w, d.events, plivoLeg(id, B, "answer"));
    later(5_000);
    await post(p, w, d.events, plivoHangup(id, A, 5, "NO_ANSWER"));
    later(3_000);
    await post(p, w, d.events, plivoLeg(id, B, "connected"));
    // A later answer for B (a retry) does not move its pick-up.
    await post(p, w, d.events, plivoLeg(id, B, "answer"));
    later(95_000);
    await post(p, w, d.events, plivoHangup(id, B, 103));
    await post(p, w, d.next, dialEnded(id, B));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 95, route: { answeredBy: B } });
  });
});

describe("vonage: the onAnswer NCCO ends with a notify to our bridge URL", () => {
  const p = "vonage";

  /** The call rings A: started, ringing, answered on the connect's eventUrl, then A's onAnswer request. */
  async function answeredWithWhisper(w: World) {
    const { id, text } = await inbound(p, w);
    const connect = connectOf(text)!;
    const next = connect.eventUrl[0] as string;
    for (const s of ["started", "ringing", "answered"]) expect((await post(p, w, next, vonageEvent(id, "leg-a", A, s))).status).toBe(204);
    const whisper = await send(await signed(p, w.keys, connect.endpoint[0].onAnswer.url, { uuid: "leg-a", conversation_uuid: `CON-${id}` }, Date.now()));
    const ncco = JSON.parse(whisper.text) as Record<string, any>[];
    expect(ncco.map((a) => a.action)).toEqual(["talk", "notify"]);
    expect(ncco[1]!.eventUrl[0]).toContain("/bridge?");
    return { id, next, notify: ncco[1]! };
  }

  it("the notify comes 6 s after the pick-up; completed with duration 48: talkSeconds 42", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, next, notify } = await answeredWithWhisper(w);
    later(6_000);
    const bridged = await post(p, w, notify.eventUrl[0], notify.payload);
    expect(bridged.status).toBe(204);
    later(42_000);
    expect((await post(p, w, next, vonageEvent(id, "leg-a", A, "completed", { duration: "48" }))).status).toBe(204);
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 42, route: { answeredBy: A } });
  });

  it("the notify never comes: completed with duration 48 is the talk time, as before", async () => {
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const { id, next } = await answeredWithWhisper(w);
    later(48_000);
    await post(p, w, next, vonageEvent(id, "leg-a", A, "completed", { duration: "48" }));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 48, route: { answeredBy: A } });
  });
});
