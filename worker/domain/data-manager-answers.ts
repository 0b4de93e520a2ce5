/**
 * Reading the Data Manager API's answer to events:ingest, the pure part. Built from its guide
 * "Understand API errors": the standard Google error model (`{ error: { code, message, status,
 * details } }`, details ErrorInfo `{ reason, domain, metadata }`, RequestInfo `{ requestId }` and,
 * for INVALID_ARGUMENT, BadRequest `{ fieldViolations: [{ field, description, reason }] }`), and its
 * fast-fail model: a request with one bad event is refused whole and nothing in it is processed (no
 * partial failure), so the events the violations name are final and the others go again without
 * them. A 200 (`{ requestId }`) means Google took every event; it checks them further afterwards
 * and reports per request, not per event, in its diagnostics (requestStatus:retrieve).
 */
import { type Answer, all, clip, type RowResult, transient } from "./ad-answers";

interface Violation {
  field?: unknown;
  description?: unknown;
  reason?: unknown;
}
interface Detail {
  "@type"?: unknown;
  reason?: unknown;
  requestId?: unknown;
  fieldViolations?: unknown;
}

/**
 * ErrorReasons that name the account's settings or access, not an event: the platform stops (its
 * uploads wait, paused) until a PATCH changes its settings or credentials, rather than failing every
 * call for a setting (a wrong conversion action, terms not accepted, a manager without access).
 */
