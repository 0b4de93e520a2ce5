import { describe, expect, it } from "vitest";
import app from "../../worker/http/app";
import { api } from "./helpers";

/** Pages, the reference page's renderer and the document itself are not API operations. */
const NOT_API = new Set(["/openapi.json", "/docs", "/docs/scalar.js", "/dashboard"]);

describe("OpenAPI document", () => {
  it("describes every route the app serves", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    expect(doc.openapi).toBe("3.1.0");
    const served = app.routes
      .filter((r) => r.method !== "ALL" && r.method !== "OPTIONS" && !NOT_API.has(r.path) && !r.path.startsWith("/dashboard"))
      // A param may carry a pattern (`:provider{(?:twilio|…)}`): the document names the param alone.
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(?:\{[^/]*\})?/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(10);
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)),
    );
    const missing = [...new Set(served)].filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // …and documents nothing that is not served.
    const extra = [...documented].filter((r) => !served.includes(r));
    expect(extra).toEqual([]);
  });

  it("request schemas are the validators: a documented enum is enforced", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const create = doc.components.schemas.PoolCreate;
    expect(create.properties.exhaustionPolicy.enum).toEqual(["recycle", "overflow", "none"]);
  });

  it("serves a browsable reference page", async () => {
    const r = await api("GET", "/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toContain("text/html");
    expect(String(r.json)).toContain("/openapi.json");
  });
});
