/**
 * Every route step rendered by our adapters, checked against the providers' own builders: the
 * Twilio SDK's VoiceResponse (typed attributes: an unknown one does not compile) and the Plivo
 * SDK's Response (it throws on an attribute its XML does not have) build the same document, compared
 * element by element. Vonage has no NCCO builder among our dependencies: each action's keys are
 * checked against the NCCO reference's documented options.
 */
import { createRequire } from "node:module";
import { DOMParser, type Element } from "@xmldom/xmldom";
import twilioSdk from "twilio";
import { describe, expect, it } from "vitest";
import type { CallPlan, CallStep } from "../../worker/voice/plan";
import { plivo } from "../../worker/voice/providers/plivo";
import { telnyx, twilio } from "../../worker/voice/providers/twilio";
import { routeUrl } from "../../worker/voice/providers/types";
import { vonage } from "../../worker/voice/providers/vonage";

const require = createRequire(import.meta.url);
const plivoSdk = require("plivo") as { Response: new () => PlivoResponse };
interface PlivoElement {
  addNumber(n: string): PlivoElement;
  toXML(): string;
}
interface PlivoResponse extends PlivoElement {
  addSpeak(text: string): PlivoElement;
  addDial(attrs: Record<string, string>): PlivoElement;
  addRecord(attrs: Record<string, string>): PlivoElement;
  addHangup(): PlivoElement;
}

const A = "+12127365101";
const B = "+12127365102";
const ctx = { base: "https://dni.test/v1/voice/acct0000000000ab/twilio", callId: "CA123", dialled: "+18885550100", step: 0 };
const url = (leg: Parameters<typeof routeUrl>[1], step?: number) => routeUrl(ctx, leg, step);
const dial = (to: string[], over: Partial<Extract<CallStep, { kind: "dial" }>> = {}): CallStep => ({
  kind: "dial",
  to,
  callerId: null,
  whisper: false,
  confirm: false,
  ringSeconds: 20,
  ...over,
});
const plan = (steps: CallStep[], disclosure: string | null = null): CallPlan => ({ action: "transfer", steps, disclosure });
type Node = { name: string; attrs: Record<string, string>; text: string; children: Node[] };
function tree(e: Element): Node {
  const attrs: Record<string, string> = {};
  for (let i = 0; i < e.attributes.length; i++) attrs[e.attributes[i]!.name] = e.attributes[i]!.value;
  const children: Node[] = [];
  let text = "";
  for (let n = e.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) children.push(tree(n as Element));
    else if (n.nodeType === 3) text += n.nodeValue ?? "";
  }
  return { name: e.tagName, attrs, text: text.trim(), children };
}
/** The document as elements in order, with their attributes (any order) and text: parsed strictly. */
const canon = async (xml: string) => {
  const doc = new DOMParser({
    onError: (level: string, msg: string) => {
      throw new Error(`XML ${level}: ${msg}`);
    },
  }).parseFromString(xml, "text/xml");
  return tree(doc.documentElement!);
};

describe("TwiML (Twilio, SignalWire, Telnyx TeXML) against twilio's VoiceResponse", () => {
  const cases: [string, CallPlan, number, (r: InstanceType<typeof twilioSdk.twiml.VoiceResponse>) => void][] = [
    [
      "forward with callerId, ring time and whisper",
      plan([dial([A], { callerId: B, whisper: true })]),
      0,
      (r) => r.dial({ callerId: B, timeout: 20, action: url("next", 0), method: "POST" }).number({ url: url("whisper", 0), method: "POST" }, A),
    ],
    [
      "simultaneous ring: each number's answered event names who took the call",
      plan([dial([A, B])]),
      0,
      (r) => {
        const d = r.dial({ timeout: 20, action: url("next", 0), method: "POST" });
        for (const n of [A, B]) d.number({ statusCallback: url("answered", 0), statusCallbackEvent: ["answered"], statusCallbackMethod: "POST" }, n);
      },
    ],
    [
      "simultaneous ring with press 1: each number's agent leg (the keypress, not the pick-up, takes the call)",
      plan([dial([A, B], { confirm: true })]),
      0,
      (r) => {
        const d = r.dial({ timeout: 20, action: url("next", 0), method: "POST" });
        for (const n of [A, B]) d.number({ url: url("whisper", 0), method: "POST" }, n);
      },
    ],
    [
      "failover's second number, recorded with a disclosure (said only on the first attempt)",
      plan([dial([A]), dial([B])], "This call may be recorded."),
      1,
      (r) =>
        r
          .dial({
            timeout: 20,
            action: url("next", 1),
            method: "POST",
            record: "record-from-answer-dual",
            recordingStatusCallback: url("recording"),
            recordingStatusCallbackMethod: "POST",
          })
          .number(B),
    ],
    [
      "voicemail",
      plan([{ kind: "voicemail", greeting: "Leave a message", maxSeconds: 90 }]),
      0,
      (r) => {
        r.say("Leave a message");
        r.record({ action: url("recording"), method: "POST", maxLength: 90, playBeep: true, finishOnKey: "#" });
        r.hangup();
      },
    ],
    [
      "message then hang up",
      plan([{ kind: "message", text: "We are closed <today> & tomorrow" }]),
      0,
      (r) => {
        r.say("We are closed <today> & tomorrow");
        r.hangup();
      },
    ],
    ["past the last attempt: hang up", plan([dial([A])]), 1, (r) => r.hangup()],
  ];

  it.each(cases)("%s", async (_name, p, step, build) => {
    const expected = new twilioSdk.twiml.VoiceResponse();
    build(expected);
    for (const adapter of [twilio, telnyx]) expect(await canon(adapter.answer(p, { ...ctx, step }).body)).toEqual(await canon(expected.toString()));
  });

  it("the disclosure comes first on the first attempt", async () => {
    const expected = new twilioSdk.twiml.VoiceResponse();
    expected.say("This call may be recorded.");
    expected
      .dial({
        timeout: 20,
        action: url("next", 0),
        method: "POST",
        record: "record-from-answer-dual",
        recordingStatusCallback: url("recording"),
        recordingStatusCallbackMethod: "POST",
      })
      .number(A);
    expect(await canon(twilio.answer(plan([dial([A])], "This call may be recorded."), ctx).body)).toEqual(await canon(expected.toString()));
  });

  it("the agent's press-1 leg: a Gather to our confirm URL; 1 bridges (an empty document), else hang up", async () => {
    const expected = new twilioSdk.twiml.VoiceResponse();
    expected.gather({ numDigits: 1, timeout: 10, action: url("confirm", 0), method: "POST" }).say("Google Ads call. Press 1 to accept the call.");
    expected.hangup();
    expect(await canon(twilio.whisper("Google Ads call", { url: url("confirm", 0) }).body)).toEqual(await canon(expected.toString()));
    expect(await canon(twilio.confirmReply(true).body)).toEqual(await canon(new twilioSdk.twiml.VoiceResponse().toString()));
  });
});

