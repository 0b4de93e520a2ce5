/** A pool's health, its numbers with their figures, and its own sizing answer (admin key). */
import { createRoute } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { poolHealth, poolNumbers, poolSizing } from "../../pool/fan-out";
import { poolReplay } from "../../pool/replay-fan-out";
import { errorResponses, PoolParamSchema } from "../../schemas/common";
import { HealthQuerySchema, HealthViewSchema, NumberListSchema, NumbersQuerySchema, PoolSizingQuerySchema, PoolSizingSchema } from "../../schemas/health";
import { ReplayQuerySchema, ReplaySchema } from "../../schemas/replay";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/pools/*", adminAuth());

const tags = ["pools"];

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}/health",
    tags,
    summary:
      "Pool health: numbers total / leased / free now, utilization, state (ok | warning | exhausted), peak concurrent leases per bucket of `step` minutes (up to 8 days back), the 7-day peak, counters, the open warning episode.",
    security: ADMIN,
    request: { params: PoolParamSchema, query: HealthQuerySchema },
    responses: { 200: { description: "Health", ...json(HealthViewSchema) }, ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    c.header("Cache-Control", "no-store");
    const pool = unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id));
    return c.json(await poolHealth(c.env, c.var.accountId, pool, { now: Date.now(), minutes: q.minutes, step: q.step }), 200);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}/numbers",
    tags,
    summary:
      "The pool's numbers in E.164 order, each with its state, last shown (allocated or renewed), last called and sessions served; paged with nextCursor.",
    security: ADMIN,
    request: { params: PoolParamSchema, query: NumbersQuerySchema },
    responses: { 200: { description: "A page of numbers", ...json(NumberListSchema) }, ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    c.header("Cache-Control", "no-store");
    const pool = unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id));
    const page = await poolNumbers(c.env, c.var.accountId, pool, q.cursor === undefined ? { limit: q.limit } : { after: q.cursor, limit: q.limit });
    return c.json(page, 200);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}/sizing",
    tags,
    summary:
      "How many numbers this pool should have: from its observed 7-day peak concurrency with Poisson headroom, from a traffic estimate if given, and for a target share of misattributed calls by replaying its recorded traffic; says which to buy.",
    security: ADMIN,
    request: { params: PoolParamSchema, query: PoolSizingQuerySchema },
    responses: { 200: { description: "Sizing", ...json(PoolSizingSchema) }, ...errorResponses },
  }),
  async (c) => {
    const pool = unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id));
    return c.json(await poolSizing(c.env, c.var.accountId, pool, c.req.valid("query"), Date.now()), 200);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/pools/{id}/replay",
    tags,
    summary:
      "What-if replay: the pool's recorded lease starts, renewals and calls of the last days played again with `numbers` numbers and a `leaseSeconds` lease (same exhaustion policy and grace): the share of new sessions that would have found it full, recycled early, and of calls attributed to the right visit — beside what happened. See README: Pool sizing.",
    security: ADMIN,
    request: { params: PoolParamSchema, query: ReplayQuerySchema },
    responses: { 200: { description: "Replay beside what happened", ...json(ReplaySchema) }, ...errorResponses },
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    const pool = unwrap(await account(c.env, c.var.accountId).getPool(c.req.valid("param").id));
    return c.json(await poolReplay(c.env, c.var.accountId, pool, c.req.valid("query"), Date.now()), 200);
  },
);

export default app;
