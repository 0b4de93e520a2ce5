/**
 * A pool object's health figures, kept as leases start and end:
 *
 * - `health`: one row of gauges — numbers that can be leased (`total`: not retiring, not the
 *   overflow number), how many of those hold a live lease (`leased`), retiring and overflow
 *   numbers. Kept up to date on every lease change, so reading them is O(1); recounted on
 *   configure (an admin change, the only time numbers come and go).
 * - `minutes`: one row per minute with a lease change: the highest `leased` seen in it (`peak`),
 *   the value after its last change (`last`) and `total`. A minute without a row carries the
 *   previous row's `last`, so a quiet pool costs nothing. Rows older than MINUTES_KEEP_MS are
 *   pruned by the object's alarm (the newest of them is kept: it carries into the window), so
 *   storage stays bounded at about 9 days × 1,440 rows.
 *
 * Every figure read here is a sum or an element-wise sum over the same minute grid, so the
 * figures of several objects of one pool can be merged (lib/pool-figures.ts).
 */
import type { Gauges, NumberPage, NumberPageQuery, PoolFigures, Series } from "../domain/pool-figures";

/** The gauges counted from the lease table (the migration and every recount). */
const COUNTS =
  "COALESCE(SUM(retiring = 0 AND overflow = 0), 0), COALESCE(SUM(session IS NOT NULL AND retiring = 0 AND overflow = 0), 0), COALESCE(SUM(retiring = 1), 0), COALESCE(SUM(overflow = 1), 0)";

export const HEALTH_MIGRATION = `
  CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    total INTEGER NOT NULL, leased INTEGER NOT NULL, retiring INTEGER NOT NULL, overflow INTEGER NOT NULL
  );
  INSERT INTO health (id, total, leased, retiring, overflow)
    SELECT 1, ${COUNTS} FROM numbers;
  CREATE TABLE minutes (
    t INTEGER PRIMARY KEY,                 -- minute start, ms since epoch
    peak INTEGER NOT NULL, last INTEGER NOT NULL, total INTEGER NOT NULL
  );`;

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Minutes kept: at least 8 days (the API reads up to 8, the week figures 7). */
export const MINUTES_KEEP_MS = 8 * DAY_MS;
/** Pruning waits until a day's worth is due, so the alarm prunes about once a day, not every minute. */
const PRUNE_BATCH_MS = DAY_MS;
/** The week figures: hourly buckets over 7 days. */
const WEEK_BUCKETS = 168;

/** Queries a health read runs; each must use an index (checked by a test). */
export const HEALTH_QUERIES = {
  carry: "SELECT t, peak, last, total FROM minutes WHERE t < ? ORDER BY t DESC LIMIT 1",
  range: "SELECT t, peak, last, total FROM minutes WHERE t >= ? AND t < ? ORDER BY t",
  numbers:
    "SELECT number, retiring, overflow, session IS NOT NULL AS leased, expires_at, last_shown_at, last_called_at, sessions_served FROM numbers WHERE number > ? ORDER BY number LIMIT ?",
} as const;

type MinuteRow = { t: number; peak: number; last: number; total: number };
/** What the lease table's rows say about a number, as far as the gauges care. */
export type CountedRow = { retiring: number; overflow: number };

export const minuteOf = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;

export class PoolHealth {
  constructor(private readonly sql: SqlStorage) {}

  gauges(): Gauges {
    return this.sql.exec<Gauges>("SELECT total, leased, retiring, overflow FROM health").one();
  }

  /** A counted number was leased (free or recycled numbers only: never retiring or overflow). */
  leaseStarted(at: number): void {
    this.move(at, +1);
  }

  /** A lease ended at `at`: a retiring number goes away, any other counted number becomes free. */
  leaseEnded(row: CountedRow, at: number): void {
    if (row.retiring) this.sql.exec("UPDATE health SET retiring = retiring - 1");
    else if (!row.overflow) this.move(at, -1);
  }

  /** After numbers were added, removed or flagged: count again (a scan, on admin changes only). */
  recount(at: number): void {
    const before = this.gauges();
    this.sql.exec(`UPDATE health SET (total, leased, retiring, overflow) = (SELECT ${COUNTS} FROM numbers)`);
    const after = this.gauges();
    if (after.leased !== before.leased || after.total !== before.total) this.record(at, before.leased, after.leased, after.total);
  }

