/** The Hono app: body caps, routes, the OpenAPI document, one error handler. */
import { capBody } from "./middleware/limits";
import { demoSeed } from "./demo";
import { createRouter } from "./router";
import { notFound, onError } from "./errors";
import accounts from "./routes/accounts";
import accountRoutes from "./routes/account";
import pools from "./routes/pools";
import allocate from "./routes/allocate";
import snippet from "./routes/snippet";
import sizing from "./routes/sizing";

export const ADMIN_MAX_BYTES = 1024 * 1024;

const app = createRouter();

app.use("*", demoSeed());

app.use("/v1/accounts", capBody(ADMIN_MAX_BYTES));
app.use("/v1/account/*", capBody(ADMIN_MAX_BYTES));
app.use("/v1/account", capBody(ADMIN_MAX_BYTES));
app.use("/v1/pools/*", capBody(ADMIN_MAX_BYTES));
app.use("/v1/pools", capBody(ADMIN_MAX_BYTES));

app.route("/", snippet);
app.route("/", allocate);
app.route("/", accounts);
app.route("/", accountRoutes);
app.route("/", pools);
app.route("/", sizing);

app.openAPIRegistry.registerComponent("securitySchemes", "adminKey", { type: "http", scheme: "bearer", description: "Account admin key sk_…" });
app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", { type: "http", scheme: "bearer", description: "Deployment operator token" });
app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "edge-dni API", version: "1.0.0", description: "Dynamic number insertion at the edge." } });

app.get("/healthz", (c) => c.json({ ok: true }));
app.notFound(notFound);
app.onError(onError);

export default app;
