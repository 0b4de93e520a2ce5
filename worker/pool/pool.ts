/**
 * A pool's lease table. One object per pool serialises every allocation of that pool, so a
 * number is never leased to two sessions at once. Storage (SQLite) is the source of truth; the
 * only memory state is the config and the time the alarm is set for, both reloaded on start.
 *
 * Choosing a number uses partial indexes: a free number is the first row of `numbers_free`
 * (longest free first), a recycle victim the first row of `numbers_expiry` — O(log n).
 */
import { DurableObject } from "cloudflare:workers";
import type { NumberPage, NumberPageQuery, PoolFigures } from "../domain/pool-figures";
import { migrate } from "../platform/sql";
import { account } from "../platform/stubs";
import type { Lease } from "../schemas/pool";
import { ALERTS_MIGRATION, PoolAlerts } from "./alerts";
import { HEALTH_MIGRATION, PoolHealth } from "./health";
import type { AllocateArgs, AllocateOutcome, CallMatch, CallQuery, LeaseGrant, PoolSnapshot } from "./protocol";
import { defaultNewLeaseLimit, RateWindow } from "./rate-window";

const MIGRATIONS = [
  `CREATE TABLE numbers (
     number TEXT PRIMARY KEY,
     retiring INTEGER NOT NULL DEFAULT 0,    -- removed from the pool: goes when its lease ends
     overflow INTEGER NOT NULL DEFAULT 0,    -- the shared overflow number: never leased
     lease_id INTEGER, session TEXT, leased_at INTEGER, expires_at INTEGER,  -- current lease, all NULL when free
     released_at INTEGER NOT NULL DEFAULT 0, -- when it last became free
     last_shown_at INTEGER, last_called_at INTEGER,
     sessions_served INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX numbers_free ON numbers (released_at) WHERE session IS NULL AND retiring = 0 AND overflow = 0;
   CREATE INDEX numbers_expiry ON numbers (expires_at) WHERE session IS NOT NULL;
   CREATE UNIQUE INDEX numbers_session ON numbers (session) WHERE session IS NOT NULL;
   CREATE TABLE leases (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     number TEXT NOT NULL, session TEXT NOT NULL, source TEXT,
     leased_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
     ended_at INTEGER, end_reason TEXT       -- expired | recycled
   );
   CREATE INDEX leases_number_time ON leases (number, leased_at);
   CREATE INDEX leases_ended ON leases (ended_at) WHERE ended_at IS NOT NULL;
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  // Health: gauges kept on every lease change, per-minute peaks, warning episodes' alerts.
  `${HEALTH_MIGRATION}
   ${ALERTS_MIGRATION}`,
];

type NumberRow = {
  number: string;
  retiring: number;
  overflow: number;
  lease_id: number | null;
  session: string | null;
  leased_at: number | null;
  expires_at: number | null;
};

const DAY_MS = 86_400_000;

/** The queries on the allocation path; each must be an index lookup (checked by a test). */
export const QUERIES = {
  own: "SELECT * FROM numbers WHERE session = ?",
  // released_at is "free since", or for a number held after moving between shards "free from": in the future.
  free: "SELECT number, released_at FROM numbers WHERE session IS NULL AND retiring = 0 AND overflow = 0 ORDER BY released_at LIMIT 1",
  victim: "SELECT * FROM numbers WHERE session IS NOT NULL AND retiring = 0 AND overflow = 0 ORDER BY expires_at LIMIT 1",
  due: "SELECT * FROM numbers WHERE session IS NOT NULL AND expires_at <= ? ORDER BY expires_at",
  nextExpiry: "SELECT MIN(expires_at) AS t FROM numbers WHERE session IS NOT NULL",
  oldestEnded: "SELECT MIN(ended_at) AS t FROM leases WHERE ended_at IS NOT NULL",
} as const;

/** The call path's query: the last lease of a number begun at or before a time (the only one that can cover it). */
export const LEASE_AT = "SELECT * FROM leases WHERE number = ? AND leased_at <= ? ORDER BY leased_at DESC, id DESC LIMIT 1";

type LeaseRow = {
  id: number;
  number: string;
  session: string;
  source: string | null;
  leased_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
};

export class PoolObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private config: PoolSnapshot | null = null;
  private alarmAt: number | null = null;
  /** New leases in the last minute (drain backstop; see RateWindow). */
  private readonly newLeases = new RateWindow();
  private readonly health: PoolHealth;
  private readonly alerts: PoolAlerts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.health = new PoolHealth(this.sql);
    this.alerts = new PoolAlerts(this.sql, this.health);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'config'").toArray()[0];
      this.config = row ? (JSON.parse(row.value) as PoolSnapshot) : null;
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Apply a config snapshot (idempotent; older versions are ignored). */
  async configure(snapshot: PoolSnapshot): Promise<{ version: number }> {
    if (this.config && this.config.version >= snapshot.version) return { version: this.config.version };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const wanted = new Set(snapshot.active ? snapshot.trackingNumbers : []);
      const rows = this.sql.exec<{ number: string; session: string | null }>("SELECT number, session FROM numbers").toArray();
      for (const row of rows) {
        if (wanted.has(row.number)) continue;
        if (row.session === null) this.sql.exec("DELETE FROM numbers WHERE number = ?", row.number);
        else this.sql.exec("UPDATE numbers SET retiring = 1 WHERE number = ?", row.number);
      }
      for (const number of wanted) {
        this.sql.exec(
          `INSERT INTO numbers (number, released_at) VALUES (?, ?)
           ON CONFLICT (number) DO UPDATE SET retiring = 0`,
          number,
          // A number that moved here from another shard is free only once its lease there can have ended.
          snapshot.heldUntil?.[number] ?? 0,
        );
      }
      this.sql.exec("UPDATE numbers SET overflow = (number IS ?)", snapshot.exhaustionPolicy === "overflow" ? snapshot.overflowNumber : null);
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('config', ?)", JSON.stringify(snapshot));
      this.config = snapshot;
      this.expireDue(now);
      this.health.recount(now);
      this.alerts.settle(snapshot, now);
    });
    await this.scheduleAlarm(now);
    return { version: snapshot.version };
  }

  /** Give `session` a number: its own while its lease lives (extended), else a free one, else the policy's answer. */
  async allocate(args: AllocateArgs): Promise<AllocateOutcome> {
    const config = this.config;
    if (!config || config.version < args.version) return { stale: true };
    if (!config.active) return { stale: false, number: null, expiresAt: null, overflow: false };
    const grant = this.ctx.storage.transactionSync(() => {
      const granted = this.grant(config, args);
      this.alerts.settle(config, args.now);
      return granted;
    });
    await this.scheduleAlarm(args.now);
    return { stale: false, ...grant };
  }

  /** Live leases, oldest first. */
  liveLeases(now: number): Lease[] {
    return this.sql
      .exec<{ number: string; session: string; leased_at: number; expires_at: number; retiring: number }>(
        "SELECT number, session, leased_at, expires_at, retiring FROM numbers WHERE session IS NOT NULL AND expires_at > ? ORDER BY leased_at, number",
        now,
      )
      .toArray()
      .map((r) => ({ number: r.number, session: r.session, leasedAt: r.leased_at, expiresAt: r.expires_at, retiring: r.retiring === 1 }));
  }

  /**
   * Which session held `number` at the call's start: the last lease begun by then, if it was live
   * then or ended no more than grace before. Leases never overlap on a number, so after a recycle
   * each call goes to the session that held the number at its start. The overflow number is never
   * attributed. Records the ring on the number (last_called_at).
   */
  attributeCall(q: CallQuery): CallMatch {
    const config = this.config;
    const graceMs = (q.graceSeconds ?? config?.graceSeconds ?? 0) * 1000;
    const overflowNumber = q.overflowNumber !== undefined ? q.overflowNumber : config?.exhaustionPolicy === "overflow" ? config.overflowNumber : null;
    const overflow = overflowNumber === q.number;
    let lease: CallMatch["lease"] = null;
    if (!overflow) {
      const row = this.sql.exec<LeaseRow>(LEASE_AT, q.number, q.at).toArray()[0];
      // A lease the alarm has not ended yet ended at its expiry all the same.
      const end = row ? (row.ended_at ?? row.expires_at) : 0;
      if (row && end + graceMs >= q.at) {
        lease = {
          id: row.id,
          session: row.session,
          source: row.source,
          leasedAt: row.leased_at,
          expiresAt: row.expires_at,
          endedAt: row.ended_at,
          endReason: row.end_reason,
          inGrace: end < q.at,
        };
      }
    }
    if (!q.peek) {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec("UPDATE numbers SET last_called_at = MAX(COALESCE(last_called_at, 0), ?) WHERE number = ?", q.at, q.number);
        this.bump(lease ? "calls_attributed" : "calls_unattributed");
      });
    }
    return { lease, overflow, route: config?.route ?? null, shards: config?.shards ?? 1 };
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) out[r.name] = r.value;
    return out;
  }

  /**
   * Health figures at `now` (raw, mergeable with other objects' of the same pool): gauges,
   * counters, `count` buckets of `step` minutes, the week, the open episode. Ends due leases first.
   */
  async healthFigures(q: { now: number; step: number; count: number }): Promise<PoolFigures> {
    this.ctx.storage.transactionSync(() => {
      this.expireDue(q.now);
      this.alerts.settle(this.config, q.now);
    });
    await this.scheduleAlarm(q.now);
    return { ...this.health.figures(q.now, q.step, q.count), episode: this.alerts.episode() };
  }

  /** Numbers in E.164 order with last shown, last called, sessions served. */
  numberFigures(q: NumberPageQuery): NumberPage {
    return this.health.numbers(q);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.alarmAt = null;
    this.ctx.storage.transactionSync(() => {
      this.expireDue(now);
      this.prune(now);
      this.health.prune(now);
      this.alerts.settle(this.config, now);
    });
    // Alert ids are per object: a shard's alerts are keyed by the shard's name so they never collide.
    const source = this.config ? (this.config.shard ? `${this.config.poolId}#${this.config.shard}` : this.config.poolId) : "";
    await this.alerts.deliver(this.config ? account(this.env, this.config.accountId) : null, source, now);
    await this.scheduleAlarm(now);
  }

  private grant(config: PoolSnapshot, { session, source, now }: AllocateArgs): LeaseGrant {
    this.expireDue(now);
    const leaseMs = config.leaseSeconds * 1000;
    const own = this.sql.exec<NumberRow>(QUERIES.own, session).toArray()[0];
    if (own) {
      // Sticky. A retiring number is kept until its lease ends, but not extended.
      const expiresAt = own.retiring ? own.expires_at! : Math.max(own.expires_at!, now + leaseMs);
      this.sql.exec("UPDATE numbers SET expires_at = ?, last_shown_at = ? WHERE number = ?", expiresAt, now, own.number);
      this.sql.exec("UPDATE leases SET expires_at = ? WHERE id = ?", expiresAt, own.lease_id);
      this.bump("renewals");
      return { number: own.number, expiresAt, overflow: false };
    }
    // A new session: the drain backstop counts every number handed to a new session.
    const limit = config.maxNewLeasesPerMinute ?? defaultNewLeaseLimit(config.trackingNumbers.length);
    const admitted = this.newLeases.take(now, limit);
    if (!admitted.ok) {
      this.bump("rate_limited");
      return { number: null, expiresAt: null, overflow: false, retryAfter: admitted.retryAfter };
    }
    const free = this.sql.exec<{ number: string; released_at: number }>(QUERIES.free).toArray()[0];
    if (free && free.released_at <= now) return this.lease(free.number, session, source, now, now + leaseMs);
    this.alerts.ranDry(config, now);
    if (config.exhaustionPolicy === "recycle") {
      const victim = this.sql.exec<NumberRow>(QUERIES.victim).toArray()[0];
      if (victim) {
        this.endLease(victim, now, "recycled");
        this.bump("recycled_early");
        return this.lease(victim.number, session, source, now, now + leaseMs);
      }
    }
    if (config.exhaustionPolicy === "overflow" && config.overflowNumber) {
      // Only while nobody still holds it from before it became the overflow number.
      const held = this.sql.exec("SELECT 1 FROM numbers WHERE number = ? AND session IS NOT NULL", config.overflowNumber).toArray().length > 0;
      if (!held) {
        this.bump("overflow");
        this.sql.exec("UPDATE numbers SET last_shown_at = ? WHERE number = ?", now, config.overflowNumber);
        return { number: config.overflowNumber, expiresAt: now + leaseMs, overflow: true };
      }
    }
    this.bump("refused");
    return { number: null, expiresAt: null, overflow: false };
  }

  private lease(number: string, session: string, source: string | null, now: number, expiresAt: number): LeaseGrant {
    const id = this.sql
      .exec<{ id: number }>(
        "INSERT INTO leases (number, session, source, leased_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        number,
        session,
        source,
        now,
        expiresAt,
      )
      .one().id;
    this.sql.exec(
      "UPDATE numbers SET lease_id = ?, session = ?, leased_at = ?, expires_at = ?, last_shown_at = ?, sessions_served = sessions_served + 1 WHERE number = ?",
      id,
      session,
      now,
      expiresAt,
      now,
      number,
    );
    this.bump("allocations");
    this.health.leaseStarted(now);
    return { number, expiresAt, overflow: false };
  }

  private endLease(row: NumberRow, at: number, reason: "expired" | "recycled"): void {
    this.sql.exec("UPDATE leases SET ended_at = ?, end_reason = ? WHERE id = ?", at, reason, row.lease_id);
    if (row.retiring) this.sql.exec("DELETE FROM numbers WHERE number = ?", row.number);
    else
      this.sql.exec(
        "UPDATE numbers SET lease_id = NULL, session = NULL, leased_at = NULL, expires_at = NULL, released_at = ? WHERE number = ?",
        at,
        row.number,
      );
    this.health.leaseEnded(row, at);
  }

  /** End every lease whose time is up (also done on each allocation, so a late alarm never matters). */
  private expireDue(now: number): void {
    const due = this.sql.exec<NumberRow>(QUERIES.due, now).toArray();
    for (const row of due) this.endLease(row, row.expires_at!, "expired");
  }

  /** Drop finished leases older than grace + retention: no call can be attributed to them any more. */
  private prune(now: number): void {
    this.sql.exec("DELETE FROM leases WHERE ended_at IS NOT NULL AND ended_at < ?", now - this.keepMs());
  }

  private keepMs(): number {
    const retentionDays = Number(this.env.LEASE_RETENTION_DAYS) || 30;
    return (this.config?.graceSeconds ?? 0) * 1000 + retentionDays * DAY_MS;
  }

  private bump(name: string): void {
    this.sql.exec("INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1", name);
  }

  /** One alarm, at the earliest deadline: the next lease expiry, history or minutes prune, or alert hand-over. */
  private async scheduleAlarm(now: number): Promise<void> {
    const expiry = this.sql.exec<{ t: number | null }>(QUERIES.nextExpiry).one().t;
    const oldestEnded = this.sql.exec<{ t: number | null }>(QUERIES.oldestEnded).one().t;
    const prune = oldestEnded === null ? null : Math.max(now, oldestEnded + this.keepMs());
    const candidates = [expiry, prune, this.health.nextPrune(now), this.alerts.nextDue()].filter((t): t is number => t !== null);
    const next = candidates.length ? Math.min(...candidates) : null;
    if (next === this.alarmAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }
}
