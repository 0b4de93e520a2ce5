/**
 * A Vonage application's JWT (RS256, signed with the application's private key), as Vonage's Voice
 * API asks for it to download a recording: the claims `@vonage/jwt`'s tokenGenerate makes
 * (application_id, iat, jti, exp), header { typ: JWT, alg: RS256 }.
 *
 * Hand-written: `@vonage/jwt` signs with `jsonwebtoken`, which needs Node's crypto module; this is
 * the same token made with WebCrypto, which Workers has. test/providers checks it with the SDK's
 * verifySignature.
 */
import { base64urlEncode, base64urlOfText } from "../platform/base64url";

/** How long a token is good for: one download (Vonage's SDK defaults to 15 minutes). */
const TOKEN_TTL_S = 300;

const PEM_BODY = /^-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----\s*$/;

/** The RSA private key of a PKCS #8 PEM text (as Vonage's private.key is), or null when it is not one. */
export async function importVonageKey(pem: string): Promise<CryptoKey | null> {
  const body = PEM_BODY.exec(pem.trim())?.[1]?.replace(/\s+/g, "");
  if (!body) return null;
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  try {
    return await crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  } catch {
    return null;
  }
}

/** The application's token at `nowMs`; null when the key is not an RSA private key. */
export async function vonageToken(privateKeyPem: string, applicationId: string, nowMs: number): Promise<string | null> {
  const key = await importVonageKey(privateKeyPem);
  if (!key) return null;
  const iat = Math.floor(nowMs / 1000);
  const head = base64urlOfText(JSON.stringify({ typ: "JWT", alg: "RS256" }));
  const claims = base64urlOfText(JSON.stringify({ application_id: applicationId, iat, jti: crypto.randomUUID(), exp: iat + TOKEN_TTL_S }));
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(`${head}.${claims}`));
  return `${head}.${claims}.${base64urlEncode(new Uint8Array(signature))}`;
}
