/**
 * HMAC-SHA256 request signing of the reference voice API's callbacks (instead of the secret path
 * token). The signature covers the endpoint — method, path and query, so which account, which leg
 * and which call (`…/agent?call=…`) — as well as the time and the body: a signature captured on one
 * URL (the inbound call) is refused on another (the agent leg, the status callback, another
 * account, the same path with another query). The reference provider's documents define no
 * signature: this scheme is ours, hence written here (Web Crypto; no library signs it).
 *
 *   X-DNI-Timestamp: <unix seconds>
 *   X-DNI-Signature: v3=<hex HMAC-SHA256(secret, `${timestamp}\n${METHOD} ${path}${?query}\n${raw body}`)>
 *
 * The query is signed as the request carries it (no reordering), with its `?`. The line breaks
 * part the message in one way only: no URL holds a raw one. The earlier `v2=` (the same, parted by
 * `.`) is still taken for a URL without a query, whose path the route fixes; with a query, a `.` in
 * the body could be read as the query's end, so a v2 signature there is refused, as `v1=` (time and
 * body only) is everywhere. A signature is accepted once (providers/reference.ts: its replay key).
 * Outgoing webhooks use Standard Webhooks.
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

/** The versions taken: v3, and v2 for a URL without a query. */
type Version = "v2" | "v3";

/** What is signed: the time, the endpoint (`POST /v1/voice/…/agent?call=…`) and the raw body. */
const signedMessage = (version: Version, timestamp: string, endpoint: Endpoint, body: string) => {
  const between = version === "v3" ? "\n" : ".";
  return `${timestamp}${between}${endpoint.method.toUpperCase()} ${endpoint.path}${between}${body}`;
};

export interface Endpoint {
  method: string;
  /** The URL's path and query as requested (`/v1/voice/a1/agent?call=c1`; the path alone without a query). */
  path: string;
}

/**
 * The signature (hex), if the headers sign `body` sent to `endpoint` with `secret` within the
 * tolerance of `nowMs` (constant-time compare); null otherwise (a v2 signature of a URL with a query too).
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
  const m = /^(v[23])=([0-9a-f]{64})$/.exec(signature.trim());
  if (!m || (m[1] === "v2" && endpoint.path.includes("?"))) return null;
  const ok = await safeEqualFixed(await hmacSha256Hex(secret, signedMessage(m[1] as Version, timestamp, endpoint, body)), m[2]!);
  // A replay inside the tolerance is caught by its key; after it, by the timestamp.
  return ok ? { hex: m[2]!, until: (Number(timestamp) + SIGNATURE_TOLERANCE_SECONDS) * 1000 + 60_000 } : null;
}
