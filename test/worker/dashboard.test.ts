/**
 * GET /dashboard: the page is served without a key, its script and styles inline, under a CSP that
 * allows exactly those two by hash. What the page does is tested in Chromium (test/e2e/dashboard)
 * and its pure parts in test/dashboard/.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BASE } from "./helpers";

const sha256 = async (text: string) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))));

/** The contents of every `<tag>…</tag>` in the page. */
const inline = (page: string, tag: string) => [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1]!);

describe("GET /dashboard", () => {
  it("serves the page with a CSP naming exactly its one script and one style by hash", async () => {
    const r = await SELF.fetch(`${BASE}/dashboard`);
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toContain("text/html");
    const page = await r.text();
    expect(page).toContain("<title>edge-dni dashboard</title>");
    const scripts = inline(page, "script");
    const styles = inline(page, "style");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(scripts[0]!.length).toBeGreaterThan(1000);
    const csp = (r.headers.get("Content-Security-Policy") ?? "").split("; ");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${await sha256(scripts[0]!)}'`);
    expect(csp).toContain(`style-src 'sha256-${await sha256(styles[0]!)}'`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(r.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(r.headers.get("Cache-Control")).toBe("no-cache");
  });

  it("answers a revalidation with its ETag by 304 and no body", async () => {
    const first = await SELF.fetch(`${BASE}/dashboard`);
    await first.arrayBuffer();
    const etag = first.headers.get("ETag");
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const again = await SELF.fetch(`${BASE}/dashboard`, { headers: { "If-None-Match": `W/${etag}` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const other = await SELF.fetch(`${BASE}/dashboard`, { headers: { "If-None-Match": '"0000000000000000"' } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });
});
