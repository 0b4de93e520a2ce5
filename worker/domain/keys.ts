/**
 * Account keys. Both embed the account id so a request finds its account's Durable Object
 * without a global lookup:
 *   admin key  sk_<account id>_<43 chars>   secret; stored only as a SHA-256 hash
 *   site key   pk_<account id>_<22 chars>   public (it sits in the page); allocation only
 */
import { randomSecret } from "../platform/crypto";

type KeyKind = "admin" | "site";

const PREFIX: Record<KeyKind, string> = { admin: "sk", site: "pk" };
const KEY_PATTERN = /^(sk|pk)_([a-z0-9]{16})_([A-Za-z0-9_-]{20,64})$/;

export function makeKey(kind: KeyKind, accountId: string): string {
  return `${PREFIX[kind]}_${accountId}_${randomSecret(kind === "admin" ? 32 : 16)}`;
}

/** The key's kind and account, or null when it is not shaped like one of our keys. */
export function parseKey(key: string): { kind: KeyKind; accountId: string } | null {
  const m = KEY_PATTERN.exec(key);
  if (!m) return null;
  return { kind: m[1] === "sk" ? "admin" : "site", accountId: m[2]! };
}
