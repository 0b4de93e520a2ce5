/**
 * Reading the ad platforms' answers to an upload, the pure part: for each row sent, uploaded,
 * retry (later, with the outbox's backoff) or final (with the platform's reason, stored on the
 * call); or the whole request says the credentials no longer work. Built from the documented
 * shapes: Google Ads REST errors (`{ error: { code, message, status, details: [GoogleAdsFailure] } }`,
 * partialFailureError's errors located by `fieldPathElements[conversions].index`) and Microsoft
 * Advertising REST faults (ApiFaultDetail `OperationErrors` / `BatchErrors`, AdApiFaultDetail
 * `Errors`, with `Code`, `ErrorCode`, `Index`) and `PartialErrors`. Reasons carry the platforms' codes and messages, never anything that was sent.
 */

/** `requestId`: the Data Manager API's id of the request that took the row (for its diagnostics). */
export type RowResult = { verdict: "uploaded"; requestId?: string } | { verdict: "retry" | "final"; status: number | null; error: string };
/**
 * Per row (same order as sent); `authFailed`: the platform's credentials no longer work (stop and
 * alert); `reauth`: the access token was refused (refresh it once and try again).
 */
export type Answer = { rows: RowResult[] } | { authFailed: string } | { reauth: true };

const REASON_MAX = 400;
export const all = (n: number, r: RowResult): RowResult[] => Array.from({ length: n }, () => r);
export const clip = (s: string) => s.slice(0, REASON_MAX);

/** A transport failure (no answer, timeout) or a status that says "later": 408, 409 (aborted), 429, 5xx. */
export const transient = (status: number | null) => status === null || status === 408 || status === 409 || status === 429 || status >= 500;

// ---- Google Ads ----

export interface GoogleError {
  errorCode?: Record<string, unknown>;
  message?: unknown;
  location?: { fieldPathElements?: { fieldName?: string; index?: number }[] };
}

/**
 * Google Ads error codes that mean the conversion is already there (an earlier attempt went through).
 * Not DUPLICATE_ORDER_ID: rows of one request sharing an order id, none of them processed (retried).
 */
const GOOGLE_ALREADY = new Set(["CLICK_CONVERSION_ALREADY_EXISTS", "ORDER_ID_ALREADY_IN_USE"]);
/** Codes worth retrying: the click or action is too new to take conversions yet, or Google had a transient problem. */
const GOOGLE_RETRY = new Set([
  "DUPLICATE_ORDER_ID",
  "TOO_RECENT_EVENT",
  "TOO_RECENT_CONVERSION_ACTION",
  "INTERNAL_ERROR",
  "TRANSIENT_ERROR",
  "RESOURCE_EXHAUSTED",
  "RESOURCE_TEMPORARILY_EXHAUSTED",
  "DEADLINE_EXCEEDED",
  "CONCURRENT_MODIFICATION",
]);

/**
 * Since 15 June 2026 a developer token that had not been uploading offline conversions is refused
 * UploadClickConversions (notAllowlistedError.CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE; Google's
 * Data Manager API takes them instead). Nothing in the rows is wrong: the platform stops and alerts,
 * and the rows wait for a developer token Google still takes.
 */
export const NOT_ALLOWLISTED = "notAllowlistedError.";
const NOT_ALLOWLISTED_HINT =
  'Google takes no offline conversions from this developer token through the Google Ads API (only through its Data Manager API: set googleAds.api to "data_manager"); a developer token that was already uploading them still works.';

/**
 * Codes a row is refused with that are about the account's settings, not the row: the conversion
 * action (missing, removed, of a type that takes no uploads, in another account), the customer (not
 * the one the action tracks for), terms and policies the account must accept or change
 * (conversion_upload_error.proto). Every other call would be refused alike: the platform stops and
 * alerts, the calls wait (paused) until a PATCH changes the settings, as Data Manager's
 * SETTINGS_REASONS do, instead of failing every call for good.
 */
const GOOGLE_SETTINGS_CODES = new Set([
  "NO_CONVERSION_ACTION_FOUND",
  "INVALID_CONVERSION_ACTION",
  "INVALID_CONVERSION_ACTION_TYPE",
  "UNAUTHORIZED_CUSTOMER",
  "CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS",
  "CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS",
  "CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS",
]);

/** Whether an error code stops the platform (NOT_ALLOWLISTED, or a settings code): the rows wait. */
const stopsPlatform = (code: string) => code.startsWith(NOT_ALLOWLISTED) || GOOGLE_SETTINGS_CODES.has(code.slice(code.indexOf(".") + 1));
const SETTINGS_HINT =
  "Google refused the account's settings, not the call: fix them (conversionActionId, customerId, loginCustomerId; in Google Ads, the customer data terms or the conversion action) and PATCH googleAds with the change, or with its credentials when the fix was in Google Ads, to resume.";

