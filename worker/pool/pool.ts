/**
 * One shard of a pool (one object per pool unless the pool is sharded): its lease table, health
 * figures, warning episodes and new-lease rate window. Allocations come straight from the worker
 * and are admitted here (gate.ts), so `POST /v1/allocate` touches exactly one object per pool.
 * Storage (SQLite) is the source of truth; memory holds the parsed settings, the gate and the time
 * the alarm is set for, all reloaded on start.
 * (Over 300 lines: it is the object's whole RPC surface and its one alarm, each method a thin
 * wrapper over leases.ts, number-set.ts, health.ts, alerts.ts and the replay log.)
 */
import { DurableObject } from "cloudflare:workers";
import { partsCurrent, phoneParts } from "../../shared/phone";
import type { PhoneParts } from "../../shared/protocol";
import { leaseRetentionMs } from "../domain/lease-retention";
import type { NumberPage, NumberPageQuery, PoolFigures } from "../domain/pool-figures";
import { emptyFigures as noReplay, type ReplayFigures, replay } from "../domain/replay";
import { shardOf } from "../domain/shards";
import { hasSchema, migrate } from "../platform/sql";
import { account } from "../platform/stubs";
import type { Lease } from "../schemas/pool";
import { ALERTS_MIGRATION, PoolAlerts } from "./alerts";
import { Gate } from "./gate";
import { emptyFigures, HEALTH_MIGRATION, PoolHealth } from "./health";
import {
  CLIENT_INDEXES_MIGRATION,
  CLIENTS_MIGRATION,
  LEASES_MIGRATION,
  LIVE_ON_NUMBER_MIGRATION,
  PARTS_MIGRATION,
  RECYCLE_BY_EXPIRY_MIGRATION,
} from "./lease-schema";
import { LeaseTable } from "./leases";
import { NumberSet } from "./number-set";
import type { AccountGate, AllocateArgs, AllocateReply, CallMatch, CallQuery, NumberSpec, PoolPush, PoolSettings, PushResult } from "./protocol";
import { RateWindow } from "./rate-window";
import { REPLAY_MIGRATION, ReplayLog } from "./replay-log";

export const MIGRATIONS = [
  LEASES_MIGRATION,
  // Health: gauges kept on every lease change, per-minute peaks, warning episodes' alerts.
  `${HEALTH_MIGRATION}
   ${ALERTS_MIGRATION}`,
  // Settings, gate and version replace the single pushed snapshot (meta 'config'); the gauges are
  // counted from the lease table, not stored.
  `DELETE FROM meta WHERE key = 'config';
   DROP TABLE health;`,
  // Who holds each lease (client caps) and the recycle order by when a session was last seen.
  CLIENTS_MIGRATION,
  // The what-if replay's event log.
  REPLAY_MIGRATION,
  // Each number's parts, made once when it is added.
  PARTS_MIGRATION,
  // A live lease whole on its number; the history holds ended leases.
  LIVE_ON_NUMBER_MIGRATION,
  // The client caps' indexes without NULL entries.
  CLIENT_INDEXES_MIGRATION,
  // The recycle victim by the expiry index: the last-shown index goes.
  RECYCLE_BY_EXPIRY_MIGRATION,
];

export interface ReplayQuery {
  /** Count from here (ms). */
  from: number;
  /** This shard's share of each size asked for. */
  sizes: number[];
  leaseSeconds: number;
}

export interface ShardReplay {
  actual: ReplayFigures;
  replayed: ReplayFigures[];
  /** The oldest event this shard still has (null: none). */
  oldest: number | null;
}

