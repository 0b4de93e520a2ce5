/**
 * Secrets at rest: AES-256-GCM (WebCrypto) with keys from the deployment secret SECRETS_KEY.
 *
 *   SECRETS_KEY = "k2:<base64 32 bytes>,k1:<base64 32 bytes>"
 *
 * The first key encrypts; every listed key decrypts, so a key is rotated by putting a new one
 * first and keeping the old one until everything sealed with it has been sealed again (`needsReseal`).
 * A sealed value is `v1.<key id>.<iv>.<ciphertext+tag>` (base64url), and its additional data binds it
 * to where it belongs (e.g. the account and provider), so a ciphertext moved elsewhere does not open.
 */
import { base64urlDecode, base64urlEncode } from "./base64url";

export interface Keyring {
  /** The key id that encrypts. */
  current: string;
  keys: Map<string, CryptoKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export type KeyringResult = { ok: true; keyring: Keyring } | { ok: false; reason: string };

const cache = new Map<string, Promise<KeyringResult>>();

/** Parse SECRETS_KEY (cached per value in the isolate). */
export function keyring(spec: string | undefined): Promise<KeyringResult> {
  const text = (spec ?? "").trim();
  let found = cache.get(text);
  if (!found) {
    found = load(text);
    cache.set(text, found);
  }
  return found;
}

async function load(text: string): Promise<KeyringResult> {
  if (!text) return { ok: false, reason: "SECRETS_KEY is not set on this deployment" };
  const keys = new Map<string, CryptoKey>();
  let current = "";
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const colon = part.indexOf(":");
    const id = colon > 0 ? part.slice(0, colon) : "";
    const raw = base64urlDecode(colon > 0 ? part.slice(colon + 1) : "");
    if (!KEY_ID.test(id) || !raw || raw.length !== 32) return { ok: false, reason: "SECRETS_KEY must be id:base64(32 bytes)[,id:base64…]" };
    if (keys.has(id)) return { ok: false, reason: `SECRETS_KEY lists key id ${id} twice` };
    keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    current ||= id;
  }
  return current ? { ok: true, keyring: { current, keys } } : { ok: false, reason: "SECRETS_KEY holds no key" };
}

/** Encrypt `plaintext` with the current key, bound to `context`. */
export async function seal(ring: Keyring, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const enc = new TextEncoder();
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(context) }, ring.keys.get(ring.current)!, enc.encode(plaintext));
  return `v1.${ring.current}.${base64urlEncode(iv)}.${base64urlEncode(new Uint8Array(ct))}`;
}

/** Decrypt a sealed value; null when its key is not in the ring, it was altered, or `context` differs. */
export async function open(ring: Keyring, sealed: string, context: string): Promise<string | null> {
  const [version, id, ivText, ctText, ...rest] = sealed.split(".");
  if (version !== "v1" || !id || !ivText || !ctText || rest.length) return null;
  const key = ring.keys.get(id);
  const iv = base64urlDecode(ivText);
  const ct = base64urlDecode(ctText);
  if (!key || !iv || iv.length !== 12 || !ct) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) }, key, ct);
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

/** Whether a sealed value was made with a key other than the current one (seal it again). */
/** The id of the key SECRETS_KEY seals with (its first), read without importing any key; null when unset. */
export function currentKeyId(spec: string | undefined): string | null {
  const first = (spec ?? "").trim().split(/[,\s]+/)[0] ?? "";
  const colon = first.indexOf(":");
  return colon > 0 ? first.slice(0, colon) : null;
}

/** SQL: rows of `table` whose `sealed` was not sealed with key `id` (bind `v1.<id>.%`). */
export const STALE_SEAL = (table: string) => `SELECT 1 FROM ${table} WHERE sealed NOT LIKE ? LIMIT 1`;

export function needsReseal(ring: Keyring, sealed: string): boolean {
  return sealed.split(".")[1] !== ring.current;
}

/**
 * Key rotation for a table of sealed credentials: seal again every row of `table` whose `sealed`
 * was made with a key that is no longer the current one, keyed by `keyColumn` (its value names the
 * row's sealing context). A row is rewritten only if unchanged meanwhile: a PATCH during the await
 * must not be overwritten with the old credentials. Answers how many rows were sealed again.
 */
export async function resealTable(
  sql: SqlStorage,
  spec: string | undefined,
  table: string,
  keyColumn: string,
  contextOf: (key: string) => string,
): Promise<number> {
  const r = await keyring(spec);
  if (!r.ok) return 0;
  let n = 0;
  for (const row of sql.exec<{ key: string; sealed: string }>(`SELECT ${keyColumn} AS key, sealed FROM ${table}`).toArray()) {
    if (!needsReseal(r.keyring, row.sealed)) continue;
    const plain = await open(r.keyring, row.sealed, contextOf(row.key));
    if (plain === null) continue;
    const sealed = await seal(r.keyring, plain, contextOf(row.key));
    sql.exec(`UPDATE ${table} SET sealed = ? WHERE ${keyColumn} = ? AND sealed = ?`, sealed, row.key, row.sealed);
    n++;
  }
  return n;
}

/** What the API shows of a stored secret: its last 4 characters. */
export const hintOf = (secret: string) => `…${secret.slice(-4)}`;
