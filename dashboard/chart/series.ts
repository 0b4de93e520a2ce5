/** Chart data, pure: API answers to uPlot's aligned columns (x first, then one column per series; ms since epoch on x). */
import type { CallStats, HealthView } from "../api";

const DAY = 86_400_000;

/**
 * Every pool's utilization on one time axis: x is the union of the buckets' starts, each pool's
 * column its bucket's peak share in % (overflow drawn at 100 %), null where it has no bucket. One
 * more point closes the last bucket at its end (now), so a step line holds each bucket over its
 * whole width, the latest included.
 */
export function poolColumns(views: HealthView[]): [number[], ...(number | null)[][]] {
  const xs = [...new Set(views.flatMap((v) => v.minutes.map((b) => b.t)))].sort((a, b) => a - b);
  const step = Math.max(0, ...views.map((v) => v.step)) * 60_000;
  const cols = views.map((v) => {
    const at = new Map(v.minutes.map((b) => [b.t, Math.min(b.utilization, 1) * 100]));
    const col = xs.map((x) => at.get(x) ?? null);
    return xs.length ? [...col, col[col.length - 1] ?? null] : col;
  });
  return [xs.length ? [...xs, xs[xs.length - 1]! + step] : xs, ...cols];
}

/**
 * The viewer's day `ms` is in, as the x value that stands for it: that date's UTC midnight (the
 * API's `days` are dates: `2031-01-05` is Date.parse's UTC midnight; the axis labels it in UTC).
 */
const dayOf = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
};

/**
 * Calls and attributed calls per day of the viewer's time zone over the range (the API counts per
 * that zone's day: api.ts callStats sends it), a zero for every day without calls so the axis shows
 * the whole range.
 */
export function dailyColumns(days: CallStats["days"], range: { from: number; to: number }): [number[], (number | null)[], (number | null)[]] {
  const calls = new Map<number, number>();
  const attributed = new Map<number, number>();
  for (const d of days) {
    const t = Date.parse(d.day);
    calls.set(t, (calls.get(t) ?? 0) + d.calls);
    attributed.set(t, (attributed.get(t) ?? 0) + d.attributed);
  }
  const xs: number[] = [];
  for (let t = dayOf(range.from), last = dayOf(range.to - 1); t <= last; t += DAY) xs.push(t);
  // A day without calls has no bar (null), not a flat one.
  return [xs, xs.map((t) => calls.get(t) ?? null), xs.map((t) => attributed.get(t) || null)];
}

/** A day's x value (dayOf) as the calls chart labels it: "Dec 3". */
export const dayLabel = (t: number): string => new Date(t).toLocaleDateString([], { month: "short", day: "numeric", timeZone: "UTC" });

/**
 * The calls chart in words, its text alternative (what hovering shows, for a screen reader): the
 * days with calls, each with its attributed calls, then how many days had none.
 */
export function dailyText([xs, calls, attributed]: ReturnType<typeof dailyColumns>): string {
  const span = xs.length > 1 ? `${dayLabel(xs[0]!)} to ${dayLabel(xs.at(-1)!)}` : xs.length ? dayLabel(xs[0]!) : "";
  const busy = xs.flatMap((t, i) => {
    const n = calls[i] ?? 0;
    const a = attributed[i] ?? 0;
    return n ? [`${dayLabel(t)}, ${n.toLocaleString()} call${n === 1 ? "" : "s"}, ${a ? `${a.toLocaleString()} attributed` : "none attributed"}`] : [];
  });
  if (!busy.length) return `Calls per day, ${span}: no calls.`;
  const quiet = xs.length - busy.length;
  return `Calls per day, ${span}: ${busy.join("; ")}${quiet ? `; no calls on the other ${quiet} day${quiet === 1 ? "" : "s"}` : ""}.`;
}

/** The utilization chart in words, its text alternative: each pool's highest and latest peak share over `label`. */
export function poolsText(views: HealthView[], label: string): string {
  const share = (u: number) => `${Math.round(Math.min(u, 1) * 100)} %`;
  const pools = views.map((v) => {
    const peaks = v.minutes.map((b) => b.utilization);
    return peaks.length ? `${v.name} highest ${share(Math.max(...peaks))}, latest ${share(peaks.at(-1)!)}` : `${v.name} no figures`;
  });
  return `Share of each pool's numbers leased at the peak, ${label}: ${pools.join("; ")}.`;
}

/** The days to label on an axis with room for `fit` labels: every day, else every 2nd, 7th… counted back from the last day. */
export function dayTicks(days: number[], fit: number): number[] {
  const every = [1, 2, 3, 7, 14, 28].find((k) => days.length / k <= Math.max(1, fit)) ?? Math.ceil(days.length / Math.max(1, fit));
  return days.filter((_d, i) => (days.length - 1 - i) % every === 0);
}

/** Pool colours, distinct on white, in order; the nth pool's is PALETTE[n % length]. */
export const PALETTE = ["#1565c0", "#c77700", "#2f7d32", "#6a1b9a", "#b3261e", "#00838f", "#5d4037", "#546e7a"];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;
