import { z } from "@hono/zod-openapi";

export const SizingRequestSchema = z
  .object({
    visitorsPerHour: z.number().positive().max(10_000_000).openapi({ description: "Visitors per hour at peak", example: 600 }),
    minutes: z.number().positive().max(1440).openapi({ description: "Minutes a number must stay with a visitor (the lease)", example: 30 }),
    share: z.number().gt(0).max(1).default(1).openapi({ description: "Share of visitors who see a number: 1 = all, e.g. 0.15 with click-to-reveal" }),
    pools: z.number().int().min(1).max(1000).default(1).openapi({ description: "How many pools (sources) need numbers" }),
    target: z.number().gt(0).max(0.5).default(0.01).openapi({ description: "Accepted share of new sessions getting a number recycled early" }),
  })
  .strict()
  .openapi("SizingRequest");

const Sized = z.object({ numbersPerPool: z.number(), totalNumbers: z.number(), earlyRecycleShare: z.number() });

const answer = {
  meanConcurrent: z.number(),
  formula: Sized.openapi({ description: "visitors per hour / 60 × minutes × share: the mean; about half of new sessions find such a pool full" }),
  target: Sized.extend({ maxEarlyRecycleShare: z.number(), approximation: z.number() }),
};

/** Both sizes for a traffic estimate (also part of a pool's own sizing answer). */
export const SizingAnswerSchema = z.object(answer).openapi("SizingAnswer");

export const SizingResponseSchema = z.object({ ...answer, recommendation: z.string() }).openapi("SizingResponse");
