import { z } from "@hono/zod-openapi";
import { POOL_ID_PATTERN } from "../../shared/protocol";

/** One thing that is wrong: the request field, the value, and what is wrong with it. */
const ErrorDetailSchema = z
  .object({
    path: z.string().optional().openapi({ description: "The request field (dotted path), when the problem is in one.", example: "webhook.url" }),
    value: z.string().optional().openapi({ description: "The offending value, when it helps (a number, an origin)." }),
    message: z.string().openapi({ example: "must use https (got http)" }),
  })
  .openapi("ErrorDetail");

/** The stable error shape every failure uses. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ description: "What is wrong and what is allowed." }),
      details: z.array(ErrorDetailSchema).optional().openapi({ description: "Always a list: one entry per field, number or origin that is wrong." }),
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

const ERROR_DESCRIPTIONS = {
  400: "Invalid request (invalid_request, invalid_json, invalid_cursor …)",
  401: "Missing or wrong key (unauthorized); carries WWW-Authenticate",
  403: "Key not allowed here (wrong_key_kind, origin_not_allowed …)",
  404: "Not found",
  405: "Method not allowed (method_not_allowed); carries Allow",
  409: "Conflict",
  413: "Body too large (payload_too_large)",
  415: "Body not application/json (unsupported_media_type)",
  429: "Too many requests (rate_limited); carries Retry-After",
  502: "A provider did not give what was asked of it (recording_unavailable)",
  503: "Saved but not everywhere yet (not_propagated), or not set up on this deployment",
} as const;

/** The error responses one route can give, by status (the per-route list for the OpenAPI document). */
export function errorResponsesFor<S extends keyof typeof ERROR_DESCRIPTIONS>(statuses: readonly S[]) {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = { description: ERROR_DESCRIPTIONS[s], content: { "application/json": { schema: ErrorSchema } } };
  return out as {
    [K in S]: { description: string; content: { "application/json": { schema: typeof ErrorSchema } } };
  };
}
