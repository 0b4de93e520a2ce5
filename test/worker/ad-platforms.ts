/**
 * Google Ads and Microsoft Advertising at the network edge, built from their documented requests
 * and answers: OAuth token endpoints (refresh_token grant), Google Ads UploadClickConversions (REST,
 * partialFailure, GoogleAdsFailure details indexed by fieldPathElements), Google's Data Manager API
 * (data-manager-fake.ts) and Microsoft ApplyOfflineConversions (PartialErrors by Index). Each checks
 * what it is sent field by field.
 */
import { expect } from "vitest";
import { mockNetwork, type Seen } from "./calls-helpers";
import { type DataManagerState, dataManager, dataManagerState, dataManagerStatus, INGEST_PATH, STATUS_PATH } from "./data-manager-fake";

export const GOOGLE_UPLOAD = /^\/v\d+\/customers\/(\d{10}):uploadClickConversions$/;
/** Every field of a ClickConversion we may send (REST JSON names). */
const CLICK_CONVERSION_FIELDS = new Set([
  "gclid",
  "gbraid",
  "wbraid",
  "conversionAction",
  "conversionDateTime",
  "conversionValue",
  "currencyCode",
  "orderId",
  "consent",
  "userIdentifiers",
]);
const OFFLINE_CONVERSION_FIELDS = new Set([
  "ConversionName",
  "ConversionTime",
  "MicrosoftClickId",
  "ConversionValue",
  "ConversionCurrencyCode",
  "HashedPhoneNumber",
]);

export interface Platforms {
  seen: Seen[];
  /** Requests by what they are. */
  googleTokens(): Seen[];
  googleUploads(): Seen[];
  /** Requests to Google's Data Manager API (events:ingest). */
  dataManagerUploads(): Seen[];
  /** Its diagnostics asked for (requestStatus:retrieve). */
  dataManagerChecks(): Seen[];
  dm: DataManagerState;
  microsoftTokens(): Seen[];
  /** ApplyOfflineConversions requests. */
  microsoftUploads(): Seen[];
  /** GetConversionGoalsByIds requests (the connection check's read). */
  microsoftGoalReads(): Seen[];
  /** The account's offline conversion goals, as GetConversionGoalsByIds answers them. */
  msGoals: Record<string, unknown>[];
  alerts(): Seen[];
  /** Google's answer per gclid: an error code ({ conversionUploadError: "TOO_RECENT_EVENT" }) or none (accepted). */
  googleErrors: Map<string, Record<string, string>>;
  /**
   * The errors Google answers each row of a validateOnly request with (none: valid). A click id
   * Google did not issue cannot be decoded: UNPARSEABLE_GCLID models what a made-up one would draw.
   */
  googleValidateErrors: Record<string, string>[];
  msErrors: Map<string, { ErrorCode: string; Code: number; Message: string }>;
  /** The token endpoint refuses the refresh token (revoked). */
  revoked: boolean;
  /** The next upload is refused with 401 (the access token expired early). */
  expireNextToken: boolean;
  /** Tokens issued so far, by both platforms (the one a platform issued last is the only one it takes). */
  issued: string[];
  /**
   * Refresh tokens Microsoft issued in place of the one used (it rotates them at every use). The
   * mock takes only the newest one once it has issued any: a superseded one is invalid_grant (as
   * the real one is 90 days after it was issued).
   */
  msRefreshIssued: string[];
  /** Whole-request answers to give instead of processing the next uploads, in order (documented error shapes). */
  googleNext: Canned[];
  /** Microsoft's may be made from the request body (a BatchError names a row by its index in it). */
  msNext: (Canned | ((body: { OfflineConversions: Record<string, unknown>[] }) => Canned))[];
  /** What Google has recorded: `<conversionAction> <orderId>` and `<click> <conversionDateTime>` (a repeat is a duplicate). */
  googleAccepted: Set<string>;
}

/** A whole-request answer, built into a Response where it is sent (a Response made in the test could not be read by the worker's request). */
export interface Canned {
  status: number;
  body: unknown;
}

/** A Google Ads REST error: google.rpc.Status with a GoogleAdsFailure in its details. */
export function googleError(httpStatus: number, status: string, message: string, errorCode?: Record<string, string>): Canned {
  const details = errorCode
    ? [{ "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure", errors: [{ errorCode, message }], requestId: "req-err-1" }]
    : undefined;
  return { status: httpStatus, body: { error: { code: httpStatus, message, status, ...(details ? { details } : {}) } } };
}

