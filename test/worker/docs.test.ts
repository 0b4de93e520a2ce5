/**
 * GET /docs and /docs/scalar.js: the API reference page and its renderer, both from this worker.
 * That the page renders /openapi.json, loads nothing from elsewhere and its try-it reaches the
 * worker is tested in Chromium (test/e2e/docs.test.ts).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SCALAR_ETAG, SCALAR_VERSION } from "../../worker/generated/api-reference";
import { acceptsGzip } from "../../worker/http/negotiation";
import { BASE } from "./helpers";

const sha256Hex = async (bytes: ArrayBuffer) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("GET /docs", () => {
  it("serves a page with no inline script that loads the renderer from this origin, under a CSP that allows nothing else", async () => {
    const r = await SELF.fetch(`${BASE}/docs`);
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toContain("text/html");
    const page = await r.text();
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [m[1]!.trim(), m[2]])).toEqual([[`src="/docs/scalar.js?v=${SCALAR_VERSION}"`, ""]]);
    expect(page).toContain('data-url="/openapi.json"');
    // The only absolute URL on the page is this worker's, as the server for try-it and the examples.
    expect([...page.matchAll(/https?:\/\/[^"&\s]*/g)].map((m) => m[0])).toEqual([BASE]);
    const config = JSON.parse(
      page
        .match(/data-configuration="([^"]*)"/)![1]!
        .replaceAll("&quot;", '"')
        .replaceAll("&amp;", "&"),
    );
    expect(config).toMatchObject({ withDefaultFonts: false, telemetry: false, agent: { disabled: true }, mcp: { disabled: true } });
    expect(config.servers).toEqual([{ url: BASE, description: "This worker" }]);
    expect(config.proxyUrl).toBeUndefined();
    const csp = (r.headers.get("Content-Security-Policy") ?? "").split("; ");
    expect(csp).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]));
    expect(r.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});

describe("GET /docs/scalar.js", () => {
  it("sends the pinned renderer gzipped to a client that takes gzip, with its ETag", async () => {
    const r = await SELF.fetch(`${BASE}/docs/scalar.js`, { headers: { "Accept-Encoding": "gzip, deflate" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toBe("application/javascript; charset=utf-8");
    expect(r.headers.get("Content-Encoding")).toBe("gzip");
    expect(r.headers.get("Vary")).toBe("Accept-Encoding");
    expect(r.headers.get("ETag")).toBe(SCALAR_ETAG);
    // fetch() decodes the body: the script whose hash the ETag names.
    const js = await r.arrayBuffer();
    expect(js.byteLength).toBeGreaterThan(1_000_000);
    expect(`"${(await sha256Hex(js)).slice(0, 16)}"`).toBe(SCALAR_ETAG);
  });

  it("decompresses for a client that does not take gzip", async () => {
    const r = await SELF.fetch(`${BASE}/docs/scalar.js`, { headers: { "Accept-Encoding": "identity" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Encoding")).toBeNull();
    const js = await r.arrayBuffer();
    expect(`"${(await sha256Hex(js)).slice(0, 16)}"`).toBe(SCALAR_ETAG);
    expect(new TextDecoder().decode(js.slice(0, 2000))).toMatch(/\S/);
  });

  it("answers a revalidation with its ETag by 304", async () => {
    const r = await SELF.fetch(`${BASE}/docs/scalar.js`, { headers: { "If-None-Match": SCALAR_ETAG, "Accept-Encoding": "gzip" } });
    expect(r.status).toBe(304);
    expect(await r.text()).toBe("");
  });
});

describe("acceptsGzip", () => {
  it("reads Accept-Encoding as RFC 9110 says: named codings before *, q=0 refuses", () => {
    expect(acceptsGzip("gzip, deflate, br")).toBe(true);
    expect(acceptsGzip("GZIP;q=0.5")).toBe(true);
    expect(acceptsGzip("*")).toBe(true);
    expect(acceptsGzip("br, gzip;q=0")).toBe(false);
    expect(acceptsGzip("gzip;q=0, *")).toBe(false);
    expect(acceptsGzip("identity")).toBe(false);
    expect(acceptsGzip("")).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