export class PoolObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private settings: PoolSettings | null = null;
  private gate: Gate | null = null;
  /** The config version this shard holds (null: never configured). */
  private version: number | null = null;
  private alarmAt: number | null = null;
  /** New leases in the last minute (drain backstop; see RateWindow). */
  private readonly newLeases = new RateWindow();
  private readonly leases: LeaseTable;
  private readonly numbers: NumberSet;
  private readonly health: PoolHealth;
  private readonly alerts: PoolAlerts;
  private readonly log: ReplayLog;
  /** Tracking numbers in the parts the snippet writes with (libphonenumber, once per number). */
  private readonly parts = new Map<string, PhoneParts>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.health = new PoolHealth(this.sql);
    this.leases = new LeaseTable(this.sql, this.health);
    this.numbers = new NumberSet(this.sql);
    this.alerts = new PoolAlerts(this.sql, this.health);
    this.log = new ReplayLog(this.sql);
    // Only a pool the account has configured has a schema: a stray name must not create storage.
    ctx.blockConcurrencyWhile(async () => {
      if (!hasSchema(ctx.storage)) return;
      migrate(ctx.storage, MIGRATIONS);
      this.settings = current(this.meta<PoolSettings>("settings"));
      const gate = this.meta<AccountGate>("gate");
      this.gate = gate ? new Gate(gate) : null;
      this.version = this.meta<number>("version");
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Apply a config push from the account object (idempotent; an older version is ignored). */
  async sync(push: PoolPush): Promise<PushResult> {
    if (this.version !== null && push.version < this.version) return { ok: true, version: this.version };
    const diff = "add" in push.numbers ? push.numbers : null;
    if (diff && push.base !== this.version) return { ok: false, resync: true };
    const now = Date.now();
    migrate(this.ctx.storage, MIGRATIONS);
    // What the transaction sets in memory goes back with it if it fails: the version would be ahead
    // of the numbers stored, and the account's full push refused as not newer.
    const before = { settings: this.settings, version: this.version, gate: this.gate };
    try {
      this.applyPush(push, now);
    } catch (err) {
      ({ settings: this.settings, version: this.version, gate: this.gate } = before);
      throw err;
    }
    await this.scheduleAlarm(now);
    const graceMs = push.settings.graceSeconds * 1000;
    return { ok: true, version: push.version, departing: this.numbers.departing(graceMs) };
  }

  /** A push's numbers, settings, version and gate, in one transaction. */
  private applyPush(push: PoolPush, now: number): void {
    this.transaction(() => {
      const numbers = push.settings.active ? push.numbers : { all: [] };
      if ("all" in numbers) this.numbers.replaceNumbers(numbers.all);
      else {
        this.numbers.removeNumbers(numbers.remove);
        this.numbers.addNumbers(numbers.add);
      }
      this.numbers.setOverflow(push.settings.exhaustionPolicy === "overflow" ? push.settings.overflowNumber : null);
      this.save("settings", push.settings);
      this.save("version", push.version);
      this.settings = push.settings;
      this.version = push.version;
      this.takeGate(push.gate);
      this.leases.expireDue(now);
      this.health.recount(now);
      this.alerts.settle(this.settings, now);
    });
  }

  /**
   * Lower the holds of numbers that moved here (never raise them): the account object has seen
   * every shard they were in retire them, and tells when each is free (0: now).
   */
  settleHolds(holds: NumberSpec[], now: number): void {
    if (!this.hasTables()) return;
    this.transaction(() => this.numbers.lowerHolds(holds, now));
  }

  /**
   * Undo a lease this shard just made for `session` (an allocation across pools refused by another
   * pool's limit answers no number at all). Only a lease begun at `leasedAt`: never a renewal.
   */
  cancelLease(session: string, leasedAt: number): boolean {
    if (!this.hasTables()) return false;
    const cancelled = this.transaction(() => this.leases.cancel(session, leasedAt, leasedAt));
    if (cancelled) this.log.forget(session, leasedAt);
    return cancelled;
  }

  /**
   * Erasure: these visits' touches (landing, referrer, click ids, GA client id) are forgotten on
   * their leases, live or in the history; the leases themselves stay (which number, when). Many
   * sessions at once (an erasure by caller: a batch of calls' visits in one call to each object, one
   * pass over the lease history). Rows changed.
   */
  forgetSources(sessions: readonly string[]): number {
    if (!this.hasTables() || sessions.length === 0) return 0;
    const list = JSON.stringify(sessions);
    const set = "source = NULL WHERE source IS NOT NULL AND session IN (SELECT value FROM json_each(?))";
    return this.transaction(
      () => this.ctx.storage.sql.exec(`UPDATE numbers SET ${set}`, list).rowsWritten + this.ctx.storage.sql.exec(`UPDATE leases SET ${set}`, list).rowsWritten,
    );
  }

  /** A new site key or allowed origins (older gates are ignored). */
  setGate(gate: AccountGate): void {
    if (!hasSchema(this.ctx.storage)) return;
    this.takeGate(gate);
  }

  /** Admit the request (key, origin, routing), then lease: the session's own number, a free one, or the policy's answer. */
  async allocate(args: AllocateArgs): Promise<AllocateReply> {
    const settings = this.settings;
    if (!settings || !this.gate) return { ok: false, kind: "unsynced" };
    const refused = this.gate.admit(args.siteKey, args.origin, settings);
    if (refused) return { ok: false, kind: "refused", error: refused };
    // Stale routing: deleted, not the default any more, or another shard count than the worker used.
    // A renewOnly request comes to a shard of an earlier count, which the session need not hash to now.
    const routedHere = args.renewOnly || shardOf(args.session, settings.shards) === settings.shard;
    if (!settings.active || (args.asDefault && !settings.isDefault) || args.shards !== settings.shards || !routedHere) {
      return { ok: false, kind: "reroute" };
    }
    const grant = this.transaction(() => {
      const request = { session: args.session, source: args.source, now: args.now, client: args.client, renewOnly: args.renewOnly, fresh: args.fresh };
      const granted = this.leases.grant(settings, request, {
        admitNew: (now) => this.newLeases.take(now, settings.maxNewLeasesPerMinute),
        ranDry: (now) => this.alerts.ranDry(settings, now),
      });
      this.alerts.settle(settings, args.now);
      return granted;
    });
    if (grant.asked) this.log.ask({ t: args.now, session: args.session, number: grant.number, told: grant.expiresAt, ...grant.asked });
    // A grant only adds deadlines (a lease's end, an alert to hand over): the alarm moves earlier if
    // one of them comes first. It never needs to move later here; the alarm itself recomputes.
    const due = [this.alerts.takeRaised() ? args.now : grant.expiresAt, this.health.flushDue()].filter((t): t is number => t !== null);
    if (due.length && (this.alarmAt === null || Math.min(...due) < this.alarmAt)) await this.setAlarm(Math.min(...due));
    if (grant.retryAfter !== undefined) return { ok: false, kind: "rate_limited", retryAfter: grant.retryAfter };
    if (grant.none) return { ok: false, kind: "none" };
    return {
      ok: true,
      allocation: {
        pool: settings.poolId,
        destinations: settings.destinations,
        number: grant.number ? this.partsOf(grant.number, grant.parts) : null,
        expiresAt: grant.expiresAt,
        overflow: grant.overflow,
        renewAt: grant.renewAt ?? null,
      },
    };
  }

  /** Live leases, oldest first (none in a shard never configured: its first push failed). */
  liveLeases(now: number): Lease[] {
    return this.hasTables() ? this.leases.live(now) : [];
  }

  /**
   * Which session held `q.number` at the call's start (within the pool's grace), and records the
   * ring on the number unless `peek`. The overflow number is attributed only to a lease that still
   * held it (taken before it became the overflow number, which waits for it to end); otherwise a
   * call on it is overflow. Null when this object has never been configured.
   */
  async attributeCall(q: CallQuery): Promise<CallMatch | null> {
    const settings = this.settings;
    if (!settings) return null;
    const lease = this.leases.leaseAt(q.number, q.at, settings.graceSeconds * 1000);
    const overflow = lease === null && settings.exhaustionPolicy === "overflow" && settings.overflowNumber === q.number;
    if (!q.peek) {
      this.transaction(() => this.leases.recordCall(q.number, q.at, lease !== null));
      this.log.call({ t: q.at, number: q.number, session: lease?.session ?? null });
      // The figures are in memory until the alarm writes them: it must come (a quiet pool's next
      // alarm may be a day away, and an evicted object loses what memory held).
      const due = this.health.flushDue();
      if (due !== null && (this.alarmAt === null || due < this.alarmAt)) await this.setAlarm(due);
    }
    return { lease, overflow };
  }

  counters(): Record<string, number> {
    return this.hasTables() ? this.health.counters() : {};
  }

  /**
   * Health figures at `now` (raw, mergeable with other objects' of the same pool): gauges,
   * counters, `count` buckets of `step` minutes, the week, the open episode. Ends due leases first.
   */
  async healthFigures(q: { now: number; step: number; count: number }): Promise<PoolFigures> {
    // A shard never configured (its push failed) has nothing to show and must not get storage for it.
    if (!this.hasTables()) return { ...emptyFigures(q.now, q.step, q.count), episode: null };
    this.transaction(() => {
      this.leases.expireDue(q.now);
      this.alerts.settle(this.settings, q.now);
      this.health.flush();
      this.log.flush();
    });
    await this.scheduleAlarm(q.now);
    return { ...this.health.figures(q.now, q.step, q.count), episode: this.alerts.episode() };
  }

  /** Numbers in E.164 order with last shown, last called, sessions served. */
  numberFigures(q: NumberPageQuery): NumberPage {
    return this.hasTables() ? this.health.numbers(q) : { numbers: [], more: false };
  }

  /** Numbers this shard can lease now (the replay splits a size over shards by it). */
  replaySize(): number {
    return this.hasTables() ? this.health.gauges().total : 0;
  }

  /**
   * Replay this shard's log from `from` (and a lease + grace before it, to fill the pool) at each
   * of `sizes` numbers and `leaseSeconds`, beside what actually happened (domain/replay.ts).
   */
  replay(q: ReplayQuery): ShardReplay {
    const settings = this.settings;
    if (!settings || !this.hasTables()) return { actual: noReplay(), replayed: q.sizes.map(noReplay), oldest: null };
    const leaseMs = q.leaseSeconds * 1000;
    const graceMs = settings.graceSeconds * 1000;
    const events = this.log.read(q.from - Math.max(leaseMs, settings.leaseSeconds * 1000) - graceMs);
    const base = {
      leaseMs,
      graceMs,
      policy: settings.exhaustionPolicy,
      overflowNumber: settings.overflowNumber !== null,
      realLeaseMs: settings.leaseSeconds * 1000,
      countFrom: q.from,
    };
    let actual = noReplay();
    const replayed = q.sizes.map((numbers) => {
      const r = replay(events, { ...base, numbers });
      actual = r.actual;
      return r.replayed;
    });
    if (!q.sizes.length) actual = replay(events, { ...base, numbers: 0 }).actual;
    return { actual, replayed, oldest: this.log.oldest() };
  }

  override async alarm(): Promise<void> {
    if (!this.hasTables()) return;
    const now = Date.now();
    this.alarmAt = null;
    this.transaction(() => {
      this.leases.expireDue(now);
      this.leases.prune(now - this.keepMs());
      this.health.prune(now);
      this.alerts.settle(this.settings, now);
      this.health.flush();
      this.log.flush();
      const s = this.settings;
      this.log.prune(now, s ? (s.leaseSeconds + s.graceSeconds) * 1000 : 0);
    });
    const s = this.settings;
    // Alert ids are per object: a shard's alerts are keyed by the shard's name so they never collide.
    const source = s ? (s.shard ? `${s.poolId}#${s.shard}` : s.poolId) : "";
    await this.alerts.deliver(s ? account(this.env, s.accountId) : null, source, now);
    await this.scheduleAlarm(now);
  }

  /** A storage transaction; if it fails, what memory holds of storage is read again. */
  private transaction<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.health.reset();
      this.alerts.reset();
      this.leases.reset();
      throw err;
    }
  }

  private takeGate(gate: AccountGate): void {
    if (this.gate && this.gate.pushed.version > gate.version) return;
    this.save("gate", gate);
    this.gate = new Gate(gate);
  }

  /** A number's parts: remembered, else as stored when it was added, else made (numbers added before parts were stored, and parts stored before an Argentine mobile's were right: shared/phone.ts partsCurrent). */
  private partsOf(number: string, stored?: string | null): PhoneParts {
    let p = this.parts.get(number);
    if (!p) {
      const kept = stored ? (JSON.parse(stored) as PhoneParts) : null;
      p = kept && partsCurrent(kept) ? kept : phoneParts(number);
      this.parts.set(number, p);
    }
    return p;
  }

  private hasTables(): boolean {
    return this.version !== null || hasSchema(this.ctx.storage);
  }

  private meta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  private save(key: string, value: unknown): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }

  /** Finished leases are kept grace + retention: a late call can still find them. */
  private keepMs(): number {
    return (this.settings?.graceSeconds ?? 0) * 1000 + leaseRetentionMs(this.env);
  }

  /** One alarm, at the earliest deadline: the next lease expiry, history or minutes prune, or alert hand-over. */
  private async scheduleAlarm(now: number): Promise<void> {
    const oldestEnded = this.leases.oldestEnded();
    const prune = oldestEnded === null ? null : Math.max(now, oldestEnded + this.keepMs());
    const candidates = [this.leases.nextExpiry(), prune, this.health.nextPrune(now), this.health.flushDue(), this.alerts.nextDue()].filter(
      (t): t is number => t !== null,
    );
    await this.setAlarm(candidates.length ? Math.min(...candidates) : null);
  }

  private async setAlarm(at: number | null): Promise<void> {
    if (at === this.alarmAt) return;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }
}

/**
 * Settings as stored, their destinations' parts made again where an older version stored them
 * wrong (an Argentine mobile's: shared/phone.ts partsCurrent), until the account pushes the pool's
 * config again.
 */
function current(settings: PoolSettings | null): PoolSettings | null {
  // (ANY_NUMBER's parts are current: no national form, no nsn.)
  if (!settings || settings.destinations.every(partsCurrent)) return settings;
  return { ...settings, destinations: settings.destinations.map((d) => (partsCurrent(d) ? d : phoneParts(d.e164))) };
}
