/**
 * The account's own row: name, keys, allowed origins, default pool, voice secret, fallback number,
 * integrations. Synchronous SQL only; the account object decides what a change must push out
 * (a new site key or origins go to every pool object as a new AccountGate).
 */
import { normalizeOrigins } from "../domain/pool-rules";
import { safeEqualFixed } from "../platform/crypto";
import { fail, ok, type Result } from "../platform/result";
import { newWebhookSecret } from "../platform/standard-webhooks";
import type { AccountGate } from "../pool/protocol";
import type { Account } from "../schemas/account";
import type { AlertEmailConfig, IntegrationConfig, Integrations, IntegrationsPatch, WebhookConfig } from "../schemas/voice";
import { makeVoiceSecret } from "../voice/auth";
import { DEFAULT_SUBJECT, DEFAULT_TEXT } from "./alert-email";
import { DEFAULT_RETENTION_DAYS } from "./call-months";

export const SETTINGS_MIGRATIONS = {
  account: `CREATE TABLE account (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, admin_key_hash TEXT NOT NULL, site_key TEXT NOT NULL,
     allowed_origins TEXT NOT NULL, default_pool TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);`,
  // The call path: voice secret, fallback, GA4 and webhook settings.
  callPath: `ALTER TABLE account ADD COLUMN voice_secret TEXT;
   ALTER TABLE account ADD COLUMN fallback_number TEXT;
   ALTER TABLE account ADD COLUMN ga4 TEXT;      -- JSON { measurementId, apiSecret } or NULL
   ALTER TABLE account ADD COLUMN webhook TEXT;  -- JSON { url, secret } or NULL
   UPDATE account SET voice_secret = 'vs_' || lower(hex(randomblob(32))) WHERE voice_secret IS NULL;`,
  // Pool alerts: where they are sent (JSON { url, secret } or NULL).
  alerts: "ALTER TABLE account ADD COLUMN alert_webhook TEXT;",
  // The gate pool objects admit allocations by: its version increases with every key or origin change.
  gate: "ALTER TABLE account ADD COLUMN gate_version INTEGER NOT NULL DEFAULT 1;",
  // Bounded storage: days a call is kept (then archived to R2 and deleted).
  retention: `ALTER TABLE account ADD COLUMN call_retention_days INTEGER NOT NULL DEFAULT ${DEFAULT_RETENTION_DAYS};`,
  // Alerts by email (JSON AlertEmailConfig or NULL).
  alertEmail: "ALTER TABLE account ADD COLUMN alert_email TEXT;",
  // Days archived calls are kept in R2 after they leave the call storage (NULL: kept until deleted by hand).
  archiveRetention: "ALTER TABLE account ADD COLUMN archive_retention_days INTEGER;",
};

export type AccountRow = {
  id: string;
  name: string;
  admin_key_hash: string;
  site_key: string;
  allowed_origins: string;
  default_pool: string | null;
  created_at: number;
  updated_at: number;
  voice_secret: string | null;
  fallback_number: string | null;
  ga4: string | null;
  webhook: string | null;
  alert_webhook: string | null;
  gate_version: number;
  call_retention_days: number;
  alert_email: string | null;
  archive_retention_days: number | null;
};

export interface AccountInit {
  id: string;
  name: string;
  allowedOrigins: string[];
  adminKeyHash: string;
  siteKey: string;
  now: number;
}

/** The voice secret and fallback; the route turns the secret into callback URLs. */
export interface VoiceSecrets {
  secret: string;
  fallbackNumber: string | null;
}

export class AccountSettings {
  constructor(private readonly sql: SqlStorage) {}

  /** The row, or undefined before the account was created (call only once the schema exists). */
  row(): AccountRow | undefined {
    return this.sql.exec<AccountRow>("SELECT * FROM account").toArray()[0];
  }

  insert(init: AccountInit, origins: string[]): void {
    this.sql.exec(
      "INSERT INTO account (id, name, admin_key_hash, site_key, allowed_origins, default_pool, created_at, updated_at, voice_secret) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
      init.id,
      init.name,
      init.adminKeyHash,
      init.siteKey,
      JSON.stringify(origins),
      init.now,
      init.now,
      makeVoiceSecret(),
    );
  }

  /** Whether `keyHash` is the admin key's hash (constant time). */
  isAdmin(row: AccountRow, keyHash: string): boolean {
    return safeEqualFixed(row.admin_key_hash, keyHash);
  }

