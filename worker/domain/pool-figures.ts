/**
 * Pool health figures as the pool objects hand them over (raw and mergeable), how several of
 * them merge into one pool's figures, and the view the API answers with.
 *
 * Mergeable: gauges and counters add up; the minute series are on one grid (every object is
 * asked with the same `now`, `step` and length) and add up element-wise. A merged peak is the
 * sum of the parts' peaks in the same bucket: exact for one object, an upper bound for several
 * (their peaks need not fall in the same minute) — the safe side for sizing and alerts.
 */
import type { HealthView, NumberFigures } from "../schemas/health";
import type { Pool } from "../schemas/pool";

export const DEFAULT_ALERT_THRESHOLD = 0.8;
/** Hysteresis: an episode ends when utilization falls to the threshold minus this. */
const RECOVERY_MARGIN = 0.1;

export interface Series {
  peak: number[];
  total: number[];
}

export type Gauges = {
  /** Numbers that can be leased: not retiring, not the overflow number. */
  total: number;
  /** Of those, how many hold a live lease. */
  leased: number;
  retiring: number;
  overflow: number;
  /** Of `total`, free but held: moved in from another shard, not handed out before an old lease there can have ended. */
  held?: number;
};

export type EpisodeCause = "threshold" | "exhausted";

/** A warning episode: from utilization reaching the threshold (or the pool running dry) to recovery. */
export interface Episode {
  openedAt: number;
  cause: EpisodeCause;
  /** When a new session first found no free number in this episode (null: not yet). */
  exhaustedAt: number | null;
  /** The pool's counters when the episode opened (the recovery alert reports what happened since). */
  countersAtOpen: Record<string, number>;
}

export interface PoolFigures {
  /** Exclusive end of the last bucket (a minute boundary after `now`). */
  end: number;
  numbers: Gauges;
  counters: Record<string, number>;
  /** Minutes per bucket of `series`. */
  step: number;
  series: Series;
  /** Hourly buckets over the last 7 days. */
  week: Series;
  episode: Episode | null;
}

export interface NumberPageQuery {
  /** Numbers after this one in E.164 order (the previous page's cursor). */
  after?: string;
  limit: number;
}

export interface NumberPage {
  numbers: NumberFigures[];
  /** More numbers follow the last one. */
  more: boolean;
}

const addSeries = (a: Series, b: Series): Series => {
  if (a.peak.length !== b.peak.length) throw new Error("pool figures on different grids");
  return { peak: a.peak.map((p, i) => p + b.peak[i]!), total: a.total.map((t, i) => t + b.total[i]!) };
};

/** One pool's figures from those of its objects (asked with the same `now`, `step` and length). */
export function mergeFigures(parts: readonly PoolFigures[]): PoolFigures {
  const [first, ...rest] = parts;
  if (!first) throw new Error("no figures to merge");
  return rest.reduce<PoolFigures>((acc, f) => {
    if (f.end !== acc.end || f.step !== acc.step) throw new Error("pool figures on different grids");
    const counters = { ...acc.counters };
    for (const [k, v] of Object.entries(f.counters)) counters[k] = (counters[k] ?? 0) + v;
    return {
      end: acc.end,
      step: acc.step,
      numbers: {
        total: acc.numbers.total + f.numbers.total,
        leased: acc.numbers.leased + f.numbers.leased,
        retiring: acc.numbers.retiring + f.numbers.retiring,
        overflow: acc.numbers.overflow + f.numbers.overflow,
        held: (acc.numbers.held ?? 0) + (f.numbers.held ?? 0),
      },
      counters,
      series: addSeries(acc.series, f.series),
      week: addSeries(acc.week, f.week),
      episode: earlierEpisode(acc.episode, f.episode),
    };
  }, first);
}

function earlierEpisode(a: Episode | null, b: Episode | null): Episode | null {
  if (!a || !b) return a ?? b;
  const first = a.openedAt <= b.openedAt ? a : b;
  const dry = [a.exhaustedAt, b.exhaustedAt].filter((t): t is number => t !== null);
  return { ...first, exhaustedAt: dry.length ? Math.min(...dry) : null };
}

/** One page in E.164 order from each object's page of the same query. */
export function mergeNumberPages(pages: readonly NumberPage[], limit: number): { numbers: NumberFigures[]; nextCursor: string | null } {
  const all = pages.flatMap((p) => p.numbers).sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
  const numbers = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.more);
  return { numbers, nextCursor: more && numbers.length ? numbers[numbers.length - 1]!.number : null };
}

export const utilizationOf = (leased: number, total: number) => (total > 0 ? round(leased / total) : leased > 0 ? 1 : 0);

/** `exhausted`: no number free now; `warning`: at or over the threshold, or in an open episode. */
export function healthState(g: Pick<Gauges, "total" | "leased" | "held">, threshold: number, episodeOpen: boolean): HealthView["state"] {
  const used = g.leased + (g.held ?? 0);
  if (g.total - used <= 0) return "exhausted";
  return episodeOpen || utilizationOf(used, g.total) >= threshold ? "warning" : "ok";
}

export function counterView(c: Record<string, number>): HealthView["counters"] {
  return {
    allocations: c.allocations ?? 0,
    renewals: c.renewals ?? 0,
    recycledEarly: c.recycled_early ?? 0,
    overflow: c.overflow ?? 0,
    refused: c.refused ?? 0,
    rateLimited: c.rate_limited ?? 0,
    callsAttributed: c.calls_attributed ?? 0,
    callsUnattributed: c.calls_unattributed ?? 0,
  };
}

export const thresholdOf = (pool: Pick<Pool, "alertThreshold">) => pool.alertThreshold ?? DEFAULT_ALERT_THRESHOLD;
export const recoveryOf = (threshold: number) => round(Math.max(0, threshold - RECOVERY_MARGIN));

/** The API's view of a pool's (merged) figures. */
export function healthView(pool: Pool, f: PoolFigures, now: number): HealthView {
  const threshold = thresholdOf(pool);
  const { total, leased, retiring, overflow } = f.numbers;
  const held = f.numbers.held ?? 0;
  const stepMs = f.step * 60_000;
  const from = f.end - f.series.peak.length * stepMs;
  const peak7d = Math.max(0, ...f.week.peak);
  const peakUtilization7d = Math.max(0, ...f.week.peak.map((p, i) => utilizationOf(p, f.week.total[i]!)));
  return {
    pool: pool.id,
    name: pool.name,
    status: pool.status,
    alertThreshold: threshold,
    recoveryThreshold: recoveryOf(threshold),
    at: now,
    state: healthState(f.numbers, threshold, f.episode !== null),
    numbers: { total, leased, free: Math.max(0, total - leased - held), held, retiring, overflow },
    utilization: utilizationOf(leased, total),
    peak7d,
    peakUtilization7d,
    counters: counterView(f.counters),
    step: f.step,
    minutes: f.series.peak.map((peak, i) => ({ t: from + i * stepMs, peak, total: f.series.total[i]!, utilization: utilizationOf(peak, f.series.total[i]!) })),
    episode: f.episode ? { openedAt: f.episode.openedAt, cause: f.episode.cause, exhaustedAt: f.episode.exhaustedAt } : null,
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
