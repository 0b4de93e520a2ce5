/**
 * A number's callback URLs on Twilio's IncomingPhoneNumbers API, which SignalWire's Compatibility
 * API speaks too: the form fields that set them, and whether a listed number has them.
 */
import { field } from "./http";
import type { CallbackUrls } from "./types";

/**
 * The voice URL, its fallback and the status callback. The fallback is asked when the voice URL
 * answers an error or times out: the same URL, a second chance for the call (a repeated call id gets
 * the answer stored or being made); without one the provider plays an application error and hangs up.
 */
export const urlFields = (u: CallbackUrls): Record<string, string> => ({
  VoiceUrl: u.voiceUrl,
  VoiceMethod: "POST",
  VoiceFallbackUrl: u.voiceUrl,
  VoiceFallbackMethod: "POST",
  StatusCallback: u.statusUrl,
  StatusCallbackMethod: "POST",
});

/** Whether a number as listed (`voice_url`, `voice_fallback_url`, `status_callback`) calls back to `u`. */
export const hasUrls = (r: unknown, u: CallbackUrls): boolean =>
  field(r, "voice_url") === u.voiceUrl && field(r, "voice_fallback_url") === u.voiceUrl && field(r, "status_callback") === u.statusUrl;
