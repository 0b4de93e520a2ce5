/** Outbound deliveries (GA4, webhooks, alerts): list the failing and dead ones, redeliver one. */
import { createRoute } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { errorResponsesFor } from "../../schemas/common";
import { DeliveryItemSchema, DeliveryListQuerySchema, DeliveryListSchema, DeliveryParamSchema } from "../../schemas/deliveries";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/deliveries", adminAuth());
app.use("/v1/deliveries/*", adminAuth());

const tags = ["deliveries"];

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/deliveries",
    tags,
    summary:
      "Outbound deliveries newest first: GA4 events, call webhooks, alert webhooks and alert emails, with their attempts and last error. Filter `status=failing` (retrying after a failure) or `dead` (retries over 72 h ran out); paged with cursor/nextCursor.",
    security: ADMIN,
    request: { query: DeliveryListQuerySchema },
    responses: { 200: { description: "A page of deliveries", ...json(DeliveryListSchema) }, ...errorResponsesFor([400, 401, 403, 404]) },
  }),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(unwrap(await account(c.env, c.var.accountId).listDeliveries(c.req.valid("query"))), 200);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/deliveries/{id}/redeliver",
    tags,
    summary:
      "Send one more copy of a delivery now, with the same body and webhook-id (receivers deduplicate on it; an alert email's redelivery has its own Resend Idempotency-Key, or Resend would send nothing). A delivered or dead delivery gets one attempt; a pending one is tried now and keeps its retries.",
    security: ADMIN,
    request: { params: DeliveryParamSchema },
    responses: {
      202: { description: "Queued; the alarm sends it within seconds", ...json(DeliveryItemSchema) },
      ...errorResponsesFor([400, 401, 403, 404, 409]),
    },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).redeliver(Number(c.req.valid("param").id), Date.now())), 202),
);

export default app;
