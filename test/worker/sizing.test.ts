import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lnGamma, normalQuantile, poissonTail, sizeForTarget, sizePools } from "../../worker/domain/sizing";

/** Direct Poisson tail by summing the pmf from 0 (slow, obviously right) for cross-checking. */
function naiveTail(mean: number, c: number): number {
  let pmf = Math.exp(-mean);
  let cdf = 0;
  for (let k = 0; k < c; k++) {
    cdf += pmf;
    pmf *= mean / (k + 1);
  }
  return 1 - cdf;
}

describe("sizing maths", () => {
  it("lnGamma matches factorials", () => {
    expect(lnGamma(1)).toBeCloseTo(0, 10);
    expect(lnGamma(6)).toBeCloseTo(Math.log(120), 10);
    expect(lnGamma(21)).toBeCloseTo(Math.log(2432902008176640000), 8);
  });

  it("the Poisson tail agrees with a direct sum", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 200, noNaN: true }), fc.integer({ min: 0, max: 400 }), (mean, c) => {
        expect(Math.abs(poissonTail(mean, c) - naiveTail(mean, c))).toBeLessThan(1e-9);
      }),
    );
  });

  it("the target size is the smallest meeting the target", () => {
    for (const mean of [0.5, 3, 25, 250, 2500]) {
      const c = sizeForTarget(mean, 0.01);
      expect(poissonTail(mean, c)).toBeLessThanOrEqual(0.01);
      expect(poissonTail(mean, c - 1)).toBeGreaterThan(0.01);
    }
  });

  it("the target size is the smallest meeting the target, for any mean and target the API takes", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e5, noNaN: true }), fc.double({ min: 1e-12, max: 0.5, noNaN: true }), (mean, target) => {
        const c = sizeForTarget(mean, target);
        expect(poissonTail(mean, c)).toBeLessThanOrEqual(target);
        if (c > Math.max(1, Math.floor(mean))) expect(poissonTail(mean, c - 1)).toBeGreaterThan(target);
      }),
      { numRuns: 300 },
    );
  });

  it("normalQuantile(0.99) ≈ 2.326", () => expect(normalQuantile(0.99)).toBeCloseTo(2.3263, 3));
});

describe("sizing answers", () => {
  it("the formula: visitors per hour / 60 × minutes, times pools", () => {
    const a = sizePools({ visitorsPerHour: 600, minutes: 30, share: 1, pools: 3, target: 0.01 });
    expect(a.meanConcurrent).toBe(300);
    expect(a.formula).toMatchObject({ numbersPerPool: 300, totalNumbers: 900 });
    // At the formula's size about half of new sessions find the pool full.
    expect(a.formula.earlyRecycleShare).toBeGreaterThan(0.4);
    expect(a.formula.earlyRecycleShare).toBeLessThan(0.55);
    // 1 % target: roughly mean + 2.33 √mean.
    expect(a.target.numbersPerPool).toBe(sizeForTarget(300, 0.01));
    expect(Math.abs(a.target.numbersPerPool - (300 + 2.326 * Math.sqrt(300)))).toBeLessThan(4);
    expect(a.target.totalNumbers).toBe(a.target.numbersPerPool * 3);
  });

  it("click-to-reveal shrinks the pool by the share who reveal", () => {
    const all = sizePools({ visitorsPerHour: 1200, minutes: 20, share: 1, pools: 1, target: 0.01 });
    const tenth = sizePools({ visitorsPerHour: 1200, minutes: 20, share: 0.1, pools: 1, target: 0.01 });
    expect(all.meanConcurrent).toBe(400);
    expect(tenth.meanConcurrent).toBe(40);
    expect(tenth.target.numbersPerPool).toBe(sizeForTarget(40, 0.01));
  });
});

describe("POST /v1/sizing", () => {
  it("answers both sizes and recommends the target size", async () => {
    const { api, createAccount } = await import("./helpers");
    const acct = await createAccount();
    const r = await api("POST", "/v1/sizing", { key: acct.adminKey, body: { visitorsPerHour: 600, minutes: 30, pools: 2 } });
    expect(r.status).toBe(200);
    const expected = sizePools({ visitorsPerHour: 600, minutes: 30, share: 1, pools: 2, target: 0.01 });
    expect(r.json).toMatchObject(expected);
    expect(r.json.recommendation).toContain(`Buy ${expected.target.numbersPerPool} numbers per pool`);
    // The largest inputs it takes, and a tiny target: answered (a step-by-one search ran past the CPU limit).
    const big = await api("POST", "/v1/sizing", { key: acct.adminKey, body: { visitorsPerHour: 10_000_000, minutes: 1440, target: 1e-12 } });
    expect(big.status).toBe(200);
    const mean = (10_000_000 / 60) * 1440;
    expect(big.json.target.numbersPerPool).toBe(sizeForTarget(mean, 1e-12));
    expect(big.json.target.numbersPerPool).toBeGreaterThan(mean + 6 * Math.sqrt(mean));
    expect(big.json.target.numbersPerPool).toBeLessThan(mean + 8 * Math.sqrt(mean));
    expect((await api("POST", "/v1/sizing", { key: acct.adminKey, body: { visitorsPerHour: -1, minutes: 30 } })).status).toBe(400);
    expect((await api("POST", "/v1/sizing", { body: { visitorsPerHour: 1, minutes: 30 } })).status).toBe(401);
  });
});
