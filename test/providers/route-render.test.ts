/**
 * Every route step rendered by our adapters, checked against the providers' own builders: the
 * Twilio SDK's VoiceResponse (typed attributes: an unknown one does not compile) and the Plivo
 * SDK's Response (it throws on an attribute its XML does not have) build the same document, compared
 * element by element; Vonage's NCCO is built with @vonage/voice's Connect, Record and Talk (which
 * throw on out-of-range values), and each action's keys are checked against the NCCO reference.
 * SignalWire and Telnyx answer the Twilio document; Telnyx's is also held to the TeXML Dial and
 * Record attributes its documentation lists.
 */
import { createRequire } from "node:module";
import { Connect, ConnectEventType, Record as NccoRecord, Notify, Talk } from "@vonage/voice";
import { DOMParser, type Element } from "@xmldom/xmldom";
import twilioSdk from "twilio";
import { describe, expect, it } from "vitest";
import type { CallPlan, CallStep } from "../../worker/voice/plan";
import { plivo } from "../../worker/voice/providers/plivo";
import { signalwire, telnyx, twilio } from "../../worker/voice/providers/twilio";
import { routeUrl, withHeard } from "../../worker/voice/providers/types";
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
        r.record({
          action: url("recording"),
          method: "POST",
          maxLength: 90,
          playBeep: true,
          finishOnKey: "#",
          recordingStatusCallback: url("recording"),
        });
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
    for (const adapter of [twilio, signalwire, telnyx]) expect(await canon(adapter.answer(p, { ...ctx, step }).body)).toEqual(await canon(expected.toString()));
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

  it("the agent's press-1 leg: a Gather to our confirm URL (with the pick-up time); 1 bridges (an empty document), else hang up", async () => {
    const heard = 1_767_225_600_000;
    const expected = new twilioSdk.twiml.VoiceResponse();
    expected
      .gather({ numDigits: 1, timeout: 10, action: withHeard(url("confirm", 0), heard), method: "POST" })
      .say("Google Ads call. Press 1 to accept the call.");
    expected.hangup();
    expect(await canon(twilio.whisper("Google Ads call", { confirm: true, url: url("confirm", 0), heard }).body)).toEqual(await canon(expected.toString()));
    expect(await canon(twilio.confirmReply(true).body)).toEqual(await canon(new twilioSdk.twiml.VoiceResponse().toString()));
  });

  it("the agent's whisper leg: the source in a Gather whose action, sent with no digit too, is our bridge URL (with the pick-up time), answered with an empty document", async () => {
    // A Number url document holds Play, Say, Gather and Hangup only ("The url attribute does not
    // support any other TwiML verbs", twilio.com/docs/voice/twiml/number): no Redirect.
    const heard = 1_767_225_600_000;
    const expected = new twilioSdk.twiml.VoiceResponse();
    expected.gather({ numDigits: 1, timeout: 1, actionOnEmptyResult: true, action: withHeard(url("bridge", 0), heard), method: "POST" }).say("Google Ads call");
    for (const adapter of [twilio, signalwire, telnyx])
      expect(await canon(adapter.whisper("Google Ads call", { confirm: false, url: url("bridge", 0), heard }).body)).toEqual(await canon(expected.toString()));
    expect(await canon(twilio.bridgeReply().body)).toEqual(await canon(new twilioSdk.twiml.VoiceResponse().toString()));
    // A pool whisper from before routes names no attempt: the source alone.
    const bare = new twilioSdk.twiml.VoiceResponse();
    bare.say("Google Ads call");
    expect(await canon(twilio.whisper("Google Ads call", null).body)).toEqual(await canon(bare.toString()));
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
          r.addRecord({ callbackUrl: url("recording"), callbackMethod: "POST", startOnDialAnswer: "true", maxLength: "14400" });
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

describe("Telnyx TeXML: the Dial and Record attributes its documentation lists", () => {
  // developers.telnyx.com, TeXML verbs: Dial (action, method, callerId, timeout 5-120, record…) and
  // Record (action, method, finishOnKey, maxLength 0-14400, playBeep…). recordingStatusCallback(Method)
  // on Dial is TwiML's attribute, listed as TwiML has it: the copy of Telnyx's Dial page we could
  // read stops before its recording attributes (docs/routing.md says so).
  const documented: Record<string, string[]> = {
    Dial: [
      "action",
      "method",
      "callerId",
      "fromDisplayName",
      "hangupOnStar",
      "timeout",
      "timeLimit",
      "record",
      "recordingStatusCallback",
      "recordingStatusCallbackMethod",
    ],
    Record: ["action", "method", "finishOnKey", "timeout", "maxLength", "playBeep", "trim", "recordingStatusCallback"],
  };
  it("every Dial and Record in every step's answer", async () => {
    const plans: [CallPlan, number][] = [
      [plan([dial([A, B], { confirm: true, whisper: true, callerId: B, ringSeconds: 120 })], "Recorded."), 0],
      [plan([dial([A], { ringSeconds: 5 }), dial([B])], "Recorded."), 1],
      [plan([{ kind: "voicemail", greeting: "Leave a message", maxSeconds: 600 }]), 0],
    ];
    let seen = 0;
    for (const [p, step] of plans) {
      const doc = new DOMParser().parseFromString(telnyx.answer(p, { ...ctx, step }).body, "text/xml");
      for (const name of Object.keys(documented))
        for (const e of Array.from(doc.getElementsByTagName(name))) {
          seen++;
          for (let i = 0; i < e.attributes.length; i++) expect(documented[name], `${name}.${e.attributes[i]!.name}`).toContain(e.attributes[i]!.name);
          const timeout = Number(e.getAttribute(name === "Dial" ? "timeout" : "maxLength"));
          expect(timeout).toBeGreaterThanOrEqual(name === "Dial" ? 5 : 1);
          expect(timeout).toBeLessThanOrEqual(name === "Dial" ? 120 : 14400);
        }
    }
    expect(seen).toBe(3);
  });
});

describe("Vonage NCCO against @vonage/voice's builders and the NCCO reference", () => {
  const documented: Record<string, string[]> = {
    connect: ["action", "endpoint", "from", "randomFromNumber", "eventType", "timeout", "limit", "machineDetection", "eventUrl", "eventMethod", "ringbackTone"],
    record: ["action", "format", "split", "channels", "endOnSilence", "endOnKey", "timeOut", "beepStart", "eventUrl", "eventMethod", "transcription"],
    talk: ["action", "text", "bargeIn", "loop", "level", "language", "style", "premium"],
  };
  // The phone endpoint: type, number, dtmfAnswer, shaken (the SDK's PhoneEndpoint), onAnswer (the NCCO reference).
  const endpointKeys = ["type", "number", "dtmfAnswer", "onAnswer", "shaken"];
  const phone = (n: string, whisper?: string) => ({ type: "phone" as const, number: n.slice(1), ...(whisper ? { onAnswer: { url: whisper } } : {}) });
  const connect = (to: string, from: string, step: number, whisper?: string) =>
    new Connect(
      phone(to, whisper),
      from.slice(1),
      undefined,
      ConnectEventType.SYNCHRONOUS,
      20,
      undefined,
      undefined,
      url("next", step),
      "POST",
    ).serializeToNCCO();
  const cases: [string, CallPlan, number, unknown[]][] = [
    [
      "forward with whisper and callerId, recorded with a disclosure",
      plan([dial([A], { whisper: true, callerId: B })], "Recorded."),
      0,
      [
        new Talk("Recorded.").serializeToNCCO(),
        new NccoRecord(undefined, "conversation", undefined, undefined, undefined, undefined, undefined, url("recording"), "POST").serializeToNCCO(),
        connect(A, B, 0, url("whisper", 0)),
      ],
    ],
    // Without a callerId Vonage shows the tracking number that was called (a number of the account).
    ["failover's second number", plan([dial([A]), dial([B])]), 1, [connect(B, ctx.dialled, 1)]],
    [
      "voicemail",
      plan([{ kind: "voicemail", greeting: "Leave a message", maxSeconds: 60 }]),
      0,
      [
        new Talk("Leave a message").serializeToNCCO(),
        new NccoRecord(undefined, undefined, undefined, undefined, "#", 60, true, url("recording"), "POST").serializeToNCCO(),
      ],
    ],
    ["message then hang up (the NCCO runs out)", plan([{ kind: "message", text: "Closed" }]), 0, [new Talk("Closed").serializeToNCCO()]],
    ["past the last attempt: an empty NCCO ends the call", plan([dial([A])]), 1, []],
  ];

  it.each(cases)("%s", (_name, p, step, expected) => {
    const ncco = JSON.parse(vonage.answer(p, { ...ctx, step }).body) as Record<string, unknown>[];
    expect(ncco).toEqual(expected);
    for (const a of ncco) {
      const action = a.action as string;
      for (const k of Object.keys(a)) expect(documented[action], `${action}.${k}`).toContain(k);
      if (action === "connect") for (const e of a.endpoint as Record<string, unknown>[]) for (const k of Object.keys(e)) expect(endpointKeys).toContain(k);
    }
  });

  it("the whisper leg is a talk, then a notify to our bridge URL; its empty answer lets the NCCO run out", () => {
    expect(JSON.parse(vonage.whisper("Google Ads call", null).body)).toEqual([new Talk("Google Ads call").serializeToNCCO()]);
    const ncco = JSON.parse(vonage.whisper("Google Ads call", { confirm: false, url: url("bridge", 0), heard: 1_767_225_600_000 }).body);
    expect(ncco).toEqual([new Talk("Google Ads call").serializeToNCCO(), new Notify({ whisper: "ended" }, url("bridge", 0), "POST").serializeToNCCO()]);
    expect(vonage.bridgeReply().status).toBe(204);
  });
});