describe("Plivo XML against plivo's Response (it refuses attributes Plivo does not have)", () => {
  it("ring with press 1, recording, failover's next, voicemail and message", async () => {
    const cases: [CallPlan, number, (r: PlivoResponse) => void][] = [
      [
        plan([dial([A, B], { confirm: true, callerId: B })], "Recorded."),
        0,
        (r) => {
          r.addSpeak("Recorded.");
          r.addRecord({ action: url("recording"), method: "POST", startOnDialAnswer: "true", redirect: "false", maxLength: "14400" });
          const d = r.addDial({
            callerId: B.slice(1),
            timeout: "20",
            action: url("next", 0),
            method: "POST",
            callbackUrl: url("answered", 0),
            callbackMethod: "POST",
            confirmSound: url("whisper", 0),
            confirmKey: "1",
          });
          d.addNumber(A.slice(1));
          d.addNumber(B.slice(1));
        },
      ],
      [
        plan([dial([A]), dial([B])]),
        1,
        (r) =>
          r.addDial({ timeout: "20", action: url("next", 1), method: "POST", callbackUrl: url("answered", 1), callbackMethod: "POST" }).addNumber(B.slice(1)),
      ],
      [
        plan([{ kind: "voicemail", greeting: "Leave a message", maxSeconds: 60 }]),
        0,
        (r) => {
          r.addSpeak("Leave a message");
          r.addRecord({ action: url("recording"), method: "POST", maxLength: "60", playBeep: "true", finishOnKey: "#" });
          r.addHangup();
        },
      ],
      [
        plan([{ kind: "message", text: "Closed" }]),
        0,
        (r) => {
          r.addSpeak("Closed");
          r.addHangup();
        },
      ],
    ];
    for (const [p, step, build] of cases) {
      const expected = new plivoSdk.Response();
      build(expected);
      expect(await canon(plivo.answer(p, { ...ctx, step }).body)).toEqual(await canon(expected.toXML()));
    }
  });
});

describe("Vonage NCCO: only documented options", () => {
  const documented: Record<string, string[]> = {
    connect: ["action", "endpoint", "from", "randomFromNumber", "eventType", "timeout", "limit", "machineDetection", "eventUrl", "eventMethod", "ringbackTone"],
    record: ["action", "format", "split", "channels", "endOnSilence", "endOnKey", "timeOut", "beepStart", "eventUrl", "eventMethod", "transcription"],
    talk: ["action", "text", "bargeIn", "loop", "level", "language", "style", "premium"],
  };
  const endpointKeys = ["type", "number", "dtmfAnswer", "onAnswer", "shaken"];

  it("connect (synchronous, to our next URL), record, talk", () => {
    const plans: [CallPlan, number][] = [
      [plan([dial([A], { whisper: true, callerId: B })], "Recorded."), 0],
      [plan([dial([A]), dial([B])]), 1],
      [plan([{ kind: "voicemail", greeting: "Leave a message", maxSeconds: 60 }]), 0],
      [plan([{ kind: "message", text: "Closed" }]), 0],
    ];
    const seen = new Set<string>();
    for (const [p, step] of plans) {
      const ncco = JSON.parse(vonage.answer(p, { ...ctx, step }).body) as Record<string, unknown>[];
      for (const a of ncco) {
        const action = a.action as string;
        seen.add(action);
        expect(documented[action], action).toBeDefined();
        for (const k of Object.keys(a)) expect(documented[action], `${action}.${k}`).toContain(k);
        if (action === "connect") {
          expect(a).toMatchObject({ eventType: "synchronous", eventUrl: [url("next", step)], timeout: 20 });
          for (const e of a.endpoint as Record<string, unknown>[]) for (const k of Object.keys(e)) expect(endpointKeys).toContain(k);
        }
      }
    }
    expect([...seen].sort()).toEqual(["connect", "record", "talk"]);
  });
});