/** A Microsoft Advertising REST fault (ApiFaultDetail): OperationErrors for the request, BatchErrors by Index. */
export function msFault(
  httpStatus: number,
  errors: {
    OperationErrors?: { Code: number; ErrorCode: string; Message: string }[];
    BatchErrors?: { Code: number; ErrorCode: string; Message: string; Index: number }[];
  },
): Canned {
  const op = (errors.OperationErrors ?? []).map((e) => ({ ...e, Details: null }));
  const batch = (errors.BatchErrors ?? []).map((e) => ({ ...e, Details: null, FieldPath: null, ForwardCompatibilityMap: null, Type: "BatchError" }));
  return { status: httpStatus, body: { TrackingId: "trk-1", Type: "ApiFaultDetail", OperationErrors: op, BatchErrors: batch } };
}

/**
 * A Microsoft Advertising REST fault of the generic kind (AdApiFaultDetail, `Errors`): authentication
 * (105 InvalidCredentials, 106 UserIsNotAuthorized, 109 AuthenticationTokenExpired) and call rate
 * (117 CallRateExceeded), as the SOAP faults carry them and the REST SDKs read them. `wrapped`: inside
 * `ApplicationFault`, as the SOAP-to-REST migration guide shows a REST error.
 */
export function msAdApiFault(httpStatus: number, errors: { Code: number; ErrorCode: string; Message: string }[], wrapped = false): Canned {
  const fault = { TrackingId: "trk-2", Type: "AdApiFaultDetail", Errors: errors.map((e) => ({ ...e, Detail: null })) };
  return { status: httpStatus, body: wrapped ? { ApplicationFault: fault } : fault };
}

export const ALERT_HOOK = "https://hooks.example/alerts";

export function mockPlatforms(): Platforms {
  latest.clear();
  const p: Platforms = {
    seen: [],
    googleTokens: () => p.seen.filter((s) => s.url.href === "https://oauth2.googleapis.com/token"),
    googleUploads: () => p.seen.filter((s) => s.url.hostname === "googleads.googleapis.com"),
    dataManagerUploads: () => p.seen.filter((s) => s.url.hostname === "datamanager.googleapis.com" && s.url.pathname === INGEST_PATH),
    dataManagerChecks: () => p.seen.filter((s) => s.url.hostname === "datamanager.googleapis.com" && s.url.pathname === STATUS_PATH),
    dm: dataManagerState(),
    microsoftTokens: () => p.seen.filter((s) => s.url.hostname === "login.microsoftonline.com"),
    microsoftUploads: () => p.seen.filter((s) => s.url.hostname === "campaign.api.bingads.microsoft.com" && s.url.pathname === MS_APPLY_PATH),
    microsoftGoalReads: () => p.seen.filter((s) => s.url.hostname === "campaign.api.bingads.microsoft.com" && s.url.pathname === MS_GOALS_PATH),
    msGoals: [
      {
        Id: "4000001",
        Name: "Phone call",
        Status: "Active",
        Type: "OfflineConversion",
        Scope: "Account",
        CountType: "All",
        GoalCategory: "Contact",
        TrackingStatus: "NoRecentConversions",
      },
    ],
    alerts: () => p.seen.filter((s) => s.url.href === ALERT_HOOK),
    googleErrors: new Map(),
    googleValidateErrors: [],
    msErrors: new Map(),
    revoked: false,
    expireNextToken: false,
    issued: [],
    msRefreshIssued: [],
    googleNext: [],
    msNext: [],
    googleAccepted: new Set(),
  };
  const net = mockNetwork((req) => {
    // A request that breaks the documented contract fails the test (afterEach: platformViolations),
    // not only the upload: the worker would otherwise read the thrown check as a network error.
    try {
      if (req.url.hostname === "oauth2.googleapis.com" || req.url.hostname === "login.microsoftonline.com") return token(p, req);
      if (req.url.hostname === "googleads.googleapis.com") return google(p, req);
      if (req.url.hostname === "datamanager.googleapis.com")
        return (req.url.pathname === STATUS_PATH ? dataManagerStatus : dataManager)(p.dm, req, bearerOk(p, req, "oauth2.googleapis.com"));
      if (req.url.hostname === "campaign.api.bingads.microsoft.com") return microsoft(p, req);
    } catch (err) {
      violations.push(`${req.method} ${req.url.href}: ${err instanceof Error ? err.message : String(err)}`);
      return Response.json({ error: { code: 400, message: "contract violation (test)", status: "INVALID_ARGUMENT" } }, { status: 400 });
    }
    return new Response(null, { status: 204 });
  });
  p.seen = net.seen;
  return p;
}

