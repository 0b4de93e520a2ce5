/**
 * Authentication of the voice provider's callbacks, per account, by its voice secret:
 *   token      the secret is the last path segment of the callback URL (compared in constant time);
 *   signature  the URL has no secret and the request carries X-DNI-Timestamp / X-DNI-Signature
 *              (see signing.ts) over its raw body.
 */
import { randomSecret, safeEqual } from "../platform/crypto";
import { verifySignature } from "../platform/signing";

export type VoiceAuth = { kind: "token"; token: string } | { kind: "signature"; timestamp: string; signature: string; body: string };

/** Characters of a voice secret as it appears in a callback URL. */
export const VOICE_TOKEN_PATTERN = "[A-Za-z0-9_-]{20,128}";

export function makeVoiceSecret(): string {
  return `vs_${randomSecret(32)}`;
}

export async function voiceAuthorized(secret: string, auth: VoiceAuth, nowMs: number): Promise<boolean> {
  if (auth.kind === "token") return safeEqual(auth.token, secret);
  return verifySignature(secret, auth.body, auth.timestamp, auth.signature, nowMs);
}
