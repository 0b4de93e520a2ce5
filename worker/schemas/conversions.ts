/**
 * Ad conversion settings (GET/PATCH /v1/account/conversions): Google Ads and Microsoft Ads offline
 * click conversions, which calls qualify (per account, per pool override), and the consent rule.
 * Credentials are write-only: sealed with SECRETS_KEY, shown as their last 4 characters.
 */
import { z } from "@hono/zod-openapi";
import { isTimeZone } from "../domain/schedule";
import { PoolIdSchema } from "./common";

export const AD_PLATFORMS = ["google_ads", "microsoft_ads"] as const;
export type AdPlatform = (typeof AD_PLATFORMS)[number];

/**
 * Which Google API takes the uploads. data_manager (the default for a new setting): Google's Data
 * Manager API, its primary API for offline conversion imports, with no developer token. google_ads_api:
 * UploadClickConversions, which since 15 June 2026 takes offline conversions only from developer
 * tokens that were already uploading them (others are refused CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE).
 */
export const GOOGLE_APIS = ["data_manager", "google_ads_api"] as const;
export type GoogleApi = (typeof GOOGLE_APIS)[number];

const digits = (what: string, min: number, max: number) =>
  z
    .string()
    .transform((v) => v.replace(/-/g, ""))
    .pipe(z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `${what}: ${min}-${max} digits (dashes allowed)`));

const secret = (description: string) =>
  z
    .string()
    .regex(/^[\x21-\x7e]{8,512}$/, "8-512 printable characters")
    .openapi({ description });

const TimeZone = z.string().max(64).refine(isTimeZone, "an IANA time zone, e.g. America/New_York").nullable().optional().openapi({
  description:
    "The Google Ads account's time zone (IANA). Required with api google_ads_api, whose conversion times are sent as local times with its offset; optional with data_manager, which takes times in UTC. Also the default zone of the import CSV (GET /v1/calls.csv, else UTC). Omitted: the stored setting's; null: none (data_manager only).",
  example: "America/New_York",
});

const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "an ISO 4217 code, e.g. USD")
  .openapi({ example: "USD" });

const GoogleApiSetting = z.enum(GOOGLE_APIS).openapi({
  description:
    "data_manager: Google's Data Manager API (no developer token; the refresh token needs the https://www.googleapis.com/auth/datamanager scope). google_ads_api: the Google Ads API's UploadClickConversions, for a developer token Google still takes offline conversions from (refused to new ones since 15 June 2026). Omitted: the stored setting's, or data_manager for a new one.",
  example: "data_manager",
});

const GoogleAdsPatch = z
  .object({
    api: GoogleApiSetting.optional(),
    customerId: digits("customerId", 10, 10).openapi({
      description: "The Google Ads account the conversions go to: the one that owns the conversion action (the Data Manager API's operating account).",
      example: "123-456-7890",
    }),
    conversionActionId: digits("conversionActionId", 1, 20).openapi({ description: "The id of an offline (import) conversion action." }),
    conversionName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "The action's name: the CSV's Conversion Name column. Left out: kept as stored." }),
    loginCustomerId: digits("loginCustomerId", 10, 10).nullable().optional().openapi({
      description: "The manager account, when access is through one (the Data Manager API's login account). Left out: kept as stored; null removes it.",
    }),
    timeZone: TimeZone,
    enhancedConversions: z
      .boolean()
      .optional()
      .openapi({ description: "Also send the caller's number, SHA-256 of E.164 (enhanced conversions for leads). Off by default; left out: kept as stored." }),
    developerToken: secret("Google Ads API developer token: needed for api google_ads_api only.").optional(),
    clientId: secret("OAuth client id.").optional(),
    clientSecret: secret("OAuth client secret.").optional(),
    refreshToken: secret(
      "OAuth refresh token with the https://www.googleapis.com/auth/datamanager scope (api data_manager) or https://www.googleapis.com/auth/adwords (api google_ads_api).",
    ).optional(),
  })
  .strict()
  .nullable();

const MicrosoftAdsPatch = z
  .object({
    customerId: digits("customerId", 1, 20),
    accountId: digits("accountId", 1, 20).openapi({ description: "The ad account (CustomerAccountId)." }),
    conversionName: z.string().trim().min(1).max(100).openapi({ description: "The offline conversion goal's name." }),
    enhancedConversions: z
      .boolean()
      .optional()
      .openapi({ description: "Also send HashedPhoneNumber (SHA-256 of E.164). Off by default; left out: kept as stored." }),
    developerToken: secret("Microsoft Advertising developer token.").optional(),
    clientId: secret("OAuth application (client) id.").optional(),
    clientSecret: secret("OAuth client secret (omit for a public client).").optional(),
    refreshToken: secret("OAuth refresh token with the https://ads.microsoft.com/msads.manage scope.").optional(),
  })
  .strict()
  .nullable();

const PoolRule = z
  .object({
    enabled: z.boolean().optional().openapi({ description: "false: this pool's calls are never uploaded." }),
    minSeconds: z.number().int().min(0).max(86_400).optional(),
    value: z.number().min(0).max(1e9).nullable().optional(),
    currency: Currency.nullable().optional(),
  })
  .strict();

export const CONSENT_RULES = ["granted", "not_denied"] as const;

const RulesPatch = z
  .object({
    minSeconds: z.number().int().min(0).max(86_400).optional().openapi({ description: "Least talk time of an answered call that counts. Default 60." }),
    value: z.number().min(0).max(1e9).nullable().optional().openapi({ description: "Conversion value sent with each call (null: none)." }),
    currency: Currency.nullable().optional(),
    consent: z.enum(CONSENT_RULES).optional().openapi({
      description:
        "granted (default): upload only visits whose ad_user_data (or ad_storage) consent was granted; not_denied: also visits with no consent signal. A denied visit is never uploaded.",
    }),
    pools: z.record(PoolIdSchema, PoolRule.nullable()).optional().openapi({ description: "Per-pool overrides (null removes one)." }),
  })
  .strict();

