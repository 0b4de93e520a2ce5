/**
 * GET /dni.js — the built snippet, cached a day by browsers and CDNs, revalidated by ETag; and
 * GET /dni-full.js, the build with data-consent, data-domain and the debug report (dni.js loads it
 * when a page asks for one of those).
 */
import { Hono } from "hono";
import { SNIPPET_ETAG, SNIPPET_FULL_ETAG, SNIPPET_FULL_JS, SNIPPET_JS } from "../../generated/snippet";
import type { AppEnv } from "../app-env";
import { matchesEtag } from "../negotiation";

const app = new Hono<AppEnv>();

for (const [path, js, etag] of [
  ["/dni.js", SNIPPET_JS, SNIPPET_ETAG],
  ["/dni-full.js", SNIPPET_FULL_JS, SNIPPET_FULL_ETAG],
] as const)
  app.get(path, (c) => {
    c.header("Content-Type", "application/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=86400, stale-while-revalidate=604800");
    c.header("ETag", etag);
    c.header("Access-Control-Allow-Origin", "*");
    c.header("X-Content-Type-Options", "nosniff");
    if (matchesEtag(c.req.header("If-None-Match"), etag)) return c.body(null, 304);
    return c.body(js);
  });

export default app;
