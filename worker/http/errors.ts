/**
 * The one error handler: every failure leaves as `{ error: { code, message, details? } }`, where
 * `details`, when present, is always a list of `{ path?, value?, message }` — one entry per thing
 * that is wrong (a field, a number, an origin). 401s carry `WWW-Authenticate`, 405s carry `Allow`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../platform/result";

/** One thing that is wrong: where (a request field path), what value, and what is wrong with it. */
export interface ErrorDetail {
  path?: string;
  value?: string;
  message: string;
}

/**
 * The stable shape of `details` from what the account and domain code give (plain RPC data): a list
 * of issues as is, or `{ problems | conflicts | numbers: [...] }` turned into such a list.
 */
export function normalizeDetails(details: unknown, fallback: string): ErrorDetail[] | undefined {
  if (details === undefined || details === null) return undefined;
  const list = Array.isArray(details) ? details : Object.values(details as Record<string, unknown>).flatMap((v) => (Array.isArray(v) ? v : [v]));
  return list.map((d): ErrorDetail => {
    if (typeof d !== "object" || d === null) return { value: String(d), message: fallback };
    const r = d as Record<string, unknown>;
    const out: ErrorDetail = { message: String(r.message ?? r.reason ?? fallback) };
    if (r.path !== undefined) out.path = String(r.path);
    const value = r.value ?? r.number ?? r.origin;
    if (value !== undefined) out.value = String(value);
    return out;
  });
}

export function errorBody(code: string, message: string, details?: unknown) {
  const d = normalizeDetails(details, message);
  return { error: d === undefined ? { code, message } : { code, message, details: d } };
}

/** The body for a request that failed its zod schema: each issue's path and message. */
export function invalidRequest(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const first = issues[0];
  const where = (i: { path: readonly PropertyKey[] }) => i.path.map(String).join(".") || "body";
  const summary = first ? `${where(first)}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}` : "does not match the schema";
  return errorBody(
    "invalid_request",
    `Invalid request — ${summary}`,
    issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  );
}

export { INVALID_CURSOR } from "../platform/result";

/** The scheme a 401 asks for. */
export const WWW_AUTHENTICATE = 'Bearer realm="edge-dni"';

export function onError(err: Error, c: Context): Response {
  // An error answer is never cached (routes mounted before app.ts' after-layer rely on this).
  c.header("Cache-Control", "no-store");
  if (err instanceof ApiError) {
    const { status, code, message, details } = err.data;
    if (status === 401) c.header("WWW-Authenticate", WWW_AUTHENTICATE);
    return c.json(errorBody(code, message, details), status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 415) {
      const type = c.req.header("Content-Type") ?? "none";
      return c.json(errorBody("unsupported_media_type", `Content-Type ${type} is not accepted here; send the body as application/json`), 415);
    }
    if (status === 413) return c.json(errorBody("payload_too_large", "Request body too large"), 413);
    if (status === 400) return c.json(errorBody("invalid_json", "The request body is not valid JSON"), 400);
    if (status === 401) c.header("WWW-Authenticate", WWW_AUTHENTICATE);
    return c.json(errorBody(status === 401 ? "unauthorized" : "bad_request", err.message || "Bad request"), status);
  }
  console.error("unhandled error", err);
  return c.json(errorBody("internal_error", "Something went wrong on our side"), 500);
}

/**
 * No route: 405 with Allow when the path exists for other methods, else 404 (also when a route of
 * the path's shape takes this method and found nothing there: `/v1/voice/{account}/twilio/foo`).
 */
export function notFound(c: Context, allowed: (path: string) => string[]): Response {
  const path = new URL(c.req.url).pathname;
  const methods = allowed(path);
  if (methods.length && !methods.includes(c.req.method)) {
    c.header("Allow", methods.join(", "));
    return c.json(errorBody("method_not_allowed", `${c.req.method} is not allowed on ${path}; allowed: ${methods.join(", ")}`), 405);
  }
  return c.json(errorBody("not_found", `No route for ${c.req.method} ${path}; see /docs for the API`), 404);
}
