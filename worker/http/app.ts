/** The Hono app: body caps, routes, the OpenAPI document, one error handler. */

import { demoSeed } from "./demo";
import { notFound, onError } from "./errors";
import { capBody } from "./middleware/limits";
import { createRouter } from "./router";
import accountRoutes from "./routes/account";
import accountVoice from "./routes/account-voice";
import accounts from "./routes/accounts";
import allocate from "./routes/allocate";
import autoscale from "./routes/autoscale";
import calls from "./routes/calls";
import dashboard from "./routes/dashboard";
import meta from "./routes/meta";
import orders from "./routes/orders";
import poolHealth from "./routes/pool-health";
import pools from "./routes/pools";
import sizing from "./routes/sizing";
import snippet from "./routes/snippet";
import voice from "./routes/voice";

const ADMIN_MAX_BYTES = 1024 * 1024;

const app = createRouter();

app.use("*", demoSeed());

// Every API body is capped; routes with smaller limits (allocation) add their own.
app.use("/v1/*", capBody(ADMIN_MAX_BYTES));

// Order matters where paths overlap: the first sub-app that matches handles the request.
for (const routes of [snippet, allocate, accounts, accountRoutes, pools, voice, calls, accountVoice, sizing, poolHealth, orders, autoscale, dashboard, meta]) {
  app.route("/", routes);
}

app.openAPIRegistry.registerComponent("securitySchemes", "adminKey", { type: "http", scheme: "bearer", description: "Account admin key sk_…" });
app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", { type: "http", scheme: "bearer", description: "Deployment operator token" });
app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "edge-dni API", version: "1.0.0", description: "Dynamic number insertion at the edge." } });

app.notFound(notFound);
app.onError(onError);

export default app;
