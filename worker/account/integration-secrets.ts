/**
 * The integrations' secrets at rest: the GA4 API secret, the call webhook's and the alert webhook's
 * signing secrets and the alert email's Resend API key, sealed with SECRETS_KEY (platform/secrets.ts)
 * like the voice and ad platform credentials, one row each in `integration_secrets`. The account's
 * integration columns (settings.ts) keep the rest of each setting, the secret's field empty.
 *
 * Where a secret is read from: its sealed row when there is one, else the clear value in its
 * column. Accounts set up before this step hold them in clear in those columns; the object seals
 * them at its first wake with a SECRETS_KEY, right after the migration that makes this table
 * (AccountObject.sealLegacySecrets), and empties the columns in the same transaction. Until then
 * (a deployment without SECRETS_KEY) the clear value is read and used as before: never lost.
 * Setting a secret with no SECRETS_KEY is refused (503 secrets_unavailable), as it is for the
 * other credentials; so is any write while a clear one is still held, as it would be written
 * sealed. A secret sealed with a key not in SECRETS_KEY (or with none set) reads as ""
 * (unreadable): its deliveries wait (deliveries.ts) and are not sent unsigned; a PATCH keeps its
 * row as it is.
 */

import { fail, ok, type Result } from "../platform/result";
import type { Keyring } from "../platform/secrets";
import { hintOf, keyring, open, resealTable, seal } from "../platform/secrets";
import type { IntegrationConfig } from "../schemas/voice";

export const INTEGRATION_SECRETS_MIGRATION = `
  CREATE TABLE integration_secrets (
    name TEXT PRIMARY KEY,  -- ga4 | webhook | webhookPrevious | alertWebhook | alertWebhookPrevious | alertEmail
    sealed TEXT NOT NULL,   -- v1.<key id>.<iv>.<ciphertext> (platform/secrets.ts)
    hint TEXT NOT NULL      -- the secret's last 4 characters, as the API shows it
  );`;

/**
 * The secrets the integrations hold: each one's setting and field. A webhook's previous secret (the
 * one a rotation replaced, signing beside the new one for a day) is there only while the setting has it.
 */
const SECRETS = {
  ga4: { setting: "ga4", field: "apiSecret" },
  webhook: { setting: "webhook", field: "secret" },
  webhookPrevious: { setting: "webhook", field: "previousSecret" },
  alertWebhook: { setting: "alertWebhook", field: "secret" },
  alertWebhookPrevious: { setting: "alertWebhook", field: "previousSecret" },
  alertEmail: { setting: "alertEmail", field: "apiKey" },
} as const satisfies Record<string, { setting: keyof IntegrationConfig; field: string }>;
export type SecretName = keyof typeof SECRETS;
const NAMES = Object.keys(SECRETS) as SecretName[];
/** Fields a setting may be without (the others are always there, "" once sealed). */
const OPTIONAL = new Set<string>(["previousSecret"]);

const context = (accountId: string, name: SecretName) => `integration:${accountId}:${name}`;

type Setting = Record<string, unknown> | null;
/** The setting a secret belongs to, when `config` has it (and the secret: a previous one is not always there). */
const holder = (config: IntegrationConfig, name: SecretName): Setting => {
  const { setting, field } = SECRETS[name];
  const held = config[setting] as Setting;
  return held && (!OPTIONAL.has(field) || held[field] !== undefined) ? held : null;
};

/** A setting's secret as `config` holds it (undefined: the setting is not there). */
export const fieldOf = (config: IntegrationConfig, name: SecretName): string | undefined => {
  const value = holder(config, name)?.[SECRETS[name].field];
  return typeof value === "string" ? value : undefined;
};

/** `config` with each setting's secret as `value(name)` gives it. */
export function withSecrets(config: IntegrationConfig, value: (name: SecretName) => string): IntegrationConfig {
  const out = { ...config } as Record<keyof IntegrationConfig, Setting>;
  for (const name of NAMES) {
    if (!holder(config, name)) continue;
    const { setting, field } = SECRETS[name];
    out[setting] = { ...out[setting], [field]: value(name) };
  }
  return out as unknown as IntegrationConfig;
}