  /** Counters kept by the pool object (allocations, renewals, recycled_early, overflow, refused, …). */
  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) out[r.name] = r.value;
    return out;
  }

  /**
   * Peaks and totals in `count` buckets of `step` minutes ending at `end` (exclusive, a minute
   * boundary). A bucket's peak includes the level carried into it from before.
   */
  series(end: number, step: number, count: number): Series {
    const stepMs = step * MINUTE_MS;
    const from = end - count * stepMs;
    const carry = this.sql.exec<MinuteRow>(HEALTH_QUERIES.carry, from).toArray()[0];
    const rows = this.sql.exec<MinuteRow>(HEALTH_QUERIES.range, from, end).toArray();
    let level = carry?.last ?? 0;
    let total = carry?.total ?? (rows[0] ? rows[0].total : this.gauges().total);
    const peak: number[] = [];
    const totals: number[] = [];
    let i = 0;
    for (let b = 0; b < count; b++) {
      const bucketEnd = from + (b + 1) * stepMs;
      let p = level;
      let tot = total;
      for (let row = rows[i]; row && row.t < bucketEnd; row = rows[++i]) {
        p = Math.max(p, row.peak);
        level = row.last;
        total = row.total;
        tot = Math.max(tot, total);
      }
      peak.push(p);
      totals.push(tot);
    }
    return { peak, total: totals };
  }

  /** The raw, mergeable figures at `now`: gauges, counters, the asked-for series and the week. */
  figures(now: number, step: number, count: number): Omit<PoolFigures, "episode"> {
    const end = minuteOf(now) + MINUTE_MS;
    return {
      end,
      numbers: this.gauges(),
      counters: this.counters(),
      step,
      series: this.series(end, step, count),
      week: this.series(end, 60, WEEK_BUCKETS),
    };
  }

  /** The highest concurrency over the last 7 days (for alerts and sizing). */
  peak7d(now: number): number {
    return Math.max(0, ...this.series(minuteOf(now) + MINUTE_MS, 60, WEEK_BUCKETS).peak);
  }

  /** Numbers in E.164 order after `after`, with their per-number figures. */
  numbers(q: NumberPageQuery): NumberPage {
    const rows = this.sql
      .exec<{
        number: string;
        retiring: number;
        overflow: number;
        leased: number;
        expires_at: number | null;
        last_shown_at: number | null;
        last_called_at: number | null;
        sessions_served: number;
      }>(HEALTH_QUERIES.numbers, q.after ?? "", q.limit + 1)
      .toArray();
    const more = rows.length > q.limit;
    if (more) rows.pop();
    return {
      numbers: rows.map((r) => ({
        number: r.number,
        state: r.retiring ? "retiring" : r.overflow ? "overflow" : r.leased ? "leased" : "free",
        expiresAt: r.leased ? r.expires_at : null,
        lastShownAt: r.last_shown_at,
        lastCalledAt: r.last_called_at,
        sessionsServed: r.sessions_served,
      })),
      more,
    };
  }

  /** Drop minutes older than MINUTES_KEEP_MS, except the newest of them (it carries into the window). */
  prune(now: number): void {
    const cutoff = now - MINUTES_KEEP_MS;
    this.sql.exec("DELETE FROM minutes WHERE t < (SELECT MAX(t) FROM minutes WHERE t < ?)", cutoff);
  }

  /** When pruning next has a day's worth to do: the second-oldest row (the oldest goes then) past the cutoff, plus a day. */
  nextPrune(now: number): number | null {
    const second = this.sql.exec<{ t: number }>("SELECT t FROM minutes ORDER BY t LIMIT 1 OFFSET 1").toArray()[0];
    return second ? Math.max(now, second.t + MINUTES_KEEP_MS + PRUNE_BATCH_MS) : null;
  }

  private move(at: number, delta: number): void {
    const { leased, total } = this.sql.exec<{ leased: number; total: number }>("UPDATE health SET leased = leased + ? RETURNING leased, total", delta).one();
    this.record(at, leased - delta, leased, total);
  }

  /** The level went from `before` to `after` at `at`: the minute's peak is the higher of both. */
  private record(at: number, before: number, after: number, total: number): void {
    this.sql.exec(
      `INSERT INTO minutes (t, peak, last, total) VALUES (?, ?, ?, ?)
       ON CONFLICT (t) DO UPDATE SET peak = MAX(peak, excluded.peak), last = excluded.last, total = excluded.total`,
      minuteOf(at),
      Math.max(before, after),
      after,
      total,
    );
  }
}
