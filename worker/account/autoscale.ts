/**
 * Pools that size themselves: each enabled pool is checked from the account's alarm every
 * CHECK_MS. Its objects' figures (peak concurrency per minute) feed domain/autoscale.ts; a grow
 * step takes back the pool's parked numbers first, then orders the rest; a shrink step removes the
 * pool's longest-idle bought numbers (never one shown or called within lease + grace, never one
 * leased) and parks them: providers bill a month up front, so they are released only shortly
 * before their next renewal (number-release.ts), and a busy/quiet day does not buy numbers again.
 * Every step, applied or only recommended (dryRun), is written to the pool's history and queued as
 * a `pool.scaled` alert through the outbox.
 */
import { decideScale } from "../domain/autoscale";
import type { AutoscaleConfig, AutoscaleView, ScaleEvent } from "../schemas/autoscale";
import type { HealthView, NumberFigures } from "../schemas/health";
import type { OrderingProvider } from "../schemas/orders";
import type { Pool } from "../schemas/pool";

export const AUTOSCALE_MIGRATION = `
  CREATE TABLE autoscale (
    pool_id TEXT PRIMARY KEY, config TEXT NOT NULL,  -- JSON AutoscaleConfig
    provider TEXT NOT NULL, origin TEXT NOT NULL,    -- where grow orders buy, and our callback URLs' origin
    next_check_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE TABLE scale_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, pool_id TEXT NOT NULL, at INTEGER NOT NULL,
    event TEXT NOT NULL                              -- JSON ScaleEvent
  );
  CREATE INDEX scale_events_pool ON scale_events (pool_id, id);`;

/** How often an autoscaled pool is looked at. */
export const CHECK_MS = 5 * 60_000;
/** The recent peak is taken over this many minutes. */
const RECENT_MINUTES = 5;
/**
 * After a grow whose order failed (the provider refused it: an address or bundle required, no
 * stock…), the next grow waits this long, doubling with each failure in a row, up to a day.
 */
export const FAILED_GROW_BACKOFF_MS = 30 * 60_000;
const MAX_FAILED_GROW_BACKOFF_MS = 24 * 3_600_000;

type Row = { pool_id: string; config: string; provider: string; origin: string; next_check_at: number; updated_at: number };

/** What the autoscaler needs from the account object. */
export interface ScaleWorld {
  pool: (id: string) => Pool | null;
  onOrder: (poolId: string) => number;
  /** The pool's orders waiting for the provider to have numbers (fallback wait): their id, numbers still missing, why. */
  waiting: (poolId: string) => { orderId: string; missing: number; reason: string | null; nextAttemptAt: number | null }[];
  /** Stop an open order (what it bought and did not add is released). */
  cancel: (orderId: string, reason: string) => void;
  /** The pool's numbers bought through orders (only those are ever removed). */
  bought: (poolId: string) => Set<string>;
  health: (pool: Pool, minutes: number, step: number) => Promise<HealthView>;
  figures: (pool: Pool) => Promise<NumberFigures[]>;
  order: (poolId: string, quantity: number, row: { config: AutoscaleConfig; provider: string; origin: string }) => string;
  /** A number order's status, its provider's reason and when it last changed (null: none). */
  orderState: (orderId: string) => { status: string; lastError: string | null; updatedAt: number } | null;
  /** Take numbers out of the pool (a shrink): they are parked, not released, until their paid month is about to end. */
  remove: (poolId: string, numbers: string[]) => Promise<boolean>;
  /** Put up to `count` of the pool's parked numbers back (a grow, before any order): those put back. */
  reuse: (poolId: string, count: number) => Promise<string[]>;
  alert: (key: string, payload: unknown) => Promise<void>;
  now: number;
}

export class Autoscaler {
  constructor(private readonly sql: SqlStorage) {}

  put(poolId: string, config: AutoscaleConfig, provider: string, origin: string, now: number): void {
    this.sql.exec(
      `INSERT INTO autoscale (pool_id, config, provider, origin, next_check_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_id) DO UPDATE SET config = excluded.config, provider = excluded.provider, origin = excluded.origin,
         next_check_at = excluded.next_check_at, updated_at = excluded.updated_at`,
      poolId,
      JSON.stringify(config),
      provider,
      origin,
      now,
      now,
    );
  }

  remove(poolId: string): boolean {
    return this.sql.exec("DELETE FROM autoscale WHERE pool_id = ?", poolId).rowsWritten > 0;
  }

  /**
   * A deleted pool's autoscaling and its history (DELETE …/autoscale keeps the history; deleting the
   * pool does not): a pool created later under its id starts with none, not with the old pool's
   * steps in its view, its first fill counted as done, or the backoff after the old pool's failed grows.
   */
  forget(poolId: string): void {
    this.remove(poolId);
    this.sql.exec("DELETE FROM scale_events WHERE pool_id = ?", poolId);
  }

  /** The provider a pool's grows buy from. */
  provider(poolId: string): OrderingProvider | null {
    return (this.sql.exec<Row>("SELECT * FROM autoscale WHERE pool_id = ?", poolId).toArray()[0]?.provider as OrderingProvider | undefined) ?? null;
  }

  config(poolId: string): AutoscaleConfig | null {
    const r = this.sql.exec<Row>("SELECT * FROM autoscale WHERE pool_id = ?", poolId).toArray()[0];
    return r ? (JSON.parse(r.config) as AutoscaleConfig) : null;
  }

  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_check_at) AS t FROM autoscale").one().t;
  }

  events(poolId: string, limit = 100): ScaleEvent[] {
    return (
      this.sql
        .exec<{ event: string }>("SELECT event FROM scale_events WHERE pool_id = ? ORDER BY id DESC LIMIT ?", poolId, limit)
        .toArray()
        // Events written before grows reused parked numbers have no `reused`.
        .map((r) => {
          const e = JSON.parse(r.event) as Omit<ScaleEvent, "reused"> & { reused?: string[] };
          return { ...e, reused: e.reused ?? [] };
        })
    );
  }

  view(poolId: string, size: number, onOrder: number): AutoscaleView | null {
    const r = this.sql.exec<Row>("SELECT * FROM autoscale WHERE pool_id = ?", poolId).toArray()[0];
    if (!r) return null;
    return { pool: poolId, config: JSON.parse(r.config) as AutoscaleConfig, size, onOrder, nextCheckAt: r.next_check_at, events: this.events(poolId) };
  }

  /** Check every pool that is due. */
  async run(w: ScaleWorld): Promise<void> {
    const due = this.sql.exec<Row>("SELECT * FROM autoscale WHERE next_check_at <= ?", w.now).toArray();
    for (const row of due) {
      this.sql.exec("UPDATE autoscale SET next_check_at = ? WHERE pool_id = ?", w.now + CHECK_MS, row.pool_id);
      const pool = w.pool(row.pool_id);
      if (!pool) {
        this.forget(row.pool_id);
        continue;
      }
      await this.check(row, pool, w);
    }
  }

  private async check(row: Row, pool: Pool, w: ScaleWorld): Promise<void> {
    const config = JSON.parse(row.config) as AutoscaleConfig;
    const step = RECENT_MINUTES;
    const minutes = Math.ceil(config.cooldownMinutes / step) * step;
    const health = await w.health(pool, minutes, step);
    const buckets = health.minutes;
    const recentPeak = Math.max(health.numbers.leased, buckets.at(-1)?.peak ?? 0, buckets.at(-2)?.peak ?? 0);
    const windowPeak = Math.max(health.numbers.leased, ...buckets.map((b) => b.peak));
    /** The pool's scaling history, newest first (the last 100), read once for this check. */
    const history = this.events(pool.id);
    const last = history[0];
    const size = pool.trackingNumbers.length;
    if (await this.afterFailedGrows(pool, history.slice(0, 20), w)) return;
    // An order of its own waiting for the provider's stock may wait for days: it does not hold the
    // pool's scaling (a shrink, a lower max) while it waits, and it is told once. (One placed by hand
    // is the account's: counted on order as any.)
    const placed = new Set(history.map((e) => e.orderId));
    const waiting = w.waiting(pool.id).filter((o) => placed.has(o.orderId));
    for (const o of waiting) await this.tellWaiting(pool, o, w);
    const decision = decideScale(config, {
      size,
      // The overflow number: bought (it counts toward min and max) but never leased.
      shared: pool.exhaustionPolicy === "overflow" && pool.overflowNumber !== null ? 1 : 0,
      onOrder: w.onOrder(pool.id) - waiting.reduce((n, o) => n + o.missing, 0),
      recentPeak,
      windowPeak,
      since: Math.max(pool.createdAt, last?.at ?? 0),
      scaledBefore: !!last,
      now: w.now,
    });
    if (!decision) return;
    if (waiting.length) {
      // A grow is what the waiting order is already trying: no second order beside it.
      if (decision.to > size) return;
      // Fewer numbers wanted: what its own waiting orders would still buy is not needed.
      if (!config.dryRun) for (const o of waiting) w.cancel(o.orderId, `Autoscaling no longer needs it: ${decision.reason}`);
    }
    let orderId: string | null = null;
    let removed: string[] = [];
    let reused: string[] = [];
    if (!config.dryRun && decision.to > size) {
      // Numbers parked by an earlier shrink are paid for until their month ends: taken back first.
      reused = await w.reuse(pool.id, decision.to - size);
      const rest = decision.to - size - reused.length;
      if (rest > 0) orderId = w.order(pool.id, rest, { config, provider: row.provider, origin: row.origin });
    }
    if (!config.dryRun && decision.to < size) {
      removed = idlest(await w.figures(pool), w.bought(pool.id), size - decision.to, (pool.leaseSeconds + pool.graceSeconds) * 1000, w.now);
      if (!removed.length || !(await w.remove(pool.id, removed))) return; // nothing idle enough yet: looked at again next time
    }
    const to = config.dryRun || decision.to > size ? decision.to : size - removed.length;
    // A dry run changes nothing, so its recommendation comes again at every check: told once, until it changes.
    if (config.dryRun && last?.dryRun && last.action === decision.action && last.from === size && last.to === to) return;
    const event: ScaleEvent = {
      at: w.now,
      action: decision.action,
      from: size,
      to,
      peak: decision.peak,
      reason: decision.reason,
      dryRun: config.dryRun,
      orderId,
      removed,
      reused,
    };
    const id = this.sql
      .exec<{ id: number }>("INSERT INTO scale_events (pool_id, at, event) VALUES (?, ?, ?) RETURNING id", pool.id, w.now, JSON.stringify(event))
      .one().id;
    this.sql.exec("DELETE FROM scale_events WHERE pool_id = ? AND id <= ?", pool.id, id - 1000);
    await w.alert(`pool-scaled/${pool.id}/${id}`, {
      type: "pool.scaled",
      pool: pool.id,
      name: pool.name,
      ...event,
      message: `Pool "${pool.name}" ${config.dryRun ? "should go" : "goes"} from ${size} to ${to} numbers: ${decision.reason}.`,
    });
  }

  /** A grow's order waiting for the provider's stock, told once (a `pool.scale_failed` alert, `waiting: true`). */
  private async tellWaiting(pool: Pool, o: ReturnType<ScaleWorld["waiting"]>[number], w: ScaleWorld): Promise<void> {
    await w.alert(`pool-scale-waiting/${pool.id}/${o.orderId}`, {
      type: "pool.scale_failed",
      pool: pool.id,
      name: pool.name,
      orderId: o.orderId,
      reason: o.reason,
      waiting: true,
      missing: o.missing,
      retryAt: o.nextAttemptAt,
      message: `Pool "${pool.name}" could not grow by ${o.missing} number${o.missing === 1 ? "" : "s"}: number order ${o.orderId} is waiting for the provider to have them (${o.reason ?? "no reason given"}). It searches again hourly; autoscaling goes on meanwhile and cancels it if the pool no longer needs them.`,
      remedies: [
        {
          message:
            "Widen the pool's autoscale numbers request (another area code, no areaCode, a toll-free fallback), or cancel the order (DELETE /v1/orders/{id}) and add numbers by hand.",
        },
      ],
      at: w.now,
    });
  }

  /**
   * The pool's latest grows (of `recent`, newest first) whose orders failed, in a row: each failure is told once (a
   * `pool.scale_failed` alert with the provider's reason), and true while the backoff after the
   * last one runs (no new order: the same refusal would come back every check).
   */
  private async afterFailedGrows(pool: Pool, recent: readonly ScaleEvent[], w: ScaleWorld): Promise<boolean> {
    const failed: { orderId: string; lastError: string | null; updatedAt: number }[] = [];
    for (const e of recent) {
      if (e.action === "shrink" || e.dryRun || !e.orderId) break;
      const state = w.orderState(e.orderId);
      if (state?.status !== "failed") break;
      failed.push({ orderId: e.orderId, ...state });
    }
    const latest = failed[0];
    if (!latest) return false;
    const wait = Math.min(FAILED_GROW_BACKOFF_MS * 2 ** (failed.length - 1), MAX_FAILED_GROW_BACKOFF_MS);
    const retryAt = latest.updatedAt + wait;
    await w.alert(`pool-scale-failed/${pool.id}/${latest.orderId}`, {
      type: "pool.scale_failed",
      pool: pool.id,
      name: pool.name,
      orderId: latest.orderId,
      reason: latest.lastError,
      failedInARow: failed.length,
      retryAt,
      message: `Pool "${pool.name}" could not grow: number order ${latest.orderId} failed (${latest.lastError ?? "no reason given"}). Autoscaling tries again at ${new Date(retryAt).toISOString()}, later after each failure in a row.`,
      remedies: [
        {
          message:
            "Fix what the provider's reason names (an address or regulatory bundle for the country: give its ids as the autoscale numbers request's `regulatory`; funds; the number request), or change the pool's autoscale numbers request.",
        },
      ],
      at: w.now,
    });
    return w.now < retryAt;
  }
}

/** Up to `count` bought numbers, longest idle first, none leased or used within `holdMs`. */
function idlest(figures: NumberFigures[], bought: Set<string>, count: number, holdMs: number, now: number): string[] {
  const lastUse = (f: NumberFigures) => Math.max(f.lastShownAt ?? 0, f.lastCalledAt ?? 0);
  return figures
    .filter((f) => f.state === "free" && bought.has(f.number) && now - lastUse(f) >= holdMs)
    .sort((a, b) => lastUse(a) - lastUse(b) || (a.number < b.number ? -1 : 1))
    .slice(0, count)
    .map((f) => f.number);
}
