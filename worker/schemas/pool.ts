import { z } from "@hono/zod-openapi";
import { isSupportedCountry } from "libphonenumber-js/max";
import { VOICE_PROVIDERS } from "./calls";
import { PhoneInputSchema, PoolIdSchema } from "./common";
import { NumberRequestSchema } from "./orders";
import { RouteSchema } from "./route";

export const EXHAUSTION_POLICIES = ["recycle", "overflow", "none"] as const;
export const POOL_STATUSES = ["recycle", "warning"] as const;
/** Most tracking numbers one pool holds (its create, its PATCH, and numbers added or bought into it). */
export const MAX_TRACKING_NUMBERS = 20_000;
const MAX_SHARDS = 64;

const fields = {
  name: z.string().trim().min(1).max(100),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, e.g. US")
    .refine(isSupportedCountry, "a country with a numbering plan (ISO 3166-1 alpha-2, e.g. US)")
    .optional()
    .openapi({ description: "Country for numbers written in national form (optional when all numbers are +international)." }),
  trackingNumbers: z.array(PhoneInputSchema).min(1).max(MAX_TRACKING_NUMBERS),
  destinations: z.array(PhoneInputSchema).min(1).max(20).openapi({ description: "Numbers the snippet may replace; the first is where calls are forwarded." }),
  replaceAll: z.boolean().openapi({
    description:
      "The snippet swaps every phone number on the page (of the destination's country), not only the destinations: for a business whose one number is written many ways. Exclusive with a whitelist: exactly one destination (where calls go unless a route says otherwise). Prices, dates and ids are never touched.",
  }),
  leaseSeconds: z
    .number()
    .int()
    .min(30)
    .max(30 * 86400)
    .openapi({ description: "Guaranteed minimum hold of a number per session." }),
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86400)
    .openapi({ description: "How long after a lease ends a call is still attributed to it." }),
  exhaustionPolicy: z.enum(EXHAUSTION_POLICIES),
  overflowNumber: PhoneInputSchema.nullable().openapi({
    description: "With policy overflow: the reserved shared number (default: the first tracking number).",
  }),
  status: z.enum(POOL_STATUSES),
  isDefault: z.boolean(),
  callerId: PhoneInputSchema.nullable().openapi({
    description:
      "Number the forwarded call appears to come from (TRANSFER/DIAL caller_id_no). Omit to show the caller's own number. With whisper, the number whose call flow callback is our agent URL.",
  }),
  provider: z.enum(VOICE_PROVIDERS).nullable().openapi({
    description: "The voice provider of this pool's numbers, when not the account's (a business with numbers at two carriers). null: the account's.",
  }),
  numberProviders: z
    .record(PhoneInputSchema, z.enum(VOICE_PROVIDERS))
    .refine((v) => Object.keys(v).length <= MAX_TRACKING_NUMBERS, "too many numbers")
    .openapi({
      description:
        'Tracking numbers held at another provider than the pool\'s, one by one: { "+1 888 555 0100": "telnyx" }. Each must be a tracking number of the pool.',
    }),
  whisper: z.boolean().openapi({ description: "Two-leg whisper: the agent hears the call's source before being connected. Needs callerId." }),
  alertThreshold: z.number().min(0.2).max(1).openapi({
    description:
      "With status warning: the utilization (leased / numbers) that opens an alert episode; it ends at this minus 0.1, with two numbers fewer in use (held numbers counted) than where it opens. Default 0.8.",
  }),
  maxNewLeasesPerMinute: z.number().int().min(1).max(1_000_000).nullable().openapi({
    description: "Drain backstop: most new leases this pool hands out per minute (sticky renewals never count). null: 2 × its tracking numbers, at least 60.",
  }),
  route: RouteSchema.nullable().openapi({
    description:
      "How calls are routed: schedule, step lists (forward, failover, simultaneous ring, round robin, message, voicemail), recording. null: every call goes to the first destination (docs/routing.md).",
  }),
  origins: z
    .array(z.string().max(300))
    .min(1)
    .max(100)
    .nullable()
    .openapi({
      description:
        "Origins whose pages may lease from this pool (patterns as the account's allowedOrigins, and allowed by them too): a site key cannot lease from a pool its site never shows. null: any origin the account allows.",
      example: ["https://www.shop.example"],
    }),
  shards: z.number().int().min(1).max(MAX_SHARDS).openapi({
    description:
      "Durable Objects the pool is split across (numbers by a hash of the number, sessions by a hash of the session id). Default 1; see README: Scale.",
  }),
};

