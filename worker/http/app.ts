/** The Hono app: body caps, routes, the OpenAPI document, one error handler. */

import { demoSeed } from "./demo";
import { notFound, onError, WWW_AUTHENTICATE } from "./errors";
import { methodTable } from "./methods";
import { capBody } from "./middleware/limits";
import { type OpenApiDocument, refineDocument } from "./openapi";
import { createRouter } from "./router";
import accountRoutes from "./routes/account";
import accountVoice from "./routes/account-voice";
import accounts from "./routes/accounts";
import allocate from "./routes/allocate";
import archive from "./routes/archive";
import autoscale from "./routes/autoscale";
import calls from "./routes/calls";
import conversions from "./routes/conversions";
import dashboard from "./routes/dashboard";
import deliveries from "./routes/deliveries";
import meta from "./routes/meta";
import orders from "./routes/orders";
import poolHealth from "./routes/pool-health";
import pools from "./routes/pools";
import recording from "./routes/recording";
import region from "./routes/region";
import sizing from "./routes/sizing";
import snippet from "./routes/snippet";
import voice from "./routes/voice";

const ADMIN_MAX_BYTES = 1024 * 1024;

const app = createRouter();

app.use("*", demoSeed());

// Order matters where paths overlap: the first sub-app that matches handles the request.
// The snippet's routes come before the layers below, which they do without (each layer is an async
// hop on every allocation, profiled): the allocation route sets no-store and WWW-Authenticate
// itself and has its own, smaller body cap; the snippet file is a GET outside /v1; the region route
// (Consent Mode defaults scoped by region) sets its own Cache-Control and has no body.
app.route("/", snippet);
app.route("/", allocate);
app.route("/", region);

// One layer after every other route: every 401 says how to authenticate (RFC 9110), whichever
// route raised it; and no API answer is cached anywhere on the way (keys, settings, calls) unless
// the route said otherwise itself.
app.use("*", async (c, next) => {
  await next();
  if (c.res.status === 401 && !c.res.headers.has("WWW-Authenticate")) c.res.headers.set("WWW-Authenticate", WWW_AUTHENTICATE);
  if (!c.req.path.startsWith("/v1/") || c.res.headers.has("Cache-Control")) return;
  try {
    c.res.headers.set("Cache-Control", "no-store");
  } catch {
    // A response with immutable headers (a fetched body passed on): copy it to set the header.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Cache-Control", "no-store");
  }
});

// Every other API body is capped.
app.use("/v1/*", capBody(ADMIN_MAX_BYTES));

for (const routes of [
  accounts,
  accountRoutes,
  pools,
  voice,
  calls,
  recording,
  archive,
  accountVoice,
  sizing,
  poolHealth,
  deliveries,
  dashboard,
  meta,
  conversions,
  orders,
  autoscale,
]) {
  app.route("/", routes);
}

app.openAPIRegistry.registerComponent("securitySchemes", "adminKey", { type: "http", scheme: "bearer", description: "Account admin key sk_…" });
app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", { type: "http", scheme: "bearer", description: "Deployment operator token" });
const DOC_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "edge-dni API",
    version: "1.0.0",
    description:
      "Dynamic number insertion at the edge. Every error is `{ error: { code, message, details? } }` with the status its operation declares; a method a path does not have is 405 `method_not_allowed`, with `Allow` listing those it has.",
  },
};
let document: OpenApiDocument | undefined;
app.get("/openapi.json", (c) => {
  document ??= refineDocument(app.getOpenAPI31Document(DOC_CONFIG) as unknown as OpenApiDocument);
  return c.json(document);
});

const allowedMethods = methodTable(app.routes);
app.notFound((c) => notFound(c, allowedMethods));
app.onError(onError);

export default app;