export const ConversionsPatchSchema = z
  .object({ googleAds: GoogleAdsPatch.optional(), microsoftAds: MicrosoftAdsPatch.optional(), rules: RulesPatch.optional() })
  .strict()
  .openapi("ConversionsPatch");

const AuthState = z
  .object({
    state: z.enum(["ok", "auth_failed"]),
    reason: z.string().nullable().openapi({ description: "Why uploads are stopped (e.g. the refresh token was revoked); set new credentials to resume." }),
    since: z.number().nullable(),
  })
  .openapi("AdAuthState");

const hints = z.record(z.string(), z.string()).openapi({ description: "Last 4 characters of each stored credential." });

export const ConversionsSchema = z
  .object({
    googleAds: z
      .object({
        api: z.enum(GOOGLE_APIS),
        customerId: z.string(),
        conversionActionId: z.string(),
        conversionName: z.string().nullable(),
        loginCustomerId: z.string().nullable(),
        timeZone: z.string().nullable().openapi({ description: "The Google Ads account's time zone; null: none given (api data_manager only)." }),
        enhancedConversions: z.boolean(),
        credentials: hints,
        auth: AuthState,
        diagnostics: z
          .object({
            waiting: z.number().int().openapi({
              description: "Requests Google took whose final diagnostics are still asked for (30 minutes after each, then with backoff for about three days).",
            }),
            lastError: z.object({ requestId: z.string(), error: z.string(), checks: z.number().int() }).nullable().openapi({
              description:
                "The newest request whose last diagnostics check failed, and why (e.g. a refresh token without the datamanager scope); it is asked again until the checks are given up. null: none failing.",
            }),
          })
          .openapi({ description: "The Data Manager API's diagnostics of the uploads (api google_ads_api: none asked, waiting 0)." }),
      })
      .nullable(),
    microsoftAds: z
      .object({
        customerId: z.string(),
        accountId: z.string(),
        conversionName: z.string(),
        enhancedConversions: z.boolean(),
        credentials: hints,
        auth: AuthState,
      })
      .nullable(),
    rules: z.object({
      minSeconds: z.number(),
      value: z.number().nullable(),
      currency: z.string().nullable(),
      consent: z.enum(CONSENT_RULES),
      pools: z.record(z.string(), PoolRule),
    }),
  })
  .openapi("Conversions");

export type ConversionsPatch = z.infer<typeof ConversionsPatchSchema>;
export type Conversions = z.infer<typeof ConversionsSchema>;
export type ConversionRules = Conversions["rules"];
export type PoolRuleSetting = z.infer<typeof PoolRule>;

/** A call's upload to one ad platform, as GET /v1/calls/{id} shows it. */
export const CallConversionSchema = z
  .object({
    platform: z.enum(AD_PLATFORMS),
    status: z.enum(["skipped", "pending", "uploaded", "failed"]).openapi({
      description: "skipped: the call does not qualify (see reason); pending: queued or being retried; uploaded; failed: final (see reason).",
    }),
    clickIdType: z.enum(["gclid", "gbraid", "wbraid", "msclkid"]).nullable(),
    orderId: z.string().nullable(),
    reason: z.string().nullable(),
    requestId: z.string().nullable().optional().openapi({
      description:
        "Google's Data Manager API: the id of the request that took the upload. Google checks the events after taking them; edge-dni asks its diagnostics for the request (requestStatus:retrieve) and records here what Google refused (status failed when it refused every event of the request).",
    }),
    updatedAt: z.number(),
  })
  .openapi("CallConversion");
export type CallConversion = z.infer<typeof CallConversionSchema>;

/** POST /v1/account/conversions/check: which platform to check (default: every configured one). */
export const ConversionsCheckRequestSchema = z
  .object({
    platform: z.enum(AD_PLATFORMS).optional().openapi({ description: "Check only this platform. Omitted: every configured platform." }),
  })
  .strict()
  .openapi("ConversionsCheckRequest");

export const ConversionCheckResultSchema = z
  .object({
    platform: z.enum(AD_PLATFORMS),
    api: z.enum(GOOGLE_APIS).optional().openapi({ description: "Google: the API the check went through (the setting's)." }),
    ok: z.boolean().openapi({ description: "true: the platform took everything checked; a real call's upload would get as far." }),
    checked: z.array(z.string()).openapi({ description: "What passed, in order (the token refresh, then the platform's validating call)." }),
    error: z
      .string()
      .optional()
      .openapi({ description: "What failed, in the words an upload would record (the same reason a call or the auth state would show)." }),
    hint: z.string().optional().openapi({ description: "What to do about it." }),
    note: z.string().optional().openapi({ description: "What this check cannot tell (what the platform only checks on a real call's upload)." }),
  })
  .openapi("ConversionCheckResult");

export const ConversionsCheckSchema = z
  .object({
    ok: z.boolean().openapi({ description: "Every platform checked is ok." }),
    results: z.array(ConversionCheckResultSchema),
    checkedAt: z.number(),
  })
  .openapi("ConversionsCheck");

export type ConversionsCheckRequest = z.infer<typeof ConversionsCheckRequestSchema>;
export type ConversionCheckResult = z.infer<typeof ConversionCheckResultSchema>;
export type ConversionsCheck = z.infer<typeof ConversionsCheckSchema>;
