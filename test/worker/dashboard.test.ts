/** GET /dashboard: the page is served without a key, under a CSP that allows only its own script. */
import { describe, expect, it } from "vitest";
import { DASHBOARD_SCRIPT } from "../../worker/http/pages/dashboard";
import { api } from "./helpers";

describe("GET /dashboard", () => {
  it("serves the page with a strict CSP naming its script's hash", async () => {
    const r = await api("GET", "/dashboard");
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toContain("text/html");
    const page = String(r.json);
    expect(page).toContain("<title>edge-dni dashboard</title>");
    expect(page).toContain(`<script>${DASHBOARD_SCRIPT}</script>`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(DASHBOARD_SCRIPT)));
    const csp = r.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain(`script-src 'sha256-${btoa(String.fromCharCode(...digest))}'`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("keeps the admin key in sessionStorage and sends it only as a header", () => {
    expect(DASHBOARD_SCRIPT).toContain("sessionStorage.getItem(KEY)");
    expect(DASHBOARD_SCRIPT).toContain('Authorization: "Bearer " + sessionStorage.getItem(KEY)');
    // The key never goes into a URL, localStorage or a cookie; the key input has no name (a form submit carries nothing).
    expect(DASHBOARD_SCRIPT).not.toMatch(/localStorage|document\.cookie|[?&]key=/);
    expect(DASHBOARD_SCRIPT.match(/sessionStorage\.getItem\(KEY\)/g)).toHaveLength(2);
  });
});
