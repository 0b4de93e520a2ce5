/** Helpers the provider adapters share: digests, base64, XML text, the fields of a request, outcomes. */
import type { CallOutcome } from "../../schemas/calls";
import { NOT_XML_CHAR } from "../../schemas/route";
import { CALL_ID, type Fields, type InboundCall, inboundCall, type Parsed, parseFields, phoneOf, timeOf } from "../input";
import type { Reply, StatusReport, VoiceRequest } from "./types";

const enc = new TextEncoder();

export async function hmac(hash: "SHA-1" | "SHA-256", key: string, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(message)));
}

export async function sha256(message: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(message)));
}

export const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
export const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Standard or URL-safe base64, padded or not; null when it is not base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  const std = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std) || std.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(std.padEnd(Math.ceil(std.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Equality of two byte strings in time independent of where they differ (length may leak; it is
 * public). By hand rather than workerd's crypto.subtle.timingSafeEqual, so the adapters also run
 * in Node, where the tests check them against the providers' SDKs.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export const sameText = (a: string, b: string) => sameBytes(enc.encode(a), enc.encode(b));

/**
 * XML text or attribute value. Characters XML 1.0 cannot carry at all (see NOT_XML_CHAR: a control
 * character, a lone surrogate) are dropped, so no stored text can make an answer unparseable.
 */
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, "gu");
export const xmlEscape = (s: string) =>
  s.replace(NOT_XML_CHARS, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

/** An XML attribute, with a space before it; none when the value is absent. */
export const attr = (name: string, value: string | number | null | undefined) =>
  value === null || value === undefined ? "" : ` ${name}="${xmlEscape(String(value))}"`;

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';
/** TwiML's and Plivo XML's answer that ends the call (or says nothing more to a callback). */
export const hangupReply = (): Reply => xmlReply("<Response><Hangup/></Response>");
export const xmlReply = (body: string): Reply => ({ status: 200, body: `${XML_DECL}${body}`, contentType: "application/xml; charset=utf-8" });
export const jsonReply = (value: unknown): Reply => ({ status: 200, body: JSON.stringify(value), contentType: "application/json; charset=utf-8" });
export const emptyReply: Reply = { status: 204, body: "", contentType: "text/plain; charset=utf-8" };

/** A request's fields: its query for a GET, else its form or JSON body (reference rules, input.ts). */
export function requestFields(req: VoiceRequest): Parsed<Fields> {
  if (req.method === "GET") return { ok: true, value: Object.fromEntries(new URL(req.url).searchParams) };
  return parseFields(req.headers["content-type"], req.body);
}

/** Our `call` query parameter (whisper and event URLs we hand out carry the inbound call's id). */
export function callParam(req: VoiceRequest): string | null {
  const v = new URL(req.url).searchParams.get("call");
  return v && CALL_ID.test(v) ? v : null;
}

const str = (v: unknown): string | null => (typeof v === "string" || typeof v === "number" ? String(v) : null);

/** A provider's native inbound call: its id, called and calling number, start time fields. */
export function nativeInbound(fields: Fields, nowMs: number, names: { id: string; to: string; from: string; start?: string }): Parsed<InboundCall> {
  const mapped: Fields = { callId: fields[names.id], calledNo: fields[names.to], callerNo: fields[names.from] };
  if (names.start && fields[names.start] !== undefined && fields[names.start] !== "") mapped.startTime = fields[names.start];
  const r = inboundCall(mapped, nowMs);
  if (r.ok || !r.issues) return r;
  const rename: Record<string, string> = { callId: names.id, calledNo: names.to, callerNo: names.from, startTime: names.start ?? "startTime" };
  return { ...r, issues: r.issues.map((i) => ({ ...i, path: rename[i.path] ?? i.path })) };
}

/** A status report's common checks: a call id and a status word. */
export function report(
  fields: Fields,
  names: { id: string; status: string },
  make: (status: string) => Omit<StatusReport, "callId" | "status">,
  callId?: string | null,
): Parsed<StatusReport> {
  const id = callId ?? str(fields[names.id]);
  const status = str(fields[names.status])?.trim().toLowerCase() ?? "";
  const issues = [];
  if (!id || !CALL_ID.test(id)) issues.push({ path: names.id, message: "required: the call id (1-128 of A-Z a-z 0-9 . _ : -, not dots alone)" });
  if (!/^[a-z_ -]{1,40}$/.test(status)) issues.push({ path: names.status, message: "required: the call status" });
  if (issues.length) return { ok: false, code: "invalid_request", message: "The status callback does not carry a usable call status", issues };
  return { ok: true, value: { callId: id!, status, ...make(status) } };
}

/** Whole seconds from a duration field, or null. */
export function seconds(v: unknown): number | null {
  const s = str(v);
  if (s === null || !/^\d{1,9}$/.test(s.trim())) return null;
  return Number(s.trim());
}

/** A provider time (ISO 8601, "YYYY-MM-DD hh:mm:ss" UTC, epoch): ms, or null. */
export function instant(v: unknown): number | null {
  const s = str(v);
  if (s === null) return null;
  const t = s.trim();
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(t)) return timeOf(`${t.replace(" ", "T")}Z`);
  return timeOf(t) ?? (Number.isFinite(Date.parse(t)) ? Date.parse(t) : null);
}

/** Twilio's (and its compatibles') status words. */
export function twilioOutcome(status: string): { outcome: CallOutcome | null; ended: boolean } {
  switch (status) {
    case "completed":
    case "answered":
      return { outcome: "answered", ended: status === "completed" };
    case "busy":
      return { outcome: "busy", ended: true };
    case "no-answer":
      return { outcome: "no-answer", ended: true };
    case "failed":
      return { outcome: "failed", ended: true };
    case "canceled":
      return { outcome: "canceled", ended: true };
    default:
      return { outcome: null, ended: false };
  }
}

/** The E.164 number with its '+' (numbers only; null otherwise). */
export const e164 = (v: unknown) => phoneOf(v);
/** Digits without '+', as Plivo XML and Vonage NCCOs write numbers. */
export const digits = (n: string) => n.replace(/^\+/, "");

/** A dial attempt that ended with nobody taking the call: the plan goes on (canceled: the caller left). */
export const continuesAfter = (r: StatusReport) =>
  r.level === "dial" && r.ended && (r.outcome === "no-answer" || r.outcome === "busy" || r.outcome === "failed");

/** A recording URL as a provider sends it: https only, bounded; anything else is not stored. */
export function httpsUrl(v: unknown): string | null {
  if (typeof v !== "string" || v.length > 2048) return null;
  try {
    const u = new URL(v);
    return u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** What an agent hears when the call waits for their keypress. */
export const confirmPrompt = (text: string) => `${text}. Press 1 to accept the call.`;
