import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import app from "../../worker/http/app";
import { AccountCreateSchema, AccountPatchSchema, RotateKeySchema } from "../../worker/schemas/account";
import { AllocateRequestSchema } from "../../worker/schemas/allocate";
import { AutoscalePutSchema } from "../../worker/schemas/autoscale";
import { CallerErasureSchema } from "../../worker/schemas/calls";
import { ConversionsCheckRequestSchema, ConversionsPatchSchema } from "../../worker/schemas/conversions";
import { NumbersChangeSchema, PoolCreateSchema, PoolPatchSchema } from "../../worker/schemas/pool";
import { VoicePatchSchema } from "../../worker/schemas/providers";
import { SizingRequestSchema } from "../../worker/schemas/sizing";
import { IntegrationsPatchSchema } from "../../worker/schemas/voice";
import { api, BROWSER_HEADERS, createAccount, OPERATOR, ORIGIN } from "./helpers";

/** Pages, the reference page's renderer and the document itself are not API operations. */
const NOT_API = new Set(["/openapi.json", "/docs", "/docs/scalar.js", "/dashboard"]);

/** Every JSON request body's schema, by its OpenAPI name. */
const BODY_SCHEMAS: Record<string, ZodType> = {
  AllocateRequest: AllocateRequestSchema,
  AccountCreate: AccountCreateSchema,
  AccountPatch: AccountPatchSchema,
  RotateKey: RotateKeySchema,
  PoolCreate: PoolCreateSchema,
  PoolPatch: PoolPatchSchema,
  NumbersChange: NumbersChangeSchema,
  VoicePatch: VoicePatchSchema,
  IntegrationsPatch: IntegrationsPatchSchema,
  SizingRequest: SizingRequestSchema,
  ConversionsPatch: ConversionsPatchSchema,
  ConversionsCheckRequest: ConversionsCheckRequestSchema,
  AutoscalePut: AutoscalePutSchema,
  CallerErasure: CallerErasureSchema,
};

describe("OpenAPI document", () => {
  it("describes every route the app serves", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    expect(doc.openapi).toBe("3.1.0");
    // Served routes as patterns: a param (with or without its own pattern, `:provider{(?:twilio|…)}`)
    // is any one segment. One route may serve several documented paths (the voice callbacks'
    // `/v1/voice/:account/:at` serves a provider's inbound call, the signed reference legs and a
    // voice secret), so the two are compared by matching, both ways.
    const served = app.routes
      .filter((r) => r.method !== "ALL" && r.method !== "OPTIONS" && !NOT_API.has(r.path) && !r.path.startsWith("/dashboard"))
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path, re: new RegExp(`^${r.path.replace(/:(\w+)(?:\{[^/]*\})?/g, "[^/]+")}$`) }));
    expect(served.length).toBeGreaterThan(10);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      // A concrete path: each {param} one segment (a provider's name where the param is one).
      Object.keys(ops).map((m) => ({ method: m, path: p, concrete: p.replace(/\{provider\}/g, "twilio").replace(/\{\w+\}/g, "x") })),
    );
    const missing = served.filter((r) => !documented.some((d) => d.method === r.method && r.re.test(d.concrete))).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    // …and documents nothing that is not served.
    const extra = documented.filter((d) => !served.some((r) => r.method === d.method && r.re.test(d.concrete))).map((d) => `${d.method} ${d.path}`);
    expect(extra).toEqual([]);
  });

  it("no two paths differ only in their parameters' names (OpenAPI holds them one path: validators refuse the document)", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const shapes = new Map<string, string[]>();
    for (const p of Object.keys(doc.paths)) {
      const shape = p.replace(/\{\w+\}/g, "{}");
      shapes.set(shape, [...(shapes.get(shape) ?? []), p]);
    }
    expect([...shapes.values()].filter((paths) => paths.length > 1)).toEqual([]);
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

type Op = {
  security?: object[];
  requestBody?: { content: Record<string, unknown> };
  parameters?: { in: string; name: string; description?: string; schema?: { example?: unknown }; example?: unknown }[];
  responses: Record<string, unknown>;
};
const operations = async () => {
  const doc = (await api("GET", "/openapi.json")).json;
  return Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );
};
const statuses = (op: Op) => Object.keys(op.responses).map(Number);
/**
 * A concrete path for a templated one: every parameter filled with its documented example (a
 * well-formed value a fresh account has nothing under), else a placeholder.
 */
const concrete = (path: string, op: Op) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const p = op.parameters?.find((x) => x.in === "path" && x.name === name);
    const example = p?.example ?? p?.schema?.example;
    return name === "provider" ? "twilio" : typeof example === "string" ? example : `nothing-${name}`;
  });

