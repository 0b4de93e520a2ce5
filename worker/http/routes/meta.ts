/** Service routes: health, the API reference page. */
import { createRoute, z } from "@hono/zod-openapi";
import { DOCS_HTML } from "../pages/docs";
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

app.get("/docs", (c) => {
  c.header("Cache-Control", "public, max-age=300");
  return c.html(DOCS_HTML);
});

export default app;