  /** Name and/or origins; a change of origins is a new gate. */
  update(
    row: AccountRow,
    patch: {
      name?: string | undefined;
      allowedOrigins?: string[] | undefined;
      callRetentionDays?: number | undefined;
      archiveRetentionDays?: number | null | undefined;
    },
    now: number,
  ): Result<{ renamed: boolean; gateChanged: boolean }> {
    let origins = JSON.parse(row.allowed_origins) as string[];
    if (patch.allowedOrigins) {
      const n = normalizeOrigins(patch.allowedOrigins);
      if (!n.ok) return n;
      origins = n.value;
    }
    const name = patch.name ?? row.name;
    const gateChanged = JSON.stringify(origins) !== row.allowed_origins;
    this.sql.exec(
      "UPDATE account SET name = ?, allowed_origins = ?, gate_version = gate_version + ?, call_retention_days = ?, archive_retention_days = ?, updated_at = ?",
      name,
      JSON.stringify(origins),
      gateChanged ? 1 : 0,
      patch.callRetentionDays ?? row.call_retention_days,
      patch.archiveRetentionDays === undefined ? row.archive_retention_days : patch.archiveRetentionDays,
      now,
    );
    return ok({ renamed: name !== row.name, gateChanged });
  }

  /** Replace one key: the admin key by its hash, the site key as is (a new gate). */
  rotateKey(kind: "admin" | "site", value: string, now: number): void {
    if (kind === "admin") this.sql.exec("UPDATE account SET admin_key_hash = ?, updated_at = ?", value, now);
    else this.sql.exec("UPDATE account SET site_key = ?, gate_version = gate_version + 1, updated_at = ?", value, now);
  }

  setDefaultPool(id: string | null): void {
    this.sql.exec("UPDATE account SET default_pool = ?", id);
  }

  rotateVoiceSecret(now: number): void {
    this.sql.exec("UPDATE account SET voice_secret = ?, updated_at = ?", makeVoiceSecret(), now);
  }

  touch(now: number): void {
    this.sql.exec("UPDATE account SET updated_at = ?", now);
  }

  setFallback(number: string | null, now: number): void {
    this.sql.exec("UPDATE account SET fallback_number = ?, updated_at = ?", number, now);
  }

  /**
   * The integrations after a patch (`current`: as they are, secrets in clear): set or clear GA4, the
   * webhooks and the alert email; a webhook without a secret keeps the current one or gets a new
   * one; the alert email keeps its API key unless a new one is given. Nothing is written: the
   * secrets are sealed first (integration-secrets.ts), then writeIntegrations.
   */
  patchedIntegrations(current: IntegrationConfig, patch: IntegrationsPatch, now: number): Result<IntegrationConfig> {
    // A new API secret or measurement id without a region keeps the one chosen (EU collection is not
    // given up by rotating a secret).
    const ga4 = patch.ga4 === undefined ? current.ga4 : patch.ga4 && { ...patch.ga4, region: patch.ga4.region ?? current.ga4?.region ?? "global" };
    const webhook = hookSetting(patch.webhook, current.webhook, now);
    const alertWebhook = hookSetting(patch.alertWebhook, current.alertWebhook, now);
    let alertEmail = current.alertEmail;
    if (patch.alertEmail === null) alertEmail = null;
    else if (patch.alertEmail) {
      // The current key may read as "" (sealed with a key SECRETS_KEY no longer has): kept as it is.
      const apiKey = patch.alertEmail.apiKey ?? current.alertEmail?.apiKey;
      if (apiKey === undefined)
        return fail(400, "invalid_request", "alertEmail.apiKey is required the first time alert email is set", [
          { path: "alertEmail.apiKey", message: "is required: a Resend API key re_…" },
        ]);
      const e = patch.alertEmail;
      alertEmail = { provider: "resend", apiKey, from: e.from, to: e.to, subject: e.subject ?? null, text: e.text ?? null };
    }
    return ok({ ga4, webhook, alertWebhook, alertEmail });
  }

  /**
   * The webhooks' previous secrets whose day is over, dropped from their settings (their sealed rows
   * go with integration-secrets.ts write): an old secret is not kept at rest past its use. Whether any was.
   */
  dropExpiredPrevious(now: number): boolean {
    let dropped = 0;
    for (const column of ["webhook", "alert_webhook"] as const)
      dropped += this.sql.exec(
        `UPDATE account SET ${column} = json_remove(${column}, '$.previousSecret', '$.previousUntil')
         WHERE json_extract(${column}, '$.previousUntil') <= ?`,
        now,
      ).rowsWritten;
    return dropped > 0;
  }

  /** When the first previous webhook secret's day ends (null: none held). */
  previousSecretsDue(): number | null {
    const r = this.sql
      .exec<{ t: number | null }>(
        "SELECT MIN(COALESCE(json_extract(webhook, '$.previousUntil'), 1e18), COALESCE(json_extract(alert_webhook, '$.previousUntil'), 1e18)) AS t FROM account",
      )
      .toArray()[0];
    return r?.t !== undefined && r.t !== null && r.t < 1e18 ? r.t : null;
  }

