/**
 * The connection check (POST /v1/account/conversions/check): does a platform take what a call's
 * upload would send, with the stored settings and credentials, without recording a conversion?
 * - Google: a new access token from the refresh token, then the setting's API with validateOnly
 *   (the request validated, not executed): the Data Manager API's events:ingest with one event built
 *   as a call's is (destination, event source, consent, value), or UploadClickConversions with
 *   partialFailure. The click id is synthetic: Google checks a click only on a real call's upload.
 * - Microsoft: the Bing Ads API has no validating upload. A new access token, then a read with the
 *   upload's headers (GetConversionGoalsByIds, the account's offline conversion goals): the developer
 *   token, the user's access to the customer and account, and that the goal the uploads name exists
 *   and is active. Nothing is sent to ApplyOfflineConversions.
 * Answers are read by the uploads' own readers (ad-answers.ts, data-manager-answers.ts), so a refusal
 * gives the reason a call's upload would record. Nothing is stored, nothing paused or resumed, no
 * alert queued; only the cached access token is replaced, and a refresh token Microsoft rotates is
 * kept as the uploads keep it (the one used stops working later).
 */
import { clip, failureErrors, type GoogleError, googleVerdict } from "../domain/ad-answers";
import { type AdUpload, orderIdOf } from "../domain/conversions";
import { detailsOf, hintOf } from "../domain/data-manager-answers";
import { randomSecret } from "../platform/crypto";
import type { AdPlatform, ConversionCheckResult, ConversionRules } from "../schemas/conversions";
import { authRemedies } from "./ad-delivery";
import type { AdUploader, BatchResult, CheckSent } from "./ad-uploads";
import type { AdCredentials, ConversionSetup, GoogleAdsConfig, MicrosoftAdsConfig } from "./conversion-settings";

export interface CheckContext {
  accountId: string;
  setup: ConversionSetup;
  credentials(platform: AdPlatform): Promise<AdCredentials | null>;
  /** Store the refresh token the platform gave in place of `used` (Microsoft rotates it at every use). */
  rotateRefreshToken(platform: AdPlatform, used: string, next: string): Promise<boolean>;
  uploader: AdUploader;
}

/**
 * A caller's number for the synthetic event with enhanced conversions on (hashed when sent, as a
 * call's is): a number the North American plan reserves for fiction (555-0100 to 555-0199).
 */
export const CHECK_PHONE = "+12025550123";

/**
 * The synthetic upload: what a qualifying call today would send, with the account-wide value and
 * currency, consent granted (what the default rule asks for), and a click id made up for the check
 * in the alphabet Google's click ids use (URL-safe base64). Its order id is the `dni-` form of a
 * call id no call has.
 */
function checkUpload(rules: ConversionRules, enhanced: boolean, now: number): AdUpload {
  const random = randomSecret(24);
  return {
    orderId: orderIdOf(`check-${random.slice(0, 16)}`),
    clickIdType: "gclid",
    clickId: `EdgeDniCheck${random}`,
    at: now,
    value: rules.value,
    currency: rules.value === null ? null : rules.currency,
    adUserData: "granted",
    adPersonalization: "granted",
    phone: enhanced ? CHECK_PHONE : null,
  };
}

/** Check each platform asked (all configured ones), side by side. */
export async function checkConversions(ctx: CheckContext, platforms: readonly AdPlatform[], now: number): Promise<ConversionCheckResult[]> {
  return Promise.all(platforms.map((p) => checkPlatform(ctx, p, now)));
}

async function checkPlatform(ctx: CheckContext, platform: AdPlatform, now: number): Promise<ConversionCheckResult> {
  const google = platform === "google_ads" ? ctx.setup.google_ads : null;
  const head = { platform, ...(google ? { api: google.api } : {}) };
  const cfg = google ?? (platform === "microsoft_ads" ? ctx.setup.microsoft_ads : null);
  if (!cfg) return { ...head, ok: false, checked: [], error: `${platform} is not configured`, hint: "Set it with PATCH /v1/account/conversions." };
  const paused = cfg.authFailed
    ? " Its uploads are paused since an earlier refusal (GET /v1/account/conversions: auth); a PATCH of its credentials or settings resumes them, this check does not."
    : "";
  const creds = await ctx.credentials(platform);
  if (!creds)
    return {
      ...head,
      ok: false,
      checked: [],
      // What the uploads record for it.
      error: "the stored credentials do not open with SECRETS_KEY",
      hint: `SECRETS_KEY no longer opens what was sealed with it (a key replaced without keeping the old one): set the credentials again with PATCH /v1/account/conversions.${paused}`,
    };
  let out: Reading;
  let rotated: string | undefined;
  if (google) {
    const read = await ctx.uploader.checkGoogle(ctx.accountId, google, creds, checkUpload(ctx.setup.rules, google.enhancedConversions, now));
    rotated = read.result.refreshToken;
    out = readGoogle(google, read);
  } else {
    const read = await ctx.uploader.checkMicrosoft(ctx.accountId, cfg as MicrosoftAdsConfig, creds);
    rotated = read.result.refreshToken;
    out = readMicrosoft(cfg as MicrosoftAdsConfig, read);
  }
  // As the uploads do: the refresh token the platform gave in place of the one used is kept.
  if (rotated) await ctx.rotateRefreshToken(platform, creds.refreshToken, rotated);
  return { ...head, ...out, ...(out.note || paused ? { note: `${out.note ?? ""}${paused}`.trim() } : {}) };
}

