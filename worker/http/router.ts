/** Every sub-app is an OpenAPIHono whose request validation fails with the stable error shape. */
import { OpenAPIHono } from "@hono/zod-openapi";
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
      // JSON can spell a lone surrogate ("\ud800") that no text holds: SQLite stored one as three
      // U+FFFD (an account name answered 200 and read back otherwise). Refused, naming the field.
      if (result.target === "json") {
        const at = loneSurrogateAt(result.data, []);
        if (at) return c.json(invalidRequest([{ path: at, message: "has a lone surrogate (\\ud800-\\udfff without its pair): not text" }]), 400);
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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (value or key) in a parsed body that holds a lone surrogate, else null. */
export function loneSurrogateAt(value: unknown, path: PropertyKey[]): PropertyKey[] | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : null;
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = loneSurrogateAt(value[i], [...path, i]);
      if (at) return at;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return [...path, key];
    const at = loneSurrogateAt(v, [...path, key]);
    if (at) return at;
  }
  return null;
}

/** OpenAPI security requirement names used by the routes. */
export const ADMIN = [{ adminKey: [] }];
export const OPERATOR = [{ operatorToken: [] }];

/** An OpenAPI JSON body or response: `{ content: { "application/json": { schema } } }`. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });
