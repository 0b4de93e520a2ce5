/**
 * The account's ad conversion settings (SQLite in the AccountObject): per platform its public
 * config, its credentials sealed with SECRETS_KEY (platform/secrets.ts, bound to the account and
 * platform; write-only, shown as hints) and whether its credentials still work; and the rules of
 * which calls qualify. A revoked refresh token or a refused account stops the platform's uploads
 * (auth_failed) until new credentials or settings are set.
 */
import { fail, ok, type Result } from "../platform/result";
import { type Keyring, keyring, open, resealTable, seal } from "../platform/secrets";
import type { AdPlatform, ConversionRules, Conversions, ConversionsPatch, GoogleApi } from "../schemas/conversions";

export const CONVERSION_SETTINGS_MIGRATION = `
  CREATE TABLE conversion_settings (
    platform TEXT PRIMARY KEY,          -- google_ads | microsoft_ads
    config TEXT NOT NULL,               -- JSON: ids, names, time zone, enhanced (no secrets)
    sealed TEXT NOT NULL,               -- AES-GCM JSON of the credentials
    hints TEXT NOT NULL,                -- JSON { name: "…last4" }
    auth_failed_at INTEGER, auth_reason TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE conversion_rules (id INTEGER PRIMARY KEY CHECK (id = 1), rules TEXT NOT NULL);`;

/**
 * Google settings stored before the Data Manager API was offered uploaded through the Google Ads API,
 * and go on doing so: their developer token was taken then, and may be one Google still takes
 * offline conversions from. A setting made from now on defaults to the Data Manager API.
 */
export const CONVERSION_GOOGLE_API_MIGRATION = `
  UPDATE conversion_settings SET config = json_set(config, '$.api', 'google_ads_api')
   WHERE platform = 'google_ads' AND json_extract(config, '$.api') IS NULL;`;

export interface GoogleAdsConfig {
  api: GoogleApi;
  customerId: string;
  conversionActionId: string;
  conversionName: string | null;
  loginCustomerId: string | null;
  /** IANA; needed by api google_ads_api only (null: none given, a data_manager setting). */
  timeZone: string | null;
  enhancedConversions: boolean;
}
export interface MicrosoftAdsConfig {
  customerId: string;
  accountId: string;
  conversionName: string;
  enhancedConversions: boolean;
}
export interface AdCredentials {
  /** Not for Google's Data Manager API (none is needed). */
  developerToken?: string;
  clientId: string;
  clientSecret: string | null;
  refreshToken: string;
}
export interface PlatformConfigs {
  google_ads: GoogleAdsConfig;
  microsoft_ads: MicrosoftAdsConfig;
}

/** What the call path needs (no secrets): which platforms are on and the rules. */
export interface ConversionSetup {
  google_ads: (GoogleAdsConfig & { authFailed: boolean }) | null;
  microsoft_ads: (MicrosoftAdsConfig & { authFailed: boolean }) | null;
  rules: ConversionRules;
}

type Row = {
  platform: AdPlatform;
  config: string;
  sealed: string;
  hints: string;
  auth_failed_at: number | null;
  auth_reason: string | null;
  updated_at: number;
};

export const DEFAULT_RULES: ConversionRules = { minSeconds: 60, value: null, currency: null, consent: "granted", pools: {} };
const SECRET_KEYS = ["developerToken", "clientId", "clientSecret", "refreshToken"] as const;
const context = (accountId: string, platform: AdPlatform) => `edge-dni/ad-credentials/${accountId}/${platform}`;
const hintOf = (v: string) => `…${v.slice(-4)}`;

export class ConversionSettings {
  constructor(
    private readonly sql: SqlStorage,
    private readonly secretsKey: string | undefined,
  ) {}

  private rows(): Row[] {
    return this.sql.exec<Row>("SELECT * FROM conversion_settings").toArray();
  }

  rules(): ConversionRules {
    const r = this.sql.exec<{ rules: string }>("SELECT rules FROM conversion_rules").toArray()[0];
    return r ? { ...DEFAULT_RULES, ...(JSON.parse(r.rules) as Partial<ConversionRules>) } : DEFAULT_RULES;
  }

  setup(): ConversionSetup {
    const out: ConversionSetup = { google_ads: null, microsoft_ads: null, rules: this.rules() };
    for (const r of this.rows()) {
      const cfg = { ...JSON.parse(r.config), authFailed: r.auth_failed_at !== null };
      if (r.platform === "google_ads") out.google_ads = cfg;
      else out.microsoft_ads = cfg;
    }
    return out;
  }