type Reading = Omit<ConversionCheckResult, "platform" | "api">;

const TOKEN_HOST: Record<AdPlatform, string> = { google_ads: "oauth2.googleapis.com", microsoft_ads: "login.microsoftonline.com" };
const FIELD: Record<AdPlatform, string> = { google_ads: "googleAds", microsoft_ads: "microsoftAds" };

/** Nothing was sent: the access token could not be had (or, Google Ads API, no developer token is stored). */
function tokenFailure(platform: AdPlatform, result: BatchResult): Reading {
  if ("authFailed" in result) {
    const refused = result.authFailed.startsWith("token refresh failed");
    return {
      ok: false,
      checked: [],
      error: result.authFailed,
      hint: refused
        ? `${TOKEN_HOST[platform]} refused the stored refresh token (revoked, expired, or issued to another OAuth client): authorize again and set ${FIELD[platform]}.refreshToken (with its clientId and clientSecret) with PATCH /v1/account/conversions. Uploads stop on this answer until then.`
        : authRemedies(platform, result.authFailed, false).join(" "),
    };
  }
  const error = result.rows[0]?.verdict === "uploaded" ? "no answer" : (result.rows[0]?.error ?? "no answer");
  return {
    ok: false,
    checked: [],
    error,
    hint: `${TOKEN_HOST[platform]} gave no access token for now (uploads would try again with backoff): check again in a few minutes.`,
  };
}

const TOKEN_OK = (platform: AdPlatform) => `access token: refreshed from the stored refresh token (${TOKEN_HOST[platform]})`;

/** A refusal read as the uploads read it: the reason they would record, and what to do. */
function refusal(platform: AdPlatform, checked: string[], result: BatchResult, specific: string | undefined): Reading {
  if ("authFailed" in result)
    return {
      ok: false,
      checked,
      error: result.authFailed,
      // Uploads stop (paused, one alert) on this answer.
      hint: specific ?? authRemedies(platform, result.authFailed, false).join(" "),
    };
  const row = result.rows[0];
  if (!row || row.verdict === "uploaded") return { ok: true, checked };
  const name = platform === "google_ads" ? "Google" : "Microsoft";
  return {
    ok: false,
    checked,
    error: row.error,
    hint:
      specific ??
      (row.verdict === "retry"
        ? `${name} did not take the request for now (uploads would send it again with backoff): check again in a few minutes.`
        : `${name} refuses this request as it would every call's upload: fix what its answer names (the conversion action or account, rules.value and rules.currency) with PATCH /v1/account/conversions.`),
  };
}

/**
 * Google Ads API ConversionUploadError codes about the click itself: a made-up click id draws one of
 * these (UNPARSEABLE_GCLID above all) once everything before it was taken, and a real call's click
 * is checked on its upload.
 */
const CLICK_CODES = new Set([
  "UNPARSEABLE_GCLID",
  "EVENT_NOT_FOUND",
  "CLICK_NOT_FOUND",
  "EXPIRED_EVENT",
  "TOO_RECENT_EVENT",
  "CONVERSION_PRECEDES_EVENT",
  "UNAUTHORIZED_CUSTOMER",
]);
const clickCode = (e: GoogleError) => {
  const [kind, code] = Object.entries(e.errorCode ?? {})[0] ?? [];
  return kind === "conversionUploadError" && CLICK_CODES.has(String(code)) ? String(code) : null;
};

const GOOGLE_NOTE =
  "The click id sent was made up for the check: Google checks a call's click (its account, its age), consent and the account's terms only on a real call's upload; what it refuses then shows on the call (GET /v1/calls/{id}, conversions[]), through the Data Manager API in its diagnostics about 30 minutes after the upload.";

