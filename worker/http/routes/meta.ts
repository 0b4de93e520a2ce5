/** Service routes: health, the API reference page and its renderer. */
import { createRoute, z } from "@hono/zod-openapi";
import { SCALAR_ETAG } from "../../generated/api-reference";
import { acceptsGzip, matchesEtag } from "../negotiation";
import { DOCS_CSP, docsPage } from "../pages/docs";
import { createRouter } from "../router";

const app = createRouter();

app.openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["service"],
    summary: "Liveness.",
    responses: { 200: { description: "Up", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } },
  }),
  (c) => c.json({ ok: true }, 200),
);

app.openAPIRegistry.registerPath({
  method: "get",
  path: "/dni.js",
  tags: ["service"],
  summary: "The snippet bundle (Cache-Control a day, ETag; 304 on If-None-Match).",
  responses: { 200: { description: "JavaScript", content: { "application/javascript": { schema: z.string() } } }, 304: { description: "Not modified" } },
});

app.openAPIRegistry.registerPath({
  method: "get",
  path: "/dni-full.js",
  tags: ["service"],
  summary: "The snippet with data-consent, data-domain and the debug report (dni.js loads it when asked for one); cached as /dni.js.",
  responses: { 200: { description: "JavaScript", content: { "application/javascript": { schema: z.string() } } }, 304: { description: "Not modified" } },
});

app.get("/docs", (c) => {
  c.header("Content-Security-Policy", DOCS_CSP);
  c.header("Cache-Control", "public, max-age=300");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(docsPage(new URL(c.req.url).origin));
});

/**
 * The renderer (1.4 MB gzipped), loaded on its first request, not with the worker: every other
 * request (and every worker test file, which loads the worker afresh) goes without it.
 */
const renderer = () => import("../../generated/api-reference.js.gz").then((m) => m.default);

/**
 * The renderer, stored gzipped: sent as is to a client that accepts gzip (every browser), else
 * decompressed on the way out.
 */
app.get("/docs/scalar.js", async (c) => {
  const headers = new Headers({
    "Content-Type": "application/javascript; charset=utf-8",
    "Cache-Control": "public, max-age=86400",
    ETag: SCALAR_ETAG,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  });
  if (matchesEtag(c.req.header("If-None-Match"), SCALAR_ETAG)) return new Response(null, { status: 304, headers });
  if (acceptsGzip(c.req.header("Accept-Encoding"))) {
    headers.set("Content-Encoding", "gzip");
    return new Response(await renderer(), { headers, encodeBody: "manual" });
  }
  return new Response(new Blob([await renderer()]).stream().pipeThrough(new DecompressionStream("gzip")), { headers });
});

export default app;