/** What to do with a row Google refused, by its error code (`errorCode: { <kind>: <CODE> }`). */
export function googleVerdict(errorCode: Record<string, unknown> | undefined): { verdict: "already" | "retry" | "final"; code: string } {
  const [kind, value] = Object.entries(errorCode ?? {})[0] ?? ["unknown", "UNKNOWN"];
  const code = String(value);
  if (GOOGLE_ALREADY.has(code)) return { verdict: "already", code: `${kind}.${code}` };
  if (GOOGLE_RETRY.has(code) || kind === "internalError" || kind === "quotaError") return { verdict: "retry", code: `${kind}.${code}` };
  return { verdict: "final", code: `${kind}.${code}` };
}

/** The GoogleAdsFailure errors of a Status (`details[]`), whichever detail carries them. */
export function failureErrors(status: { details?: unknown } | null | undefined): GoogleError[] {
  const details = Array.isArray(status?.details) ? (status.details as { errors?: unknown }[]) : [];
  return details.flatMap((d) => (Array.isArray(d?.errors) ? (d.errors as GoogleError[]) : []));
}

/** A refused request in Google's words: `HTTP 400 INVALID_ARGUMENT: requestError.X: message; …`. */
function googleRefusal(status: number | null, json: unknown, errors: GoogleError[]): string {
  const e = (json as { error?: { status?: unknown; message?: unknown } } | null)?.error;
  const head = [status === null ? "no answer" : `HTTP ${status}`, typeof e?.status === "string" ? e.status : ""].filter(Boolean).join(" ");
  const parts = errors.length
    ? errors.map((x) => `${googleVerdict(x.errorCode).code}: ${String(x.message ?? "")}`)
    : typeof e?.message === "string"
      ? [e.message]
      : [];
  return clip(parts.length ? `${head}: ${parts.join("; ")}` : head);
}

/**
 * Google Ads UploadClickConversions (partialFailure on). 200: every row is uploaded except those
 * partialFailureError names (by index). Otherwise the whole request failed: 401 refreshes the
 * token; 403 (developer token or access refused) or a developer token not allowlisted for
 * offline conversions stops the platform; 408/409/429/5xx or a
 * retryable GoogleAdsFailure code (quota, internal, concurrent modification) retries every row;
 * anything else (400 INVALID_ARGUMENT, 404) is final for every row, with Google's reason.
 */
export function googleAnswer(status: number | null, json: unknown, n: number, error: string | null = null): Answer {
  if (status === 401) return { reauth: true };
  if (status !== 200) {
    const errors = failureErrors((json as { error?: { details?: unknown } } | null)?.error);
    const reason = error && status === null ? clip(error) : googleRefusal(status, json, errors);
    // Whatever the status (Google does not say which it answers with).
    if (errors.some((x) => googleVerdict(x.errorCode).code.startsWith(NOT_ALLOWLISTED))) return { authFailed: clip(`${NOT_ALLOWLISTED_HINT} ${reason}`) };
    if (errors.some((x) => stopsPlatform(googleVerdict(x.errorCode).code))) return { authFailed: clip(`${SETTINGS_HINT} ${reason}`) };
    if (status === 403) return { authFailed: reason };
    const retry = transient(status) || errors.some((x) => googleVerdict(x.errorCode).verdict === "retry");
    return { rows: all(n, { verdict: retry ? "retry" : "final", status, error: reason }) };
  }
  const rows: RowResult[] = all(n, { verdict: "uploaded" });
  /** The rows refused as not allowlisted, with Google's words; those refused for the account's settings. */
  const notAllowlisted = new Map<number, string>();
  const settings = new Map<number, string>();
  for (const e of failureErrors((json as { partialFailureError?: { details?: unknown } } | null)?.partialFailureError)) {
    const index = e.location?.fieldPathElements?.find((f) => f.fieldName === "conversions")?.index;
    if (typeof index !== "number" || !rows[index]) continue;
    const v = googleVerdict(e.errorCode);
    const text = `${v.code}: ${String(e.message ?? "")}`;
    if (v.code.startsWith(NOT_ALLOWLISTED)) notAllowlisted.set(index, text);
    else if (stopsPlatform(v.code)) settings.set(index, text);
    if (v.verdict === "already") continue;
    // A row with several errors is final if any of them is.
    if (rows[index]!.verdict === "final") continue;
    rows[index] = { verdict: v.verdict, status: 200, error: clip(text) };
  }
  // A row refused as not allowlisted: the developer token, not the rows (we send none of the
  // fields only allowlisted developers may send, IP address or session attributes), and the
  // allowlist is the customer's, so no row of the request was taken. Any one, not only every one:
  // a row refused for its own reason (an unparseable gclid) carries that error instead, and the
  // others would fail for good with no alert. All wait; each gets its own verdict once Google takes the token.
  const refused = notAllowlisted.values().next();
  if (!refused.done) return { authFailed: clip(`${NOT_ALLOWLISTED_HINT} HTTP 200: ${refused.value}`) };
  // A row refused for the account's settings: the same (the rows uploaded beside it are sent again
  // once resumed, and Google answers them as already there: the order id).
  const misset = settings.values().next();
  if (!misset.done) return { authFailed: clip(`${SETTINGS_HINT} HTTP 200: ${misset.value}`) };
  return { rows };
}