const SETTINGS_REASONS = new Set([
  "PERMISSION_DENIED",
  "NOT_FOUND",
  "INVALID_DESTINATION",
  "INVALID_CONVERSION_ACTION_ID",
  "INVALID_CONVERSION_ACTION_TYPE",
  "OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH",
  "TERMS_AND_CONDITIONS_NOT_SIGNED",
  "NOT_ALLOWLISTED",
  "DESTINATION_ACCOUNT_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS",
  "DESTINATION_ACCOUNT_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS",
  "DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED",
  "DESTINATION_ACCOUNT_TYPE_MISMATCH",
  // Named on each event but about what every event carries: the event source (PHONE, what a call
  // is), which Google may find does not fit the conversion action's type. Failing each call for it
  // would lose them all; they wait (paused) for the fix instead, built afresh when they go again.
  "EVENT_SOURCE_AND_DESTINATION_MISMATCH",
]);
/** ErrorReasons worth sending again later. */
const RETRY_REASONS = new Set(["INTERNAL_ERROR", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"]);

/** What to do about the two refusals a new setup meets first (ErrorInfo reasons of googleapis.com). */
const HINTS: Record<string, string> = {
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: "The refresh token lacks the https://www.googleapis.com/auth/datamanager scope: authorize again with it.",
  SERVICE_DISABLED: "Enable the Data Manager API in the OAuth client's Google Cloud project.",
  EVENT_SOURCE_AND_DESTINATION_MISMATCH:
    'Google refused the event source PHONE for this conversion action: check that conversionActionId is an import ("conversions from clicks", UPLOAD_CLICKS) action, and report this answer.',
};

/** What to do about the first reason an answer gives that has a known remedy. */
export const hintOf = (reasons: readonly string[]) => reasons.map((r) => HINTS[r]).find(Boolean);

/** The event a violation is about: `events[3].ad_identifiers.gclid`, or as the guide's sample writes it, `events.events[3]…`. */
const EVENT_FIELD = /(?:^|\.)events\[(\d+)\]/;

const str = (v: unknown) => (typeof v === "string" ? v : "");

export function detailsOf(json: unknown): { status: string; message: string; reasons: string[]; violations: Violation[]; requestId: string } {
  const e = (json !== null && typeof json === "object" ? (json as { error?: unknown }).error : null) as {
    status?: unknown;
    message?: unknown;
    details?: unknown;
  } | null;
  const details = (Array.isArray(e?.details) ? e.details : []).filter((d): d is Detail => d !== null && typeof d === "object");
  const reasons = details.map((d) => str(d.reason)).filter(Boolean);
  const violations = details.flatMap((d) => (Array.isArray(d.fieldViolations) ? (d.fieldViolations as Violation[]) : []));
  const requestId = details.map((d) => str(d.requestId)).find(Boolean) ?? "";
  return { status: str(e?.status), message: str(e?.message), reasons, violations, requestId };
}

const violationText = (v: Violation) => [str(v.reason), str(v.description)].filter(Boolean).join(": ") + (str(v.field) ? ` (${str(v.field)})` : "");

/**
 * events:ingest's answer for `n` events. 200: all taken (with the request id). 401: refresh the
 * token once. 403, 404, a settings reason (SETTINGS_REASONS, wherever it is reported) or a
 * violation in the destination: the platform stops. 400 whose violations name events: those are
 * final, the others retried. 408, 409, 429, 5xx or a retryable reason: every event retried.
 * Anything else: final for every event.
 */
export function dataManagerAnswer(status: number | null, json: unknown, n: number, error: string | null = null): Answer {
  if (status === 401) return { reauth: true };
  if (status === 200) {
    const requestId = str((json as { requestId?: unknown } | null)?.requestId);
    return { rows: all(n, requestId ? { verdict: "uploaded", requestId } : { verdict: "uploaded" }) };
  }
  const d = detailsOf(json);
  const head = [status === null ? (error ?? "no answer") : `HTTP ${status}`, d.status].filter(Boolean).join(" ");
  const request = d.requestId ? ` [request ${d.requestId}]` : "";
  const said = d.violations.length
    ? d.violations.map(violationText).join("; ")
    : [...d.reasons.filter((r) => r !== d.status), d.message].filter(Boolean).join(": ");
  const reason = clip(`${said ? `${head}: ${said}` : head}${request}`);
  const allReasons = [...d.reasons, ...d.violations.map((v) => str(v.reason))];
  const hint = hintOf(allReasons);
  // A violation in the destination (`destinations[0].login_account.account_id`) is about the settings too.
  const settings = allReasons.some((r) => SETTINGS_REASONS.has(r)) || d.violations.some((v) => str(v.field).startsWith("destinations"));
  if (status === 403 || status === 404 || hint || settings) return { authFailed: clip(hint ? `${hint} ${reason}` : reason) };
  const named = new Map<number, Violation[]>();
  for (const v of d.violations) {
    const m = EVENT_FIELD.exec(str(v.field));
    const i = m ? Number(m[1]) : -1;
    if (i >= 0 && i < n) named.set(i, [...(named.get(i) ?? []), v]);
  }
  if (status === 400 && named.size) {
    const others = clip(`${head}: not processed: another event of the request was refused (Google takes a request whole or not at all)${request}`);
    return {
      rows: Array.from({ length: n }, (_, i): RowResult => {
        const mine = named.get(i);
        return mine
          ? { verdict: "final", status, error: clip(`${head}: ${mine.map(violationText).join("; ")}${request}`) }
          : { verdict: "retry", status, error: others };
      }),
    };
  }
  const retry = transient(status) || d.reasons.some((r) => RETRY_REASONS.has(r));
  return { rows: all(n, { verdict: retry ? "retry" : "final", status, error: reason }) };
}

// ---- Diagnostics: requestStatus:retrieve ----

/**
 * What Google's diagnostics say about a request it took (RetrieveRequestStatusResponse, REST JSON:
 * `{ requestStatusPerDestination: [{ requestStatus, errorInfo: { errorCounts: [{ recordCount, reason }] },
 * eventsIngestionStatus: { recordCount } }] }`, int64 counts as strings). Per destination and per
 * reason, never per event: Google does not say which events it refused. `processing`: ask again
 * later (the guide: wait 30 minutes, then back off until SUCCESS, PARTIAL_SUCCESS or FAILED);
 * `done`: `failed` when every event of the request failed, `refused` the reasons and counts
 * (PROCESSING_ERROR_REASON_ dropped) other than a duplicate (Google has that conversion already);
 * `later`: no usable answer (transport, 5xx, quota, access); `gone`: Google knows no such request.
 */
export type RequestStatusAnswer =
  | { state: "processing" }
  | { state: "done"; failed: boolean; refused: { reason: string; count: number }[]; duplicates: number }
  | { state: "later"; error: string }
  | { state: "gone"; error: string }
  | { reauth: true };

/** A conversion Google already has (a resend, a redelivery): what the upload wanted, not a refusal. */
const DUPLICATES = new Set(["DUPLICATE_TRANSACTION_ID", "DUPLICATE_GCLID"]);
const count = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : 0);

export function dataManagerStatus(status: number | null, json: unknown, error: string | null = null): RequestStatusAnswer {
  if (status === 401) return { reauth: true };
  if (status !== 200) {
    const d = detailsOf(json);
    const said = [status === null ? (error ?? "no answer") : `HTTP ${status}`, d.status, ...d.reasons.filter((r) => r !== d.status), d.message]
      .filter(Boolean)
      .join(" ");
    // 400 (INVALID_REQUEST_ID) or 404: asking again will not help.
    return status === 400 || status === 404 ? { state: "gone", error: clip(said) } : { state: "later", error: clip(said) };
  }
  const list = (json as { requestStatusPerDestination?: unknown } | null)?.requestStatusPerDestination;
  const entries = (Array.isArray(list) ? list : []).filter((e): e is Record<string, unknown> => e !== null && typeof e === "object");
  if (!entries.length) return { state: "later", error: "the diagnostics named no destination yet" };
  const states = entries.map((e) => str(e.requestStatus));
  if (states.some((s) => s !== "SUCCESS" && s !== "FAILED" && s !== "PARTIAL_SUCCESS")) return { state: "processing" };
  const byReason = new Map<string, number>();
  for (const e of entries) {
    const counts = (e.errorInfo as { errorCounts?: unknown } | undefined)?.errorCounts;
    for (const c of Array.isArray(counts) ? (counts as { reason?: unknown; recordCount?: unknown }[]) : []) {
      const reason = str(c?.reason).replace(/^PROCESSING_ERROR_(REASON_)?/, "") || "UNKNOWN";
      byReason.set(reason, (byReason.get(reason) ?? 0) + Math.max(count(c?.recordCount), 1));
    }
  }
  const refused = [...byReason].filter(([r]) => !DUPLICATES.has(r)).map(([reason, n]) => ({ reason, count: n }));
  const duplicates = [...byReason].filter(([r]) => DUPLICATES.has(r)).reduce((s, [, n]) => s + n, 0);
  return { state: "done", failed: states.every((s) => s === "FAILED"), refused, duplicates };
}
