/**
 * GET /dashboard — the web page (no key needed to load it; it signs in with the admin key in the
 * browser and calls the API with it as a header). Its script and styles are inlined into the page
 * at build time (scripts/build-dashboard.mjs, from dashboard/) and the Content-Security-Policy,
 * also built there, allows exactly those two by hash and requests to this origin only.
 */
import { DASHBOARD_CSP, DASHBOARD_ETAG, DASHBOARD_HTML } from "../../generated/dashboard";
import { matchesEtag } from "../negotiation";
import { createRouter } from "../router";

const app = createRouter();

app.get("/dashboard", (c) => {
  c.header("Content-Security-Policy", DASHBOARD_CSP);
  c.header("Cache-Control", "no-cache");
  c.header("ETag", DASHBOARD_ETAG);
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  if (matchesEtag(c.req.header("If-None-Match"), DASHBOARD_ETAG)) return c.body(null, 304);
  return c.html(DASHBOARD_HTML);
});

export default app;
