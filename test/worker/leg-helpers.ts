/**
 * The callbacks of a forwarded leg as each provider documents them, for the routing tests: the
 * Twilio family's agent leg and Dial action, Plivo's Dial callbackUrl events, Vonage's connect
 * events; and a TwiML answer read back (who it rings, where it reports). The whole route's answers
 * and its inbound call are route-helpers.ts.
 */
import { CALLER } from "./route-helpers";
import { elements, nativeId, xml } from "./voice-helpers";

export type Twiml = "twilio" | "signalwire" | "telnyx";
export const TWIML: Twiml[] = ["twilio", "signalwire", "telnyx"];

/** A TwiML answer: the Dial's numbers, action, the numbers' url and statusCallback, what it says. */
export function dialOf(text: string) {
  const doc = xml(text);
  const numbers = elements(doc, "Number");
  return {
    targets: numbers.map((n) => n.textContent!),
    action: elements(doc, "Dial")[0]?.getAttribute("action") ?? null,
    url: numbers[0]?.getAttribute("url") ?? null,
    answered: numbers[0]?.getAttribute("statusCallback") ?? null,
    said: elements(doc, "Say").map((e) => e.textContent!),
    records: elements(doc, "Record").length,
  };
}

/** The agent's leg as it requests the Number url, or a Gather's action (press 1, the whisper's end): its own call, to the agent. */
export const agentLeg = (p: Twiml, parent: string, agent: string, extra: Record<string, string> = {}) => ({
  CallSid: nativeId(p),
  ParentCallSid: parent,
  From: CALLER,
  To: agent,
  Called: agent,
  Direction: "outbound-dial",
  CallStatus: "in-progress",
  ...extra,
});

/** The Dial action: the dialed call ended with `status`, `secs` after its pick-up. */
export const dialAction = (p: Twiml, id: string, status: string, secs: number) => ({
  CallSid: id,
  From: CALLER,
  CallStatus: "in-progress",
  DialCallSid: nativeId(p),
  DialCallStatus: status,
  DialCallDuration: String(secs),
});

/** One B leg's event on Plivo's Dial callbackUrl, as Plivo posts it. */
export const plivoLeg = (id: string, to: string, action: "answer" | "connected" | "hangup", extra: Record<string, string> = {}) => ({
  CallUUID: id,
  DialALegUUID: id,
  DialBLegUUID: `b-${to.slice(1)}`,
  DialAction: action,
  DialBLegStatus: action,
  DialBLegFrom: CALLER.slice(1),
  DialBLegTo: to.slice(1),
  ...extra,
});

/** A B leg's hangup on Plivo's Dial callbackUrl: `secs` since it picked up. */
export const plivoHangup = (id: string, to: string, secs: number, cause = "NORMAL_CLEARING") =>
  plivoLeg(id, to, "hangup", { DialBLegDuration: String(secs), DialBLegBillDuration: String(secs ? 60 : 0), DialBLegHangupCause: cause });

/** An event on a Vonage connect's eventUrl: the forwarded leg's own uuid, the conversation's. */
export const vonageEvent = (id: string, leg: string, to: string, status: string, extra: Record<string, string> = {}) => ({
  uuid: leg,
  conversation_uuid: `CON-${id}`,
  from: CALLER.slice(1),
  to: to.slice(1),
  status,
  direction: "outbound",
  timestamp: new Date(Date.now()).toISOString(),
  ...extra,
});

/** A Vonage NCCO's connect action, if any. */
export const connectOf = (text: string) => (text ? (JSON.parse(text) as Record<string, any>[]) : []).find((a) => a.action === "connect");
