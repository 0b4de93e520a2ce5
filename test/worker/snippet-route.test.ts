/** GET /dni.js and /dni-full.js: the two builds, each with its own ETag, cached and revalidated alike. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("the snippet's builds", () => {
  it("/dni-full.js is the build with consent, subdomains and debug; /dni.js loads it and has none of that", async () => {
    const lite = await SELF.fetch("https://dni.test/dni.js");
    const full = await SELF.fetch("https://dni.test/dni-full.js");
    for (const r of [lite, full]) {
      expect(r.status).toBe(200);
      expect(r.headers.get("Content-Type")).toBe("application/javascript; charset=utf-8");
      expect(r.headers.get("Access-Control-Allow-Origin")).toBe("*");
    }
    const [liteJs, fullJs] = [await lite.text(), await full.text()];
    expect(fullJs).toContain("__tcfapi");
    expect(fullJs).toContain("dni_t");
    expect(fullJs).toContain('"/v1/region"');
    expect(liteJs).not.toContain("__tcfapi");
    expect(liteJs).not.toContain("/v1/region");
    expect(liteJs).toContain('"/dni-full.js"');
    expect(full.headers.get("ETag")).not.toBe(lite.headers.get("ETag"));
    const again = await SELF.fetch("https://dni.test/dni-full.js", { headers: { "If-None-Match": full.headers.get("ETag")! } });
    expect(again.status).toBe(304);
  });
});
