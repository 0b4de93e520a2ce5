/**
 * Warning episodes of a pool with status `warning`, kept by its object. An episode opens when
 * utilization reaches the pool's threshold (alert `pool.warning`) or a new session finds no free
 * number (`pool.exhausted`, at most once per episode), and ends when utilization falls to the
 * threshold minus RECOVERY_MARGIN (`pool.recovered`) — the margin keeps a pool hovering at the
 * threshold from flapping. Episode and alerts are written in the transaction of the lease
 * change that caused them.
 *
 * An alert stays in `alerts` until the account object has taken it into its outbox (which
 * delivers it to the alert webhook, with retries): the pool's alarm hands due alerts over and
 * deletes them once the account answers; if the account cannot be reached, it tries again
 * later. The account ignores an alert it already has, so a lost answer never sends one twice.
 */
import { counterView, type Episode, type EpisodeCause, recoveryOf, utilizationOf } from "../domain/pool-figures";
import { remedies } from "../domain/remedies";
import type { PoolHealth } from "./health";
import type { PoolSettings } from "./protocol";

export const ALERTS_MIGRATION = `
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL
  );
  CREATE INDEX alerts_due ON alerts (next_attempt_at);`;

export const ALERT_TYPES = ["pool.warning", "pool.exhausted", "pool.recovered"] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** An alert on its way to the account object (plain data over RPC). */
export interface PendingAlert {
  id: number;
  type: AlertType;
  /** The webhook body, built when the alert was raised. */
  payload: string;
  createdAt: number;
}

/** What the account object exposes to a pool object for handing alerts over. */
export interface AlertInbox {
  takePoolAlerts(poolId: string, alerts: PendingAlert[], now: number): Promise<number[]>;
}

const BATCH = 20;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