describe("OpenAPI error responses, per operation", () => {
  it("GETs document no 409, 413 or 415; every body documents 413 and 415 (allocation, which reads any body as JSON: 413); allocation documents 429", async () => {
    const ops = await operations();
    for (const { method, path, op } of ops) {
      const s = statuses(op);
      if (method === "get")
        expect(
          s.filter((x) => [409, 413, 415].includes(x)),
          `${method} ${path}`,
        ).toEqual([]);
      if (op.requestBody) expect(s, `${method} ${path}`).toEqual(expect.arrayContaining(path === "/v1/allocate" ? [400, 413] : [400, 413, 415]));
    }
    const allocate = ops.find((o) => o.path === "/v1/allocate")!.op;
    expect(statuses(allocate)).toEqual(expect.arrayContaining([400, 401, 403, 404, 429]));
    expect(statuses(allocate)).not.toContain(415);
  });

  it("each documented 401, 403 and 404 of the admin API is what the route answers", async () => {
    const acct = await createAccount();
    const checked: string[] = [];
    for (const { method, path, op } of await operations()) {
      const secured = (op.security ?? []).some((s) => "adminKey" in s);
      if (!secured) continue;
      const url = concrete(path, op);
      const body = op.requestBody ? {} : undefined;
      expect(statuses(op), `${method} ${path}`).toEqual(expect.arrayContaining([401, 403]));
      expect((await api(method.toUpperCase(), url, { body })).status, `${method} ${path} without a key`).toBe(401);
      expect((await api(method.toUpperCase(), url, { key: acct.siteKey, body })).status, `${method} ${path} with a site key`).toBe(403);
      if (path.includes("{") && method === "get") {
        expect(statuses(op)).toContain(404);
        expect((await api("GET", url, { key: acct.adminKey })).status, `${method} ${path} for nothing`).toBe(404);
      }
      if (!statuses(op).includes(404)) checked.push(`${method} ${path}`);
    }
    expect(checked.length).toBeGreaterThan(5);
  });

  it("each documented 400 and 413 of a body is what the route answers", async () => {
    const acct = await createAccount();
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });
    let checked = 0;
    for (const { method, path, op } of await operations()) {
      if (!op.requestBody || path.startsWith("/v1/voice/")) continue;
      checked++;
      const key = path === "/v1/accounts" ? OPERATOR : path === "/v1/allocate" ? undefined : acct.adminKey;
      const headers = path === "/v1/allocate" ? { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" } : { "Content-Type": "application/json" };
      const url = concrete(path, op);
      expect((await api(method.toUpperCase(), url, { key, raw: "{not json", headers })).status, `${method} ${path} bad JSON`).toBe(400);
      expect((await api(method.toUpperCase(), url, { key, raw: big, headers })).status, `${method} ${path} too large`).toBe(413);
    }
    // Every request body the schemas name was tried (a document that listed none would check nothing).
    expect(checked).toBeGreaterThanOrEqual(Object.keys(BODY_SCHEMAS).length);
  });
});

describe("OpenAPI document content", () => {
  it("a nullable reference admits null: pools[].number is a PhoneParts or null", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const number = doc.components.schemas.AllocateResponse.properties.pools.items.properties.number;
    expect(number.allOf).toBeUndefined();
    expect(number.anyOf).toEqual(expect.arrayContaining([{ $ref: "#/components/schemas/PhoneParts" }, { type: "null" }]));
  });

  it("every parameter is described", async () => {
    const undescribed = (await operations()).flatMap(({ method, path, op }) =>
      (op.parameters ?? []).filter((p) => !p.description).map((p) => `${method} ${path} ${p.in}:${p.name}`),
    );
    expect(undescribed).toEqual([]);
  });

  it("every JSON request body has an example its own schema accepts", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const schemas = BODY_SCHEMAS;
    const named = new Set<string>();
    for (const { method, path, op } of await operations()) {
      if (!op.requestBody || path.startsWith("/v1/voice/")) continue;
      const ref = (Object.values(op.requestBody.content)[0] as { schema: { $ref?: string } }).schema.$ref;
      const name = ref?.split("/").pop() ?? "";
      expect(schemas[name], `${method} ${path}: ${name}`).toBeDefined();
      const example = doc.components.schemas[name].example;
      expect(example, `${name} example`).toBeDefined();
      const parsed = schemas[name]!.safeParse(example);
      expect(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      named.add(name);
    }
    // Each schema was some operation's body: none left unchecked.
    expect([...named].sort()).toEqual(Object.keys(schemas).sort());
  });
});
