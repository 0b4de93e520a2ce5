/** The number API of an account's provider, from its stored credentials (or why there is none). */

import type { OrderingProvider } from "../schemas/orders";
import type { ProviderCredentials } from "../schemas/providers";
import { plivoNumbers } from "./plivo";
import { signalwireNumbers } from "./signalwire";
import { telnyxNumbers } from "./telnyx";
import { twilioNumbers } from "./twilio";
import type { NumberApi } from "./types";
import { vonageNumbers } from "./vonage";

export type { NumberApi } from "./types";

type Creds = {
  twilio: ProviderCredentials["twilio"] | null;
  telnyx: ProviderCredentials["telnyx"] | null;
  signalwire: ProviderCredentials["signalwire"] | null;
  plivo: ProviderCredentials["plivo"] | null;
  vonage: ProviderCredentials["vonage"] | null;
};

/** A client, or the sentence saying which credentials are missing. */
export function numberApiFor<P extends OrderingProvider>(provider: P, creds: Creds[P]): NumberApi | string {
  if (provider === "twilio") {
    const c = creds as Creds["twilio"];
    if (!c?.accountSid) return "Buying Twilio numbers needs credentials.twilio.accountSid and authToken (PATCH /v1/account/voice)";
    return twilioNumbers({ accountSid: c.accountSid, authToken: c.authToken });
  }
  if (provider === "signalwire") {
    const c = creds as Creds["signalwire"];
    const missing = (["space", "projectId", "apiToken"] as const).filter((k) => !c?.[k]);
    if (missing.length || !c?.space || !c.projectId || !c.apiToken) {
      return `Buying SignalWire numbers needs credentials.signalwire.space, projectId and apiToken (missing: ${missing.join(", ")}; PATCH /v1/account/voice)`;
    }
    return (
      signalwireNumbers({ space: c.space, projectId: c.projectId, apiToken: c.apiToken }) ??
      "credentials.signalwire.space is not a SignalWire Space (<name>.signalwire.com)"
    );
  }
  if (provider === "plivo") {
    const c = creds as Creds["plivo"];
    if (!c?.authId || !c.applicationId) return "Buying Plivo numbers needs credentials.plivo.authId, authToken and applicationId (PATCH /v1/account/voice)";
    return plivoNumbers({ authId: c.authId, authToken: c.authToken, applicationId: c.applicationId });
  }
  if (provider === "vonage") {
    const c = creds as Creds["vonage"];
    if (!c?.apiKey || !c.apiSecret || !c.applicationId)
      return "Buying Vonage numbers needs credentials.vonage.apiKey, apiSecret and applicationId (PATCH /v1/account/voice)";
    return vonageNumbers({ apiKey: c.apiKey, apiSecret: c.apiSecret, applicationId: c.applicationId });
  }
  const c = creds as Creds["telnyx"];
  if (!c?.apiKey || !c.texmlApplicationId) return "Buying Telnyx numbers needs credentials.telnyx.apiKey and texmlApplicationId (PATCH /v1/account/voice)";
  return telnyxNumbers({ apiKey: c.apiKey, texmlApplicationId: c.texmlApplicationId });
}