export const PoolCreateSchema = z
  .object({
    id: PoolIdSchema,
    ...fields,
    // With an order, the pool may start empty: the ordered numbers join it as they are bought.
    trackingNumbers: z
      .array(PhoneInputSchema)
      .max(MAX_TRACKING_NUMBERS)
      .default([])
      .openapi({ description: "The pool's tracking numbers: at least one, unless `order` buys them (then none or some)." }),
    order: NumberRequestSchema.optional().openapi({
      description: "Numbers to buy from the voice provider into this pool (asynchronous: the answer carries the order; GET /v1/orders/{id}).",
    }),
    leaseSeconds: fields.leaseSeconds.default(1800),
    graceSeconds: fields.graceSeconds.default(3600),
    exhaustionPolicy: fields.exhaustionPolicy.default("recycle"),
    overflowNumber: fields.overflowNumber.optional(),
    status: fields.status.default("recycle"),
    isDefault: fields.isDefault.default(false),
    callerId: fields.callerId.optional(),
    whisper: fields.whisper.default(false),
    replaceAll: fields.replaceAll.default(false),
    provider: fields.provider.default(null),
    numberProviders: fields.numberProviders.default({}),
    alertThreshold: fields.alertThreshold.default(0.8),
    maxNewLeasesPerMinute: fields.maxNewLeasesPerMinute.default(null),
    shards: fields.shards.default(1),
    route: fields.route.default(null),
    origins: fields.origins.default(null),
  })
  .strict()
  .refine((v) => v.trackingNumbers.length > 0 || v.order !== undefined, { message: "give trackingNumbers, an order, or both", path: ["trackingNumbers"] })
  .openapi("PoolCreate");

export const PoolPatchSchema = z.object(fields).partial().strict().openapi("PoolPatch");

export const NumbersChangeSchema = z
  .object({
    add: z.array(PhoneInputSchema).max(MAX_TRACKING_NUMBERS).optional(),
    remove: z.array(PhoneInputSchema).max(MAX_TRACKING_NUMBERS).optional(),
    order: NumberRequestSchema.optional().openapi({ description: "Numbers to buy from the voice provider into this pool (asynchronous)." }),
  })
  .strict()
  .refine((v) => (v.add?.length ?? 0) + (v.remove?.length ?? 0) > 0 || v.order !== undefined, "give numbers to add or remove, or an order")
  .openapi("NumbersChange");

export const PoolSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    country: z.string().nullable(),
    trackingNumbers: z.array(z.string()),
    destinations: z.array(z.string()),
    replaceAll: z.boolean().optional().openapi({ description: "Every phone number on the page is swapped (absent: false)." }),
    leaseSeconds: z.number(),
    graceSeconds: z.number(),
    exhaustionPolicy: z.enum(EXHAUSTION_POLICIES),
    overflowNumber: z.string().nullable(),
    status: z.enum(POOL_STATUSES),
    isDefault: z.boolean(),
    callerId: z.string().nullable(),
    whisper: z.boolean(),
    provider: z.enum(VOICE_PROVIDERS).nullable(),
    numberProviders: z.record(z.string(), z.enum(VOICE_PROVIDERS)),
    alertThreshold: z.number(),
    maxNewLeasesPerMinute: z.number().nullable(),
    shards: z.number(),
    route: RouteSchema.nullable(),
    origins: z.array(z.string()).nullable().optional().openapi({ description: "Origins that may lease from this pool; null: any the account allows." }),
    previousShards: z.number().nullable().openapi({ description: "Shard count before the last change (its objects still answer for old leases)." }),
    reshardedAt: z.number().nullable(),
    earlierShards: z
      .array(z.object({ shards: z.number(), until: z.number() }))
      .optional()
      .openapi({
        description:
          "Every earlier shard count and until when leases made under it may live or take a call (ms since epoch): until then a session finds its lease in its old shard.",
      }),
    version: z.number(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Pool");

export const LeaseSchema = z
  .object({
    number: z.string(),
    session: z.string(),
    leasedAt: z.number(),
    expiresAt: z.number(),
    retiring: z.boolean(),
  })
  .openapi("Lease");

export type PoolCreate = z.infer<typeof PoolCreateSchema>;
export type PoolPatch = z.infer<typeof PoolPatchSchema>;
export type NumbersChange = z.infer<typeof NumbersChangeSchema>;
export type Pool = z.infer<typeof PoolSchema>;
export type Lease = z.infer<typeof LeaseSchema>;
export type ExhaustionPolicy = (typeof EXHAUSTION_POLICIES)[number];
export type PoolStatus = (typeof POOL_STATUSES)[number];
