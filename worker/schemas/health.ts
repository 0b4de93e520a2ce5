import { z } from "@hono/zod-openapi";
import { POOL_STATUSES } from "./pool";
import { SizingAnswerSchema } from "./sizing";

/** Most buckets one health answer carries (raise `step` for longer spans). */
const MAX_BUCKETS = 1440;
/** Minutes of history kept per pool (8 days); the week figures use the last 7. */
const MAX_MINUTES = 8 * 1440;

export const HealthQuerySchema = z
  .object({
    minutes: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_MINUTES)
      .default(60)
      .openapi({ description: "How far back the per-minute series goes (0: none; up to 8 days).", example: 1440 }),
    step: z.coerce
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(1)
      .openapi({ description: "Minutes per bucket; a bucket's peak is the highest of its minutes.", example: 5 }),
  })
  .refine((q) => Math.ceil(q.minutes / q.step) <= MAX_BUCKETS, { message: `at most ${MAX_BUCKETS} buckets: raise step`, path: ["step"] });

const NumbersNow = z.object({
  total: z.number().openapi({ description: "Numbers that can be leased (not retiring, not the overflow number)." }),
  leased: z.number().openapi({ description: "Of those, holding a live lease." }),
  free: z.number().openapi({ description: "Of those, neither leased nor held: what a new visitor can get now." }),
  held: z.number().openapi({
    description: "Free but held: moved in from another shard by a change of shard count, handed out once the lease that held it there has ended (+ grace).",
  }),
  retiring: z.number().openapi({ description: "Removed from the pool, kept until their lease ends." }),
  overflow: z.number().openapi({ description: "1 when the pool has a shared overflow number." }),
});

const HEALTH_STATES = ["ok", "warning", "exhausted"] as const;
const EPISODE_CAUSES = ["threshold", "exhausted"] as const;

export const HealthViewSchema = z
  .object({
    pool: z.string(),
    name: z.string(),
    status: z.enum(POOL_STATUSES),
    alertThreshold: z.number(),
    recoveryThreshold: z
      .number()
      .openapi({ description: "An episode ends when utilization falls to this (threshold − 0.1), with two numbers fewer in use than where it opens." }),
    at: z.number(),
    state: z
      .enum(HEALTH_STATES)
      .openapi({ description: "exhausted: no number free now; warning: utilization at or over the threshold, or an episode not yet recovered; else ok." }),
    numbers: NumbersNow,
    utilization: z.number().openapi({ description: "leased / total now." }),
    peak7d: z.number().openapi({ description: "Highest number of concurrent leases in any minute of the last 7 days." }),
    peakUtilization7d: z.number(),
    counters: z.object({
      allocations: z.number().openapi({ description: "New leases." }),
      renewals: z.number().openapi({ description: "Sticky returns of a session holding a number." }),
      recycledEarly: z.number().openapi({ description: "Leases ended early to serve a new session (policy recycle, pool full)." }),
      overflow: z.number().openapi({ description: "Hand-outs of the shared overflow number." }),
      refused: z.number().openapi({ description: "New sessions given no number." }),
      rateLimited: z.number(),
      callsAttributed: z.number(),
      callsUnattributed: z.number(),
    }),
    step: z.number(),
    minutes: z
      .array(
        z.object({ t: z.number().openapi({ description: "Bucket start, ms since epoch." }), peak: z.number(), total: z.number(), utilization: z.number() }),
      )
      .openapi({ description: "Peak concurrent leases and utilization per bucket of `step` minutes, oldest first, the last one holding now." }),
    episode: z
      .object({ openedAt: z.number(), cause: z.enum(EPISODE_CAUSES), exhaustedAt: z.number().nullable() })
      .nullable()
      .openapi({ description: "The open warning episode (status warning only)." }),
  })
  .openapi("PoolHealth");

const NUMBER_STATES = ["free", "leased", "retiring", "overflow"] as const;

