/** Every sub-app is an OpenAPIHono whose request validation fails with the stable error shape. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { invalidRequest } from "./errors";

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(invalidRequest(result.error.issues), 400);
      }
    },
  });
}

/** OpenAPI security requirement names used by the routes. */
export const ADMIN = [{ adminKey: [] }];
export const OPERATOR = [{ operatorToken: [] }];

/** An OpenAPI JSON body or response: `{ content: { "application/json": { schema } } }`. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });
