import { z } from "@hono/zod-openapi";

const WebhookUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "https:" || (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname));
    } catch {
      return false;
    }
  }, "must be an https URL (http only for localhost)");

const HookPatch = z
  .object({
    url: WebhookUrl,
    secret: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,128}$/, "16-128 of A-Z a-z 0-9 _ -")
      .optional()
      .openapi({ description: "Signing secret; omitted: keep the current one, or generate one." }),
  })
  .strict()
  .nullable();

export const IntegrationsPatchSchema = z
  .object({
    ga4: z
      .object({
        measurementId: z.string().regex(/^G-[A-Z0-9]{4,20}$/, "a GA4 measurement id, e.g. G-ABC123XYZ"),
        apiSecret: z.string().regex(/^[A-Za-z0-9_-]{8,100}$/, "the Measurement Protocol API secret"),
      })
      .strict()
      .nullable()
      .optional(),
    webhook: HookPatch.optional(),
    alertWebhook: HookPatch.optional().openapi({
      description: "Where pool alerts (status warning pools) are sent: pool.warning, pool.exhausted, pool.recovered.",
    }),
  })
  .strict()
  .openapi("IntegrationsPatch");

export const IntegrationsSchema = z
  .object({
    ga4: z.object({ measurementId: z.string(), apiSecretHint: z.string().openapi({ description: "Last 4 characters; the secret is write-only." }) }).nullable(),
    webhook: z.object({ url: z.string(), secret: z.string().openapi({ description: "HMAC-SHA256 signing secret (see docs/calls.md)." }) }).nullable(),
    alertWebhook: z
      .object({ url: z.string(), secret: z.string().openapi({ description: "HMAC-SHA256 signing secret, the same scheme as the calls webhook." }) })
      .nullable(),
  })
  .openapi("Integrations");

export type IntegrationsPatch = z.infer<typeof IntegrationsPatchSchema>;
export type Integrations = z.infer<typeof IntegrationsSchema>;

/** As stored on the account (secrets in full). */
export interface IntegrationConfig {
  ga4: { measurementId: string; apiSecret: string } | null;
  webhook: { url: string; secret: string } | null;
  /** Where pool alerts go. */
  alertWebhook: { url: string; secret: string } | null;
}
