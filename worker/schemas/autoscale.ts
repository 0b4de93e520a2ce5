/** Autoscaling of a pool's numbers (a pool sub-resource; see account/autoscale.ts). */
import { z } from "@hono/zod-openapi";
import { PoolIdSchema } from "./common";
import { NumberRequestSchema } from "./orders";

export const SCALE_ACTIONS = ["first_fill", "grow", "shrink"] as const;

const AutoscaleFields = z
  .object({
    min: z.number().int().min(0).max(20_000).openapi({ description: "Never fewer numbers than this (numbers in use are never taken away)." }),
    max: z.number().int().min(1).max(20_000).openapi({
      description:
        "Never more numbers than this: a hard budget, orders and a shared overflow number included (the size wanted for the peak counts only numbers that can be leased).",
    }),
    target: z
      .number()
      .min(0.0001)
      .max(0.5)
      .default(0.01)
      .openapi({ description: "Share of new sessions that may find the pool full (recycle a number early); the size is the Poisson tail's answer for it." }),
    cooldownMinutes: z
      .number()
      .int()
      .min(5)
      .max(30 * 1440)
      .default(60)
      .openapi({ description: "The observed peak must stay below the target size this long (and this long after the last step) before the pool shrinks." }),
    dryRun: z
      .boolean()
      .default(false)
      .openapi({ description: "Only recommend: steps are written to the history and sent as alerts, nothing is bought or removed." }),
    numbers: NumberRequestSchema.omit({ quantity: true }).strict().openapi({ description: "What to buy when growing (as an order, without quantity)." }),
  })
  .strict();

export const AutoscalePutSchema = AutoscaleFields.refine((v) => v.min <= v.max, { message: "min must be at most max", path: ["min"] }).openapi("AutoscalePut");

export type AutoscaleConfig = z.infer<typeof AutoscalePutSchema>;

export const ScaleEventSchema = z
  .object({
    at: z.number(),
    action: z.enum(SCALE_ACTIONS),
    from: z.number().openapi({
      description: "The pool's tracking numbers before the step (none on order: a step waits for an open order, but one of its own waiting for stock).",
    }),
    to: z.number(),
    peak: z.number().openapi({ description: "The observed peak concurrency it was decided on." }),
    reason: z.string(),
    dryRun: z.boolean(),
    orderId: z.string().nullable(),
    removed: z.array(z.string()).openapi({ description: "Numbers a shrink took out (parked until their paid month is about to renew, then released)." }),
    reused: z.array(z.string()).openapi({ description: "Parked numbers a grow took back before ordering any." }),
  })
  .openapi("ScaleEvent");

export const AutoscaleViewSchema = z
  .object({
    pool: z.string(),
    config: AutoscaleFields,
    size: z.number().openapi({ description: "Tracking numbers now." }),
    onOrder: z.number().openapi({ description: "Numbers ordered and not yet in the pool." }),
    nextCheckAt: z.number(),
    events: z.array(ScaleEventSchema).openapi({ description: "The pool's scaling history, newest first (the last 100)." }),
  })
  .openapi("Autoscale");

export type ScaleEvent = z.infer<typeof ScaleEventSchema>;
export type AutoscaleView = z.infer<typeof AutoscaleViewSchema>;

export const AutoscaleListQuerySchema = z.object({ pool: PoolIdSchema.optional().openapi({ description: "Only this pool's autoscaling." }) });
