/** GET /v1/pools/{id}/replay: the query and the answer of the what-if replay (domain/replay.ts). */
import { z } from "@hono/zod-openapi";
import { REPLAY_DAYS } from "../domain/replay";

const MAX_NUMBERS = 20_000;

export const ReplayQuerySchema = z.object({
  numbers: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_NUMBERS)
    .optional()
    .openapi({ description: "Numbers to replay the pool with (default: the numbers it has now).", example: 40 }),
  leaseSeconds: z.coerce
    .number()
    .int()
    .min(30)
    .max(30 * 86400)
    .optional()
    .openapi({ description: "Lease to replay with, in seconds (default: the pool's lease).", example: 1800 }),
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(REPLAY_DAYS)
    .default(REPLAY_DAYS)
    .openapi({ description: `Days of recorded history to replay, counted back from now (at most ${REPLAY_DAYS}, what a pool keeps).`, example: 7 }),
});

export const ReplayOutcomeSchema = z
  .object({
    numbers: z.number().openapi({ description: "Pool size." }),
    leaseSeconds: z.number(),
    newSessions: z.number().openapi({ description: "Sessions that asked holding no live lease." }),
    calls: z.number(),
    foundFull: z.number().openapi({ description: "Share of new sessions that found no free number." }),
    recycledEarly: z.number().openapi({ description: "Share of new sessions given a number recycled early from another session." }),
    rightVisit: z.number().openapi({ description: "Share of calls attributed to the visit that made them." }),
    wrongVisit: z.number().openapi({ description: "Share of calls a known visit made that went to another visit or to none (misattributed)." }),
    unknown: z.number().openapi({ description: "Share of calls on a number no visit had on screen (within grace): right at no size." }),
  })
  .openapi("ReplayOutcome");

export const ReplaySchema = z
  .object({
    pool: z.string(),
    from: z.number().openapi({ description: "Start of the replayed window, ms since epoch." }),
    to: z.number(),
    historySince: z.number().nullable().openapi({ description: "The oldest event the pool still has (null: none recorded)." }),
    actual: ReplayOutcomeSchema.openapi({ description: "What happened, with the pool as it was." }),
    replay: ReplayOutcomeSchema.openapi({ description: "What would have happened with `numbers` and `leaseSeconds`, same exhaustion policy and grace." }),
    summary: z.string(),
  })
  .openapi("PoolReplay");

export type ReplayQuery = z.infer<typeof ReplayQuerySchema>;
export type ReplayOutcome = z.infer<typeof ReplayOutcomeSchema>;
export type PoolReplay = z.infer<typeof ReplaySchema>;
