import { z } from "@hono/zod-openapi";
import { POOL_ID_PATTERN } from "../../shared/protocol";

/** The stable error shape every failure uses. */
const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export const PoolIdSchema = z.string().regex(POOL_ID_PATTERN, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit").openapi({ example: "pool-ads" });

/** A phone number as written by an API client; normalised to E.164 by the account object. */
export const PhoneInputSchema = z.string().min(3).max(40).openapi({ example: "+1 800 555 0199" });

export const PoolParamSchema = z.object({ id: PoolIdSchema.openapi({ param: { name: "id", in: "path" }, description: "The pool id." }) });

export const errorResponses = {
  400: { description: "Invalid request", content: { "application/json": { schema: ErrorSchema } } },
  401: { description: "Missing or wrong key", content: { "application/json": { schema: ErrorSchema } } },
  403: { description: "Key not allowed here", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
  409: { description: "Conflict", content: { "application/json": { schema: ErrorSchema } } },
  413: { description: "Body too large", content: { "application/json": { schema: ErrorSchema } } },
} as const;
