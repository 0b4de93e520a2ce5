/** Health figures from several objects of one pool merge into the pool's (for sharded pools). */
import { describe, expect, it } from "vitest";
import { healthState, mergeFigures, mergeNumberPages, type PoolFigures } from "../../worker/domain/pool-figures";

const part = (over: Partial<PoolFigures>): PoolFigures => ({
  end: 600_000,
  step: 1,
  numbers: { total: 10, leased: 4, retiring: 1, overflow: 0, held: 0 },
  counters: { allocations: 7, recycled_early: 1 },
  series: { peak: [1, 4], total: [10, 10] },
  week: { peak: [4], total: [10] },
  episode: null,
  ...over,
});

describe("merging pool figures", () => {
  it("adds gauges, counters and series element-wise; keeps the earliest episode", () => {
    const a = part({ episode: { openedAt: 500, cause: "threshold", exhaustedAt: null, countersAtOpen: {} } });
    const b = part({
      numbers: { total: 6, leased: 6, retiring: 0, overflow: 1, held: 2 },
      counters: { allocations: 3, refused: 2 },
      series: { peak: [5, 6], total: [6, 6] },
      week: { peak: [6], total: [6] },
      episode: { openedAt: 400, cause: "exhausted", exhaustedAt: 450, countersAtOpen: {} },
    });
    expect(mergeFigures([a, b])).toEqual({
      end: 600_000,
      step: 1,
      numbers: { total: 16, leased: 10, retiring: 1, overflow: 1, held: 2 },
      counters: { allocations: 10, recycled_early: 1, refused: 2 },
      series: { peak: [6, 10], total: [16, 16] },
      week: { peak: [10], total: [16] },
      episode: { openedAt: 400, cause: "exhausted", exhaustedAt: 450, countersAtOpen: {} },
    });
    expect(mergeFigures([a])).toEqual(a);
    expect(() => mergeFigures([a, part({ end: 660_000 })])).toThrow(/grid/);
    expect(() => mergeFigures([a, part({ series: { peak: [1], total: [1] } })])).toThrow(/grid/);
  });

  it("merges number pages in E.164 order with one cursor", () => {
    const n = (number: string) => ({ number, state: "free" as const, expiresAt: null, lastShownAt: null, lastCalledAt: null, sessionsServed: 0 });
    const merged = mergeNumberPages(
      [
        { numbers: [n("+18885550101"), n("+18885550104")], more: true },
        { numbers: [n("+18885550102"), n("+18885550103")], more: false },
      ],
      3,
    );
    expect(merged.numbers.map((x) => x.number)).toEqual(["+18885550101", "+18885550102", "+18885550103"]);
    expect(merged.nextCursor).toBe("+18885550103");
    expect(mergeNumberPages([{ numbers: [n("+18885550101")], more: false }], 3).nextCursor).toBeNull();
  });

  it("state: exhausted with nothing free, warning at the threshold or in an episode, else ok", () => {
    expect(healthState({ total: 5, leased: 5 }, 0.8, false)).toBe("exhausted");
    expect(healthState({ total: 5, leased: 4 }, 0.8, false)).toBe("warning");
    expect(healthState({ total: 5, leased: 3 }, 0.8, true)).toBe("warning");
    expect(healthState({ total: 5, leased: 3 }, 0.8, false)).toBe("ok");
    expect(healthState({ total: 0, leased: 0 }, 0.8, false)).toBe("exhausted");
  });
});
