import { describe, expect, it } from "vitest";
import {
  accountStub,
  allocate,
  api,
  BROWSER_HEADERS,
  createAccount,
  createPool,
  directoryStub,
  dump,
  freshNumbers,
  ORIGIN,
  poolStub,
  sessionId,
} from "./helpers";

const DEST = "+12127365000";

async function world() {
  const a = await createAccount([ORIGIN, "https://*.sandbox.example"]);
  const b = await createAccount(["https://other.example"]);
  await createPool(a, { id: "web", name: "Web", trackingNumbers: freshNumbers(3), destinations: [DEST], isDefault: true });
  await createPool(b, { id: "theirs", name: "Theirs", trackingNumbers: freshNumbers(3), destinations: ["+12125550100"], isDefault: true });
  // Warm the pool objects so their storage exists before the snapshot.
  expect((await allocate(a.siteKey, sessionId())).status).toBe(200);
  return { a, b };
}

async function snapshot(accountId: string, pools: string[]) {
  const parts = [await dump(accountStub(accountId)), await dump(directoryStub())];
  for (const p of pools) parts.push(await dump(poolStub(accountId, p)));
  return parts.join("\n");
}

describe("allocation refusals change nothing", () => {
  it("each bad request gets its status, the JSON error shape, and no storage change", async () => {
    const { a, b } = await world();
    const before = await snapshot(a.accountId, ["web"]);
    const session = sessionId();
    const wrongSecret = a.siteKey.slice(0, -4) + (a.siteKey.endsWith("AAAA") ? "BBBB" : "AAAA");
    const cases: [string, () => ReturnType<typeof allocate>, number, string][] = [
      ["wrong site key", () => allocate(wrongSecret, session), 401, "invalid_key"],
      ["malformed key", () => allocate("pk_nope", session), 401, "invalid_key"],
      ["admin key as site key", () => allocate(a.adminKey, session), 403, "wrong_key_kind"],
      ["foreign origin", () => allocate(a.siteKey, session, { origin: "https://evil.example" }), 403, "origin_not_allowed"],
      ["no origin", () => allocate(a.siteKey, session, { origin: null }), 403, "origin_not_allowed"],
      ["origin lookalike", () => allocate(a.siteKey, session, { origin: "https://www.shop.example.evil.example" }), 403, "origin_not_allowed"],
      ["bare domain of a wildcard", () => allocate(a.siteKey, session, { origin: "https://sandbox.example" }), 403, "origin_not_allowed"],
      ["http for an https origin", () => allocate(a.siteKey, session, { origin: "http://www.shop.example" }), 403, "origin_not_allowed"],
      ["unknown pool", () => allocate(a.siteKey, session, { pools: ["nope"] }), 404, "pool_not_found"],
      ["another account's pool", () => allocate(a.siteKey, session, { pools: ["theirs"] }), 404, "pool_not_found"],
      ["another account's key for my origin", () => allocate(b.siteKey, session), 403, "origin_not_allowed"],
      ["bad session id", () => allocate(a.siteKey, "short"), 400, "invalid_request"],
      ["bad pool id", () => allocate(a.siteKey, session, { pools: ["../x"] }), 400, "invalid_request"],
      ["bad source field", () => allocate(a.siteKey, session, { source: { utm: { source: 5 } } }), 400, "invalid_request"],
      ["unknown source field", () => allocate(a.siteKey, session, { source: { evil: 1 } }), 400, "invalid_request"],
    ];
    for (const [label, call, status, code] of cases) {
      const r = await call();
      expect({ label, status: r.status, code: r.json?.error?.code }).toEqual({ label, status, code });
      expect(typeof r.json.error.message).toBe("string");
    }
    const raw = async (body: string, headers: Record<string, string> = {}) =>
      api("POST", "/v1/allocate", { raw: body, headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain", ...headers } });
    for (const [label, body, status, code] of [
      ["not JSON", "{nope", 400, "invalid_json"],
      ["JSON array", "[1,2]", 400, "invalid_request"],
      ["JSON null", "null", 400, "invalid_request"],
      ["empty", "", 400, "invalid_json"],
      ["oversized", JSON.stringify({ key: a.siteKey, session, pad: "x".repeat(30_000) }), 413, "payload_too_large"],
      ["token and session", JSON.stringify({ key: a.siteKey, session, token: "abc" }), 400, "invalid_request"],
      ["token not a string", JSON.stringify({ key: a.siteKey, token: { session } }), 400, "invalid_request"],
      ["token too long", JSON.stringify({ key: a.siteKey, token: "a".repeat(16_385) }), 400, "invalid_request"],
      ["pool and pools", JSON.stringify({ key: a.siteKey, session, pool: "web", pools: ["web"] }), 400, "invalid_request"],
      ["bad pool id in pool", JSON.stringify({ key: a.siteKey, session, pool: "web,../x" }), 400, "invalid_request"],
      ["too many pools in pool", JSON.stringify({ key: a.siteKey, session, pool: "a,b,c,d,e,f" }), 400, "invalid_request"],
      ["unknown pool in pool", JSON.stringify({ key: a.siteKey, session, pool: "web,nope" }), 404, "pool_not_found"],
    ] as const) {
      const r = await raw(body);
      expect({ label, status: r.status, code: r.json?.error?.code }).toEqual({ label, status, code });
    }
    expect(await snapshot(a.accountId, ["web"])).toBe(before);
  });

  it("a wildcard origin allows its subdomains, and refusals carry no CORS grant", async () => {
    const { a } = await world();
    const ok = await allocate(a.siteKey, sessionId(), { origin: "https://preview.sandbox.example" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe("https://preview.sandbox.example");
    const no = await allocate(a.siteKey, sessionId(), { origin: "https://evil.example" });
    expect(no.headers.get("Access-Control-Allow-Origin")).toBeNull();
    // Refusals made before the Origin was checked grant nothing either: bad JSON, a bad body, a wrong key.
    const evil = { ...BROWSER_HEADERS, Origin: "https://evil.example", "Content-Type": "text/plain" };
    for (const body of [
      "{nope",
      JSON.stringify({ key: a.siteKey, session: "x" }),
      JSON.stringify({ key: `${a.siteKey.slice(0, -4)}AAAA`, session: sessionId() }),
    ]) {
      const r = await api("POST", "/v1/allocate", { raw: body, headers: evil });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("a site key cannot use the admin API, an admin key cannot allocate", async () => {
    const { a } = await world();
    const r = await api("GET", "/v1/pools", { key: a.siteKey });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("wrong_key_kind");
    expect((await allocate(a.adminKey, sessionId())).status).toBe(403);
  });

  it("a key for an account that does not exist creates no storage", async () => {
    const fake = `sk_abcdefghij012345_${"x".repeat(43)}`;
    const r = await api("GET", "/v1/pools", { key: fake });
    expect(r.status).toBe(401);
    expect(await dump(accountStub("abcdefghij012345"))).toBe("[]");
  });
});