export const NumberFiguresSchema = z
  .object({
    number: z.string(),
    state: z.enum(NUMBER_STATES),
    expiresAt: z.number().nullable().openapi({ description: "End of the live lease, if leased." }),
    lastShownAt: z.number().nullable().openapi({ description: "Last allocated or renewed (shown on a page)." }),
    lastCalledAt: z.number().nullable(),
    sessionsServed: z.number(),
  })
  .openapi("PoolNumber");

export const NumbersQuerySchema = z.object({
  cursor: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/, "an E.164 number: the nextCursor of the previous page")
    .optional()
    .openapi({ description: "nextCursor of the previous page." }),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: "Numbers per page, 1 to 1,000." }),
});

export const NumberListSchema = z.object({ numbers: z.array(NumberFiguresSchema), nextCursor: z.string().nullable() }).openapi("PoolNumberList");

export const PoolSizingQuerySchema = z.object({
  visitorsPerHour: z.coerce
    .number()
    .positive()
    .max(10_000_000)
    .optional()
    .openapi({ description: "Optional estimate of visitors per hour at peak: adds the formula's answer." }),
  minutes: z.coerce.number().positive().max(1440).optional().openapi({ description: "Minutes a number stays with a visitor (default: the pool's lease)." }),
  share: z.coerce.number().gt(0).max(1).default(1).openapi({ description: "Share of visitors who see a number: 1 = all, e.g. 0.15 with click-to-reveal." }),
  target: z.coerce.number().gt(0).max(0.5).default(0.01).openapi({ description: "Accepted share of new sessions getting a number recycled early." }),
  maxMisattributed: z.coerce.number().gt(0).max(0.5).optional().openapi({
    description:
      "Accepted share of calls attributed to the wrong visit (e.g. 0.001): sizes the pool by replaying its last 7 days of leases and calls against pools of other sizes, and buys that size.",
    example: 0.001,
  }),
});

export const PoolSizingSchema = z
  .object({
    pool: z.string(),
    numbers: z.number().openapi({ description: "Numbers the pool can lease now." }),
    leaseSeconds: z.number(),
    observed: z.object({
      peak7d: z.number(),
      numbersPerPool: z
        .number()
        .openapi({ description: "The size for the target, taking the observed peak as the mean concurrency (peak + Poisson headroom)." }),
      saturated: z.boolean().openapi({ description: "The pool was full at its peak: real demand was higher than observed, so this size is a lower bound." }),
      recycledEarlyShare: z.number().openapi({ description: "Share of new leases so far that recycled a number early." }),
    }),
    estimate: SizingAnswerSchema.nullable().openapi({ description: "The formula and Poisson target for visitorsPerHour (null when not given)." }),
    byMisattribution: z
      .object({
        maxMisattributed: z.number().openapi({ description: "The accepted share of calls attributed to the wrong visit." }),
        numbersPerPool: z.number().nullable().openapi({
          description: "Smallest size whose replay of the last 7 days stays within it (null: no calls recorded, or not even 20,000 numbers would do).",
        }),
        misattributedShare: z.number().openapi({ description: "The replayed share of misattributed calls at that size." }),
        calls: z.number().openapi({ description: "Calls replayed." }),
      })
      .nullable()
      .openapi({
        description:
          "With maxMisattributed: the size for that share of misattributed calls, from the pool's own calls (when each came after its visit's lease began) replayed against pools of other sizes (GET /v1/pools/{id}/replay). null when not asked.",
      }),
    buy: z.number().openapi({ description: "Numbers to have in this pool." }),
    basis: z.enum(["observed", "estimate", "misattribution"]),
    recommendation: z.string(),
  })
  .openapi("PoolSizing");

export type HealthView = z.infer<typeof HealthViewSchema>;
export type NumberFigures = z.infer<typeof NumberFiguresSchema>;
export type PoolSizing = z.infer<typeof PoolSizingSchema>;
export type PoolSizingQuery = z.infer<typeof PoolSizingQuerySchema>;
