/**
 * Every error code the README documents (its "Errors" table: code, status, when) is produced by a
 * request — here, or in the test file listed for it below, which must assert that code. Every
 * error here is checked for the one shape: `{ error: { code, message, details? } }`, `details`
 * always a list of `{ path?, value?, message }`, the table's status, `Cache-Control: no-store`.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import readme from "../../README.md?raw";
import app from "../../worker/http/app";
import { accountStub, allocate, api, BASE, BROWSER_HEADERS, createAccount, createPool, freshNumbers, OPERATOR, ORIGIN, sessionId } from "./helpers";

/** Codes whose request needs a world of its own (fake providers, time, load): the file that asserts each. */
const ELSEWHERE: Record<string, string> = {
  too_many_numbers: "admin.test.ts",
  rate_limited: "drain.test.ts",
  not_propagated: "crash-safe-writes.test.ts",
  route_not_supported: "routing.test.ts",
  archive_not_found: "calls-retention.test.ts",
  not_configured: "webhooks.test.ts",
  invalid_number_request: "numbers-orders.test.ts",
  invalid_area_code: "numbers-orders.test.ts",
  unknown_country: "numbers-orders.test.ts",
  unsupported_search: "numbers-orders.test.ts",
  numbers_not_configured: "numbers-orders.test.ts",
  over_budget: "numbers-autoscale.test.ts",
  order_closed: "numbers-orders.test.ts",
  idempotency_key_reused: "numbers-orders.test.ts",
  origin_in_use: "origins.test.ts",
  missing_credentials: "conversions.test.ts",
  settings_changed: "conversions-patch-races.test.ts",
  whisper_needs_caller_id: "calls-callback.test.ts",
  replace_all_with_whitelist: "replace-all.test.ts",
};

const SOURCES = import.meta.glob("./*.test.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** The README's Errors table: code → status. */
function documented(): Map<string, number> {
  const section = readme.slice(readme.indexOf("### Errors"));
  const rows = section.slice(0, section.indexOf("\n### ")).matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm);
  return new Map([...rows].map((m) => [m[1]!, Number(m[2])]));
}

const TABLE = documented();
const produced = new Set<string>();

type Answer = { status: number; json: any; headers: Headers };

/** An error answer: the table's status for its code, the one shape, no-store on /v1. */
function expectError(r: Answer, code: string, label = code): void {
  expect({ label, code: r.json?.error?.code }).toEqual({ label, code });
  expect({ label, status: r.status }).toEqual({ label, status: TABLE.get(code) });
  expect(Object.keys(r.json).sort()).toEqual(["error"]);
  expect(typeof r.json.error.message).toBe("string");
  expect(Object.keys(r.json.error).every((k) => ["code", "message", "details"].includes(k))).toBe(true);
  if (r.json.error.details !== undefined) {
    expect(Array.isArray(r.json.error.details), `${label}: details is a list`).toBe(true);
    for (const d of r.json.error.details) {
      expect(typeof d.message).toBe("string");
      for (const k of Object.keys(d)) expect(["path", "value", "message"]).toContain(k);
      if (d.path !== undefined) expect(typeof d.path).toBe("string");
      if (d.value !== undefined) expect(typeof d.value).toBe("string");
    }
  }
  if (r.status === 401) expect(r.headers.get("WWW-Authenticate")).toBe('Bearer realm="edge-dni"');
  if (r.status === 405) expect(r.headers.get("Allow")).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
  if (r.status === 429) expect(Number(r.headers.get("Retry-After"))).toBeGreaterThan(0);
  expect(r.headers.get("Cache-Control")).toBe("no-store");
  produced.add(code);
}

async function raw(method: string, path: string, body: string | ReadableStream | undefined, headers: Record<string, string>): Promise<Answer> {
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}

afterEach(() => {
  vi.useRealTimers();
});

