/**
 * The account's ad conversion settings (SQLite in the AccountObject): per platform its public
 * config, its credentials sealed with SECRETS_KEY (platform/secrets.ts, bound to the account and
 * platform; write-only, shown as hints) and whether its credentials still work; and the rules of
 * which calls qualify. A revoked refresh token or a refused account stops the platform's uploads
 * (auth_failed) until new credentials or settings are set.
 */
import { fail, ok, type Result } from "../platform/result";
import { hintOf, keyring, open, resealTable, seal } from "../platform/secrets";
import type { AdPlatform, ConversionRules, Conversions, ConversionsPatch, GoogleApi } from "../schemas/conversions";
import { credentialContext, sealPatch, storedSetting, writePatch } from "./conversion-patch";
import type { DiagnosticsSummary } from "./dm-diagnostics";

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
/** A platform's setting as an upload run reads it: whether its credentials were refused, and which write it is (written). */
type Setup = { authFailed: boolean; written: number };

export interface ConversionSetup {
  google_ads: (GoogleAdsConfig & Setup) | null;
  microsoft_ads: (MicrosoftAdsConfig & Setup) | null;
  rules: ConversionRules;
}

/** A platform's setting as stored. */
export type SettingRow = {
  platform: AdPlatform;
  config: string;
  sealed: string;
  hints: string;
  auth_failed_at: number | null;
  auth_reason: string | null;
  updated_at: number;
};

export const DEFAULT_RULES: ConversionRules = { minSeconds: 60, value: null, currency: null, consent: "granted", pools: {} };
/** A PATCH sealed again this many times, each time a setting changed under its seal, before it gives up. */
const SEAL_ATTEMPTS = 3;

export class ConversionSettings {
  constructor(
    private readonly sql: SqlStorage,
    private readonly secretsKey: string | undefined,
  ) {}

  private rows(): SettingRow[] {
    return this.sql.exec<SettingRow>("SELECT * FROM conversion_settings").toArray();
  }

  rules(): ConversionRules {
    const r = this.sql.exec<{ rules: string }>("SELECT rules FROM conversion_rules").toArray()[0];
    return r ? { ...DEFAULT_RULES, ...(JSON.parse(r.rules) as Partial<ConversionRules>) } : DEFAULT_RULES;
  }

  setup(): ConversionSetup {
    const out: ConversionSetup = { google_ads: null, microsoft_ads: null, rules: this.rules() };
    for (const r of this.rows()) {
      const cfg = { ...JSON.parse(r.config), authFailed: r.auth_failed_at !== null, written: r.updated_at };
      if (r.platform === "google_ads") out.google_ads = cfg;
      else out.microsoft_ads = cfg;
    }
    return out;
  }

  /** The settings as shown; `diagnostics`: the Data Manager API's requests still asked about (dm-diagnostics.ts). */
  view(diagnostics: DiagnosticsSummary): Conversions {
    const out: Conversions = { googleAds: null, microsoftAds: null, rules: this.rules() };
    for (const r of this.rows()) {
      const common = {
        credentials: JSON.parse(r.hints) as Record<string, string>,
        auth: { state: r.auth_failed_at === null ? ("ok" as const) : ("auth_failed" as const), reason: r.auth_reason, since: r.auth_failed_at },
      };
      if (r.platform === "google_ads") out.googleAds = { ...(JSON.parse(r.config) as GoogleAdsConfig), ...common, diagnostics };
      else out.microsoftAds = { ...(JSON.parse(r.config) as MicrosoftAdsConfig), ...common };
    }
    return out;
  }

  /** Seal again every credential made with a key that is no longer the current one (key rotation). */
  reseal(accountId: string): Promise<number> {
    return resealTable(this.sql, this.secretsKey, "conversion_settings", "platform", (p) => credentialContext(accountId, p as AdPlatform));
  }

  /** A platform's credentials, opened; null when none are stored or they no longer open. */
  async credentials(accountId: string, platform: AdPlatform): Promise<AdCredentials | null> {
    const row = storedSetting(this.sql, platform);
    if (!row) return null;
    const ring = await keyring(this.secretsKey);
    if (!ring.ok) return null;
    const plain = await open(ring.keyring, row.sealed, credentialContext(accountId, platform));
    return plain === null ? null : (JSON.parse(plain) as AdCredentials);
  }