const violations: string[] = [];
/** The requests so far that broke the platforms' documented contract (emptied on reading). */
export function platformViolations(): string[] {
  return violations.splice(0);
}

function token(p: Platforms, req: Seen): Response {
  expect(req.method).toBe("POST");
  expect(req.headers.get("Content-Type")).toContain("application/x-www-form-urlencoded");
  const form = new URLSearchParams(req.body);
  expect(form.get("grant_type")).toBe("refresh_token");
  expect(form.get("client_id")).toBeTruthy();
  expect(form.get("refresh_token")).toBeTruthy();
  if (req.url.hostname === "login.microsoftonline.com") expect(form.get("scope")).toContain("https://ads.microsoft.com/msads.manage");
  if (p.revoked || form.get("refresh_token")?.includes("revoked"))
    return Response.json({ error: "invalid_grant", error_description: "Token has been expired or revoked." }, { status: 400 });
  const ms = req.url.hostname === "login.microsoftonline.com";
  const newest = p.msRefreshIssued.at(-1);
  if (ms && newest !== undefined && form.get("refresh_token") !== newest)
    return Response.json(
      { error: "invalid_grant", error_description: "AADSTS70008: The provided authorization code or refresh token has expired." },
      { status: 400 },
    );
  const t = `ya29.token-${p.issued.length + 1}`;
  p.issued.push(t);
  latest.set(req.url.hostname, t);
  if (!ms) return Response.json({ access_token: t, expires_in: 3599, token_type: "Bearer", scope: "https://www.googleapis.com/auth/adwords" });
  const refresh = `M.C5_rotated-refresh-${p.msRefreshIssued.length + 1}`;
  p.msRefreshIssued.push(refresh);
  return Response.json({ access_token: t, refresh_token: refresh, expires_in: 3599, token_type: "Bearer", scope: "https://ads.microsoft.com/msads.manage" });
}

/** The access token each token endpoint issued last: the only one its platform takes. */
const latest = new Map<string, string>();

function bearerOk(p: Platforms, req: Seen, tokenHost: string): boolean {
  const auth = req.headers.get("Authorization");
  if (p.expireNextToken) {
    p.expireNextToken = false;
    return false;
  }
  return auth === `Bearer ${latest.get(tokenHost)}`;
}

function google(p: Platforms, req: Seen): Response {
  expect(req.method).toBe("POST");
  expect(req.url.pathname).toMatch(GOOGLE_UPLOAD);
  expect(req.headers.get("developer-token")).toBeTruthy();
  if (!bearerOk(p, req, "oauth2.googleapis.com"))
    return Response.json({ error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } }, { status: 401 });
  const canned = p.googleNext.shift();
  if (canned) return Response.json(canned.body, { status: canned.status });
  const body = JSON.parse(req.body) as { conversions: Record<string, unknown>[]; partialFailure: boolean; validateOnly?: boolean };
  expect(Object.keys(body).sort()).toEqual(
    body.validateOnly === undefined ? ["conversions", "partialFailure"] : ["conversions", "partialFailure", "validateOnly"],
  );
  expect(body.partialFailure).toBe(true);
  // validate_only (UploadClickConversionsRequest): validated, not executed; only errors are returned.
  if (body.validateOnly !== undefined) expect(body.validateOnly).toBe(true);
  const customer = GOOGLE_UPLOAD.exec(req.url.pathname)![1];
  const errors: unknown[] = [];
  const results = body.conversions.map((c, index) => {
    for (const k of Object.keys(c)) expect(CLICK_CONVERSION_FIELDS.has(k), `unknown ClickConversion field ${k}`).toBe(true);
    expect(c.conversionAction).toMatch(new RegExp(`^customers/${customer}/conversionActions/\\d+$`));
    expect(c.conversionDateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(typeof c.orderId).toBe("string");
    expect(["gclid", "gbraid", "wbraid"].filter((k) => k in c)).toHaveLength(1);
    // Consent on a ClickConversion: ad_user_data only (ad_personalization is for customer match), GRANTED or DENIED.
    if ("consent" in c) {
      expect(Object.keys(c.consent as object)).toEqual(["adUserData"]);
      expect(["GRANTED", "DENIED"]).toContain((c.consent as { adUserData: string }).adUserData);
    }
    const id = String(c.gclid ?? c.gbraid ?? c.wbraid);
    if (body.validateOnly) {
      for (const code of p.googleValidateErrors)
        errors.push({
          errorCode: code,
          message: `Refused: ${Object.values(code)[0]}`,
          location: { fieldPathElements: [{ fieldName: "conversions", index }, { fieldName: "gclid" }] },
        });
      return {};
    }
    const keys = [`${c.conversionAction} ${c.orderId}`, `${id} ${c.conversionDateTime}`];
    const duplicate = keys.some((k) => p.googleAccepted.has(k));
    const code = duplicate ? { conversionUploadError: "CLICK_CONVERSION_ALREADY_EXISTS" } : p.googleErrors.get(id);
    if (!code) for (const k of keys) p.googleAccepted.add(k);
    if (!code) return { gclid: c.gclid, conversionAction: c.conversionAction, conversionDateTime: c.conversionDateTime };
    errors.push({
      errorCode: code,
      message: `Refused: ${Object.values(code)[0]}`,
      trigger: { stringValue: id },
      location: { fieldPathElements: [{ fieldName: "conversions", index }, { fieldName: "gclid" }] },
    });
    return {};
  });
  const partialFailureError = errors.length
    ? {
        code: 3,
        message: "Partial failure",
        details: [{ "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure", errors, requestId: "req-1" }],
      }
    : undefined;
  if (body.validateOnly) return Response.json(partialFailureError ? { partialFailureError } : {});
  return Response.json({ ...(partialFailureError ? { partialFailureError } : {}), results, jobId: "123456789" });
}

