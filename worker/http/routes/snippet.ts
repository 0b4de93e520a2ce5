/** GET /dni.js — the built snippet, cached a day by browsers and CDNs, revalidated by ETag. */
import { Hono } from "hono";
import { SNIPPET_ETAG, SNIPPET_JS } from "../../generated/snippet";
import type { AppEnv } from "../app-env";
import { matchesEtag } from "../negotiation";

const app = new Hono<AppEnv>();

app.get("/dni.js", (c) => {
  c.header("Content-Type", "application/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=86400, stale-while-revalidate=604800");
  c.header("ETag", SNIPPET_ETAG);
  c.header("Access-Control-Allow-Origin", "*");
  c.header("X-Content-Type-Options", "nosniff");
  if (matchesEtag(c.req.header("If-None-Match"), SNIPPET_ETAG)) return c.body(null, 304);
  return c.body(SNIPPET_JS);
});

export default app;
