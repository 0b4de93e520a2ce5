/**
 * The app's routes fit Hono's RegExpRouter (one regex for every route): a route it cannot take (a
 * static segment or a pattern beside a parameter in the same place) makes SmartRouter fall back to
 * a tree walk for every request, allocations included.
 */

import { env } from "cloudflare:workers";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { expect, it } from "vitest";
import app from "../../worker/http/app";

it("every route fits the one-regex router, and the app uses it", async () => {
  const router = new RegExpRouter<string>();
  for (const r of app.routes) router.add(r.method, r.path, r.path);
  expect(() => router.match("POST", "/v1/allocate")).not.toThrow();
  // SmartRouter settles on the first router that takes every route, at the first request.
  await app.request("/healthz", {}, env);
  expect(app.router.name).toBe("SmartRouter + RegExpRouter");
});
