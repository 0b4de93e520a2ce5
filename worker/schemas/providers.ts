/** Voice provider settings: the account's provider, and each provider's credentials (write-only). */
import { z } from "@hono/zod-openapi";
import { VOICE_PROVIDERS } from "./calls";

const secret = (description: string) =>
  z
    .string()
    .regex(/^[\x21-\x7e]{8,256}$/, "8-256 printable characters")
    .openapi({ description });

const PEM = z
  .string()
  .max(4096)
  .regex(/^-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----\s*$/, "a PEM public key (-----BEGIN PUBLIC KEY-----)");

const PRIVATE_PEM = z
  .string()
  .max(8192)
  .regex(/^-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\s*$/, "a PEM private key in PKCS #8 (-----BEGIN PRIVATE KEY-----)");

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `word` matched in either case by a pattern without flags (so the OpenAPI document's pattern says the same). */
const anyCase = (word: string) => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
const SIGNALWIRE_HOST = `\\.${anyCase("signalwire")}\\.${anyCase("com")}`;

/**
 * A SignalWire Space as its owner may paste it: the name, the host `<name>.signalwire.com`, or the
 * Space URL `https://<name>.signalwire.com/`, in any case (a host is case-insensitive: ACME.SignalWire.com
 * is acme.signalwire.com; the schema stores it in lower case). One DNS label only, so nothing but a
 * signalwire.com host can be named (no other domain, port, path, credentials or second label). ASCII
 * letters only, each in both cases, rather than the `i` flag: ſ or the Kelvin sign never pass for s or k.
 */
export const SIGNALWIRE_SPACE = new RegExp(
  `^(?:${anyCase("https")}:\\/\\/(?=[^/]+${SIGNALWIRE_HOST}\\/?$))?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:${SIGNALWIRE_HOST}\\/?)?$`,
);

/** What each provider needs to verify its callbacks. */
export const CredentialSchemas = {
  twilio: z
    .object({
      authToken: secret("The account's Auth Token (Console → Account → API keys & tokens)."),
      accountSid: z
        .string()
        .regex(/^AC[0-9a-fA-F]{32}$/, "AC followed by 32 hex digits")
        .optional()
        .openapi({ description: "The Account SID: needed to buy numbers through Twilio's REST API (number orders)." }),
      webhookSharedKey: secret(
        "The secret of a Webhooks SharedKey, when a Twilio Webhooks Rule signs this account's callbacks with it (X-Twilio-Webhooks-Signature-Settings names the key and HMAC_SHA256); without one, the Auth Token signs them.",
      ).optional(),
    })
    .strict(),
  signalwire: z
    .object({
      signingKey: secret("The project's Signing Key (API → Signing Key), which signs X-SignalWire-Signature."),
      space: z
        .string()
        .regex(SIGNALWIRE_SPACE, "your Space's host, <name>.signalwire.com (or https://<name>.signalwire.com, or the name alone)")
        .toLowerCase()
        .optional()
        .openapi({
          description:
            "The Space the numbers are bought in (its Space URL, example.signalwire.com): needed to buy numbers. Only a host under signalwire.com is taken, so the API token is never sent elsewhere.",
          example: "example.signalwire.com",
        }),
      projectId: z
        .string()
        .regex(UUID, "the Project ID, a UUID (API → Project ID)")
        .optional()
        .openapi({ description: "The Project ID (Dashboard → API): needed to buy numbers through SignalWire's Compatibility REST API." }),
      apiToken: secret(
        "An API token of the project (Dashboard → API → API Tokens): with the Numbers scope, to buy numbers; with the Voice scope, to play recordings of a Space that protects its media URLs.",
      ).optional(),
    })
    .strict(),
  telnyx: z
    .object({
      publicKey: z
        .string()
        .regex(/^[A-Za-z0-9+/]{43}=$/, "the base64 Ed25519 public key (44 characters)")
        .openapi({ description: "Mission Control → Account Settings → Keys & Credentials → Public Key." }),
      apiKey: secret("An API key (Mission Control → Account Settings → Keys & Credentials → API Keys): needed to buy numbers.").optional(),
      texmlApplicationId: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .optional()
        .openapi({ description: "The TeXML application bought numbers are assigned to (its voice URLs are set to this account's)." }),
    })
    .strict(),
  plivo: z
    .object({
      authToken: secret("The Auth Token of the account (or subaccount) that owns the numbers."),
      authId: z
        .string()
        .regex(/^[MS]A[A-Z0-9]{18}$/, "MA or SA followed by 18 letters and digits")
        .optional()
        .openapi({ description: "The Auth ID of the same account (or subaccount): needed to buy numbers through Plivo's REST API (number orders)." }),
      applicationId: z
        .string()
        .regex(/^\d{1,40}$/, "a Plivo app_id (digits)")
        .optional()
        .openapi({
          description:
            "The Plivo application bought numbers are assigned to (its answer and hangup URLs are set to this account's): one for edge-dni's numbers only.",
        }),
    })
    .strict(),
  vonage: z
    .object({
      signatureSecret: secret("Dashboard → API settings → Signature secret (signed webhooks, HS256).").optional(),
      publicKey: PEM.optional().openapi({ description: "Or a PEM public key, for RS256-signed webhooks." }),
      apiKey: z
        .string()
        .regex(/^[A-Za-z0-9]{4,40}$/)
        .optional()
        .openapi({
          description:
            "The account's API key (Dashboard → API settings). When set, a signed callback's api_key claim must be this; with apiSecret and applicationId, it buys numbers.",
        }),
      apiSecret: secret("The API secret of apiKey (Dashboard → API settings): needed to buy numbers (Numbers API, Basic auth).").optional(),
      applicationId: z
        .string()
        .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "a Vonage application id (a UUID)")
        .optional()
        .openapi({
          description:
            "The Vonage application bought numbers are linked to: its answer and event URLs are set to this account's, signed callbacks on (use one application for tracking numbers).",
        }),
      privateKey: PRIVATE_PEM.optional().openapi({
        description:
          "The private key of applicationId (the private.key Vonage gave when the application was made): Vonage serves a call's recording only with a token the application signs, so GET /v1/calls/{id}/recording needs it.",
      }),
    })
    .strict()
    .refine((v) => v.signatureSecret || v.publicKey, "give signatureSecret or publicKey")
    .refine((v) => !v.privateKey || v.applicationId, {
      message: "privateKey is the key of an application: give applicationId with it",
      path: ["applicationId"],
    }),
} as const;