function readGoogle(cfg: GoogleAdsConfig, { result, sent }: CheckSent): Reading {
  if (!sent) return tokenFailure("google_ads", result);
  const checked = [TOKEN_OK("google_ads")];
  const what =
    cfg.api === "data_manager"
      ? `Data Manager API events:ingest with validateOnly: one event as a call's would be sent (operating account ${cfg.customerId}${cfg.loginCustomerId ? `, login account ${cfg.loginCustomerId}` : ""}, conversion action ${cfg.conversionActionId}, eventSource PHONE, consent${cfg.enhancedConversions ? ", hashed phone number" : ""}), validated and not recorded`
      : `Google Ads API uploadClickConversions with validateOnly and partialFailure: one conversion as a call's would be sent (customer ${cfg.customerId}${cfg.loginCustomerId ? ` through manager ${cfg.loginCustomerId}` : ""}, conversion action ${cfg.conversionActionId}, developer token), validated and not recorded`;
  if (cfg.api === "data_manager") {
    const d = detailsOf(sent.json);
    // Google checks the click id after taking the event (its diagnostics' INVALID_GCLID), not here.
    const hint = hintOf([...d.reasons, ...d.violations.map((v) => (typeof v.reason === "string" ? v.reason : ""))]);
    const r = refusal("google_ads", checked, result, hint);
    return r.ok ? { ok: true, checked: [...checked, what], note: GOOGLE_NOTE } : r;
  }
  // Google Ads API, 200 with partialFailureError: every error of the row, not only the one an upload keeps.
  const errors = (sent.status === 200 ? failureErrors((sent.json as { partialFailureError?: { details?: unknown } } | null)?.partialFailureError) : []).filter(
    // The conversion already there: not a refusal (an upload counts it as uploaded).
    (e) => googleVerdict(e.errorCode).verdict !== "already",
  );
  if (!("authFailed" in result) && errors.length > 0 && errors.every((e) => clickCode(e) !== null)) {
    const codes = [...new Set(errors.map(clickCode))].join(", ");
    return {
      ok: true,
      checked: [...checked, `${what}; Google refused only the made-up click id (${codes}), as it would any click it did not issue`],
      note: GOOGLE_NOTE,
    };
  }
  // A row refused for anything else: the first such error (an upload keeps the first error of a row).
  const other = errors.find((e) => clickCode(e) === null);
  if (other && !("authFailed" in result)) {
    const v = googleVerdict(other.errorCode);
    const error = clip(`${v.code}: ${String(other.message ?? "")}`);
    return refusal("google_ads", checked, { rows: [{ verdict: v.verdict === "retry" ? "retry" : "final", status: 200, error }] }, undefined);
  }
  const r = refusal("google_ads", checked, result, undefined);
  return r.ok ? { ok: true, checked: [...checked, what], note: GOOGLE_NOTE } : r;
}

interface MsGoal {
  Id?: unknown;
  Name?: unknown;
  Status?: unknown;
  Type?: unknown;
}

const MS_NOTE =
  "Microsoft Advertising has no validating upload, so no conversion was sent: a call's click id is checked only on its upload, and a goal created less than 2 hours ago takes none yet (those uploads are retried).";

function readMicrosoft(cfg: MicrosoftAdsConfig, { result, sent }: CheckSent): Reading {
  if (!sent) return tokenFailure("microsoft_ads", result);
  const checked = [TOKEN_OK("microsoft_ads")];
  const r = refusal("microsoft_ads", checked, result, undefined);
  if (!r.ok) return { ...r, note: MS_NOTE };
  checked.push(
    `Campaign Management GetConversionGoalsByIds with the upload's headers: the developer token, and the user's access to customer ${cfg.customerId} and account ${cfg.accountId}`,
  );
  const list = (sent.json as { ConversionGoals?: unknown } | null)?.ConversionGoals;
  const goals = (Array.isArray(list) ? list : []).filter((g): g is MsGoal => g !== null && typeof g === "object");
  const named = (g: MsGoal) => typeof g.Name === "string";
  const goal = goals.find((g) => g.Name === cfg.conversionName);
  if (!goal) {
    const near = goals.find((g) => named(g) && String(g.Name).toLowerCase() === cfg.conversionName.toLowerCase());
    const names = goals
      .filter(named)
      .slice(0, 5)
      .map((g) => JSON.stringify(g.Name));
    return {
      ok: false,
      checked,
      error: `no offline conversion goal named ${JSON.stringify(cfg.conversionName)} in account ${cfg.accountId}`,
      hint: near
        ? `The account has ${JSON.stringify(near.Name)}, which differs only in case: set microsoftAds.conversionName to it exactly with PATCH /v1/account/conversions.`
        : `${names.length ? `The account's offline conversion goals: ${names.join(", ")}. ` : "The account has no offline conversion goal. "}Set microsoftAds.conversionName to one of them, exactly, with PATCH /v1/account/conversions, or create an offline conversion goal in Microsoft Advertising (then wait 2 hours before uploads).`,
      note: MS_NOTE,
    };
  }
  const status = typeof goal.Status === "string" ? goal.Status : "unknown";
  const id = typeof goal.Id === "string" || typeof goal.Id === "number" ? ` (id ${goal.Id})` : "";
  if (status !== "Active")
    return {
      ok: false,
      checked,
      error: `the offline conversion goal ${JSON.stringify(cfg.conversionName)}${id} is ${status}, not Active`,
      hint: "Make the goal active in Microsoft Advertising (Conversions → Conversion goals), or set microsoftAds.conversionName to an active offline conversion goal with PATCH /v1/account/conversions.",
      note: MS_NOTE,
    };
  return { ok: true, checked: [...checked, `offline conversion goal ${JSON.stringify(cfg.conversionName)}${id}: found, Active`], note: MS_NOTE };
}
