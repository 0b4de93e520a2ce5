/** Every sub-app is an OpenAPIHono whose request validation fails with the stable error shape. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { CONTROL, LONE_SURROGATE } from "../platform/text";
import type { AppEnv } from "./app-env";
import { errorBody, INVALID_CURSOR, invalidRequest } from "./errors";
import { bodyRequired } from "./middleware/body-required";

export function createRouter() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const { issues } = result.error;
        // A cursor that is not of the list's own shape is one it never gave: invalid_cursor, the same
        // code the list answers for a well-formed cursor it cannot read (one code per condition).
        if (result.target === "query" && issues.length > 0 && issues.every((i) => i.path.length === 1 && i.path[0] === "cursor")) {
          return c.json(
            errorBody(
              "invalid_cursor",
              INVALID_CURSOR,
              issues.map((i) => ({ path: "cursor", message: i.message })),
            ),
            400,
          );
        }
        return c.json(invalidRequest(issues), 400);
      }
      // z.coerce reads "" and " " as 0 and "0x10" as 16: ?numbers= replayed the pool with no numbers.
      // A number the query gives is written out in decimal, or the request is refused naming it.
      if (result.target === "query") {
        const written = Object.entries(result.data as Record<string, unknown>).flatMap(([name, v]) => {
          const raw = typeof v === "number" ? c.req.query(name) : undefined;
          return raw !== undefined && NOT_DECIMAL.test(raw)
            ? [{ path: [name], message: `must be a number written in decimal (got "${raw.slice(0, 40)}")` }]
            : [];
        });
        if (written.length) return c.json(invalidRequest(written), 400);
      }
      // JSON can spell what no text holds: a lone surrogate ("\ud800"; SQLite stored one as three
      // U+FFFD, so an account name answered 200 and read back otherwise) or a control character (a
      // NUL in an alert email's subject, an escape in a conversion name Google must match). Refused,
      // naming the field.
      if (result.target === "json") {
        const bad = notTextAt(result.data, []);
        if (bad) return c.json(invalidRequest([bad]), 400);
      }
    },
  });
  // A route that requires a body checks there is one (after the sub-app's auth, before validation).
  const register = app.openapi;
  app.openapi = ((route, handler, hook) => {
    if (!route.request?.body?.required) return register(route, handler, hook);
    const own = route.middleware === undefined ? [] : Array.isArray(route.middleware) ? route.middleware : [route.middleware];
    return register({ ...route, middleware: [bodyRequired(route.method), ...own] }, handler, hook);
  }) as typeof app.openapi;
  return app;
}

/** What Number() reads as a number but no one writes for one: blank (0), or 0x / 0o / 0b radix forms. */
const NOT_DECIMAL = /^\s*$|^\s*[+-]?0[xob]/i;

function notText(s: string): string | null {
  if (LONE_SURROGATE.test(s)) return "has a lone surrogate (\\ud800-\\udfff without its pair): not text";
  if (CONTROL.test(s)) return "has a control character (U+0000-U+001F but tab and line breaks, or U+007F): not text";
  return null;
}

/** The first string (value or key) of a parsed body that is not text, with its path and why; else null. */
export function notTextAt(value: unknown, path: PropertyKey[]): { path: PropertyKey[]; message: string } | null {
  if (typeof value === "string") {
    const message = notText(value);
    return message ? { path, message } : null;
  }
  if (typeof value !== "object" || value === null) return null;
  const entries: [PropertyKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    const message = typeof key === "string" ? notText(key) : null;
    if (message) return { path: [...path, key], message };
    const at = notTextAt(v, [...path, key]);
    if (at) return at;
  }
  return null;
}

/** OpenAPI security requirement names used by the routes. */
export const ADMIN = [{ adminKey: [] }];
export const OPERATOR = [{ operatorToken: [] }];

/** An OpenAPI JSON body or response: `{ content: { "application/json": { schema } } }`. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });
