/**
 * A pool object's health figures, kept as leases start and end:
 *
 * - gauges: numbers that can be leased (`total`: not retiring, not the overflow number), how many
 *   of those hold a live lease (`leased`), retiring and overflow numbers. Counted from the lease
 *   table when the object loads and on every configure, then kept in memory by each lease change
 *   (the lease table is the truth; the gauges are a view of it).
 * - `minutes`: one row per minute with a lease change: the highest `leased` seen in it (`peak`),
 *   the value after its last change (`last`) and `total`. A minute without a row carries the
 *   previous row's `last`, so a quiet pool costs nothing. Rows older than MINUTES_KEEP_MS are
 *   pruned by the object's alarm (the newest of them is kept: it carries into the window), so
 *   storage stays bounded at about 9 days × 1,440 rows.
 * - `counters`: allocations, renewals, recycled_early, overflow, refused, calls….
 *
 * The current minute's row and the counters' increments are written once, when the minute ends
 * (the object's alarm is set for it), and before any read: an allocation writes its lease and
 * nothing else. A crash loses at most the last minute of figures, never a lease.
 *
 * Every figure read here is a sum or an element-wise sum over the same minute grid, so the
 * figures of several objects of one pool can be merged (domain/pool-figures.ts).
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
  held: "SELECT COUNT(*) AS n FROM numbers WHERE session IS NULL AND retiring = 0 AND overflow = 0 AND released_at > ?",
  numbers:
    "SELECT number, retiring, overflow, session IS NOT NULL AS leased, expires_at, last_shown_at, last_called_at, sessions_served FROM numbers WHERE number > ? ORDER BY number LIMIT ?",
} as const;

type MinuteRow = { t: number; peak: number; last: number; total: number };
/** What the lease table's rows say about a number, as far as the gauges care. */
export type CountedRow = { retiring: number; overflow: number };

export const minuteOf = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** The figures of an object with no numbers and no history, on the grid of `now`, `step`, `count`. */
export function emptyFigures(now: number, step: number, count: number): Omit<PoolFigures, "episode"> {
  const zeros = (n: number) => ({ peak: Array<number>(n).fill(0), total: Array<number>(n).fill(0) });
  return {
    end: minuteOf(now) + MINUTE_MS,
    numbers: { total: 0, leased: 0, retiring: 0, overflow: 0 },
    counters: {},
    step,
    series: zeros(count),
    week: zeros(WEEK_BUCKETS),
  };
}

export class PoolHealth {
  /** The gauges, counted from the lease table on first use (null: not yet). */
  private g: Gauges | null = null;
  /** The current minute's figures, not yet written. */
  private minute: MinuteRow | null = null;
  /** Counter increments not yet written. */
  private increments: Record<string, number> = {};
  /** When something was first left unwritten since the last flush (null: nothing is). */
  private dirtyAt: number | null = null;

  constructor(private readonly sql: SqlStorage) {}

  gauges(): Gauges {
    this.g ??= this.count();
    return this.g;
  }

  /** A counted number was leased (free or recycled numbers only: never retiring or overflow). */
  leaseStarted(at: number): void {
    this.move(at, +1);
  }

  /** A lease ended at `at`: a retiring number goes away, any other counted number becomes free. */
  leaseEnded(row: CountedRow, at: number): void {
    if (row.retiring) this.gauges().retiring -= 1;
    else if (!row.overflow) this.move(at, -1);
  }

  /** After numbers were added, removed or flagged: count again (a scan, on admin changes only). */
  recount(at: number): void {
    const before = this.gauges();
    const after = this.count();
    this.g = after;
    if (after.leased !== before.leased || after.total !== before.total) this.note(at, before.leased, after.leased, after.total);
  }

  /** Count one event (allocations, renewals, recycled_early, overflow, refused, calls_…). */
  bump(name: string, at: number): void {
    this.increments[name] = (this.increments[name] ?? 0) + 1;
    this.dirtyAt ??= at;
  }

  /** Counters kept by the pool object, with the increments not yet written. */
  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) out[r.name] = r.value;
    for (const [name, n] of Object.entries(this.increments)) out[name] = (out[name] ?? 0) + n;
    return out;
  }

  /** Write the current minute's row and the counter increments. */
  flush(): void {
    if (this.minute) this.write(this.minute);
    for (const [name, n] of Object.entries(this.increments)) {
      this.sql.exec("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value", name, n);
    }
    this.minute = null;
    this.increments = {};
    this.dirtyAt = null;
  }

  /** When the unwritten figures must be written: the end of the minute they began in (null: none). */
  flushDue(): number | null {
    return this.dirtyAt === null ? null : minuteOf(this.dirtyAt) + MINUTE_MS;
  }

  /** Forget everything held in memory (a transaction failed: storage is read again). */
  reset(): void {
    this.g = null;
    this.minute = null;
    this.increments = {};
    this.dirtyAt = null;
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
    this.flush();
    const end = minuteOf(now) + MINUTE_MS;
    return {
      end,
      numbers: { ...this.gauges(), held: this.held(now) },
      counters: this.counters(),
      step,
      series: this.series(end, step, count),
      week: this.series(end, 60, WEEK_BUCKETS),
    };
  }

  /** Free numbers held at `now` (moved in from another shard; released_at in the future). */
  held(now: number): number {
    return this.sql.exec<{ n: number }>(HEALTH_QUERIES.held, now).one().n;
  }

  /** The highest concurrency over the last 7 days (for alerts and sizing). */
  peak7d(now: number): number {
    this.flush();
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
    const g = this.gauges();
    const before = g.leased;
    g.leased += delta;
    this.note(at, before, g.leased, g.total);
  }

  /** The level went from `before` to `after` at `at`: the minute's peak is the higher of both. */
  private note(at: number, before: number, after: number, total: number): void {
    const t = minuteOf(at);
    if (this.minute && this.minute.t !== t) {
      // A new minute: the last one is complete.
      this.write(this.minute);
      this.minute = null;
    }
    if (!this.minute) this.minute = { t, peak: Math.max(before, after), last: after, total };
    else {
      this.minute.peak = Math.max(this.minute.peak, before, after);
      this.minute.last = after;
      this.minute.total = total;
    }
    this.dirtyAt ??= at;
  }

  private write(m: MinuteRow): void {
    this.sql.exec(
      `INSERT INTO minutes (t, peak, last, total) VALUES (?, ?, ?, ?)
       ON CONFLICT (t) DO UPDATE SET peak = MAX(peak, excluded.peak), last = excluded.last, total = excluded.total`,
      m.t,
      m.peak,
      m.last,
      m.total,
    );
  }

  private count(): Gauges {
    const [total = 0, leased = 0, retiring = 0, overflow = 0] = this.sql.exec(`SELECT ${COUNTS} FROM numbers`).raw().next().value as number[];
    return { total, leased, retiring, overflow };
  }
}
