/** The adapters by provider name. */
import { plivo } from "./plivo";
import { reference } from "./reference";
import { signalwire, telnyx, twilio } from "./twilio";
import type { Adapter, Provider } from "./types";
import { vonage } from "./vonage";

export type { PlivoCredentials } from "./plivo";
export type { ReferenceCredentials } from "./reference";
export type { SignalWireCredentials, TelnyxCredentials, TwilioCredentials } from "./twilio";
export type { VonageCredentials } from "./vonage";

// biome-ignore lint/suspicious/noExplicitAny: each adapter takes its own provider's credentials; the account object pairs them.
export const ADAPTERS: Record<Provider, Adapter<any>> = { reference, twilio, signalwire, telnyx, plivo, vonage };
export { reference };

/** The content type of a provider's answers (a stored answer is replayed with it). */
export const answerContentType = (p: Provider) => (p === "reference" || p === "vonage" ? "application/json; charset=utf-8" : "application/xml; charset=utf-8");
