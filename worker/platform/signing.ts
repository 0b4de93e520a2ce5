/**
 * HMAC-SHA256 request signing of the reference voice API's callbacks (instead of the secret path
 * token). The signature covers the endpoint — method, path and query, so which account, which leg
 * and which call (`…/agent?call=…`) — as well as the time and the body: a signature captured on one
 * URL (the inbound call) is refused on another (the agent leg, the status callback, another
 * account, the same path with another query). The reference provider's documents define no
 * signature: this scheme is ours, hence written here (Web Crypto; no library signs it).
 *
 *   X-DNI-Timestamp: <unix seconds>
 *   X-DNI-Signature: v2=<hex HMAC-SHA256(secret, `${timestamp}.${METHOD} ${path}${?query}.${raw body}`)>
 *
 * The query is signed as the request carries it (no reordering), with its `?`; a URL without one
 * signs the path alone. The earlier `v1=` (time and body only) is refused. A signature is accepted
 * once (providers/reference.ts: its replay key). Outgoing webhooks use Standard Webhooks.
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

/** What is signed: the time, the endpoint (`POST /v1/voice/…/agent?call=…`) and the raw body. */
const signedMessage = (timestamp: string, endpoint: Endpoint, body: string) => `${timestamp}.${endpoint.method.toUpperCase()} ${endpoint.path}.${body}`;

export interface Endpoint {
  method: string;
  /** The URL's path and query as requested (`/v1/voice/a1/agent?call=c1`; the path alone without a query). */
  path: string;
}

/** The two headers for `body` sent to `endpoint`, signed at `nowMs`. */
export async function signatureHeaders(secret: string, endpoint: Endpoint, body: string, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v2=${await hmacSha256Hex(secret, signedMessage(timestamp, endpoint, body))}` };
}

/**
 * The signature (hex), if the headers sign `body` sent to `endpoint` with `secret` within the
 * tolerance of `nowMs` (constant-time compare); null otherwise.
 */
export async function verifySignature(
  secret: string,
  endpoint: Endpoint,
  body: string,
  timestamp: string,
  signature: string,
  nowMs: number,
): Promise<{ hex: string; until: number } | null> {
  if (!/^\d{1,12}$/.test(timestamp)) return null;
  if (Math.abs(Number(timestamp) * 1000 - nowMs) > SIGNATURE_TOLERANCE_SECONDS * 1000) return null;
  const m = /^v2=([0-9a-f]{64})$/.exec(signature.trim());
  if (!m) return null;
  const ok = await safeEqualFixed(await hmacSha256Hex(secret, signedMessage(timestamp, endpoint, body)), m[1]!);
  // A replay inside the tolerance is caught by its key; after it, by the timestamp.
  return ok ? { hex: m[1]!, until: (Number(timestamp) + SIGNATURE_TOLERANCE_SECONDS) * 1000 + 60_000 } : null;
}
