/** Number orders of the signed-in account (admin key): progress of numbers bought from the provider. */
import { createRoute, z } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponses } from "../../schemas/common";
import { OrderListQuerySchema, OrderParamSchema, OrderSchema } from "../../schemas/orders";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/orders", adminAuth());
app.use("/v1/orders/*", adminAuth());

const tags = ["numbers"];

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/orders",
    tags,
    summary: "Number orders, newest first (the last 100), optionally of one pool.",
    security: ADMIN,
    request: { query: OrderListQuerySchema },
    responses: { 200: { description: "Orders", ...json(z.object({ orders: z.array(OrderSchema) })) }, ...errorResponses },
  }),
  async (c) => c.json({ orders: unwrap(await account(c.env, c.var.accountId).listOrders(c.req.valid("query").pool)) }, 200),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/orders/{id}",
    tags,
    summary: "One number order: status, progress (searched, bought, configured, added, skipped), its numbers, the provider's reason for the last failure.",
    security: ADMIN,
    request: { params: OrderParamSchema },
    responses: { 200: { description: "Order", ...json(OrderSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getOrder(c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/v1/orders/{id}",
    tags,
    summary:
      "Cancel an open number order (pending, running or waiting): nothing more is bought. Numbers it already put in the pool stay; any it bought and had not added are released, and any still on order at the provider (Telnyx: pending) have that order canceled, or are released once filled. 409 order_closed when it has ended.",
    security: ADMIN,
    request: { params: OrderParamSchema },
    responses: { 200: { description: "The order, canceled", ...json(OrderSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).cancelOrder(c.req.valid("param").id, Date.now())), 200),
);

export default app;
