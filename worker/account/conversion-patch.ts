/**
 * A PATCH of the ad conversion settings, in two steps, because the object lets other requests in
 * while it awaits. `sealPatch` does every await: it opens the stored credentials, merges what the
 * PATCH names over them and seals the result. `writePatch` then reads each platform's setting as it
 * is now and writes, with no await between the read and the write: what an upload recorded
 * meanwhile (the credentials refused: auth_failed) is kept, and a setting whose credentials or
 * config changed under the seal (a refresh token Microsoft rotated) is not written over: nothing is
 * written and the caller seals again, from the setting as it is then.
 */
import { fail, ok, type Result } from "../platform/result";
import { hintOf, keyring, open, seal } from "../platform/secrets";
import type { AdPlatform, ConversionsPatch, GoogleApi } from "../schemas/conversions";
import type { AdCredentials, GoogleAdsConfig, SettingRow } from "./conversion-settings";

export const SECRET_KEYS = ["developerToken", "clientId", "clientSecret", "refreshToken"] as const;
/** What a platform's credentials are sealed to: opened only as that account's, that platform's. */
export const credentialContext = (accountId: string, platform: AdPlatform) => `edge-dni/ad-credentials/${accountId}/${platform}`;

/** One platform's part of a PATCH, sealed. */
export interface SealedPart {
  platform: AdPlatform;
  /** null: the platform's setting is removed. */
  set: { config: string; sealed: string; hints: string; credentialsGiven: boolean } | null;
  /** The stored setting the credentials and config were merged over (null: none); written only while it is unchanged. */
  over: { config: string; sealed: string } | null;
}

export const storedSetting = (sql: SqlStorage, platform: AdPlatform): SettingRow | undefined =>
  sql.exec<SettingRow>("SELECT * FROM conversion_settings WHERE platform = ?", platform).toArray()[0];

/**
 * Validate the PATCH and seal each platform's credentials (nothing is written: a 400 when a
 * credential is lacking, a 503 when SECRETS_KEY is missing).
 */