  /** Stores the integrations (their secrets' fields emptied once sealed elsewhere). */
  writeIntegrations({ ga4, webhook, alertWebhook, alertEmail }: IntegrationConfig, now: number): void {
    this.sql.exec(
      "UPDATE account SET ga4 = ?, webhook = ?, alert_webhook = ?, alert_email = ?, updated_at = ?",
      ga4 ? JSON.stringify(ga4) : null,
      webhook ? JSON.stringify(webhook) : null,
      alertWebhook ? JSON.stringify(alertWebhook) : null,
      alertEmail ? JSON.stringify(alertEmail) : null,
      now,
    );
  }
}

export function accountView(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    siteKey: row.site_key,
    defaultPool: row.default_pool,
    callRetentionDays: row.call_retention_days,
    archiveRetentionDays: row.archive_retention_days,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What every pool object of the account admits allocations by. */
export function gateOf(row: AccountRow): AccountGate {
  return { version: row.gate_version, siteKey: row.site_key, origins: JSON.parse(row.allowed_origins) as string[] };
}

export function voiceSecrets(row: AccountRow): VoiceSecrets {
  return { secret: row.voice_secret ?? "", fallbackNumber: row.fallback_number };
}

export function integrationConfig(row: AccountRow): IntegrationConfig {
  return {
    ga4: row.ga4 ? (JSON.parse(row.ga4) as IntegrationConfig["ga4"]) : null,
    webhook: row.webhook ? (JSON.parse(row.webhook) as IntegrationConfig["webhook"]) : null,
    alertWebhook: row.alert_webhook ? (JSON.parse(row.alert_webhook) as IntegrationConfig["alertWebhook"]) : null,
    alertEmail: row.alert_email ? (JSON.parse(row.alert_email) as AlertEmailConfig) : null,
  };
}

/**
 * The API's view of the integrations (`c`: with their secrets in clear): the GA4 secret and the
 * Resend API key are write-only (their hints are shown); a webhook's signing secret is shown, as
 * its receiver must verify with it.
 */
export function integrationsView(c: IntegrationConfig, hints: Partial<Record<keyof IntegrationConfig, string>>, now: number): Integrations {
  return {
    ga4: c.ga4 ? { measurementId: c.ga4.measurementId, apiSecretHint: hints.ga4 ?? "…", region: c.ga4.region ?? "global" } : null,
    webhook: hookView(c.webhook, now),
    alertWebhook: hookView(c.alertWebhook, now),
    alertEmail: c.alertEmail
      ? {
          provider: c.alertEmail.provider,
          apiKeyHint: hints.alertEmail ?? "…",
          from: c.alertEmail.from,
          to: c.alertEmail.to,
          subject: c.alertEmail.subject ?? DEFAULT_SUBJECT,
          text: c.alertEmail.text ?? DEFAULT_TEXT,
        }
      : null,
  };
}

/** How long a replaced signing secret still signs beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 3600_000;

/** A webhook as the API shows it: the URL, the secret, and until when the one it replaced still signs. */
function hookView(hook: WebhookConfig | null, now: number): Integrations["webhook"] {
  if (!hook) return null;
  const until = previousSigning(hook, now) === undefined ? undefined : hook.previousUntil;
  return { url: hook.url, secret: hook.secret, ...(until !== undefined ? { previousSecretExpiresAt: until } : {}) };
}

/** The replaced secret that still signs beside a webhook's secret at `now`, if any ("" when sealed with a key no longer held: none). */
export function previousSigning(hook: WebhookConfig, now: number): string | undefined {
  return hook.previousSecret && hook.previousUntil !== undefined && hook.previousUntil > now ? hook.previousSecret : undefined;
}

/**
 * A webhook setting after a patch: unchanged, cleared, or a URL keeping (or getting) a secret. A new
 * secret (given, or made for rotateSecret) keeps the one it replaces signing for PREVIOUS_SECRET_MS.
 * A previous secret within its time is kept as it is, one that cannot be opened ("") too (its sealed
 * row stays: integration-secrets.ts); one whose time is over is dropped at any integrations patch,
 * this webhook's or not (deliveries stop using it at once).
 */
function hookSetting(
  patch: { url: string; secret?: string | undefined; rotateSecret?: true | undefined } | null | undefined,
  current: WebhookConfig | null,
  now: number,
): WebhookConfig | null {
  if (patch === null || !(patch || current)) return null;
  const url = patch ? patch.url : current!.url;
  const secret = patch?.secret ?? (patch?.rotateSecret ? newWebhookSecret() : undefined) ?? current?.secret ?? newWebhookSecret();
  // The secret replaced now ("", sealed with a key no longer held, signs nothing: not kept), else the one still within its time.
  const previous =
    current && current.secret !== secret && current.secret !== ""
      ? { previousSecret: current.secret, previousUntil: now + PREVIOUS_SECRET_MS }
      : current?.previousSecret !== undefined &&
          current.previousUntil !== undefined &&
          current.previousUntil > now &&
          (current.previousSecret !== secret || secret === "")
        ? { previousSecret: current.previousSecret, previousUntil: current.previousUntil }
        : {};
  return { url, secret, ...previous };
}

export const accountNotFound = () => fail(404, "account_not_found", "No such account");