  view(): Conversions {
    const out: Conversions = { googleAds: null, microsoftAds: null, rules: this.rules() };
    for (const r of this.rows()) {
      const common = {
        credentials: JSON.parse(r.hints) as Record<string, string>,
        auth: { state: r.auth_failed_at === null ? ("ok" as const) : ("auth_failed" as const), reason: r.auth_reason, since: r.auth_failed_at },
      };
      if (r.platform === "google_ads") out.googleAds = { ...(JSON.parse(r.config) as GoogleAdsConfig), ...common };
      else out.microsoftAds = { ...(JSON.parse(r.config) as MicrosoftAdsConfig), ...common };
    }
    return out;
  }

  /** Seal again every credential made with a key that is no longer the current one (key rotation). */
  reseal(accountId: string): Promise<number> {
    return resealTable(this.sql, this.secretsKey, "conversion_settings", "platform", (p) => context(accountId, p as AdPlatform));
  }

  /** A platform's credentials, opened; null when none are stored or they no longer open. */
  async credentials(accountId: string, platform: AdPlatform): Promise<AdCredentials | null> {
    const row = this.sql.exec<Row>("SELECT * FROM conversion_settings WHERE platform = ?", platform).toArray()[0];
    if (!row) return null;
    const ring = await keyring(this.secretsKey);
    if (!ring.ok) return null;
    const plain = await open(ring.keyring, row.sealed, context(accountId, platform));
    return plain === null ? null : (JSON.parse(plain) as AdCredentials);
  }

