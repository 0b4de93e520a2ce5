/**
 * A route's answers and callbacks as each provider reads and sends them, for the routing tests:
 * what an answer rings, says and reports to, an inbound call, a dial attempt's end (the Dial
 * action, Plivo's DialStatus, Vonage's synchronous connect event) and the caller's call's own end.
 */
import { expect } from "vitest";
import { elements, inboundFields, type Native, nativeId, type providerWorld, send, signed, xml } from "./voice-helpers";

export const CALLER = "+13105550123";
/** The voicemail step the routing tests end their lists with. */
export const VOICEMAIL = { type: "voicemail", greeting: "Leave a message", maxSeconds: 60 } as const;
/** A route that rings `to`, then takes a voicemail. */
export const forwardThenVoicemail = (to: string) => ({ start: "m", lists: { m: [{ type: "forward", to }, VOICEMAIL] } });
const plus = (n: string) => (n.startsWith("+") ? n : `+${n}`);
type World = Awaited<ReturnType<typeof providerWorld>>;

export interface Read {
  targets: string[];
  next: string | null;
  whisper: string | null;
  answered: string | null;
  record: string | null;
  said: string[];
  hangup: boolean;
}

/** An answer as the provider reads it: who it rings, where it reports, what it says or records. */
export function read(p: Native, text: string): Read {
  if (p === "vonage") {
    const ncco = text ? (JSON.parse(text) as Record<string, any>[]) : [];
    const connect = ncco.find((a) => a.action === "connect");
    const record = ncco.find((a) => a.action === "record");
    return {
      targets: connect ? connect.endpoint.map((e: { number: string }) => plus(e.number)) : [],
      next: connect?.eventUrl[0] ?? null,
      whisper: connect?.endpoint[0].onAnswer?.url ?? null,
      answered: null,
      record: record?.eventUrl[0] ?? null,
      said: ncco.filter((a) => a.action === "talk").map((a) => a.text),
      hangup: !connect,
    };
  }
  const doc = xml(text);
  const dial = elements(doc, "Dial")[0];
  const numbers = elements(doc, "Number");
  const rec = elements(doc, "Record")[0];
  return {
    targets: numbers.map((n) => plus(n.textContent!)),
    next: dial?.getAttribute("action") ?? null,
    whisper: (p === "plivo" ? dial?.getAttribute("confirmSound") : numbers[0]?.getAttribute("url")) || null,
    answered: (p === "plivo" ? dial?.getAttribute("callbackUrl") : numbers[0]?.getAttribute("statusCallback")) || null,
    record: rec?.getAttribute("action") ?? rec?.getAttribute("callbackUrl") ?? dial?.getAttribute("recordingStatusCallback") ?? null,
    said: elements(doc, p === "plivo" ? "Speak" : "Say").map((e) => e.textContent!),
    hangup: elements(doc, "Hangup").length > 0,
  };
}

/** The provider's callback that a dial attempt ended: `status` is no-answer, busy or completed (answered). */
export function dialEnded(p: Native, id: string, status: "no-answer" | "busy" | "completed"): Record<string, string> {
  if (p === "plivo") return { CallUUID: id, DialALegUUID: id, DialBLegUUID: crypto.randomUUID(), DialStatus: status, DialHangupCause: "NORMAL_CLEARING" };
  if (p === "vonage") {
    const word = { "no-answer": "timeout", busy: "busy", completed: "answered" }[status];
    return { uuid: crypto.randomUUID(), conversation_uuid: `CON-${id}`, status: word, direction: "outbound" };
  }
  return { CallSid: id, CallStatus: "in-progress", DialCallSid: nativeId(p), DialCallStatus: status, DialCallDuration: status === "completed" ? "42" : "0" };
}

/** An inbound call to `dialled` (the world's first tracking number) from `caller`, answered 200: its id and answer. */
export async function inbound(p: Native, w: World, caller = CALLER, dialled = w.tracking[0]!) {
  const id = nativeId(p);
  const res = await send(await signed(p, w.keys, w.base, inboundFields(p, id, dialled, caller), Date.now()));
  expect(res.status, res.text).toBe(200);
  return { id, answer: read(p, res.text), text: res.text };
}

/** A provider's callback to one of our URLs, signed now (Vonage: a JSON POST, as its events are). */
export const post = async (p: Native, w: World, url: string, fields: Record<string, string>) =>
  send(await signed(p, w.keys, url, fields, Date.now(), { get: false }));

/** The number's (Vonage: the application's) own status callback: the caller's call ended after `secs` s. */
export function callEnded(p: Native, id: string, to: string, secs: number): Record<string, string> {
  if (p === "vonage") return { uuid: id, conversation_uuid: `CON-${id}`, status: "completed", direction: "inbound", duration: String(secs) };
  if (p === "plivo") return { CallUUID: id, To: to.slice(1), CallStatus: "completed", Event: "Hangup", Duration: String(secs), HangupCause: "NORMAL_CLEARING" };
  return { CallSid: id, To: to, CallStatus: "completed", CallDuration: String(secs) };
}
