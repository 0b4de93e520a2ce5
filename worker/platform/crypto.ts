/** Key material: random ids and keys, SHA-256 hashing, constant-time comparison. */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A random id of `length` characters from [a-z0-9] (no "_", so keys can embed it). */
export function randomId(length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

export function randomSecret(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compare two strings in time independent of where they differ (hash first: equal lengths). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(a)),
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

const ENCODER = new TextEncoder();

/**
 * Constant-time comparison of two strings of a fixed, public length (hex digests, our keys): only
 * the length may leak, never where they differ.
 */
export function safeEqualFixed(a: string, b: string): boolean {
  return a.length === b.length && safeEqualBytes(ENCODER.encode(a), b);
}

/** safeEqualFixed against bytes made once (a key held in memory): `sent` is encoded here. */
export function safeEqualBytes(expected: Uint8Array, sent: string): boolean {
  const bytes = ENCODER.encode(sent);
  return bytes.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(bytes, expected);
}