  /**
   * Apply a PATCH: seal first (nothing is written when SECRETS_KEY is missing or a credential is
   * lacking). Answers the platforms whose credentials or settings changed (their paused uploads resume).
   */
  async apply(accountId: string, patch: ConversionsPatch, now: number): Promise<Result<() => AdPlatform[]>> {
    const writes: { platform: AdPlatform; row: Omit<Row, "platform" | "updated_at"> | null }[] = [];
    const entries: [AdPlatform, ConversionsPatch["googleAds"] | ConversionsPatch["microsoftAds"]][] = [
      ["google_ads", patch.googleAds],
      ["microsoft_ads", patch.microsoftAds],
    ];
    let ring: Keyring | null = null;
    const renewed: AdPlatform[] = [];
    for (const [platform, p] of entries) {
      if (p === undefined) continue;
      if (p === null) {
        writes.push({ platform, row: null });
        continue;
      }
      const current = await this.credentials(accountId, platform);
      const old = this.sql.exec<Row>("SELECT * FROM conversion_settings WHERE platform = ?", platform).toArray()[0];
      const stored = old && platform === "google_ads" ? (JSON.parse(old.config) as Partial<GoogleAdsConfig>) : null;
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
      const given = Object.fromEntries(SECRET_KEYS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]!]));
      const creds = { clientSecret: null, ...current, ...given } as Partial<AdCredentials>;
      // The Data Manager API takes no developer token (one given is kept, for a switch back).
      const needed =
        platform === "google_ads" && api === "data_manager"
          ? (["clientId", "refreshToken"] as const)
          : (["developerToken", "clientId", "refreshToken"] as const);
      const missing = needed.filter((k) => !creds[k]);
      if (missing.length)
        return fail(
          400,
          "missing_credentials",
          `${platform}${platform === "google_ads" ? ` (api ${api})` : ""} needs ${missing.join(", ")} (write-only: give them once, omit them later to keep them)`,
          {
            missing,
          },
        );
      if (!ring) {
        const r = await keyring(this.secretsKey);
        if (!r.ok) return fail(503, "secrets_unavailable", `Ad platform credentials cannot be stored: ${r.reason}`);
        ring = r.keyring;
      }
      const config =
        platform === "google_ads"
          ? ((q) => ({
              api,
              customerId: q.customerId,
              conversionActionId: q.conversionActionId,
              conversionName: q.conversionName ?? null,
              loginCustomerId: q.loginCustomerId ?? null,
              timeZone,
              enhancedConversions: q.enhancedConversions ?? false,
            }))(p as NonNullable<ConversionsPatch["googleAds"]>)
          : ((q) => ({
              customerId: q.customerId,
              accountId: q.accountId,
              conversionName: q.conversionName,
              enhancedConversions: q.enhancedConversions ?? false,
            }))(p as NonNullable<ConversionsPatch["microsoftAds"]>);
      const hints = Object.fromEntries(SECRET_KEYS.filter((k) => creds[k]).map((k) => [k, hintOf(creds[k]!)]));
      const sealed = await seal(ring, JSON.stringify(creds), context(accountId, platform));
      // New credentials, or other settings: what a refusal asks for may be either (Google's 403
      // USER_PERMISSION_DENIED is fixed by the manager's loginCustomerId, not by credentials; a
      // developer token no longer allowlisted, by api data_manager).
      const credsChanged = Object.keys(given).length > 0 || old?.config !== JSON.stringify(config);
      if (credsChanged) renewed.push(platform);
      writes.push({
        platform,
        row: {
          config: JSON.stringify(config),
          sealed,
          hints: JSON.stringify(hints),
          auth_failed_at: credsChanged ? null : (old?.auth_failed_at ?? null),
          auth_reason: credsChanged ? null : (old?.auth_reason ?? null),
        },
      });
    }
    // The synchronous write, for the caller to run in its transaction.
    return ok(() => {
      for (const w of writes) {
        if (!w.row) this.sql.exec("DELETE FROM conversion_settings WHERE platform = ?", w.platform);
        else
          this.sql.exec(
            `INSERT INTO conversion_settings (platform, config, sealed, hints, auth_failed_at, auth_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (platform) DO UPDATE SET config = excluded.config, sealed = excluded.sealed, hints = excluded.hints,
               auth_failed_at = excluded.auth_failed_at, auth_reason = excluded.auth_reason, updated_at = excluded.updated_at`,
            w.platform,
            w.row.config,
            w.row.sealed,
            w.row.hints,
            w.row.auth_failed_at,
            w.row.auth_reason,
            now,
          );
      }
      if (patch.rules) this.setRules(patch.rules);
      return renewed;
    });
  }

  private setRules(p: NonNullable<ConversionsPatch["rules"]>): void {
    const r = this.rules();
    const pools = { ...r.pools };
    for (const [id, o] of Object.entries(p.pools ?? {})) {
      if (o === null) delete pools[id];
      else pools[id] = { ...pools[id], ...o };
    }
    const next: ConversionRules = {
      minSeconds: p.minSeconds ?? r.minSeconds,
      value: p.value !== undefined ? p.value : r.value,
      currency: p.currency !== undefined ? p.currency : r.currency,
      consent: p.consent ?? r.consent,
      pools,
    };
    this.sql.exec("INSERT INTO conversion_rules (id, rules) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules", JSON.stringify(next));
  }

  /**
   * Keep the refresh token the platform gave in place of `used` (Microsoft rotates it at every use),
   * sealed like the rest. Only over the credentials it was used from: a PATCH in between wins.
   */
  async rotateRefreshToken(accountId: string, platform: AdPlatform, used: string, next: string): Promise<boolean> {
    const row = this.sql.exec<Row>("SELECT * FROM conversion_settings WHERE platform = ?", platform).toArray()[0];
    const ring = await keyring(this.secretsKey);
    if (!row || !ring.ok) return false;
    const plain = await open(ring.keyring, row.sealed, context(accountId, platform));
    const creds = plain === null ? null : (JSON.parse(plain) as AdCredentials);
    if (!creds || creds.refreshToken !== used) return false;
    const sealed = await seal(ring.keyring, JSON.stringify({ ...creds, refreshToken: next }), context(accountId, platform));
    const hints = { ...(JSON.parse(row.hints) as Record<string, string>), refreshToken: hintOf(next) };
    // Compare and set: the row as read above (sealing awaited; a PATCH may have come in between).
    return (
      this.sql.exec(
        "UPDATE conversion_settings SET sealed = ?, hints = ? WHERE platform = ? AND sealed = ?",
        sealed,
        JSON.stringify(hints),
        platform,
        row.sealed,
      ).rowsWritten > 0
    );
  }

  /** The platform's credentials stopped working (revoked refresh token): true the first time (alert once). */
  markAuthFailed(platform: AdPlatform, reason: string, now: number): boolean {
    return (
      this.sql.exec("UPDATE conversion_settings SET auth_failed_at = ?, auth_reason = ? WHERE platform = ? AND auth_failed_at IS NULL", now, reason, platform)
        .rowsWritten > 0
    );
  }
}
