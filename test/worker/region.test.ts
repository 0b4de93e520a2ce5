/**
 * GET /v1/region: the caller's country and ISO 3166-2 subdivision from request.cf, for the
 * snippet's Consent Mode defaults scoped by region; readable from any origin, never cached.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const region = (cf?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  SELF.fetch("https://dni.test/v1/region", { headers, ...(cf ? { cf } : {}) } as RequestInit);

describe("GET /v1/region", () => {
  it("says the caller's country and subdivision, to any origin, never cached", async () => {
    const r = await region({ country: "ES", regionCode: "CT" }, { Origin: "https://www.tienda.example" });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ country: "ES", subdivision: "ES-CT" });
    expect(r.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(r.headers.get("Cache-Control")).toBe("private, no-store");
    expect(r.headers.get("Set-Cookie")).toBeNull();
  });

  it("a US state is US-XX", async () => {
    expect(await (await region({ country: "US", regionCode: "TX" })).json()).toEqual({ country: "US", subdivision: "US-TX" });
  });

  it("unknown: no subdivision without a region code; no country for Cloudflare's XX (unknown) and T1 (Tor), nor then a subdivision", async () => {
    expect(await (await region({ country: "FR" })).json()).toEqual({ country: "FR", subdivision: null });
    expect(await (await region({ country: "XX", regionCode: "TX" })).json()).toEqual({ country: null, subdivision: null });
    expect(await (await region({ country: "T1" })).json()).toEqual({ country: null, subdivision: null });
  });

  it("is in the OpenAPI document with its answer's schema", async () => {
    const doc = (await (await SELF.fetch("https://dni.test/openapi.json")).json()) as any;
    const op = doc.paths["/v1/region"].get;
    expect(op.security ?? []).toEqual([]);
    expect(doc.components.schemas.Region.required).toEqual(["country", "subdivision"]);
  });
});
