/** A pool's autoscaling (admin key): its settings and scaling history; every autoscaled pool's in one list. */
import { createRoute, z } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { AutoscaleListQuerySchema, AutoscalePutSchema, AutoscaleViewSchema } from "../../schemas/autoscale";
import { errorResponses, PoolParamSchema } from "../../schemas/common";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/pools/:id/autoscale", adminAuth());
app.use("/v1/autoscale", adminAuth());

const tags = ["numbers"];
const path = "/v1/pools/{id}/autoscale";

app.openapi(
  createRoute({
    method: "get",
    path,
    tags,
    summary: "A pool's autoscaling: settings, size, numbers on order, and its scaling history (newest first).",
    security: ADMIN,
    request: { params: PoolParamSchema },
    responses: { 200: { description: "Autoscaling", ...json(AutoscaleViewSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getAutoscale(c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/autoscale",
    tags,
    summary:
      "Every autoscaled pool's autoscaling (as GET /v1/pools/{id}/autoscale answers it), in the pools' order; with `pool`, that pool's only (an empty list when it does not autoscale: no 404 to probe with).",
    security: ADMIN,
    request: { query: AutoscaleListQuerySchema },
    responses: { 200: { description: "Autoscaling", ...json(z.object({ pools: z.array(AutoscaleViewSchema) })) }, ...errorResponses },
  }),
  async (c) => c.json({ pools: unwrap(await account(c.env, c.var.accountId).listAutoscale(c.req.valid("query").pool)) }, 200),
);

app.openapi(
  createRoute({
    method: "put",
    path,
    tags,
    summary:
      "Let the pool size itself (off by default): it grows toward the Poisson-tail size for `target` at its observed peak, never past `max`, and shrinks after `cooldownMinutes` of lower peaks, never below `min`. Each step is an order or a removal, written to the history and sent as a `pool.scaled` alert. A grow whose order fails (the provider's refusal) is sent as a `pool.scale_failed` alert with the provider's reason, and the next grow waits 30 min, doubling with each failure in a row up to a day. One that waits for the provider's stock is told once (`pool.scale_failed`, `waiting: true`), places no second order beside it, and is canceled by a later shrink; an order placed by hand and still open holds every step until it ends.",
    security: ADMIN,
    request: { params: PoolParamSchema, body: { required: true, ...json(AutoscalePutSchema) } },
    responses: { 200: { description: "Autoscaling", ...json(AutoscaleViewSchema) }, ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(await account(c.env, c.var.accountId).putAutoscale(c.req.valid("param").id, c.req.valid("json"), new URL(c.req.url).origin, Date.now())),
      200,
    ),
);

app.openapi(
  createRoute({
    method: "delete",
    path,
    tags,
    summary: "Stop autoscaling the pool (its numbers stay; the history is kept).",
    security: ADMIN,
    request: { params: PoolParamSchema },
    responses: { 204: { description: "Stopped" }, ...errorResponses },
  }),
  async (c) => {
    unwrap(await account(c.env, c.var.accountId).deleteAutoscale(c.req.valid("param").id));
    return c.body(null, 204);
  },
);

export default app;
