/** Pools of the signed-in account: CRUD, numbers, live leases (admin key). */
import { createRoute, z } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { poolLeases } from "../../pool/fan-out";
import { errorResponses, PoolParamSchema } from "../../schemas/common";
import { IdempotencyHeaderSchema, OrderSchema } from "../../schemas/orders";
import { LeaseSchema, NumbersChangeSchema, PoolCreateSchema, PoolPatchSchema, PoolSchema } from "../../schemas/pool";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/pools", adminAuth());
app.use("/v1/pools/*", adminAuth());

const tags = ["pools"];

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools",
    tags,
    summary: "List pools.",
    security: ADMIN,
    responses: { 200: { description: "Pools", ...json(z.object({ pools: z.array(PoolSchema) })) }, ...errorResponses },
  }),
  async (c) => c.json({ pools: unwrap(await account(c.env, c.var.accountId).listPools()) }, 200),
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/pools",
    tags,
    summary:
      "Create a pool. Numbers are normalised to E.164; a tracking number belongs to one pool only and is never a destination. With `order`, numbers are bought from the voice provider into it (the answer's `order`; GET /v1/orders/{id}).",
    security: ADMIN,
    request: { body: { required: true, ...json(PoolCreateSchema) } },
    responses: { 201: { description: "Created", ...json(PoolSchema.extend({ order: OrderSchema.optional() })) }, ...errorResponses },
  }),
  async (c) => {
    const { order, ...input } = c.req.valid("json");
    const stub = account(c.env, c.var.accountId);
    if (!order) return c.json(unwrap(await stub.createPool(input, Date.now())), 201);
    const made = unwrap(await stub.createPoolWithOrder(input, order, new URL(c.req.url).origin, Date.now()));
    return c.json({ ...made.pool, order: made.order }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}",
    tags,
    summary: "One pool.",
    security: ADMIN,
    request: { params: PoolParamSchema },
    responses: { 200: { description: "Pool", ...json(PoolSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/v1/pools/{id}",
    tags,
    summary: "Change a pool. `trackingNumbers`, when given, replaces the whole list (removed numbers retire when their lease ends).",
    security: ADMIN,
    request: { params: PoolParamSchema, body: { required: true, ...json(PoolPatchSchema) } },
    responses: { 200: { description: "Pool", ...json(PoolSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).updatePool(c.req.valid("param").id, c.req.valid("json"), Date.now())), 200),
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/v1/pools/{id}",
    tags,
    summary: "Delete a pool. Its numbers keep routing calls to it for lease + grace, then are free to reuse.",
    security: ADMIN,
    request: { params: PoolParamSchema },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    unwrap(await account(c.env, c.var.accountId).deletePool(c.req.valid("param").id, Date.now()));
    return c.body(null, 204);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/pools/{id}/numbers",
    tags,
    summary:
      "Add and/or remove tracking numbers without recreating the pool. A leased number being removed retires when its lease ends; a number bought through an order is released at the provider after lease + grace, unless a pool has it again. With `order`, numbers are bought into the pool (202 with the order).",
    security: ADMIN,
    request: { params: PoolParamSchema, headers: IdempotencyHeaderSchema, body: { required: true, ...json(NumbersChangeSchema) } },
    responses: {
      200: { description: "Pool", ...json(PoolSchema) },
      202: { description: "Numbers changed and an order queued", ...json(PoolSchema.extend({ order: OrderSchema })) },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { order, ...change } = c.req.valid("json");
    const id = c.req.valid("param").id;
    const stub = account(c.env, c.var.accountId);
    if (!order) return c.json(unwrap(await stub.changeNumbers(id, change, Date.now())), 200);
    const key = c.req.valid("header")["idempotency-key"] ?? null;
    // The order and the change in one step of the account object: a refused order or change stores
    // nothing and buys nothing. A retry with its Idempotency-Key gets the first request's order, and
    // the pool as it is (add/remove done then).
    const changing = !!(change.add?.length || change.remove?.length);
    const queued = unwrap(await stub.orderNumbers(id, order, new URL(c.req.url).origin, Date.now(), key, changing ? change : null));
    const pool = queued.pool ?? unwrap(await stub.getPool(id));
    return c.json({ ...pool, order: queued.order }, 202);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}/leases",
    tags,
    summary: "Live leases of a pool.",
    security: ADMIN,
    request: { params: PoolParamSchema },
    responses: { 200: { description: "Leases", ...json(z.object({ leases: z.array(LeaseSchema) })) }, ...errorResponses },
  }),
  async (c) => {
    const pool = unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id));
    return c.json({ leases: await poolLeases(c.env, c.var.accountId, pool, Date.now()) }, 200);
  },
);

export default app;
