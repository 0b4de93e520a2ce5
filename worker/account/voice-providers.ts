/**
 * The account's voice providers: which one it uses (`account.voice_provider`; a pool may override
 * it) and each provider's credentials, sealed with SECRETS_KEY (platform/secrets.ts) and bound to
 * the account and provider. Credentials are write-only: the API shows their last 4 characters.
 */
import { fail, ok, type Result } from "../platform/result";
import { hintOf, type Keyring, keyring, open, resealTable, seal } from "../platform/secrets";
import { CREDENTIAL_PROVIDERS, type CredentialProvider, type ProviderCredentials, type VoicePatch } from "../schemas/providers";
import type { Provider } from "../voice/providers/types";
import { importVonageKey } from "../voice/vonage-token";

export const VOICE_PROVIDERS_MIGRATION = `
  ALTER TABLE account ADD COLUMN voice_provider TEXT NOT NULL DEFAULT 'reference';
  CREATE TABLE voice_credentials (
    provider TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,       -- AES-GCM, see platform/secrets.ts
    hints TEXT NOT NULL,        -- JSON { name: "…last4" }
    updated_at INTEGER NOT NULL
  );`;

export type SealedWrite = { provider: CredentialProvider; sealed: string | null; hints: string };

type CredRow = { provider: CredentialProvider; sealed: string; hints: string; updated_at: number };

export interface StoredCredential {
  hints: Record<string, string>;
  updatedAt: number;
}

/** The last 4 characters of a credential (of a PEM key's body, not its armour). */
const credentialHint = (v: string) => hintOf(v.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));

const context = (accountId: string, provider: string) => `edge-dni/voice-credentials/${accountId}/${provider}`;

const keysUnavailable = (reason: string) => fail(503, "secrets_unavailable", `Provider credentials cannot be stored or read: ${reason}`);

export class VoiceProviders {
  constructor(
    private readonly sql: SqlStorage,
    private readonly secretsKey: string | undefined,
  ) {}

  private async ring(): Promise<Result<Keyring>> {
    const r = await keyring(this.secretsKey);
    return r.ok ? ok(r.keyring) : keysUnavailable(r.reason);
  }

  stored(): Partial<Record<CredentialProvider, StoredCredential>> {
    const out: Partial<Record<CredentialProvider, StoredCredential>> = {};
    for (const r of this.sql.exec<CredRow>("SELECT * FROM voice_credentials").toArray()) {
      out[r.provider] = { hints: JSON.parse(r.hints) as Record<string, string>, updatedAt: r.updated_at };
    }
    return out;
  }

  /** A provider's credentials, opened; null when none are stored (or they no longer open). */
  async credentials<P extends CredentialProvider>(accountId: string, provider: P): Promise<Result<ProviderCredentials[P] | null>> {
    const row = this.sql.exec<CredRow>("SELECT * FROM voice_credentials WHERE provider = ?", provider).toArray()[0];
    if (!row) return ok(null);
    const ring = await this.ring();
    if (!ring.ok) return ring;
    const plain = await open(ring.value, row.sealed, context(accountId, provider));
    if (plain === null) {
      console.error("voice: stored credentials do not open with SECRETS_KEY (a key was removed?)", { account: accountId, provider });
      return ok(null);
    }
    return ok(JSON.parse(plain) as ProviderCredentials[P]);
  }

  /** Seal a PATCH's credentials (null: remove); nothing is written yet. */
  async sealPatch(accountId: string, patch: VoicePatch["credentials"]): Promise<Result<SealedWrite[]>> {
    const writes: SealedWrite[] = [];
    if (!patch) return ok(writes);
    let ring: Keyring | null = null;
    for (const provider of CREDENTIAL_PROVIDERS) {
      const value = patch[provider];
      if (value === undefined) continue;
      if (value === null) {
        writes.push({ provider, sealed: null, hints: "{}" });
        continue;
      }
      if (!ring) {
        const r = await this.ring();
        if (!r.ok) return r;
        ring = r.value;
      }
      if (provider === "vonage" && "privateKey" in value && value.privateKey && !(await importVonageKey(value.privateKey))) {
        const message = "not an RSA private key (PKCS #8 PEM, as Vonage's private.key)";
        return fail(400, "invalid_request", `Invalid request — credentials.vonage.privateKey: ${message}`, [
          { path: "credentials.vonage.privateKey", message },
        ]);
      }
      const hints: Record<string, string> = {};
      // A private key's last characters are part of the key: it is only said to be set.
      for (const [k, v] of Object.entries(value)) if (typeof v === "string") hints[k] = k === "privateKey" ? "set" : credentialHint(v);
      writes.push({ provider, sealed: await seal(ring, JSON.stringify(value), context(accountId, provider)), hints: JSON.stringify(hints) });
    }
    return ok(writes);
  }

  /** Write sealed credentials (inside the caller's transaction). */
  write(writes: readonly SealedWrite[], now: number): void {
    for (const w of writes) {
      if (w.sealed === null) this.sql.exec("DELETE FROM voice_credentials WHERE provider = ?", w.provider);
      else
        this.sql.exec(
          "INSERT INTO voice_credentials (provider, sealed, hints, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (provider) DO UPDATE SET sealed = excluded.sealed, hints = excluded.hints, updated_at = excluded.updated_at",
          w.provider,
          w.sealed,
          w.hints,
          now,
        );
    }
  }

  /** Seal again every credential made with a key that is no longer the current one (key rotation). */
  reseal(accountId: string): Promise<number> {
    return resealTable(this.sql, this.secretsKey, "voice_credentials", "provider", (p) => context(accountId, p));
  }

  provider(): Provider {
    return this.sql.exec<{ p: Provider }>("SELECT voice_provider AS p FROM account").one().p;
  }

  setProvider(provider: Provider): void {
    this.sql.exec("UPDATE account SET voice_provider = ?", provider);
  }
}