// ---- Microsoft Advertising ----

interface MsError {
  Code?: number;
  ErrorCode?: string;
  Index?: number;
  Message?: string;
}

/**
 * A Microsoft answer's body. A REST fault is an ApplicationFault told apart by `Type`:
 * ApiFaultDetail (OperationErrors, BatchErrors: the service's own errors) or AdApiFaultDetail
 * (Errors: the generic ones, such as InvalidCredentials, AuthenticationTokenExpired, CallRateExceeded).
 * Both SDKs (BingAds-dotNet-SDK RestServiceClient, BingAds-PHP-REST-SDK) read it at the top level;
 * the SOAP-to-REST migration guide shows it wrapped in `ApplicationFault`: read either.
 */
interface MsBody {
  PartialErrors?: MsError[] | null;
  OperationErrors?: MsError[] | null;
  BatchErrors?: MsError[] | null;
  Errors?: MsError[] | null;
  Message?: string;
  ApplicationFault?: MsBody | null;
}

/**
 * Worth trying again later (Operation Error Codes): InternalError (0), CallRateExceeded (117: after
 * 60 s), OfflineConversionsApplyFailed (5612: "failed to send offline conversions to internal
 * server"), OfflineConversionNotAcceptedForGoal (5615: the goal is less than 2 hours old).
 */
const MS_RETRY = new Map<number, string>([
  [0, "InternalError"],
  [117, "CallRateExceeded"],
  [5612, "OfflineConversionsApplyFailed"],
  [5615, "OfflineConversionNotAcceptedForGoal"],
]);
const MS_RETRY_NAMES = new Set(MS_RETRY.values());
/** AuthenticationTokenExpired (109): the access token; InvalidCredentials (105): token or developer token. */
const MS_REAUTH = new Set([105, 109]);
/** UserIsNotAuthorized (106): the user has no access to the account (the credentials no longer fit). */
const MS_DENIED = new Set([106]);

const msText = (e: MsError) => `${e.ErrorCode ?? e.Code ?? "Error"}: ${e.Message ?? ""}`;
const msRetry = (e: MsError) => (typeof e.Code === "number" && MS_RETRY.has(e.Code)) || (typeof e.ErrorCode === "string" && MS_RETRY_NAMES.has(e.ErrorCode));
/**
 * A status that says "later": the shared ones, and 404, which BingAds-dotNet-SDK's RestServiceClient
 * reads (like 501) as the REST service not available for now, until its Retry-After (an hour by
 * default). Our URL is the reference's, so a 404 is not a mistake of ours that retrying repeats.
 */
const msTransient = (status: number | null) => transient(status) || status === 404;

/**
 * Microsoft Advertising ApplyOfflineConversions. 200: rows named by PartialErrors[].Index are
 * refused (the MS_RETRY codes retried, others final). A fault: its request-wide errors
 * (OperationErrors, or AdApiFaultDetail Errors) decide for the whole request (credentials → refresh
 * once or stop; MS_RETRY codes → retry; others final), whatever the HTTP status; BatchErrors name
 * the rows that sank it (final unless retryable) and the others, never applied, are retried.
 */
export function microsoftAnswer(status: number | null, json: unknown, n: number, error: string | null = null): Answer {
  const raw = (json !== null && typeof json === "object" ? json : null) as MsBody | null;
  const body = raw?.ApplicationFault && typeof raw.ApplicationFault === "object" ? raw.ApplicationFault : raw;
  const ops = [...(body?.OperationErrors ?? []), ...(body?.Errors ?? [])];
  if (status === 401 || ops.some((e) => typeof e.Code === "number" && MS_REAUTH.has(e.Code))) return { reauth: true };
  if (status === 200) {
    const rows: RowResult[] = all(n, { verdict: "uploaded" });
    for (const e of body?.PartialErrors ?? []) {
      if (typeof e.Index !== "number" || !rows[e.Index]) continue;
      rows[e.Index] = { verdict: msRetry(e) ? "retry" : "final", status: 200, error: clip(msText(e)) };
    }
    return { rows };
  }
  const head = status === null ? (error ?? "no answer") : `HTTP ${status}`;
  const reason = clip([head, ...ops.map(msText), ...(ops.length ? [] : body?.Message ? [body.Message] : [])].join(": "));
  if (status === 403 || ops.some((e) => typeof e.Code === "number" && MS_DENIED.has(e.Code))) return { authFailed: reason };
  const batch = (body?.BatchErrors ?? []).filter((e) => typeof e.Index === "number" && e.Index >= 0 && e.Index < n);
  if (!ops.length && batch.length) {
    const rows: RowResult[] = all(n, { verdict: "retry", status, error: clip(`${head}: another row of the batch was refused`) });
    for (const e of batch) rows[e.Index!] = { verdict: msRetry(e) ? "retry" : "final", status, error: clip(`${head}: ${msText(e)}`) };
    return { rows };
  }
  const retry = ops.length ? ops.every(msRetry) : msTransient(status);
  return { rows: all(n, { verdict: retry ? "retry" : "final", status, error: reason }) };
}
