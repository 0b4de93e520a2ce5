/**
 * HMAC-SHA256 request signing, one scheme both ways: our outbound webhooks are signed with it and
 * a voice callback may be authenticated with it instead of the secret path token.
 *
 *   X-DNI-Timestamp: <unix seconds>
 *   X-DNI-Signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${raw body}`)>
 */
import { safeEqualFixed } from "./crypto";

export const TIMESTAMP_HEADER = "X-DNI-Timestamp";
export const SIGNATURE_HEADER = "X-DNI-Signature";
/** How far a signed request's timestamp may be from our clock. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The two headers for `body` signed at `nowMs`. */
export async function signatureHeaders(secret: string, body: string, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}` };
}

/** Whether the headers sign `body` with `secret`, within the tolerance of `nowMs` (constant-time compare). */
export async function verifySignature(secret: string, body: string, timestamp: string, signature: string, nowMs: number): Promise<boolean> {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Number(timestamp) * 1000 - nowMs) > SIGNATURE_TOLERANCE_SECONDS * 1000) return false;
  const m = /^v1=([0-9a-f]{64})$/.exec(signature.trim());
  if (!m) return false;
  return safeEqualFixed(await hmacSha256Hex(secret, `${timestamp}.${body}`), m[1]!);
}