export class PoolAlerts {
  /** The stored episode, once read (undefined: not read yet). Storage writes keep it current. */
  private open_: Episode | null | undefined;
  private raised = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly health: PoolHealth,
  ) {}

  /** The open episode as stored (read once; every change goes through save()). */
  episode(): Episode | null {
    if (this.open_ === undefined) {
      const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'episode'").toArray()[0];
      this.open_ = row ? (JSON.parse(row.value) as Episode) : null;
    }
    return this.open_;
  }

  /** Forget the episode held in memory (a transaction failed: storage is read again). */
  reset(): void {
    this.open_ = undefined;
    this.raised = false;
  }

  /** Whether an alert was raised since the last call (the object then sets its alarm for the hand-over). */
  takeRaised(): boolean {
    const r = this.raised;
    this.raised = false;
    return r;
  }

  /** After a change of the lease table: open an episode at the threshold, close it at recovery. */
  settle(config: PoolSettings | null, now: number): void {
    const episode = this.episode();
    if (!config || !watched(config)) {
      if (episode) this.save(null); // status changed or pool deleted: the episode ends quietly
      return;
    }
    const { total, leased } = this.health.gauges();
    // No number of its own any more (a pool resharded down: its numbers went to the other shards,
    // where they are watched): its episode ends quietly, or it stayed open, the pool "warning", for ever.
    if (episode && total === 0 && leased === 0) {
      this.save(null);
      return;
    }
    const threshold = config.alertThreshold;
    const utilization = utilizationOf(leased, total);
    if (!episode && total > 0 && utilization >= threshold) {
      const opened = this.open("threshold", now, null);
      this.raise("pool.warning", config, opened, now);
    } else if (episode && total > 0 && utilization <= recoveryOf(threshold) && this.recovered(leased, total, threshold, now)) {
      this.save(null);
      this.raise("pool.recovered", config, episode, now);
    }
  }

  /**
   * Whether an episode under its recovery line ends: counting the numbers held (moved in from another
   * shard, an old lease there may still run) as used, as healthState does, or a shard of held numbers
   * opened an episode at each new visitor (no free number) and closed it at once; and two numbers
   * under where it opens at least: in a small pool the 0.1 margin is under one number (5 numbers at
   * 80 %: opens at 4, 3 is under 70 %), and a pool swinging 3 ↔ 4 sent a warning and a recovery at
   * every swing. (Held numbers counted only here: a query.)
   */
  private recovered(leased: number, total: number, threshold: number, now: number): boolean {
    const used = leased + this.health.held(now);
    return utilizationOf(used, total) <= recoveryOf(threshold) && used <= Math.max(0, Math.ceil(threshold * total - 1e-9) - 2);
  }

  /** A new session found no free number. */
  ranDry(config: PoolSettings, now: number): void {
    if (!watched(config)) return;
    const episode = this.episode();
    if (!episode) this.raise("pool.exhausted", config, this.open("exhausted", now, now), now);
    else if (episode.exhaustedAt === null) {
      const updated = { ...episode, exhaustedAt: now };
      this.save(updated);
      this.raise("pool.exhausted", config, updated, now);
    }
  }

  due(now: number): PendingAlert[] {
    return this.sql
      .exec<{ id: number; type: AlertType; payload: string; created_at: number }>(
        "SELECT id, type, payload, created_at FROM alerts WHERE next_attempt_at <= ? ORDER BY id LIMIT ?",
        now,
        BATCH,
      )
      .toArray()
      .map((r) => ({ id: r.id, type: r.type, payload: r.payload, createdAt: r.created_at }));
  }

  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM alerts").one().t;
  }

  /** Hand due alerts to the account object; forget those it took, retry the rest later. */
  async deliver(inbox: AlertInbox | null, poolId: string, now: number): Promise<void> {
    const due = this.due(now);
    if (!due.length || !inbox) return;
    let taken: number[] = [];
    try {
      taken = await inbox.takePoolAlerts(poolId, due, now);
    } catch (err) {
      console.warn(`pool ${poolId}: handing ${due.length} alert(s) to the account failed; will retry`, err);
    }
    const done = new Set(taken);
    const at = Date.now();
    for (const a of due) {
      if (done.has(a.id)) this.sql.exec("DELETE FROM alerts WHERE id = ?", a.id);
      else
        this.sql.exec(
          "UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ? + MIN(?, ? * (1 << MIN(attempts, 20))) WHERE id = ?",
          at,
          MAX_RETRY_MS,
          FIRST_RETRY_MS,
          a.id,
        );
    }
  }

  private open(cause: EpisodeCause, now: number, exhaustedAt: number | null): Episode {
    const episode: Episode = { openedAt: now, cause, exhaustedAt, countersAtOpen: this.health.counters() };
    this.save(episode);
    return episode;
  }

  private save(episode: Episode | null): void {
    if (episode) this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('episode', ?)", JSON.stringify(episode));
    else this.sql.exec("DELETE FROM meta WHERE key = 'episode'");
    this.open_ = episode;
  }

  private raise(type: AlertType, config: PoolSettings, episode: Episode, now: number): void {
    this.raised = true;
    this.sql.exec(
      "INSERT INTO alerts (type, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
      type,
      JSON.stringify(this.payload(type, config, episode, now)),
      now,
      now,
    );
  }

  /** The webhook body: what happened, the figures, and what to do about it. */
  private payload(type: AlertType, config: PoolSettings, episode: Episode, now: number) {
    const g = this.health.gauges();
    const counters = this.health.counters();
    const threshold = config.alertThreshold;
    const utilization = utilizationOf(g.leased, g.total);
    const peak7d = Math.max(this.health.peak7d(now), g.leased);
    const name = config.name;
    const c = counterView(counters);
    const before = counterView(episode.countersAtOpen);
    const during = {
      allocations: c.allocations - before.allocations,
      recycledEarly: c.recycledEarly - before.recycledEarly,
      overflow: c.overflow - before.overflow,
      refused: c.refused - before.refused,
    };
    // A sharded pool's objects each watch their share of its numbers and visitors: said so, not
    // given as the whole pool's ("20 of 20 numbers" of a pool of 40).
    const sharded = config.shards > 1;
    const who = sharded ? `Pool "${name}" (shard ${config.shard + 1} of ${config.shards})` : `Pool "${name}"`;
    const share = `${pct(utilization)} leased (${g.leased} of ${sharded ? "its " : ""}${g.total} numbers)`;
    const message =
      type === "pool.warning"
        ? `${who} is ${share}, at or over its alert threshold of ${pct(threshold)}.`
        : type === "pool.exhausted"
          ? `${who} ran dry: a new session found no free number, so ${DRY[config.exhaustionPolicy]}.`
          : `${who} has recovered: ${share}, at or under ${pct(recoveryOf(threshold))}. During the episode: ${during.recycledEarly} recycled early, ${during.overflow} overflow, ${during.refused} refused.`;
    return {
      type,
      accountId: config.accountId,
      pool: { id: config.poolId, name, status: "warning" as const },
      at: now,
      message,
      figures: {
        // With shards, these figures are one shard's (`shard`: which, of how many).
        ...(sharded ? { shard: { index: config.shard, of: config.shards } } : {}),
        numbers: { total: g.total, leased: g.leased, free: Math.max(0, g.total - g.leased), retiring: g.retiring },
        utilization,
        alertThreshold: threshold,
        recoveryThreshold: recoveryOf(threshold),
        peak7d,
        leaseSeconds: config.leaseSeconds,
        exhaustionPolicy: config.exhaustionPolicy,
        counters: { allocations: c.allocations, recycledEarly: c.recycledEarly, overflow: c.overflow, refused: c.refused },
      },
      episode: {
        openedAt: episode.openedAt,
        cause: episode.cause,
        exhaustedAt: episode.exhaustedAt,
        endedAt: type === "pool.recovered" ? now : null,
        sinceOpened: during,
      },
      remedies:
        type === "pool.recovered"
          ? []
          : remedies({ poolId: config.poolId, total: g.total, peak: peak7d, leaseSeconds: config.leaseSeconds, shards: config.shards }),
    };
  }
}

const DRY: Record<PoolSettings["exhaustionPolicy"], string> = {
  recycle: "a number was recycled early from another visitor (their calls may be misattributed)",
  overflow: "the shared overflow number was shown (its calls are not attributed)",
  none: "the page kept the original number (its calls are not attributed)",
};

const watched = (config: PoolSettings) => config.active && config.status === "warning";