export class IntegrationSecrets {
  constructor(
    private readonly sql: SqlStorage,
    private readonly secretsKey: string | undefined,
  ) {}

  private rows(): Map<SecretName, { sealed: string; hint: string }> {
    const rows = this.sql.exec<{ name: SecretName; sealed: string; hint: string }>("SELECT name, sealed, hint FROM integration_secrets").toArray();
    return new Map(rows.map((r) => [r.name, r]));
  }

  /**
   * The stored settings (`stored`: the columns as read) with their secrets in clear: each one's
   * sealed row opened, else the clear value an account from before sealing still holds; "" for one
   * that cannot be opened (SECRETS_KEY missing, or without the key it was sealed with).
   */
  async opened(accountId: string, stored: IntegrationConfig): Promise<IntegrationConfig> {
    const rows = this.rows();
    const clear = new Map<SecretName, string>();
    let ring: Keyring | null | undefined;
    for (const name of NAMES) {
      if (!holder(stored, name)) continue;
      const row = rows.get(name);
      const legacy = fieldOf(stored, name);
      if (!row) {
        clear.set(name, legacy ?? "");
        continue;
      }
      if (ring === undefined) {
        const r = await keyring(this.secretsKey);
        ring = r.ok ? r.keyring : null;
      }
      clear.set(name, (ring && (await open(ring, row.sealed, context(accountId, name)))) ?? "");
    }
    return withSecrets(stored, (name) => clear.get(name) ?? "");
  }

  /** The secrets' hints (sealed ones from their rows, a clear one from its value). */
  hints(stored: IntegrationConfig): Partial<Record<SecretName, string>> {
    const rows = this.rows();
    const out: Partial<Record<SecretName, string>> = {};
    for (const name of NAMES) {
      if (!holder(stored, name)) continue;
      const legacy = fieldOf(stored, name);
      out[name] = rows.get(name)?.hint ?? (legacy ? hintOf(legacy) : "…");
    }
    return out;
  }

  /**
   * Seals the secrets of `config` (the settings to store, secrets in clear) and returns what to write:
   * the rows and the settings with their secrets' fields emptied. A secret that could not be opened
   * ("") gets no row: its sealed one stays as it is (write), never replaced by an empty one. Nothing
   * is written here; a missing SECRETS_KEY is 503 secrets_unavailable.
   */
  async sealFor(
    accountId: string,
    config: IntegrationConfig,
  ): Promise<Result<{ config: IntegrationConfig; rows: Map<SecretName, { sealed: string; hint: string }> }>> {
    const rows = new Map<SecretName, { sealed: string; hint: string }>();
    const present = NAMES.filter((name) => fieldOf(config, name));
    if (present.length) {
      const r = await keyring(this.secretsKey);
      if (!r.ok) return fail(503, "secrets_unavailable", `Integration secrets cannot be stored: ${r.reason}`);
      for (const name of present) {
        const value = fieldOf(config, name) ?? "";
        rows.set(name, { sealed: await seal(r.keyring, value, context(accountId, name)), hint: hintOf(value) });
      }
    }
    return ok({ config: withSecrets(config, () => ""), rows });
  }

  /** Writes what sealFor made for `config`: its rows; none for a setting `config` no longer has; the rest as they are. */
  write(config: IntegrationConfig, rows: Map<SecretName, { sealed: string; hint: string }>): void {
    for (const name of NAMES) {
      const row = rows.get(name);
      if (row) this.sql.exec("INSERT OR REPLACE INTO integration_secrets (name, sealed, hint) VALUES (?, ?, ?)", name, row.sealed, row.hint);
      else if (!holder(config, name)) this.sql.exec("DELETE FROM integration_secrets WHERE name = ?", name);
    }
  }

  /** Whether the stored settings still hold a secret in clear (an account from before sealing). */
  hasLegacy(stored: IntegrationConfig): boolean {
    return NAMES.some((name) => !!fieldOf(stored, name));
  }

  /** Seals again what a key other than SECRETS_KEY's current one sealed (key rotation). */
  reseal(accountId: string): Promise<number> {
    return resealTable(this.sql, this.secretsKey, "integration_secrets", "name", (name) => context(accountId, name as SecretName));
  }
}
