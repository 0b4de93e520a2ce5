import { describe, expect, it } from "vitest";
import { allocate, createAccount, createPool, freshNumbers, poolStub, sessionId } from "./helpers";

/** 1,000 distinct sessions at once on a 500-number pool, under each exhaustion policy. */
async function stampede(policy: "recycle" | "overflow" | "none") {
  const acct = await createAccount();
  const tracking = freshNumbers(500);
  await createPool(acct, { id: "big", name: "Big", trackingNumbers: tracking, destinations: ["+12127365000"], exhaustionPolicy: policy, isDefault: true });
  const sessions = Array.from({ length: 1000 }, () => sessionId());
  const answers = await Promise.all(sessions.map((s) => allocate(acct.siteKey, s)));
  expect(answers.every((a) => a.status === 200)).toBe(true);
  const grants = answers.map((a, i) => ({ session: sessions[i]!, ...a.json.pools[0] }));
  const live = await poolStub(acct.accountId, "big").liveLeases(Date.now());
  // The invariant: no number is held by two sessions, no session holds two numbers.
  expect(new Set(live.map((l) => l.number)).size).toBe(live.length);
  expect(new Set(live.map((l) => l.session)).size).toBe(live.length);
  return { tracking, grants, live, counters: await poolStub(acct.accountId, "big").counters() };
}

describe("1,000 concurrent allocations on a 500-number pool", () => {
  it("none: exactly 500 sessions get distinct numbers, 500 get none", async () => {
    const { grants, live, tracking } = await stampede("none");
    const got = grants.filter((g) => g.number);
    expect(got).toHaveLength(500);
    expect(new Set(got.map((g) => g.number.e164)).size).toBe(500);
    expect(grants.filter((g) => g.number === null)).toHaveLength(500);
    expect(live).toHaveLength(500);
    expect(new Set(live.map((l) => l.number))).toEqual(new Set(tracking));
  });

  it("overflow: 499 distinct leased numbers, the other 501 share the reserved one", async () => {
    const { grants, live, tracking, counters } = await stampede("overflow");
    const reserved = tracking[0];
    const leased = grants.filter((g) => g.number && !g.overflow);
    expect(leased).toHaveLength(499);
    expect(new Set(leased.map((g) => g.number.e164)).size).toBe(499);
    expect(leased.some((g) => g.number.e164 === reserved)).toBe(false);
    const shared = grants.filter((g) => g.overflow);
    expect(shared).toHaveLength(501);
    expect(shared.every((g) => g.number.e164 === reserved)).toBe(true);
    expect(live).toHaveLength(499);
    expect(counters.overflow).toBe(501);
  });

  it("recycle: every session gets a number; 500 recycled early; live leases stay one per number", async () => {
    const { grants, live, counters } = await stampede("recycle");
    expect(grants.every((g) => g.number && !g.overflow)).toBe(true);
    expect(live).toHaveLength(500);
    expect(counters.recycled_early).toBe(500);
    expect(counters.allocations).toBe(1000);
    // Each live lease belongs to the session the API last answered with that number.
    const lastHolder = new Map<string, string>();
    for (const g of grants) lastHolder.set(g.number.e164, g.session);
    for (const l of live) expect(grants.some((g) => g.session === l.session && g.number.e164 === l.number)).toBe(true);
    expect(lastHolder.size).toBe(500);
  });
});