export async function sealPatch(sql: SqlStorage, secretsKey: string | undefined, accountId: string, patch: ConversionsPatch): Promise<Result<SealedPart[]>> {
  const entries: [AdPlatform, ConversionsPatch["googleAds"] | ConversionsPatch["microsoftAds"]][] = [
    ["google_ads", patch.googleAds],
    ["microsoft_ads", patch.microsoftAds],
  ];
  const parts: SealedPart[] = [];
  for (const [platform, p] of entries) {
    if (p === undefined) continue;
    if (p === null) {
      parts.push({ platform, set: null, over: null });
      continue;
    }
    const old = storedSetting(sql, platform);
    const storedAny = old ? (JSON.parse(old.config) as Record<string, unknown>) : null;
    const stored = platform === "google_ads" ? (storedAny as Partial<GoogleAdsConfig> | null) : null;
    /** An optional field: the patch's (null clears it), else the stored setting's, else `none`. */
    const kept = <T>(key: string, none: T): T =>
      key in p && (p as Record<string, unknown>)[key] !== undefined
        ? ((p as Record<string, unknown>)[key] as T)
        : storedAny && key in storedAny
          ? (storedAny[key] as T)
          : none;
    // Google: the API the patch names, else the stored setting's, else (a new setting) the Data Manager API.
    const api: GoogleApi = ("api" in p && p.api) || stored?.api || "data_manager";
    // Google: the zone the patch names (null: none), else the stored setting's.
    const timeZone = "timeZone" in p && p.timeZone !== undefined ? p.timeZone : (stored?.timeZone ?? null);
    // Only the Google Ads API takes local times (with the zone's offset); the Data Manager API takes UTC.
    if (platform === "google_ads" && api === "google_ads_api" && !timeZone) {
      const message =
        "required with api google_ads_api (its conversion times are local times with the account's offset): the Google Ads account's IANA time zone, e.g. America/New_York";
      return fail(400, "invalid_request", `Invalid request — googleAds.timeZone: ${message}`, [{ path: "googleAds.timeZone", message }]);
    }
    const r = await keyring(secretsKey);
    // Nothing can be stored without the key (before "missing": the stored credentials do not open without it either).
    if (!r.ok) return fail(503, "secrets_unavailable", `Ad platform credentials cannot be stored: ${r.reason}`);
    const plain = old ? await open(r.keyring, old.sealed, credentialContext(accountId, platform)) : null;
    const current = plain === null ? null : (JSON.parse(plain) as AdCredentials);
    const given = Object.fromEntries(SECRET_KEYS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]!]));
    const creds = { clientSecret: null, ...current, ...given } as Partial<AdCredentials>;
    // The Data Manager API takes no developer token (one given is kept, for a switch back).
    const needed =
      platform === "google_ads" && api === "data_manager" ? (["clientId", "refreshToken"] as const) : (["developerToken", "clientId", "refreshToken"] as const);
    const missing = needed.filter((k) => !creds[k]);
    if (missing.length)
      return fail(
        400,
        "missing_credentials",
        `${platform}${platform === "google_ads" ? ` (api ${api})` : ""} needs ${missing.join(", ")} (write-only: give them once, omit them later to keep them)`,
        { missing },
      );
    const config =
      platform === "google_ads"
        ? ((q) => ({
            api,
            customerId: q.customerId,
            conversionActionId: q.conversionActionId,
            // Left out: kept as stored (as timeZone and api are), not reset.
            conversionName: kept<string | null>("conversionName", null),
            loginCustomerId: kept<string | null>("loginCustomerId", null),
            timeZone,
            enhancedConversions: kept("enhancedConversions", false),
          }))(p as NonNullable<ConversionsPatch["googleAds"]>)
        : ((q) => ({
            customerId: q.customerId,
            accountId: q.accountId,
            conversionName: q.conversionName,
            enhancedConversions: kept("enhancedConversions", false),
          }))(p as NonNullable<ConversionsPatch["microsoftAds"]>);
    const hints = Object.fromEntries(SECRET_KEYS.filter((k) => creds[k]).map((k) => [k, hintOf(creds[k]!)]));
    const sealed = await seal(r.keyring, JSON.stringify(creds), credentialContext(accountId, platform));
    parts.push({
      platform,
      set: { config: JSON.stringify(config), sealed, hints: JSON.stringify(hints), credentialsGiven: Object.keys(given).length > 0 },
      over: old ? { config: old.config, sealed: old.sealed } : null,
    });
  }
  return ok(parts);
}

/**
 * Write the sealed parts over the settings as they are now (synchronous: run it in the caller's
 * transaction). null, and nothing written, when a setting's credentials or config changed since
 * they were sealed; else the platforms whose credentials or settings changed (their paused uploads resume).
 */
export function writePatch(sql: SqlStorage, parts: readonly SealedPart[], now: number): AdPlatform[] | null {
  const rows = parts.map((part) => storedSetting(sql, part.platform));
  if (parts.some((part, i) => part.set && (rows[i]?.sealed !== part.over?.sealed || rows[i]?.config !== part.over?.config))) return null;
  const renewed: AdPlatform[] = [];
  parts.forEach(({ platform, set }, i) => {
    if (!set) {
      sql.exec("DELETE FROM conversion_settings WHERE platform = ?", platform);
      return;
    }
    // New credentials, or other settings: what a refusal asks for may be either (Google's 403
    // USER_PERMISSION_DENIED is fixed by the manager's loginCustomerId, not by credentials; a
    // developer token no longer allowlisted, by api data_manager). Else the refusal stands, as stored now.
    const current = rows[i];
    const renews = set.credentialsGiven || current?.config !== set.config;
    if (renews) renewed.push(platform);
    sql.exec(
      `INSERT INTO conversion_settings (platform, config, sealed, hints, auth_failed_at, auth_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform) DO UPDATE SET config = excluded.config, sealed = excluded.sealed, hints = excluded.hints,
         auth_failed_at = excluded.auth_failed_at, auth_reason = excluded.auth_reason, updated_at = excluded.updated_at`,
      platform,
      set.config,
      set.sealed,
      set.hints,
      renews ? null : (current?.auth_failed_at ?? null),
      renews ? null : (current?.auth_reason ?? null),
      // Later than the write it replaces, even within one millisecond: an upload tells by it that
      // the setting it read was replaced (ConversionSettings.written).
      Math.max(now, (current?.updated_at ?? 0) + 1),
    );
  });
  return renewed;
}
