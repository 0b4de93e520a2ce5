/** The one error handler: every failure leaves as `{ error: { code, message, details? } }`. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../platform/result";

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The body for a request that failed its zod schema: each issue's path and message. */
export function invalidRequest(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  return errorBody(
    "invalid_request",
    "The request does not match the schema",
    issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  );
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    const { status, code, message, details } = err.data;
    return c.json(errorBody(code, message, details), status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? "payload_too_large" : status === 400 ? "invalid_json" : "http_error";
    const message = status === 413 ? "Request body too large" : err.message || "Bad request";
    return c.json(errorBody(code, message), status);
  }
  console.error("unhandled error", err);
  return c.json(errorBody("internal_error", "Something went wrong on our side"), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}
