import { abortAllDurableObjects, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { QUERIES } from "../../worker/pool/lease-schema";
import { allocate, createAccount, createPool, freshNumbers, poolStub, sessionId } from "./helpers";

async function leasedPool() {
  const acct = await createAccount();
  await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(20), destinations: ["+12127365000"], isDefault: true });
  const sessions = Array.from({ length: 10 }, () => sessionId());
  const held = new Map<string, string>();
  for (const s of sessions) held.set(s, (await allocate(acct.siteKey, s)).json.pools[0].number.e164);
  return { acct, held };
}

describe("a lease written is a lease kept", () => {
  it("survives eviction of the pool object", async () => {
    const { acct, held } = await leasedPool();
    const stub = poolStub(acct.accountId, "web");
    await evictDurableObject(stub);
    const live = await poolStub(acct.accountId, "web").liveLeases(Date.now());
    expect(new Map(live.map((l) => [l.session, l.number]))).toEqual(held);
    for (const [s, n] of held) expect((await allocate(acct.siteKey, s)).json.pools[0].number.e164).toBe(n);
  });

  it("survives every object being aborted (restart)", async () => {
    const { acct, held } = await leasedPool();
    await abortAllDurableObjects();
    for (const [s, n] of held) expect((await allocate(acct.siteKey, s)).json.pools[0].number.e164).toBe(n);
    const fresh = (await allocate(acct.siteKey, sessionId())).json.pools[0].number.e164;
    expect([...held.values()]).not.toContain(fresh);
  });
});

describe("choosing a number is an index lookup, not a scan", () => {
  it("every allocation-path query uses an index on a 10,000-number pool", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "huge", name: "Huge", trackingNumbers: freshNumbers(10_000), destinations: ["+12127365000"], isDefault: true });
    expect((await allocate(acct.siteKey, sessionId())).status).toBe(200);
    const plans = await runInDurableObject(poolStub(acct.accountId, "huge"), (_i, state) => {
      const out: Record<string, string> = {};
      for (const [name, q] of Object.entries(QUERIES)) {
        const args = Array.from({ length: q.split("?").length - 1 }, () => (name === "due" ? 0 : "x"));
        out[name] = state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`, ...args)
          .toArray()
          .map((r) => r.detail)
          .join(" | ");
      }
      return out;
    });
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toMatch(/USING (COVERING )?INDEX|SEARCH .* USING/);
      expect(plan, name).not.toMatch(/^SCAN numbers$|SCAN numbers(?! USING)/);
      expect(plan, name).not.toMatch(/TEMP B-TREE/);
    }
  });
});
