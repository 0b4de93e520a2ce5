/**
 * GET /dashboard — the web page (no key needed to load it; it signs in with the admin key in the
 * browser and calls the API with it as a header). Served under a strict CSP that allows only the
 * page's own inline script (by hash) and requests to this origin.
 */
import { DASHBOARD_HTML, DASHBOARD_SCRIPT } from "../pages/dashboard";
import { createRouter } from "../router";

const app = createRouter();

let policy: Promise<string> | null = null;

async function contentSecurityPolicy(): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(DASHBOARD_SCRIPT)));
  const hash = btoa(String.fromCharCode(...digest));
  return [
    "default-src 'none'",
    `script-src 'sha256-${hash}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

app.get("/dashboard", async (c) => {
  policy ??= contentSecurityPolicy();
  c.header("Content-Security-Policy", await policy);
  c.header("Cache-Control", "no-cache");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(DASHBOARD_HTML);
});

export default app;
