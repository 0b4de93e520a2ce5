/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec v1) for every webhook we send:
 *
 *   webhook-id:        msg_… — the same on every retry and redelivery of one message
 *   webhook-timestamp: unix seconds of this attempt
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>
 *
 * (one signature per secret, separated by spaces, as the spec allows while a secret is rotated),
 * where key is the base64-decoded part of the secret after `whsec_`. Receivers verify with the
 * spec's libraries (the `standardwebhooks` package is our test receiver). Hand-written over
 * WebCrypto: the reference library's HMAC is a pure-JS SHA-256, and this is four lines.
 */

export const SECRET_PREFIX = "whsec_";
/** A secret we accept: whsec_ + standard base64 of 24–64 random bytes. */
export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

/**
 * A secret we accept, read as a receiver reads it: the pattern, and base64 that decodes (padded or
 * not) to 24-64 bytes. The pattern alone let `whsec_` + 33 characters through, which no one can
 * decode: every delivery signed with it threw.
 */
export function isWebhookSecret(secret: string): boolean {
  if (!SECRET_PATTERN.test(secret)) return false;
  try {
    const bytes = secretKey(secret).length;
    return bytes >= 24 && bytes <= 64;
  } catch {
    return false;
  }
}

/** A new signing secret: whsec_ + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/** The key bytes of a secret (the base64 after whsec_; base64url of secrets made before the spec was adopted is read too). */
export function secretKey(secret: string): Uint8Array {
  const b64 = (secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
}

/**
 * The three Standard Webhooks headers for one attempt at sending `body` as message `id`, signed with
 * each of `secrets` (the current one first; a receiver verifies with whichever it holds).
 */
export async function standardWebhookHeaders(secrets: string[], id: string, body: string, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return `v1,${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, signed))))}`;
    }),
  );
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signatures.join(" ") };
}
