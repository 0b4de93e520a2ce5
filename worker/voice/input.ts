/**
 * Reading a voice provider's callback: JSON or form-encoded body, the provider's field names
 * (the reference's `callId`, `callerNo`, `startTime`, and common alternatives), normalised to an
 * InboundCall. Fields we do not read (including any number to forward to) are ignored.
 */
import { normalizePhone } from "../../shared/phone";

export interface InboundCall {
  /** The provider's call id: [A-Za-z0-9._:-]{1,128}. */
  id: string;
  /** The caller, E.164 when it is a number, else as sent ("anonymous"), or null. */
  caller: string | null;
  /** The dialled tracking number, E.164. */
  dialled: string;
  /** Call start, ms since epoch (the receipt time when the provider sent none). */
  startedAt: number;
}

export type Fields = Record<string, unknown>;
export interface Issue {
  path: string;
  message: string;
}
export type Parsed<T> = { ok: true; value: T } | { ok: false; code: string; message: string; issues?: Issue[] };

/** Accepted names, first present wins. */
export const FIELD_NAMES = {
  callId: ["callId", "call_id", "CallSid", "CallUUID", "call_uuid"],
  caller: ["callerNo", "caller_no", "From", "from"],
  dialled: ["calledNo", "called_no", "dialledNo", "dialedNo", "To", "to"],
  startTime: ["startTime", "start_time", "StartTime", "timestamp"],
} as const;

/** A provider's call id: 1-128 of A-Z a-z 0-9 . _ : -, not dots alone (`.`, `..`: no URL path can name them, GET /v1/calls/{id} never could). */
export const CALL_ID = /^(?!\.+$)[A-Za-z0-9._:-]{1,128}$/;
/** A start time may be this far ahead of our clock (provider clock skew), no more. */
const MAX_FUTURE_MS = 5 * 60_000;

/** The body as flat fields: a JSON object, or form fields (a repeated name: its last value). No body, no fields. */
export function parseFields(contentType: string | undefined, raw: string): Parsed<Fields> {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return { ok: true, value: Object.fromEntries(new URLSearchParams(raw)) };
  if (type === "application/json") {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, code: "invalid_json", message: "Body is not valid JSON" };
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) return { ok: false, code: "invalid_request", message: "Body must be a JSON object" };
    return { ok: true, value: value as Fields };
  }
  if (type === "" && raw === "") return { ok: true, value: {} };
  return { ok: false, code: "unsupported_media_type", message: "Send application/json or application/x-www-form-urlencoded" };
}

function pick(fields: Fields, names: readonly string[]): { name: string; value: unknown } | null {
  for (const name of names) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== "") return { name, value };
  }
  return null;
}

/** A provider's way of writing a number: E.164, digits with the country code, tel:/sip: URIs. */
export function phoneOf(value: unknown): string | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  let text = String(value)
    .trim()
    .replace(/^(tel|sips?):/i, "")
    .replace(/@.*$/, "");
  if (/^00\d/.test(text)) text = `+${text.slice(2)}`;
  else if (/^\d{8,15}$/.test(text)) text = `+${text}`;
  const r = normalizePhone(text);
  return r.ok ? r.e164 : null;
}

/**
 * Whether a stored caller is a phone number (E.164, valid where it is), not a withheld caller id as
 * the provider sent it: "anonymous", "restricted", or a keypad spelling of one, as carriers and
 * Twilio send them with a plus (`+266696687` ANONYMOUS, `+7378742833` RESTRICTED, `+8656696`
 * UNKNOWN, `+2562533` BLOCKED, `+86282452253` UNAVAILABLE), numbers no numbering plan holds. Only a
 * number is one person: a repeat caller, or a phone to match an ad click with.
 */
export const isCallerNumber = (caller: string | null): caller is string => caller !== null && phoneOf(caller) === caller;

/** ms since epoch from seconds, ms or µs since epoch (number or digits), or an ISO 8601 date. */
export function timeOf(value: unknown): number | null {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim())) n = Number(value.trim());
  else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value.trim())) return Number.isFinite(Date.parse(value)) ? Date.parse(value) : null;
  else return null;
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n / 1000;
  return Math.round(ms);
}

export function inboundCall(fields: Fields, nowMs: number): Parsed<InboundCall> {
  const issues: Issue[] = [];
  const id = pick(fields, FIELD_NAMES.callId);
  const idText = id && (typeof id.value === "string" || typeof id.value === "number") ? String(id.value) : "";
  if (!id) issues.push({ path: "callId", message: "required" });
  else if (!CALL_ID.test(idText)) issues.push({ path: id.name, message: "must be 1-128 of A-Z a-z 0-9 . _ : -, not dots alone" });
  const dialled = pick(fields, FIELD_NAMES.dialled);
  const dialledE164 = dialled ? phoneOf(dialled.value) : null;
  if (!dialled) issues.push({ path: "calledNo", message: "required: the dialled tracking number" });
  else if (!dialledE164) issues.push({ path: dialled.name, message: "is not a valid international phone number" });
  const start = pick(fields, FIELD_NAMES.startTime);
  const startedAt = start ? timeOf(start.value) : nowMs;
  if (start && startedAt === null) issues.push({ path: start.name, message: "must be ms or seconds since epoch, or an ISO 8601 date" });
  else if (startedAt !== null && startedAt > nowMs + MAX_FUTURE_MS) issues.push({ path: start?.name ?? "startTime", message: "is in the future" });
  if (issues.length) return { ok: false, code: "invalid_request", message: "The callback does not carry a usable call", issues };
  const caller = pick(fields, FIELD_NAMES.caller);
  return { ok: true, value: { id: idText, caller: caller ? callerKey(caller.value) : null, dialled: dialledE164!, startedAt: startedAt! } };
}

/**
 * The caller as a call stores it (and an erasure by caller looks it up): E.164 when it is a valid
 * number, else the provider's text with only safe characters (an unknown or withheld caller, a SIP
 * address, a number newer than the numbering metadata).
 */
export function callerKey(value: unknown): string | null {
  return (
    phoneOf(value) ??
    (String(value)
      .replace(/[^A-Za-z0-9+@._:-]/g, "")
      .slice(0, 64) ||
      null)
  );
}

/**
 * The conference name of a whisper agent leg, from the session data the DIAL passed on:
 * `sessionData.conference_name` as a JSON object, a JSON string, or flattened form keys.
 */
export function agentConference(fields: Fields): string | null {
  let data: unknown = fields.sessionData ?? fields.session_data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      data = null;
    }
  }
  const nested = data && typeof data === "object" ? (data as Fields).conference_name : undefined;
  const flat = pick(fields, ["sessionData.conference_name", "sessionData[conference_name]", "conference_name", "conferenceName"]);
  const name = nested ?? flat?.value;
  return typeof name === "string" && CALL_ID.test(name) ? name : null;
}
