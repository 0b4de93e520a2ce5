/** Chart data for uPlot: every pool on one time axis, calls per UTC day over the range, day ticks. */
import { describe, expect, it } from "vitest";
import { dailyColumns, dailyText, dayTicks, poolColumns, poolsText } from "../../dashboard/chart/series";
import { health } from "./fixtures";

const T = Date.UTC(2031, 0, 5, 12);
const MIN = 60_000;
const DAY = 86_400_000;

describe("chart series", () => {
  it("puts every pool's buckets on one axis in %, null where a pool has none, and closes the last bucket", () => {
    const a = health({ step: 5, minutes: [0, 5, 10].map((m, i) => ({ t: T + m * MIN, peak: i, total: 10, utilization: i / 10 })) });
    // b started later, and once overflowed (drawn at 100 %).
    const b = health({ step: 5, minutes: [5, 10].map((m, i) => ({ t: T + m * MIN, peak: 4 + i, total: 4, utilization: (4 + i) / 4 })) });
    expect(poolColumns([a, b])).toEqual([
      [T, T + 5 * MIN, T + 10 * MIN, T + 15 * MIN],
      [0, 10, 20, 20],
      [null, 100, 100, 100],
    ]);
    expect(poolColumns([])).toEqual([[]]);
    expect(poolColumns([health()])).toEqual([[], []]);
  });

  it("counts calls and attributed calls per day, sources summed, every day of the range (the viewer's days) present", () => {
    const days = [
      { day: "2031-01-05", source: "google-ads", calls: 2, attributed: 2, answered: 1, talkSeconds: 30 },
      { day: "2031-01-05", source: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
      { day: "2031-01-07", source: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
    ];
    // The range in the viewer's local days (range.ts), whatever the process's time zone: each day is the date's x value.
    const from = new Date(2031, 0, 4).getTime();
    const x = Date.UTC(2031, 0, 4);
    expect(dailyColumns(days, { from, to: new Date(2031, 0, 8).getTime() })).toEqual([
      [x, x + DAY, x + 2 * DAY, x + 3 * DAY],
      [null, 3, null, 1],
      [null, 2, null, null],
    ]);
  });

  it("counts the viewer's days east and west of UTC: a local day is its date's column, not the UTC day its midnight falls in", () => {
    // Node's environment (this config has no Node types): setting TZ changes the zone of later Dates.
    const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
    const zone = env.TZ;
    try {
      for (const tz of ["Asia/Tokyo", "America/Los_Angeles", "Asia/Kathmandu"]) {
        env.TZ = tz;
        const from = new Date(2031, 0, 4).getTime();
        const [xs] = dailyColumns([], { from, to: new Date(2031, 0, 6).getTime() });
        expect({ tz, xs }).toEqual({ tz, xs: [Date.UTC(2031, 0, 4), Date.UTC(2031, 0, 5)] });
      }
    } finally {
      if (zone === undefined) delete env.TZ;
      else env.TZ = zone;
    }
  });

  it("labels every day when there is room, else every few days counted back from the last", () => {
    const days = Array.from({ length: 30 }, (_, i) => i * DAY);
    expect(dayTicks(days.slice(0, 7), 10)).toEqual(days.slice(0, 7));
    const sparse = dayTicks(days, 6);
    expect(sparse.at(-1)).toBe(29 * DAY);
    expect(sparse.length).toBeLessThanOrEqual(6);
    expect(sparse[1]! - sparse[0]!).toBe(7 * DAY);
  });

  it("says the charts in words (their text alternative): each day's calls, each pool's highest and latest share", () => {
    const from = new Date(2031, 0, 4).getTime();
    const days = [
      { day: "2031-01-05", source: "google-ads", calls: 2, attributed: 2, answered: 1, talkSeconds: 30 },
      { day: "2031-01-05", source: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
      { day: "2031-01-07", source: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
    ];
    expect(dailyText(dailyColumns(days, { from, to: new Date(2031, 0, 8).getTime() }))).toBe(
      "Calls per day, Jan 4 to Jan 7: Jan 5, 3 calls, 2 attributed; Jan 7, 1 call, none attributed; no calls on the other 2 days.",
    );
    expect(dailyText(dailyColumns([], { from, to: new Date(2031, 0, 5).getTime() }))).toBe("Calls per day, Jan 4: no calls.");
    const a = health({ name: "Web <b>", minutes: [0, 5].map((m, i) => ({ t: T + m * MIN, peak: 8 - i, total: 10, utilization: (8 - i) / 10 })) });
    const b = health({ name: "Ads", minutes: [{ t: T, peak: 5, total: 4, utilization: 1.25 }] });
    expect(poolsText([a, b], "last 24 h")).toBe(
      "Share of each pool's numbers leased at the peak, last 24 h: Web <b> highest 80 %, latest 70 %; Ads highest 100 %, latest 100 %.",
    );
  });
});
