/**
 * Allocation in one hop: the worker goes straight to the pool object, which admits the request
 * with the gate the account pushed to it. Shown by holding the account object's input gate while
 * allocations run (they finish; an admin call waits), and by changes of key, origins and default
 * pool being in force the moment their API call returns.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { accountStub, allocate, api, createAccount, createPool, dump, freshNumbers, ORIGIN, poolStub, sessionId } from "./helpers";

const DEST = "+12127365000";

/**
 * Holds the object's input gate until the returned release() is called: nothing else runs in it
 * meanwhile. Resolves once the hold is in place.
 */
async function hold(stub: DurableObjectStub): Promise<() => Promise<void>> {
  let release!: () => void;
  const latch = new Promise<void>((r) => {
    release = r;
  });
  let held!: () => void;
  const inPlace = new Promise<void>((r) => {
    held = r;
  });
  const holding = runInDurableObject(stub, (_i, state) =>
    state.blockConcurrencyWhile(async () => {
      held();
      await latch;
    }),
  );
  await inPlace;
  return async () => {
    release();
    await holding;
  };
}

describe("allocation in one hop", () => {
  it("first and sticky allocations finish while the account object is held; an admin read waits for it", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(5), destinations: [DEST], isDefault: true });
    // Warm the worker's routing memory (the one time the account is asked).
    const warm = sessionId();
    expect((await allocate(acct.siteKey, warm)).status).toBe(200);

    const release = await hold(accountStub(acct.accountId));
    let adminDone = false;
    const admin = api("GET", "/v1/account", { key: acct.adminKey }).then((r) => {
      adminDone = true;
      return r;
    });
    const first = await allocate(acct.siteKey, sessionId());
    const sticky = await allocate(acct.siteKey, warm);
    const named = await allocate(acct.siteKey, sessionId(), { pools: ["web"] });
    expect([first.status, sticky.status, named.status]).toEqual([200, 200, 200]);
    expect(first.json.pools[0].number.e164).toMatch(/^\+1/);
    // The account object really was held: the admin read is still waiting.
    expect(adminDone).toBe(false);
    await release();
    expect((await admin).status).toBe(200);
  });

  it("a new site key and new origins are in force at the pool before the API call returns", async () => {
    const acct = await createAccount([ORIGIN, "https://old.example"]);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(5), destinations: [DEST], isDefault: true });
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://old.example" })).status).toBe(200);

    const patched = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: [ORIGIN] } });
    expect(patched.status).toBe(200);
    const refused = await allocate(acct.siteKey, sessionId(), { origin: "https://old.example" });
    expect({ status: refused.status, code: refused.json.error.code }).toEqual({ status: 403, code: "origin_not_allowed" });
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();

    const rotated = await api("POST", "/v1/account/keys/rotate", { key: acct.adminKey, body: { key: "site" } });
    expect(rotated.status).toBe(200);
    const old = await allocate(acct.siteKey, sessionId());
    expect({ status: old.status, code: old.json.error.code }).toEqual({ status: 401, code: "invalid_key" });
    expect((await allocate(rotated.json.value, sessionId())).status).toBe(200);
  });

  it("a change of default pool is followed at once; the old default refuses requests that name no pool", async () => {
    const acct = await createAccount();
    const a = freshNumbers(3);
    const b = freshNumbers(3);
    await createPool(acct, { id: "a", name: "A", trackingNumbers: a, destinations: [DEST], isDefault: true });
    await createPool(acct, { id: "b", name: "B", trackingNumbers: b, destinations: [DEST] });
    expect(a).toContain((await allocate(acct.siteKey, sessionId())).json.pools[0].number.e164);
    expect((await api("PATCH", "/v1/pools/b", { key: acct.adminKey, body: { isDefault: true } })).status).toBe(200);
    // The worker's memory still says "a"; pool a sends it back to the account, which says "b".
    const next = await allocate(acct.siteKey, sessionId());
    expect(next.json.pools[0].pool).toBe("b");
    expect(b).toContain(next.json.pools[0].number.e164);
    // Named explicitly, a still allocates.
    expect((await allocate(acct.siteKey, sessionId(), { pools: ["a"] })).json.pools[0].pool).toBe("a");
  });

  it("a pool made after the routing was cached is found; a stray pool name creates no object", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(3), destinations: [DEST], isDefault: true });
    expect((await allocate(acct.siteKey, sessionId())).status).toBe(200);
    await createPool(acct, { id: "late", name: "Late", trackingNumbers: freshNumbers(3), destinations: [DEST] });
    expect((await allocate(acct.siteKey, sessionId(), { pools: ["late"] })).json.pools[0].pool).toBe("late");

    const stray = await allocate(acct.siteKey, sessionId(), { pools: ["never-made"] });
    expect({ status: stray.status, code: stray.json.error.code }).toEqual({ status: 404, code: "pool_not_found" });
    expect(await dump(poolStub(acct.accountId, "never-made"))).toBe("[]");
    // A wrong key asking for a stray pool is told about the key, not the pool.
    const wrong = await allocate(`${acct.siteKey.slice(0, -4)}zzzz`, sessionId(), { pools: ["never-made"] });
    expect(wrong.status).toBe(401);

    // Unknown ids come from requests: none is remembered in the account object's memory.
    for (let i = 0; i < 10; i++) {
      expect((await allocate(acct.siteKey, sessionId(), { pools: [`stray-${i}`] })).status).toBe(404);
      expect((await api("GET", `/v1/pools/stray-admin-${i}`, { key: acct.adminKey })).status).toBe(404);
    }
    const remembered = await runInDurableObject(accountStub(acct.accountId), (instance) => [
      ...(instance as unknown as { registry: { cache: Map<string, unknown> } }).registry.cache.keys(),
    ]);
    expect(remembered.every((id) => id === "web" || id === "late")).toBe(true);
  });
});
