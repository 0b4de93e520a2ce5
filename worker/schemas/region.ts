import { z } from "@hono/zod-openapi";
import type { RegionResponse } from "../../shared/protocol";

export const RegionSchema = z
  .object({
    country: z
      .string()
      .nullable()
      .openapi({ description: "ISO 3166-1 alpha-2 country of the caller's IP address; null when unknown (or Tor).", example: "ES" }),
    subdivision: z.string().nullable().openapi({ description: "ISO 3166-2 subdivision (country-region), e.g. US-CA; null when unknown.", example: "ES-CT" }),
  })
  .openapi("Region") satisfies z.ZodType<RegionResponse>;
