/**
 * How each provider signs a callback, written for the tests on WebCrypto from the providers'
 * documentation, independently of worker/voice/providers (no import from there). The Node project
 * (test/providers/sdk.test.ts) checks every one against the provider's official SDK; the worker
 * tests use them to send signed callbacks to the worker in workerd.
 */
const enc = new TextEncoder();
const b64 = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const b64url = (bytes: ArrayBuffer | Uint8Array) => b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const hexOf = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function hmacRaw(hash: "SHA-1" | "SHA-256", key: string, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

export const sha256Hex = async (text: string) => hexOf(await crypto.subtle.digest("SHA-256", enc.encode(text)));

/** Twilio (and SignalWire): base64 HMAC-SHA1 of the URL followed by every POST param, names sorted, name+value. */
export async function twilioSign(authToken: string, url: string, params: Record<string, string>): Promise<string> {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return b64(await hmacRaw("SHA-1", authToken, data));
}

/** Twilio's JSON form: the URL gets bodySHA256 (hex SHA-256 of the body) and only the URL is signed. */
export async function twilioSignJson(authToken: string, url: string, body: string): Promise<{ url: string; signature: string }> {
  const u = new URL(url);
  u.searchParams.set("bodySHA256", await sha256Hex(body));
  return { url: u.toString(), signature: await twilioSign(authToken, u.toString(), {}) };
}

/** Plivo V3: base64 HMAC-SHA256 of `${url}?${sorted query}[.]${sorted POST name+value}.${nonce}`. */
export async function plivoSign(authToken: string, url: string, params: Record<string, string>, nonce: string): Promise<string> {
  const u = new URL(url);
  const query = [...u.searchParams]
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const names = Object.keys(params).sort();
  let base = `${u.protocol}//${u.host}${u.pathname}`;
  if (query || names.length) base += `?${query}`;
  if (query && names.length) base += ".";
  base += names.map((k) => k + params[k]).join("");
  return b64(await hmacRaw("SHA-256", authToken, `${base}.${nonce}`));
}

export interface Ed25519Pair {
  publicKey: string;
  privateKey: CryptoKey;
}

export async function ed25519Pair(): Promise<Ed25519Pair> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return { publicKey: b64((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer), privateKey: pair.privateKey };
}

/** Telnyx: base64 Ed25519 signature of `${timestamp}|${body}`. */
export async function telnyxSign(privateKey: CryptoKey, timestamp: string, body: string): Promise<string> {
  return b64(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, enc.encode(`${timestamp}|${body}`)));
}

/** Vonage: an HS256 JWT with the signature secret, `payload_hash` the hex SHA-256 of the payload. */
export async function vonageJwt(secret: string, claims: Record<string, unknown>): Promise<string> {
  const head = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64url(enc.encode(JSON.stringify(claims)));
  return `${head}.${body}.${b64url(await hmacRaw("SHA-256", secret, `${head}.${body}`))}`;
}

/** The payload Vonage hashes for a GET: the query parameters as a compact JSON object, in their order. */
export const vonageGetPayload = (url: string) => JSON.stringify(Object.fromEntries(new URL(url).searchParams));
