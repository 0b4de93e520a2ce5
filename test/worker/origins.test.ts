/**
 * Allowed origins as patterns: exact origins and one wildcard level, matched with scheme and port.
 * The unit cases pin the matcher; the API cases show the same through an allocation.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { normalizeOriginPattern, originAllowed } from "../../worker/domain/origins";
import { accountStub, allocate, api, createAccount, createPool, dump, freshNumbers, poolStub, sessionId } from "./helpers";

const patterns = (...p: string[]) =>
  p.map((x) => {
    const r = normalizeOriginPattern(x);
    if (!r.ok) throw new Error(r.reason);
    return r.origin;
  });

describe("origin patterns", () => {
  it.each([
    ["https://*.example.com", "https://a.example.com", true],
    ["https://*.example.com", "https://a.b.example.com", true],
    ["https://*.example.com", "https://example.com", false],
    ["https://*.example.com", "http://a.example.com", false],
    // A wildcard is for one port: another port on a matching host is another origin.
    ["https://*.example.com", "https://a.example.com:8443", false],
    ["https://*.example.com:8443", "https://a.example.com:8443", true],
    ["https://*.example.com:8443", "https://a.example.com", false],
    // Only an origin as a browser writes it: no default port, path, userinfo, capitals or trailing dot
    // (the answer's CORS grant is the header as sent).
    ["https://*.example.com", "https://a.example.com:443", false],
    ["https://www.example.com", "https://www.example.com:443", false],
    ["https://www.example.com", "https://www.example.com/evil", false],
    ["https://www.example.com", "https://www.example.com/", false],
    ["https://www.example.com", "https://attacker@www.example.com", false],
    ["https://www.example.com", "HTTPS://www.example.com", false],
    ["https://www.example.com", "https://WWW.example.com", false],
    ["http://localhost:8787", "http://localhost:08787", false],
    ["https://www.example.com", "https://www.example.com:444", false],
    ["http://localhost:8787", "http://localhost:8787", true],
    ["http://localhost:8787", "http://localhost:8788", false],
    ["https://*.example.com", "https://evil-example.com", false],
    ["https://*.example.com", "https://a.example.com.evil.test", false],
  ])("%s allows %s: %s", (pattern, origin, allowed) => {
    expect(originAllowed(origin, patterns(pattern))).toBe(allowed);
  });

  it("an Origin header that is not an origin as browsers write it is refused at allocation, with no CORS grant", async () => {
    const acct = await createAccount(["https://www.shop.example"]);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    for (const origin of ["https://www.shop.example/evil-path", "https://attacker@www.shop.example", "https://www.shop.example:443"]) {
      const r = await allocate(acct.siteKey, sessionId(), { origin });
      expect({ status: r.status, code: r.json.error.code, grant: r.headers.get("Access-Control-Allow-Origin") }).toEqual({
        status: 403,
        code: "origin_not_allowed",
        grant: null,
      });
    }
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://www.shop.example" })).status).toBe(200);
  });

  it("a wildcard origin with another port is refused at allocation", async () => {
    const acct = await createAccount(["https://*.shop.example"]);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://m.shop.example" })).status).toBe(200);
    const other = await allocate(acct.siteKey, sessionId(), { origin: "https://m.shop.example:8443" });
    expect({ status: other.status, code: other.json.error.code }).toEqual({ status: 403, code: "origin_not_allowed" });
  });

  it.each(["https://*.co.uk", "https://*.github.io", "https://*.pages.dev", "https://*.workers.dev", "*.com.au", "https://*.s3.amazonaws.com"])(
    "a wildcard over the public suffix %s is refused (anyone can have a site there)",
    (pattern) => {
      const r = normalizeOriginPattern(pattern);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain("public suffix");
    },
  );

  it("a wildcard over a domain under a public suffix is allowed; one stored before the rule matches nothing", () => {
    expect(patterns("https://*.acme.co.uk", "https://*.acme.github.io")).toEqual(["https://*.acme.co.uk", "https://*.acme.github.io"]);
    expect(originAllowed("https://shop.acme.co.uk", ["https://*.acme.co.uk"])).toBe(true);
    expect(originAllowed("https://evil.github.io", ["https://*.github.io"])).toBe(false);
    expect(originAllowed("https://attacker.pages.dev", ["https://*.pages.dev"])).toBe(false);
  });

  it("the API refuses a public-suffix wildcard with 400 invalid_origin, naming it, and stores nothing", async () => {
    const acct = await createAccount(["https://*.shop.example"]);
    const before = await dump(accountStub(acct.accountId));
    const r = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: ["https://www.shop.example", "https://*.github.io"] } });
    expect([r.status, r.json.error.code]).toEqual([400, "invalid_origin"]);
    expect(r.json.error.details).toEqual([expect.objectContaining({ value: "https://*.github.io", message: expect.stringContaining("public suffix") })]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
  });

  it("a pool with its own origins leases only to pages of those: a site key cannot lease from a pool its site never shows", async () => {
    const acct = await createAccount(["https://www.shop.example", "https://blog.shop.example"]);
    const shop = { id: "shop", name: "Shop", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true };
    await createPool(acct, { ...shop, origins: ["https://www.shop.example"] });
    await createPool(acct, { id: "any", name: "Any", trackingNumbers: freshNumbers(2), destinations: ["+12127365001"] });
    const before = await dump(poolStub(acct.accountId, "shop"));
    const blog = await allocate(acct.siteKey, sessionId(), { origin: "https://blog.shop.example", pools: ["shop"] });
    expect([blog.status, blog.json.error.code]).toEqual([403, "origin_not_allowed"]);
    expect(blog.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(await dump(poolStub(acct.accountId, "shop"))).toBe(before);
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://www.shop.example", pools: ["shop"] })).status).toBe(200);
    // A pool without origins serves every origin the account allows.
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://blog.shop.example", pools: ["any"] })).status).toBe(200);
    // Opened up again with null; a malformed one is refused naming it.
    const bad = await api("PATCH", "/v1/pools/shop", { key: acct.adminKey, body: { origins: ["https://www.shop.example/path"] } });
    expect([bad.status, bad.json.error.code, bad.json.error.details[0].path]).toEqual([400, "invalid_origin", "origins[0]"]);
    expect((await api("PATCH", "/v1/pools/shop", { key: acct.adminKey, body: { origins: null } })).json.origins).toBeNull();
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://blog.shop.example", pools: ["shop"] })).status).toBe(200);
  });

  it("a page leasing from two pools, one of which its origin may not lease from: refused, and the other pool's new lease undone", async () => {
    const acct = await createAccount(["https://www.shop.example", "https://blog.shop.example"]);
    await createPool(acct, {
      id: "shop",
      name: "Shop",
      trackingNumbers: freshNumbers(2),
      destinations: ["+12127365000"],
      origins: ["https://www.shop.example"],
    });
    await createPool(acct, { id: "any", name: "Any", trackingNumbers: freshNumbers(2), destinations: ["+12127365001"], isDefault: true });
    const held = (session: string) =>
      runInDurableObject(
        poolStub(acct.accountId, "any"),
        (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM numbers WHERE session = ?", session).one().n,
      );
    // Every view of such a page comes without a token (the answer was a refusal): a new session each time.
    for (let view = 0; view < 3; view++) {
      const s = sessionId();
      const r = await allocate(acct.siteKey, s, { origin: "https://blog.shop.example", pools: ["any", "shop"] });
      expect([r.status, r.json.error.code]).toEqual([403, "origin_not_allowed"]);
      expect(await held(s)).toBe(0);
    }
    // The pool was not drained: its two numbers are free for the pages that may lease them.
    for (let i = 0; i < 2; i++)
      expect((await allocate(acct.siteKey, sessionId(), { origin: "https://blog.shop.example", pools: ["any"] })).json.pools[0].number).not.toBeNull();
  });

  it("a pool's origins are among the account's: one the account does not allow is refused naming it, nothing stored", async () => {
    const acct = await createAccount(["https://www.shop.example", "https://*.brand.example"]);
    const pool = { id: "p", name: "P", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"] };
    const before = await dump(accountStub(acct.accountId));
    for (const [origins, outside] of [
      [["https://www.shop.example", "https://evil.example"], "https://evil.example"],
      [["https://*.example"], "https://*.example"],
      [["https://www.shop.example:8443"], "https://www.shop.example:8443"],
      [["http://m.brand.example"], "http://m.brand.example"],
    ] as const) {
      const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...pool, origins } });
      expect([r.status, r.json.error.code]).toEqual([400, "invalid_origin"]);
      expect(r.json.error.details).toEqual([expect.objectContaining({ value: outside })]);
    }
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    // Within them: an allowed origin, a host under an allowed wildcard, a wildcard under one.
    const origins = ["https://www.shop.example", "https://m.brand.example", "https://*.eu.brand.example", "https://*.brand.example"];
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...pool, origins } })).status).toBe(201);
    const patched = await api("PATCH", "/v1/pools/p", { key: acct.adminKey, body: { origins: ["https://blog.example"] } });
    expect([patched.status, patched.json.error.code]).toEqual([400, "invalid_origin"]);
    expect((await api("GET", "/v1/pools/p", { key: acct.adminKey })).json.origins).toEqual(origins);
  });

  it("the account's origins cannot be narrowed under a pool's own: 409 origin_in_use naming each, nothing changed; once the pool lets go, they can", async () => {
    const acct = await createAccount(["https://www.shop.example", "https://*.brand.example"]);
    const pool = { id: "eu", name: "EU", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true };
    expect(
      (await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...pool, origins: ["https://www.shop.example", "https://m.brand.example"] } })).status,
    ).toBe(201);
    const before = await dump(accountStub(acct.accountId));
    const narrowed = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: ["https://www.shop.example"] } });
    expect([narrowed.status, narrowed.json.error.code]).toEqual([409, "origin_in_use"]);
    expect(narrowed.json.error.details).toEqual([expect.objectContaining({ path: "pools.eu.origins[1]", value: "https://m.brand.example" })]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://m.brand.example", pools: ["eu"] })).status).toBe(200);
    // Another wildcard that still covers the pool's origin is no narrowing of it.
    expect(
      (await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: ["https://www.shop.example", "https://m.brand.example"] } })).status,
    ).toBe(200);
    expect((await api("PATCH", "/v1/pools/eu", { key: acct.adminKey, body: { origins: ["https://www.shop.example"] } })).status).toBe(200);
    expect((await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: ["https://www.shop.example"] } })).status).toBe(200);
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://www.shop.example", pools: ["eu"] })).status).toBe(200);
  });
});