const MS_APPLY_PATH = "/CampaignManagement/v13/OfflineConversions/Apply";
const MS_GOALS_PATH = "/CampaignManagement/v13/ConversionGoals/QueryByIds";

function microsoft(p: Platforms, req: Seen): Response {
  expect(req.method).toBe("POST");
  if (req.url.pathname === MS_GOALS_PATH) return microsoftGoals(p, req);
  expect(req.url.pathname).toBe(MS_APPLY_PATH);
  for (const h of ["DeveloperToken", "CustomerId", "CustomerAccountId"]) expect(req.headers.get(h), h).toBeTruthy();
  if (!bearerOk(p, req, "login.microsoftonline.com")) {
    const expired = msAdApiFault(401, [
      { Code: 109, ErrorCode: "AuthenticationTokenExpired", Message: "Authentication token expired. Please renew it or obtain a new token." },
    ]);
    return Response.json(expired.body, { status: expired.status });
  }
  const body = JSON.parse(req.body) as { OfflineConversions: Record<string, unknown>[] };
  const next = p.msNext.shift();
  const canned = typeof next === "function" ? next(body) : next;
  if (canned) return Response.json(canned.body, { status: canned.status });
  expect(Object.keys(body)).toEqual(["OfflineConversions"]);
  const PartialErrors: unknown[] = [];
  body.OfflineConversions.forEach((c, Index) => {
    for (const k of Object.keys(c)) expect(OFFLINE_CONVERSION_FIELDS.has(k), `unknown OfflineConversion field ${k}`).toBe(true);
    expect(c.ConversionTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const e = p.msErrors.get(String(c.MicrosoftClickId));
    if (e) PartialErrors.push({ ...e, Details: null, FieldPath: null, ForwardCompatibilityMap: null, Index, Type: "BatchError" });
  });
  return Response.json({ PartialErrors: PartialErrors.length ? PartialErrors : null });
}

/**
 * GetConversionGoalsByIds (REST): ConversionGoalIds null (every goal of the types asked) and
 * ConversionGoalTypes; answered with the account's goals of those types and PartialErrors.
 */
function microsoftGoals(p: Platforms, req: Seen): Response {
  for (const h of ["DeveloperToken", "CustomerId", "CustomerAccountId"]) expect(req.headers.get(h), h).toBeTruthy();
  expect(req.headers.get("Content-Type")).toContain("application/json");
  if (!bearerOk(p, req, "login.microsoftonline.com")) {
    const expired = msAdApiFault(401, [
      { Code: 109, ErrorCode: "AuthenticationTokenExpired", Message: "Authentication token expired. Please renew it or obtain a new token." },
    ]);
    return Response.json(expired.body, { status: expired.status });
  }
  const body = JSON.parse(req.body) as Record<string, unknown>;
  const next = p.msNext.shift();
  const canned = typeof next === "function" ? next({ OfflineConversions: [] }) : next;
  if (canned) return Response.json(canned.body, { status: canned.status });
  expect(body).toEqual({ ConversionGoalIds: null, ConversionGoalTypes: "OfflineConversion" });
  const types = String(body.ConversionGoalTypes).split(/[ ,]+/);
  return Response.json({ ConversionGoals: p.msGoals.filter((g) => types.includes(String(g.Type))), PartialErrors: null });
}
