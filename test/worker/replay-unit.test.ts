/** What-if replay (domain/replay.ts): hand-computed cases, the real size reproduces the log, more numbers never attribute fewer calls. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyFigures, type ReplayConfig, type ReplayEvent, recordVisits, replay, sharesOf, splitNumbers, type VisitScript } from "../../worker/domain/replay";
import { poissonTail, sizeForTarget } from "../../worker/domain/sizing";
import { MAX_SEARCH, type PoolReplayer, sizeForMisattribution } from "../../worker/pool/replay-fan-out";

const S = 1000;
const cfg = (numbers: number, more: Partial<ReplayConfig> = {}): ReplayConfig => ({
  numbers,
  leaseMs: 60 * S,
  graceMs: 30 * S,
  policy: "recycle",
  overflowNumber: false,
  realLeaseMs: 60 * S,
  countFrom: 0,
  ...more,
});
const ask = (
  t: number,
  session: string,
  number: string | null,
  told: number | null,
  flags: Partial<Record<"fresh" | "dry" | "recycled", boolean>> = {},
): ReplayEvent => ({
  kind: "ask",
  t,
  session,
  number,
  told,
  fresh: false,
  dry: false,
  recycled: false,
  ...flags,
});
const call = (t: number, number: string, session: string | null): ReplayEvent => ({ kind: "call", t, number, session });

describe("replay by hand", () => {
  // One number, lease 60 s, grace 30 s, recycle. A is shown X at 0; B arrives at 10 s and recycles it;
  // a call on X at 20 s: A and B both have X on screen (half a call each), the pool gives it to B;
  // A asks again at 30 s and recycles B.
  const history = [
    ask(0, "A", "X", 60 * S, { fresh: true }),
    ask(10 * S, "B", "X", 70 * S, { fresh: true, dry: true, recycled: true }),
    call(20 * S, "X", "B"),
    ask(30 * S, "A", "X", 90 * S, { fresh: true, dry: true, recycled: true }),
  ];

  it("one number: the replay is what happened — 3 new sessions, 2 found it full and recycled, half the call right", () => {
    const { actual, replayed } = replay(history, cfg(1));
    expect(actual).toEqual({ newSessions: 3, foundFull: 2, recycledEarly: 2, calls: 1, right: 0.5, unknown: 0 });
    expect(replayed).toEqual(actual);
    expect(sharesOf(actual)).toMatchObject({ foundFull: 0.666667, recycledEarly: 0.666667, rightVisit: 0.5, wrongVisit: 0.5, unknown: 0 });
  });

  it("two numbers: B gets its own, the call is right whoever made it, A's ask at 30 s renews", () => {
    expect(replay(history, cfg(2)).replayed).toEqual({ newSessions: 2, foundFull: 0, recycledEarly: 0, calls: 1, right: 1, unknown: 0 });
  });

  it("policy none, a call in grace: with one number it is shared with the next holder, with two it is right", () => {
    const grace = [ask(0, "A", "X", 60 * S, { fresh: true }), ask(70 * S, "B", "X", 130 * S, { fresh: true }), call(80 * S, "X", "B")];
    const one = replay(grace, cfg(1, { policy: "none" }));
    expect(one.actual).toEqual({ newSessions: 2, foundFull: 0, recycledEarly: 0, calls: 1, right: 0.5, unknown: 0 });
    expect(one.replayed).toEqual(one.actual);
    // Two numbers: B takes the one never used (free longest), A's stays with A through its grace.
    expect(replay(grace, cfg(2, { policy: "none" })).replayed.right).toBe(1);
    // Past grace nobody had it on screen: unknown at any size.
    const late = replay([...grace.slice(0, 1), call(100 * S, "X", null)], cfg(5, { policy: "none" }));
    expect(late.replayed).toMatchObject({ calls: 1, right: 0, unknown: 1 });
  });

  it("overflow: a session shown the overflow number gets its own with more numbers", () => {
    const h = [ask(0, "A", "X", 60 * S, { fresh: true }), ask(5 * S, "B", "O", 65 * S, { fresh: true, dry: true }), call(10 * S, "O", null)];
    const c = { policy: "overflow" as const, overflowNumber: true };
    expect(replay(h, cfg(1, c)).replayed).toEqual({ newSessions: 2, foundFull: 1, recycledEarly: 0, calls: 1, right: 0, unknown: 0 });
    expect(replay(h, cfg(2, c)).replayed).toMatchObject({ foundFull: 0, right: 1 });
  });

  it("a shorter lease: the snippet's renewals come at its cadence, so a visit keeps its number between recorded asks", () => {
    // Recorded with a 600 s lease: asks every 120 s (a recycling pool's recheck). Replayed at 60 s: asks every 45 s in between.
    const v = recordVisits([{ session: "A", asks: [0, 120 * S, 240 * S], calls: [200 * S] }], {
      numbers: 1,
      leaseMs: 600 * S,
      graceMs: 0,
      policy: "recycle",
      overflowNumber: false,
    });
    const r = replay(v, cfg(1, { leaseMs: 60 * S, graceMs: 0, realLeaseMs: 600 * S }));
    expect(r.replayed).toMatchObject({ newSessions: 1, right: 1 });
  });

  it("warm-up: what comes before countFrom fills the pool but is not counted", () => {
    const r = replay(history, cfg(1, { countFrom: 15 * S }));
    expect(r.actual).toEqual({ newSessions: 1, foundFull: 1, recycledEarly: 1, calls: 1, right: 0.5, unknown: 0 });
    expect(r.replayed).toEqual(r.actual);
  });

  it("splits a size over shards in proportion to what they have", () => {
    expect(splitNumbers(10, [3, 7])).toEqual([3, 7]);
    expect(splitNumbers(20, [3, 7])).toEqual([6, 14]);
    expect(splitNumbers(5, [0, 0])).toEqual([3, 2]);
    expect(splitNumbers(7, [1, 1, 1]).reduce((a, b) => a + b)).toBe(7);
  });
});

/** Visits with Poisson-ish arrivals: each asks every `cadence` while it stays, and may call. */
const visitsArb = (cadence: number) =>
  fc
    .array(
      fc.record({
        start: fc.integer({ min: 0, max: 1800 }),
        stays: fc.integer({ min: 0, max: 6 }),
        callAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
      }),
      { minLength: 1, maxLength: 40 },
    )
    .map((vs) =>
      vs.map(
        (v, i): VisitScript => ({
          session: `s${i}`,
          asks: Array.from({ length: v.stays + 1 }, (_, k) => (v.start + k * cadence) * S + i),
          calls: v.callAfter === null ? [] : [(v.start + v.callAfter) * S + i + 0.5],
        }),
      ),
    );

