/** GET /v1/pools/{id}/sizing: the size from the pool's observed peak, beside an estimate, and which to buy. */
import { describe, expect, it } from "vitest";
import { sizeFromObserved, sizePools } from "../../worker/domain/sizing";
import { T0 } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, sessionId, useTestClock } from "./helpers";

const DEST = "+12127365000";

useTestClock(T0);

async function pool(size: number, sessions: number): Promise<Created> {
  const acct = await createAccount();
  await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(size), destinations: [DEST], leaseSeconds: 600, isDefault: true });
  for (let i = 0; i < sessions; i++) expect((await allocate(acct.siteKey, sessionId())).status).toBe(200);
  return acct;
}

const sizing = async (acct: Created, query = "") => {
  const r = await api("GET", `/v1/pools/web/sizing${query}`, { key: acct.adminKey });
  expect(r.status).toBe(200);
  return r.json;
};

describe("sizing a pool from its observed peak", () => {
  it("answers the observed peak with Poisson headroom, and says to buy it", async () => {
    const acct = await pool(10, 6);
    const s = await sizing(acct);
    const size = sizeFromObserved(6, 0.01);
    expect(size).toBeGreaterThan(10);
    expect(s).toMatchObject({
      pool: "web",
      numbers: 10,
      leaseSeconds: 600,
      observed: { peak7d: 6, numbersPerPool: size, saturated: false, recycledEarlyShare: 0 },
      estimate: null,
      buy: size,
      basis: "observed",
    });
    expect(s.recommendation).toContain(`Buy ${size} numbers for pool web (add ${size - 10} to the 10 it has)`);
    // A laxer target needs fewer.
    expect((await sizing(acct, "?target=0.2")).observed.numbersPerPool).toBe(sizeFromObserved(6, 0.2));
  });

  it("with an estimate: shows both and buys the larger", async () => {
    const acct = await pool(10, 6);
    // 600 visitors an hour × 10 minutes (the pool's lease): mean 100 — far above what was observed.
    const big = await sizing(acct, "?visitorsPerHour=600");
    const expected = sizePools({ visitorsPerHour: 600, minutes: 10, share: 1, pools: 1, target: 0.01 });
    expect(big.estimate).toEqual(expected);
    expect(big).toMatchObject({ basis: "estimate", buy: expected.target.numbersPerPool });
    expect(big.recommendation).toContain("from your estimate");
    // 12 an hour, 30 % click to reveal: less than observed — the observed size stands.
    const small = await sizing(acct, "?visitorsPerHour=12&share=0.3");
    expect(small.estimate.meanConcurrent).toBe(0.6);
    expect(small).toMatchObject({ basis: "observed", buy: sizeFromObserved(6, 0.01) });
    expect(small.recommendation).toContain(`Your estimate needs only ${small.estimate.target.numbersPerPool}`);
  });

  it("a pool that was full at its peak: the observed size is a lower bound", async () => {
    const acct = await pool(3, 5);
    const s = await sizing(acct);
    expect(s.observed).toMatchObject({ peak7d: 3, saturated: true, recycledEarlyShare: 0.4 });
    expect(s.recommendation).toContain("lower bound");
  });

  it("no traffic yet: keep the pool, or give an estimate", async () => {
    const acct = await pool(4, 0);
    expect((await sizing(acct)).recommendation).toContain("No traffic observed");
    expect((await sizing(acct, "?visitorsPerHour=120&minutes=30")).basis).toBe("estimate");
    expect((await api("GET", "/v1/pools/web/sizing?visitorsPerHour=-3", { key: acct.adminKey })).status).toBe(400);
  });
});