/** A body sent as a stream in small chunks: no Content-Length. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 4096));
      at += 4096;
    },
  });
}

describe("errors", () => {
  it("the README documents the error codes in one table, each with a status", () => {
    expect(TABLE.size).toBeGreaterThan(30);
    for (const [code, status] of TABLE) expect({ code, ok: status >= 400 && status < 600 }).toEqual({ code, ok: true });
  });

  it("the admin API: one code per condition, 401 says how, 405 says what is allowed, bodies are required", async () => {
    const acct = await createAccount();
    const numbers = freshNumbers(3);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: numbers, destinations: ["+12127365000"], isDefault: true });
    const key = acct.adminKey;
    const base = { id: "b", name: "B", trackingNumbers: freshNumbers(1), destinations: ["+12127365000"] };

    // Answers that carry secrets (keys) or account data are never cached, not only errors.
    const made = await api("POST", "/v1/accounts", { key: OPERATOR, body: { name: "Cache test", allowedOrigins: [ORIGIN] } });
    expect([made.status, made.headers.get("Cache-Control")]).toEqual([201, "no-store"]);
    expect((await api("GET", "/v1/account", { key })).headers.get("Cache-Control")).toBe("no-store");
    const rotated = await api("POST", "/v1/account/keys/rotate", { key: made.json.adminKey, body: { key: "site" } });
    expect([rotated.status, rotated.headers.get("Cache-Control")]).toEqual([200, "no-store"]);
    expectError(await api("GET", "/v1/pools"), "unauthorized", "no key");
    expectError(await api("GET", "/v1/pools", { key: `${key.slice(0, -3)}xyz` }), "unauthorized", "wrong key");
    expectError(await api("GET", "/v1/pools", { key: acct.siteKey }), "wrong_key_kind");
    expectError(await api("GET", "/v1/nothing-here", { key }), "not_found");
    expectError(await api("PUT", "/v1/account", { key }), "method_not_allowed");
    expect((await api("PUT", "/v1/account", { key })).headers.get("Allow")).toBe("GET, HEAD, PATCH");
    expect((await api("DELETE", "/v1/pools", { key })).headers.get("Allow")).toBe("GET, HEAD, POST");
    // A path of a route's shape that takes the method but has nothing there: 404, not a 405 allowing it.
    for (const [method, path] of [
      ["POST", `/v1/voice/${acct.accountId}/twilio/foo`],
      ["GET", `/v1/voice/${acct.accountId}/twilio/foo`],
      ["GET", `/v1/voice/${acct.accountId}/${"x".repeat(24)}`],
    ] as const) {
      const r = await api(method, path);
      expectError(r, "not_found");
      expect(r.headers.get("Allow")).toBeNull();
    }
    expectError(await api("GET", "/v1/calls?limit=many", { key }), "invalid_request");
    expectError(await api("POST", "/v1/pools", { key, raw: "{oops", headers: { "Content-Type": "application/json" } }), "invalid_json");
    // A required body: absent, empty, or a PATCH of {} (nothing to change) — POST and PATCH alike.
    expectError(await api("POST", "/v1/pools", { key }), "body_required", "POST without a body");
    expectError(await api("PATCH", "/v1/pools/web", { key }), "body_required", "PATCH without a body");
    expectError(await api("PATCH", "/v1/account", { key, raw: "", headers: { "Content-Type": "application/json" } }), "body_required", "PATCH empty");
    expectError(await api("PATCH", "/v1/pools/web", { key, body: {} }), "body_required", "PATCH {}");
    expect((await api("GET", "/v1/pools/web", { key })).json.version).toBe(1);
    expectError(await api("POST", "/v1/pools", { key, raw: JSON.stringify(base), headers: { "Content-Type": "text/plain" } }), "unsupported_media_type");
    expectError(await api("POST", "/v1/pools", { key, body: { ...base, name: "x".repeat(1_100_000) } }), "payload_too_large");
    expectError(
      await raw("POST", "/v1/pools", streamOf(JSON.stringify({ ...base, name: "x".repeat(1_100_000) })), {
        Authorization: `Bearer ${key}`,
        "Content-Type": "application/json",
      }),
      "payload_too_large",
    );
    expectError(await api("GET", "/v1/calls?cursor=not-a-cursor", { key }), "invalid_cursor");
    expectError(await api("POST", "/v1/pools", { key, body: { ...base, trackingNumbers: ["call us"] } }), "invalid_number");
    expectError(await api("PATCH", "/v1/account", { key, body: { allowedOrigins: ["https://www.shop.example/path"] } }), "invalid_origin");
    expectError(
      await api("POST", "/v1/pools", { key, body: { ...base, exhaustionPolicy: "overflow", overflowNumber: "+18005550100" } }),
      "invalid_overflow_number",
    );
    expectError(await api("POST", "/v1/pools", { key, body: { ...base, id: "web" } }), "pool_exists");
    expectError(await api("POST", "/v1/pools", { key, body: { ...base, trackingNumbers: [numbers[0]] } }), "number_conflict");
    expectError(await api("GET", "/v1/pools/nope", { key }), "pool_not_found");
    expectError(await api("POST", "/v1/pools/web/numbers", { key, body: { remove: ["+18005550100"] } }), "number_not_in_pool");
    expectError(await api("GET", "/v1/calls/CA-no-such-call", { key }), "call_not_found");
    expectError(await api("POST", "/v1/deliveries/999999/redeliver", { key }), "delivery_not_found");
    expectError(await api("GET", "/v1/orders/ord_00000000000000000000", { key }), "order_not_found");
    expectError(await api("GET", "/v1/pools/web/autoscale", { key }), "autoscale_not_set");
    expectError(
      await api("POST", "/v1/pools", {
        key,
        body: { ...base, route: { start: "missing", lists: { main: [{ type: "forward", to: "+12127365000" }] } } },
      }),
      "invalid_route",
    );
    expectError(await api("POST", "/v1/pools/web/numbers", { key, body: { order: { country: "US", quantity: 1 } } }), "unsupported_provider");
  });

  it("allocation: key, browser, origin, pool", async () => {
    const acct = await createAccount();
    const session = sessionId();
    expectError(await allocate(acct.siteKey, session), "no_default_pool");
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    expectError(await allocate(`${acct.siteKey.slice(0, -4)}AAAA`, session), "invalid_key");
    expectError(await allocate(acct.siteKey, session, { origin: "https://evil.example" }), "origin_not_allowed");
    expectError(await allocate(acct.siteKey, session, { pools: ["nope"] }), "pool_not_found");
    expectError(
      await raw("POST", "/v1/allocate", JSON.stringify({ key: acct.siteKey, session }), { "User-Agent": "curl/8.5.0", Origin: ORIGIN }),
      "not_a_browser",
    );
    const body = (pad: number) => JSON.stringify({ key: acct.siteKey, session, pad: "x".repeat(pad) });
    expectError(await raw("POST", "/v1/allocate", body(25_000), { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" }), "payload_too_large");
    // Streamed without a Content-Length: counted while read. Under the cap it is still allocated.
    const streamed = await raw("POST", "/v1/allocate", streamOf(body(25_000)), { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" });
    expectError(streamed, "payload_too_large");
    const small = await raw("POST", "/v1/allocate", streamOf(JSON.stringify({ key: acct.siteKey, session })), {
      ...BROWSER_HEADERS,
      Origin: ORIGIN,
      "Content-Type": "text/plain",
    });
    expect(small.status).toBe(200);
  });

  it("voice callbacks: a content type no provider sends is 415; a bad signature 401", async () => {
    const acct = await createAccount();
    for (const type of ["text/plain", "application/xml", "application/json-patch+json", "text/json", "multipart/form-data; boundary=x"]) {
      const r = await raw("POST", `/v1/voice/${acct.accountId}/twilio`, "CallSid=CA1&To=%2B18005550100", { "Content-Type": type });
      expectError(r, "unsupported_media_type", type);
      expect(r.json.error.details).toEqual([{ path: "Content-Type", value: type, message: "allowed: application/x-www-form-urlencoded, application/json" }]);
    }
    expectError(await raw("POST", `/v1/voice/${acct.accountId}/twilio`, "CallSid=CA1", {}), "unsupported_media_type", "a body without a type");
    expectError(
      await raw("POST", `/v1/voice/${acct.accountId}/twilio`, "CallSid=CA1", { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" }),
      "unauthorized",
      "form, unsigned",
    );
    expectError(await raw("POST", `/v1/voice/${acct.accountId}/vonage/status`, "{}", { "Content-Type": "application/json" }), "unauthorized", "JSON, unsigned");
  });

  it("503s: the routing kept changing; the secrets key is missing; the operator token is not set", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    // Pool objects the account cannot reach: a new default pool is saved but never configured, so
    // an allocation is sent back to the account every time it asks.
    await runInDurableObject(accountStub(acct.accountId), (instance) => {
      const sync = (instance as unknown as { sync: { env: Env } }).sync;
      const pools = env.POOLS as unknown as DurableObjectNamespace;
      sync.env = {
        ...env,
        POOLS: { idFromName: (n: string) => pools.idFromName(n), get: () => ({ sync: () => Promise.reject(new Error("unreachable")) }) },
      } as unknown as Env;
    });
    const made = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "new", name: "New", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true },
    });
    expectError(made, "not_propagated");
    expectError(await allocate(acct.siteKey, sessionId()), "routing_changed");
    // Its objects, never configured, have no leases to list (not a 500).
    const leases = await api("GET", "/v1/pools/new/leases", { key: acct.adminKey });
    expect(leases.status).toBe(200);
    expect(leases.json.leases).toEqual([]);
    // Credentials cannot be sealed without SECRETS_KEY.
    await runInDurableObject(accountStub(acct.accountId), (instance) => {
      const providers = (instance as unknown as { providers: Record<string, unknown> }).providers;
      for (const k of Object.keys(providers)) if (providers[k] === env.SECRETS_KEY) providers[k] = undefined;
    });
    expectError(
      await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { credentials: { twilio: { authToken: "x".repeat(32) } } } }),
      "secrets_unavailable",
    );
    // A deployment without OPERATOR_TOKEN creates no accounts.
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const res = await app.fetch(
      new Request(`${BASE}/v1/accounts`, { headers: { Authorization: "Bearer anything" } }),
      { ...env, OPERATOR_TOKEN: undefined } as unknown as Env,
      ctx,
    );
    expectError({ status: res.status, json: await res.json(), headers: res.headers }, "operator_disabled");
  });

  it("500: a fault of ours is internal_error, with nothing about it in the answer", async () => {
    const acct = await createAccount();
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => state.storage.sql.exec("DROP TABLE pools"));
    const r = await api("GET", "/v1/pools", { key: acct.adminKey });
    expectError(r, "internal_error");
    expect(r.json.error.message).toBe("Something went wrong on our side");
  });

  it("lists page with one parameter, cursor, answered by nextCursor", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const deref = (s: any): any => (s?.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s);
    let lists = 0;
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const names = (op.parameters ?? []).map((p: { name: string }) => p.name);
        for (const other of ["after", "before", "offset", "page", "pageToken", "next", "start"]) expect(names, `${method} ${path}`).not.toContain(other);
        const ok = deref(op.responses?.["200"]?.content?.["application/json"]?.schema);
        if (ok?.properties?.nextCursor) {
          lists++;
          expect(names, `${method} ${path}`).toContain("cursor");
        }
      }
    }
    expect(lists).toBeGreaterThanOrEqual(4);
  });

  it("every code the OpenAPI document names for an operation's errors is in the README table", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    const named = new Set<string>();
    for (const ops of Object.values<Record<string, any>>(doc.paths))
      for (const op of Object.values<any>(ops))
        for (const [status, r] of Object.entries<any>(op.responses ?? {}))
          if (Number(status) >= 400) for (const m of String(r.description).matchAll(/\(([a-z_, ]+)\)/g)) for (const c of m[1]!.split(", ")) named.add(c);
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((c) => !TABLE.has(c))).toEqual([]);
  });

  it("every documented code is produced: by a request above, or asserted in the test file named for it", () => {
    const missing = [...TABLE.keys()].filter((code) => !produced.has(code) && !ELSEWHERE[code]);
    expect(missing).toEqual([]);
    for (const [code, file] of Object.entries(ELSEWHERE)) {
      expect(TABLE.has(code), `${code} is in the README table`).toBe(true);
      expect(SOURCES[`./${file}`], `${file} exists`).toBeDefined();
      expect(SOURCES[`./${file}`]!.includes(`"${code}"`), `${file} asserts ${code}`).toBe(true);
    }
    // Nothing produced that the table does not document.
    expect([...produced].filter((c) => !TABLE.has(c))).toEqual([]);
  });
});
