import { z } from "@hono/zod-openapi";
import { DELIVERY_STATUSES } from "./calls";

export const DELIVERY_LIST_KINDS = ["ga4", "webhook", "alert", "alert_email", "google_ads", "microsoft_ads"] as const;
export const DELIVERY_FILTERS = ["failing", "dead", "pending", "delivered", "all"] as const;

export const DeliveryItemSchema = z
  .object({
    id: z.string().openapi({ example: "42" }),
    webhookId: z
      .string()
      .nullable()
      .openapi({ description: "The webhook-id header it is sent with (webhooks and alert webhooks); the same on every attempt." }),
    kind: z
      .enum(DELIVERY_LIST_KINDS)
      .openapi({ description: "ga4 | webhook (calls) | alert (alert webhook) | alert_email | google_ads | microsoft_ads (ad conversion uploads)" }),
    event: z.string().openapi({ description: "call | call.completed for calls; the alert type (pool.warning …) for alerts." }),
    callId: z.string().nullable().openapi({ description: "The call it is about (null for alerts)." }),
    status: z.enum(DELIVERY_STATUSES).openapi({ description: "pending (retrying after a failure when attempts > 0) | delivered | dead (dead letter)." }),
    attempts: z.number(),
    redeliveries: z.number(),
    lastStatus: z.number().nullable().openapi({ description: "HTTP status of the last attempt (null: no answer, refused, or not tried)." }),
    lastError: z.string().nullable().openapi({ description: "Why the last attempt failed; never the receiver's answer body." }),
    nextAttemptAt: z.number().nullable(),
    deliveredAt: z.number().nullable(),
    createdAt: z.number(),
  })
  .openapi("DeliveryItem");

export const DeliveryListQuerySchema = z.object({
  status: z
    .enum(DELIVERY_FILTERS)
    .default("all")
    .openapi({ description: "failing: pending after at least one failed attempt; dead: retries ran out (dead letter); all (default)." }),
  kind: z
    .enum(DELIVERY_LIST_KINDS)
    .optional()
    .openapi({ description: "Only deliveries of this kind: ga4, webhook, alert (alert webhook), alert_email, google_ads or microsoft_ads." }),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "must be the nextCursor of the previous page")
    .optional()
    .openapi({ description: "nextCursor of the previous page." }),
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Deliveries per page, newest first (1-200, default 50)." }),
});

export const DeliveryListSchema = z.object({ deliveries: z.array(DeliveryItemSchema), nextCursor: z.string().nullable() }).openapi("DeliveryList");

export const DeliveryParamSchema = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/, "must be a delivery id from GET /v1/deliveries")
    .openapi({ param: { name: "id", in: "path" }, example: "42", description: "The delivery's id, from GET /v1/deliveries or a call's deliveries." }),
});

export type DeliveryItem = z.infer<typeof DeliveryItemSchema>;
export type DeliveryList = z.infer<typeof DeliveryListSchema>;