describe("replay properties", () => {
  const policies = ["recycle", "overflow", "none"] as const;

  it("at the size and lease the history was recorded with, the replay equals what happened", () => {
    fc.assert(
      fc.property(visitsArb(45), fc.integer({ min: 1, max: 6 }), fc.constantFrom(...policies), (visits, n, policy) => {
        const base = { numbers: n, leaseMs: 60 * S, graceMs: 30 * S, policy, overflowNumber: true };
        const { actual, replayed } = replay(recordVisits(visits, base), { ...base, realLeaseMs: 60 * S, countFrom: 0 });
        expect(replayed).toEqual(actual);
      }),
      { numRuns: 200 },
    );
  });

  it("a larger pool never attributes fewer calls to the right visit, nor finds itself full more often", () => {
    fc.assert(
      fc.property(visitsArb(45), fc.integer({ min: 1, max: 5 }), fc.constantFrom(...policies), (visits, n, policy) => {
        const base = { numbers: n, leaseMs: 60 * S, graceMs: 30 * S, policy, overflowNumber: true };
        const log = recordVisits(visits, base);
        const at = (size: number) => replay(log, { ...base, numbers: size, realLeaseMs: 60 * S, countFrom: 0 }).replayed;
        for (let size = 1; size <= 8; size++) {
          const [a, b] = [at(size), at(size + 1)];
          expect(b.right).toBeGreaterThanOrEqual(a.right - 1e-9);
          expect(b.foundFull).toBeLessThanOrEqual(a.foundFull);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("sizing by misattributed calls", () => {
  /** A pool of `current` numbers whose replay at n misattributes max(0, 1 − n/need) of 1000 calls. */
  const fake = (current: number, need: number, calls = 1000): PoolReplayer & { replays: number } => {
    const r = {
      current,
      replays: 0,
      async run(totals: number[]) {
        r.replays += totals.length;
        const replayed = totals.map((n) => ({ ...emptyFigures(), calls, right: calls * Math.min(1, n / need) }));
        return { actual: emptyFigures(), replayed, oldest: null };
      },
    };
    return r;
  };

  it("finds the smallest size within the target, from any current size, in a bounded number of replays", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 15_000 }), async (current, need) => {
        const r = fake(current, need);
        const found = await sizeForMisattribution(r, 0.001);
        // The smallest n with 1 − n/need ≤ 0.001.
        const expected = Math.ceil(need * 0.999 - 1e-9);
        expect(found.numbers).toBe(Math.max(1, expected));
        expect(found.misattributed).toBeLessThanOrEqual(0.001);
        expect(r.replays).toBeLessThanOrEqual(40);
      }),
      { numRuns: 100 },
    );
  });

  it("no calls, or more than MAX_SEARCH numbers needed: no size", async () => {
    expect(await sizeForMisattribution(fake(10, 50, 0), 0.001)).toEqual({ numbers: null, misattributed: 0, calls: 0 });
    const over = await sizeForMisattribution(fake(10, MAX_SEARCH * 4), 0.001);
    expect(over).toMatchObject({ numbers: null, calls: 1000 });
    expect(over.misattributed).toBeCloseTo(0.75, 3);
  });
});

describe("Poisson traffic at the formula's size", () => {
  // One visitor a second holding a 60 s lease (mean occupancy 60), each calling once at a uniform time in its lease.
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const visits: VisitScript[] = [];
  let t = 0;
  for (let i = 0; i < 12_000; i++) {
    t += Math.round(-Math.log(1 - rnd()) * S);
    visits.push({ session: `v${i}`, asks: [t], calls: [t + Math.floor(rnd() * 60 * S)] });
  }
  const base = { numbers: 60, leaseMs: 60 * S, graceMs: 0, policy: "recycle" as const, overflowNumber: false };
  const log = recordVisits(visits, base);
  const at = (numbers: number) => sharesOf(replay(log, { ...base, numbers, realLeaseMs: 60 * S, countFrom: 600 * S }).replayed);

  it("about half of new sessions recycle early, as the Poisson tail says, but a tenth as many calls go to the wrong visit", () => {
    const formula = at(60);
    expect(Math.abs(formula.recycledEarly - poissonTail(60, 60))).toBeLessThan(0.05);
    expect(formula.wrongVisit).toBeLessThan(formula.recycledEarly / 8);
  });

  it("so sizing for 0.1 % misattributed calls needs fewer numbers than sizing for 1 % recycled early", async () => {
    const replayer: PoolReplayer = {
      current: 60,
      run: async (totals) => ({
        actual: emptyFigures(),
        replayed: totals.map((n) => replay(log, { ...base, numbers: n, realLeaseMs: 60 * S, countFrom: 600 * S }).replayed),
        oldest: null,
      }),
    };
    const byCalls = await sizeForMisattribution(replayer, 0.001);
    expect(byCalls.numbers).not.toBeNull();
    expect(byCalls.numbers!).toBeLessThan(sizeForTarget(60, 0.01));
    expect(at(byCalls.numbers!).wrongVisit).toBeLessThanOrEqual(0.001);
    expect(at(byCalls.numbers! - 1).wrongVisit).toBeGreaterThan(0.001);
  });
});