  /**
   * Apply a PATCH (conversion-patch.ts): sealed first, nothing written when SECRETS_KEY is missing
   * or a credential is lacking; then merged over the settings as they are at the write, in `commit`
   * (the caller's transaction, with what goes with it). Sealed again when a setting's credentials
   * changed under the seal (a refresh token rotated). Answers the platforms whose credentials or
   * settings changed (their paused uploads resume).
   */
  async apply(
    accountId: string,
    patch: ConversionsPatch,
    now: number,
    commit: (write: () => AdPlatform[] | null) => AdPlatform[] | null,
  ): Promise<Result<AdPlatform[]>> {
    for (let attempt = 1; ; attempt++) {
      const parts = await sealPatch(this.sql, this.secretsKey, accountId, patch);
      if (!parts.ok) return parts;
      const renewed = commit(() => {
        const written = writePatch(this.sql, parts.value, now);
        if (written && patch.rules) this.setRules(patch.rules);
        return written;
      });
      if (renewed) return ok(renewed);
      if (attempt === SEAL_ATTEMPTS)
        return fail(503, "settings_changed", "The conversion settings changed while this request sealed its credentials; try again");
    }
  }

  private setRules(p: NonNullable<ConversionsPatch["rules"]>): void {
    const r = this.rules();
    const pools = { ...r.pools };
    for (const [id, o] of Object.entries(p.pools ?? {})) {
      if (o === null) delete pools[id];
      else pools[id] = { ...pools[id], ...o };
    }
    this.writeRules({
      minSeconds: p.minSeconds ?? r.minSeconds,
      value: p.value !== undefined ? p.value : r.value,
      currency: p.currency !== undefined ? p.currency : r.currency,
      consent: p.consent ?? r.consent,
      pools,
    });
  }

  /**
   * A deleted pool's override goes with it (in the deletion's transaction): a pool created later
   * under the same id starts from the account's rules, not from a stale `enabled: false`.
   */
  dropPoolRule(poolId: string): void {
    const r = this.rules();
    if (!Object.hasOwn(r.pools, poolId)) return;
    const pools = { ...r.pools };
    delete pools[poolId];
    this.writeRules({ ...r, pools });
  }

  private writeRules(next: ConversionRules): void {
    this.sql.exec("INSERT INTO conversion_rules (id, rules) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules", JSON.stringify(next));
  }

  /**
   * Keep the refresh token the platform gave in place of `used` (Microsoft rotates it at every use),
   * sealed like the rest. Only over credentials that still hold `used`: a PATCH that replaced the
   * refresh token wins. A PATCH that wrote while this sealed (other settings, the same token) is
   * sealed over again: `used` is now void at the platform, so losing `next` would leave the setting
   * refused at its next use. (Compare and set on the sealed row; a few tries, as a PATCH does.)
   */
  async rotateRefreshToken(accountId: string, platform: AdPlatform, used: string, next: string): Promise<boolean> {
    const ring = await keyring(this.secretsKey);
    if (!ring.ok) return false;
    for (let tries = 0; tries < 3; tries++) {
      const row = storedSetting(this.sql, platform);
      if (!row) return false;
      const plain = await open(ring.keyring, row.sealed, credentialContext(accountId, platform));
      const creds = plain === null ? null : (JSON.parse(plain) as AdCredentials);
      if (!creds || creds.refreshToken !== used) return false;
      const sealed = await seal(ring.keyring, JSON.stringify({ ...creds, refreshToken: next }), credentialContext(accountId, platform));
      // The row as read above (sealing awaited; a PATCH may have come in between): else read again.
      const current = storedSetting(this.sql, platform);
      if (current?.sealed !== row.sealed) continue;
      const hints = { ...(JSON.parse(current.hints) as Record<string, string>), refreshToken: hintOf(next) };
      this.sql.exec("UPDATE conversion_settings SET sealed = ?, hints = ? WHERE platform = ?", sealed, JSON.stringify(hints), platform);
      return true;
    }
    console.warn("conversions: the rotated refresh token was not kept: the setting kept changing", { platform });
    return false;
  }

  /**
   * Which write of a PATCH the platform's setting is (its updated_at, made to grow at every write):
   * null when none is stored. An upload compares it before and after its awaits (ad-delivery.ts).
   */
  written(platform: AdPlatform): number | null {
    return storedSetting(this.sql, platform)?.updated_at ?? null;
  }

  /** The platform's credentials stopped working (revoked refresh token): true the first time (alert once). */
  markAuthFailed(platform: AdPlatform, reason: string, now: number): boolean {
    return (
      this.sql.exec("UPDATE conversion_settings SET auth_failed_at = ?, auth_reason = ? WHERE platform = ? AND auth_failed_at IS NULL", now, reason, platform)
        .rowsWritten > 0
    );
  }
}
