import { z } from "@hono/zod-openapi";
import { checkOutboundUrl } from "../platform/outbound";
import { isWebhookSecret } from "../platform/standard-webhooks";

/** A URL we will send to: https to a public host (platform/outbound.ts; checked again at every send). */
export const OutboundUrlSchema = z
  .string()
  .max(2048)
  .superRefine((v, ctx) => {
    const r = checkOutboundUrl(v);
    if (!r.ok) ctx.addIssue({ code: "custom", message: `${v.slice(0, 100)} ${r.reason}; it must be an https URL on a public host` });
  })
  .openapi({ example: "https://crm.example.com/dni" });

const HookPatch = z
  .object({
    url: OutboundUrlSchema,
    secret: z
      .string()
      .refine(isWebhookSecret, "must be whsec_ followed by the base64 of 24 to 64 random bytes (Standard Webhooks); omit it to have one made")
      .optional()
      .openapi({
        description:
          "Standard Webhooks signing secret whsec_<base64>; omitted: keep the current one, or generate one. A new one replaces the current one, which still signs for 24 hours beside it.",
      }),
    rotateSecret: z.literal(true).optional().openapi({
      description: "Make a new signing secret (instead of giving one); the current one still signs for 24 hours beside it.",
    }),
  })
  .strict()
  .refine((h) => !(h.secret && h.rotateSecret), { message: "give a secret or rotateSecret, not both", path: ["rotateSecret"] })
  .nullable();

const EmailAddress = z
  .string()
  .max(320)
  .regex(/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/, "must be an email address like ops@example.com");

/** Alerts by email through Resend (https://resend.com/docs/api-reference/emails/send-email). */
const AlertEmailPatch = z
  .object({
    provider: z.literal("resend").default("resend").openapi({ description: "The email API: Resend (POST https://api.resend.com/emails)." }),
    apiKey: z
      .string()
      .regex(/^re_[A-Za-z0-9_-]{8,200}$/, "must be a Resend API key (re_…)")
      .optional()
      .openapi({ description: "Resend API key (write-only); omitted: keep the current one." }),
    from: z
      .string()
      .max(320)
      .regex(/^([^<>\r\n]{1,100} )?<?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/, "must be a sender like Alerts <alerts@example.com> on a domain verified with Resend"),
    to: z.array(EmailAddress).min(1).max(20),
    subject: z.string().max(250).nullable().optional().openapi({ description: "Subject template ({{title}}, {{type}}, {{pool}}…); null: the default." }),
    text: z.string().max(10_000).nullable().optional().openapi({ description: "Body template ({{message}}, {{remedies}}, {{at}}…); null: the default." }),
  })
  .strict()
  .nullable();

/** The Measurement Protocol's collection endpoints (its reference: region1 for data collected in the EU). */
export const GA4_REGIONS = ["global", "eu"] as const;
export type Ga4Region = (typeof GA4_REGIONS)[number];

export const IntegrationsPatchSchema = z
  .object({
    ga4: z
      .object({
        measurementId: z.string().regex(/^G-[A-Z0-9]{4,20}$/, "a GA4 measurement id, e.g. G-ABC123XYZ"),
        apiSecret: z
          .string()
          .regex(/^[A-Za-z0-9_-]{8,100}$/, "must be 8 to 100 of A-Z a-z 0-9 _ - (GA4 Admin → Data streams → Measurement Protocol API secrets)"),
        region: z.enum(GA4_REGIONS).optional().openapi({
          description:
            "Where GA4 collects the events: `global` (www.google-analytics.com) or `eu` (region1.google-analytics.com, for data collected in the EU). Left out: as it was (`global` at first).",
        }),
      })
      .strict()
      .nullable()
      .optional(),
    webhook: HookPatch.optional(),
    alertWebhook: HookPatch.optional().openapi({
      description:
        "Where the account's alerts are sent (signed as Standard Webhooks, X-DNI-Event set to the type): pool.warning, pool.exhausted, pool.recovered, pool.scaled, pool.scale_failed, number.release_failing, delivery.failing, delivery.recovered, conversions.auth_failed, conversions.upload_refused, task.failing, task.recovered.",
    }),
    alertEmail: AlertEmailPatch.optional().openapi({
      description:
        "Alerts by email as well (every alert the alert webhook gets: pools, scaling, number releases, deliveries, conversions, background tasks), through Resend. apiKey is required when first set.",
    }),
  })
  .strict()
  .openapi("IntegrationsPatch");

const PreviousSecretExpiresAt = z.number().optional().openapi({
  description:
    "While the secret replaced last still signs beside this one (24 hours after the change): when it stops (ms since the epoch). Each delivery then carries both signatures.",
});

export const IntegrationsSchema = z
  .object({
    ga4: z
      .object({
        measurementId: z.string(),
        apiSecretHint: z.string().openapi({ description: "Last 4 characters; the secret is write-only." }),
        region: z.enum(GA4_REGIONS).openapi({ description: "global: www.google-analytics.com; eu: region1.google-analytics.com." }),
      })
      .nullable(),
    webhook: z
      .object({
        url: z.string(),
        secret: z.string().openapi({ description: "Standard Webhooks signing secret whsec_… (see docs/calls.md)." }),
        previousSecretExpiresAt: PreviousSecretExpiresAt,
      })
      .nullable(),
    alertWebhook: z
      .object({
        url: z.string(),
        secret: z.string().openapi({ description: "Standard Webhooks signing secret, the same scheme as the calls webhook." }),
        previousSecretExpiresAt: PreviousSecretExpiresAt,
      })
      .nullable(),
    alertEmail: z
      .object({
        provider: z.literal("resend"),
        apiKeyHint: z.string().openapi({ description: "Last 4 characters; the key is write-only." }),
        from: z.string(),
        to: z.array(z.string()),
        subject: z.string().openapi({ description: "The subject template in force." }),
        text: z.string().openapi({ description: "The body template in force." }),
      })
      .nullable(),
  })
  .openapi("Integrations");

export type IntegrationsPatch = z.infer<typeof IntegrationsPatchSchema>;
export type Integrations = z.infer<typeof IntegrationsSchema>;

/**
 * A webhook as stored: its URL and signing secret, and for 24 hours after the secret changed the one
 * it replaced, which signs beside it (a receiver can take the new one up without missing a delivery).
 */
export interface WebhookConfig {
  url: string;
  secret: string;
  previousSecret?: string;
  /** When the previous secret stops signing (ms since the epoch). */
  previousUntil?: number;
}

/** As stored on the account (secrets in full). */
export interface IntegrationConfig {
  /** `region`: stored since it could be chosen; none is `global`. */
  ga4: { measurementId: string; apiSecret: string; region?: Ga4Region } | null;
  webhook: WebhookConfig | null;
  /** Where pool alerts go. */
  alertWebhook: WebhookConfig | null;
  /** Alerts by email too. */
  alertEmail: AlertEmailConfig | null;
}

/** Alert email settings as stored (templates null: the defaults). */
export interface AlertEmailConfig {
  provider: "resend";
  apiKey: string;
  from: string;
  to: string[];
  subject: string | null;
  text: string | null;
}
