/**
 * The account's voice secret: the reference provider's credential. It is the last path segment of
 * its callback URLs, or the HMAC key of X-DNI-Signature (verified in providers/reference.ts).
 */
import { randomSecret } from "../platform/crypto";

/** Characters of a voice secret as it appears in a callback URL. */
export const VOICE_TOKEN_PATTERN = "[A-Za-z0-9_-]{20,128}";

export function makeVoiceSecret(): string {
  return `vs_${randomSecret(32)}`;
}
