/**
 * What a developer pastes where in each provider's console, for one account on one origin. The
 * fallback is the call's URL again: asked when it answers an error or times out, a second chance
 * for the call (a repeated call id gets the answer stored or being made) instead of the provider's
 * error message and a hang-up.
 */
import type { Provider } from "./providers/types";

export interface ConsoleSetup {
  where: string;
  console: { field: string; url: string | null; method: string | null }[];
}

/** `base` is `https://host/v1/voice/{account}`; `reference` the token-form callback URL. */
export function consoleSetup(provider: Provider, base: string, referenceUrl: string): ConsoleSetup {
  const u = `${base}/${provider}`;
  switch (provider) {
    case "twilio":
      return {
        where: "Console → Phone Numbers → Manage → Active numbers → each tracking number → Voice Configuration",
        console: [
          { field: "A call comes in (Webhook)", url: u, method: "HTTP POST" },
          { field: "Primary handler fails", url: u, method: "HTTP POST" },
          { field: "Call status changes", url: `${u}/status`, method: "HTTP POST" },
        ],
      };
    case "signalwire":
      return {
        where: "Dashboard → Phone Numbers → each tracking number → Voice and Fax Settings (Handle calls using: LaML Webhooks)",
        console: [
          { field: "When a call comes in", url: u, method: "POST" },
          { field: "Fallback URL (VoiceFallbackUrl)", url: u, method: "POST" },
          { field: "Status Change Webhook", url: `${u}/status`, method: "POST" },
        ],
      };
    case "telnyx":
      return {
        where: "Mission Control → Voice → TeXML Applications → the application the tracking numbers are assigned to",
        console: [
          { field: "Voice Method / Webhook URL", url: u, method: "POST" },
          { field: "Webhook Failover URL", url: u, method: "POST" },
          { field: "Status Callback URL", url: `${u}/status`, method: "POST" },
        ],
      };
    case "plivo":
      return {
        where: "Console → Voice → Applications → the application the tracking numbers are linked to",
        console: [
          { field: "Primary Answer URL", url: u, method: "POST" },
          { field: "Fallback Answer URL", url: u, method: "POST" },
          { field: "Hangup URL", url: `${u}/status`, method: "POST" },
        ],
      };
    case "vonage":
      return {
        where: "Dashboard → Applications → the application the tracking numbers are linked to → Capabilities → Voice (signed webhooks on)",
        console: [
          { field: "Answer URL", url: u, method: "HTTP GET" },
          { field: "Fallback URL", url: u, method: "HTTP GET" },
          { field: "Event URL", url: `${u}/status`, method: "HTTP POST" },
        ],
      };
    case "reference":
      return {
        where: "The call flow configuration of each tracking number",
        console: [
          { field: "callback.url", url: referenceUrl, method: "POST" },
          { field: "status callback (ours, optional)", url: `${referenceUrl}/status`, method: "POST" },
        ],
      };
  }
}