export type CredentialProvider = keyof typeof CredentialSchemas;
export const CREDENTIAL_PROVIDERS = Object.keys(CredentialSchemas) as CredentialProvider[];
export type ProviderCredentials = { [P in CredentialProvider]: z.infer<(typeof CredentialSchemas)[P]> };

export const ProviderSchema = z.enum(VOICE_PROVIDERS);

export const VoicePatchSchema = z
  .object({
    fallbackNumber: z
      .string()
      .min(1)
      .max(40)
      .nullable()
      .optional()
      .openapi({ description: "Where calls on numbers that are not this account's go; null: hang up." }),
    provider: ProviderSchema.optional().openapi({ description: "The account's voice provider (pools may override it)." }),
    credentials: z
      .object({
        twilio: CredentialSchemas.twilio.nullable().optional(),
        signalwire: CredentialSchemas.signalwire.nullable().optional(),
        telnyx: CredentialSchemas.telnyx.nullable().optional(),
        plivo: CredentialSchemas.plivo.nullable().optional(),
        vonage: CredentialSchemas.vonage.nullable().optional(),
      })
      .strict()
      .optional()
      .openapi({ description: "Per provider: its credentials (replacing the stored ones), or null to remove them. Write-only: never returned." }),
  })
  .strict()
  .refine((v) => v.fallbackNumber !== undefined || v.provider !== undefined || v.credentials !== undefined, "give fallbackNumber, provider or credentials")
  .openapi("VoicePatch");

export type VoicePatch = z.infer<typeof VoicePatchSchema>;

const ConsoleField = z.object({
  field: z.string().openapi({ description: "The field of the provider's console, as it is labelled there." }),
  url: z.string().nullable(),
  method: z.string().nullable(),
});

export const ProviderSetupSchema = z.object({
  configured: z.boolean().openapi({ description: "Whether credentials are stored (the reference provider uses the voice secret)." }),
  hints: z.record(z.string(), z.string()).openapi({ description: "The last 4 characters of each stored credential." }),
  updatedAt: z.number().nullable(),
  pools: z.array(z.string()).openapi({ description: "Pools whose calls come through this provider." }),
  numbers: z.array(z.string()).openapi({ description: "Tracking numbers set to this provider one by one (their pool's numberProviders)." }),
  where: z.string().openapi({ description: "Where in the provider's console these go." }),
  console: z.array(ConsoleField),
});

export const VoiceSettingsSchema = z
  .object({
    secret: z
      .string()
      .openapi({ description: "The account's voice secret: the path token of the reference callback URLs and the HMAC key of signed callbacks." }),
    callbackUrl: z.string().openapi({ description: "Reference provider, inbound callback (token form)." }),
    agentCallbackUrl: z.string().openapi({ description: "Reference provider, whisper agent-leg callback (token form): set it on the pools' callerId number." }),
    signedCallbackUrl: z.string().openapi({ description: "Reference provider, inbound callback for signed requests (X-DNI-Timestamp, X-DNI-Signature)." }),
    signedAgentCallbackUrl: z.string(),
    fallbackNumber: z.string().nullable().openapi({ description: "Where calls on numbers that are not this account's go; null: hang up." }),
    provider: ProviderSchema,
    providers: z.record(ProviderSchema, ProviderSetupSchema).openapi({ description: "Per provider: what to paste where in its console." }),
  })
  .openapi("VoiceSettings");
