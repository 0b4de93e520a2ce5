/**
 * Where a lease is chosen: a pool shard's lease table. Every number of the shard is a row of
 * `numbers` holding its current lease (if any), whole: its id, session, source, start and end, so
 * beginning or renewing a lease writes that one row. `leases` is the history of ended leases, for
 * late calls: a lease's row is written when it ends (ids come from a sequence kept in memory,
 * above every id storage has seen).
 * The object serialises every call, so a number is never leased to two sessions at once.
 *
 * Choosing a number uses partial indexes: a free number is the first row of `numbers_free`
 * (longest free first), a recycle victim the first lease of `numbers_expiry` to end (seen longest
 * ago: a lease or renewal sets its end a lease length on; leases of numbers being removed are read
 * past), a client's holding a count on `numbers_client` / `numbers_block` — O(log n) each. The
 * tables and queries: lease-schema.ts; which numbers the shard has: number-set.ts.
 *
 * (Over 300 lines: every write to a lease — begin, renew, recycle, end, undo — is in this one class,
 * so the invariant above can be read and checked in one place.)
 */
import type { Lease } from "../schemas/pool";
import { standing } from "./clients";
import type { PoolHealth } from "./health";
import { LEASE_AT, type LeaseRow, LIVE_AT, type NumberRow, QUERIES } from "./lease-schema";
import type { CallMatch, ClientKey, LeaseGrant, PoolSettings } from "./protocol";

/** A renewal sooner than this after the last one (or a quarter lease, if shorter) extends nothing. */
export const RENEW_MIN_MS = 60_000;
/** A pool that recycles has its visitors ask again this often (at most), so a recycled one learns soon. */
export const RECYCLE_RECHECK_MS = 120_000;

/** When the snippet should ask again: a quarter of the lease before its end, sooner in a recycling pool. */
export function renewAt(settings: PoolSettings, now: number, expiresAt: number): number {
  const leaseMs = settings.leaseSeconds * 1000;
  const normal = expiresAt - leaseMs / 4;
  return settings.exhaustionPolicy === "recycle" ? Math.min(normal, now + Math.min(RECYCLE_RECHECK_MS, (3 * leaseMs) / 4)) : normal;
}

/** One allocation as the lease table sees it. */
export interface GrantRequest {
  session: string;
  source: string | null;
  now: number;
  client: ClientKey | null;
  renewOnly?: boolean | undefined;
  /** The session was begun by this request (the worker made its id just now): it holds no lease. */
  fresh?: boolean | undefined;
}

/** What grant() may do when the shard has no free number, and what it tells the caller. */
export interface GrantHooks {
  /** Admit one more new session under the new-lease limit, or say how long to wait. */
  admitNew(now: number): { ok: true } | { ok: false; retryAfter: number };
  /** A new session found no free number. */
  ranDry(now: number): void;
}

/** What a lease query returns. */
type Taken = { number: string; parts: string | null };

/** A number row's lease columns, cleared (the lease ended or was undone). */
const NO_LEASE = "lease_id = NULL, session = NULL, source = NULL, leased_at = NULL, expires_at = NULL, client = NULL, client_block = NULL";

export class LeaseTable {
  /**
   * No live lease ends before this (a lower bound: 0 until storage was asked). It spares most
   * allocations the due-lease query: it is only asked once a lease can have ended.
   */
  private noneDueBefore = 0;
  /** The last lease id given (null: read from storage at the next lease). */
  private lastLeaseId: number | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly health: PoolHealth,
  ) {}

  /** Undo a lease begun at `leasedAt` as if it never was (its history row goes too); false when there is none. */
  cancel(session: string, leasedAt: number, now: number): boolean {
    const own = this.sql.exec<NumberRow>(QUERIES.own, session).toArray()[0];
    if (!own || own.leased_at !== leasedAt) return false;
    // A lease has no history row before it ends: undone, it leaves none. A number retired meanwhile
    // (a push took it out of the pool) goes, as it does when a lease ends.
    if (own.retiring) this.sql.exec("DELETE FROM numbers WHERE number = ?", own.number);
    else this.sql.exec(`UPDATE numbers SET ${NO_LEASE}, sessions_served = sessions_served - 1 WHERE number = ?`, own.number);
    this.health.leaseEnded(own, now);
    this.health.bump("cancelled", now);
    return true;
  }

  /**
   * Give `session` a number: its own while its lease lives (extended), else a free one, else the
   * exhaustion policy's answer. Expired leases are ended first, so a late alarm never matters.
   * What one client may hold is bounded (clients.ts): at its cap it gets the overflow number or
   * none, and a draining client never recycles another session's lease.
   */
  grant(settings: PoolSettings, req: GrantRequest, hooks: GrantHooks): LeaseGrant {
    const { session, now, client } = req;
    this.expireDue(now);
    const leaseMs = settings.leaseSeconds * 1000;
    // A session this request began holds no lease: no need to look for one.
    const own = req.fresh ? undefined : this.sql.exec<NumberRow>(QUERIES.own, session).toArray()[0];
    if (own) return this.renew(settings, own, req);
    if (req.renewOnly) return { number: null, expiresAt: null, overflow: false, none: true };
    const numbers = this.health.gauges().total;
    const held = client ? this.heldBy(client) : { addr: 0, block: 0 };
    const stand = client ? standing(numbers, held) : { capped: false, draining: false };
    if (stand.capped) {
      this.health.bump("client_capped", now);
      return this.exhausted(settings, now, leaseMs);
    }
    // A new session: the drain backstop counts every number handed to a new session.
    const admitted = hooks.admitNew(now);
    if (!admitted.ok) {
      this.health.bump("rate_limited", now);
      return { number: null, expiresAt: null, overflow: false, retryAfter: admitted.retryAfter };
    }
    const free = this.lease(settings, null, req, now + leaseMs);
    if (free) return { ...free, asked: { fresh: true, dry: false, recycled: false } };
    hooks.ranDry(now);
    if (settings.exhaustionPolicy === "recycle") {
      if (stand.draining) this.health.bump("recycle_refused", now);
      else {
        // The session seen longest ago loses its number, never one that asked more recently.
        const victim = this.sql.exec<NumberRow>(QUERIES.victim).toArray()[0];
        if (victim) {
          // Its lease goes into the history; the new lease overwrites the row's (no freeing between).
          this.endLease(victim, now, "recycled", true);
          this.health.bump("recycled_early", now);
          return { ...this.lease(settings, victim.number, req, now + leaseMs)!, asked: { fresh: true, dry: true, recycled: true } };
        }
      }
    }
    return { ...this.exhausted(settings, now, leaseMs), asked: { fresh: true, dry: true, recycled: false } };
  }

  /** No number of its own for a new session: the overflow number, or none. */
  private exhausted(settings: PoolSettings, now: number, leaseMs: number): LeaseGrant {
    if (settings.exhaustionPolicy === "overflow" && settings.overflowNumber) {
      // Only while nobody still holds it from before it became the overflow number.
      const held = this.sql.exec("SELECT 1 FROM numbers WHERE number = ? AND session IS NOT NULL", settings.overflowNumber).toArray().length > 0;
      if (!held) {
        this.health.bump("overflow", now);
        this.sql.exec("UPDATE numbers SET last_shown_at = ? WHERE number = ?", now, settings.overflowNumber);
        return { number: settings.overflowNumber, expiresAt: now + leaseMs, overflow: true, renewAt: renewAt(settings, now, now + leaseMs) };
      }
    }
    this.health.bump("refused", now);
    return { number: null, expiresAt: null, overflow: false };
  }

  /**
   * The session's own live lease. Extended (one row written) at most once per RENEW_MIN_MS: a
   * renewal sooner than the snippet needs changes nothing. A renewal moves the lease to the client
   * that renews it, so it counts toward that client's cap; a client at its cap, a retiring number
   * or a shard the session is no longer routed to (renewOnly) keeps the lease's end as it is.
   */
  private renew(settings: PoolSettings, own: NumberRow, req: GrantRequest): LeaseGrant {
    const { now, client } = req;
    // The session's context as sent now: its consent may have changed on the page (granted after
    // denied), and a call is attributed with what its lease holds.
    if (req.source !== null) this.sql.exec(QUERIES.resource, req.source, own.number, req.source);
    const leaseMs = settings.leaseSeconds * 1000;
    let expiresAt = own.expires_at!;
    const due = now - (own.last_shown_at ?? 0) >= Math.min(leaseMs / 4, RENEW_MIN_MS);
    if (!own.retiring && !req.renewOnly && due) {
      const moved = client !== null && client.addr !== own.client;
      const allowed = !moved || !standing(this.health.gauges().total, this.heldBy(client)).capped;
      if (allowed) expiresAt = Math.max(expiresAt, now + leaseMs);
      else this.health.bump("client_capped", now);
      this.sql.exec(
        "UPDATE numbers SET expires_at = ?, last_shown_at = ?, client = ?, client_block = ? WHERE number = ?",
        expiresAt,
        now,
        allowed && client ? client.addr : own.client,
        allowed && client ? client.block : own.client_block,
        own.number,
      );
      this.health.bump("renewals", now);
      return {
        number: own.number,
        parts: own.parts,
        expiresAt,
        overflow: false,
        renewAt: renewAt(settings, now, expiresAt),
        asked: { fresh: false, dry: false, recycled: false },
      };
    }
    if (!due) this.health.bump("renewals_early", now);
    return { number: own.number, parts: own.parts, expiresAt, overflow: false, renewAt: renewAt(settings, now, expiresAt) };
  }

  /** Live leases a client holds here: by its address, and by its IPv6 /48. */
  private heldBy(client: ClientKey): { addr: number; block: number } {
    const addr = this.sql.exec<{ n: number }>(QUERIES.byClient, client.addr).one().n;
    const block = client.block === null ? 0 : this.sql.exec<{ n: number }>(QUERIES.byBlock, client.block).one().n;
    return { addr, block };
  }

  /** Live leases, oldest first. */
  live(now: number): Lease[] {
    return this.sql
      .exec<{ number: string; session: string; leased_at: number; expires_at: number; retiring: number }>(
        "SELECT number, session, leased_at, expires_at, retiring FROM numbers WHERE session IS NOT NULL AND expires_at > ? ORDER BY leased_at, number",
        now,
      )
      .toArray()
      .map((r) => ({ number: r.number, session: r.session, leasedAt: r.leased_at, expiresAt: r.expires_at, retiring: r.retiring === 1 }));
  }

  /**
   * Which session held `number` at `at`: the last lease begun by then, if it was live then or ended
   * no more than `graceMs` before. Leases never overlap on a number, so after a recycle each call goes
   * to the session that held the number at its start.
   */
  leaseAt(number: string, at: number, graceMs: number): CallMatch["lease"] {
    const live = this.sql.exec<Omit<LeaseRow, "ended_at" | "end_reason">>(LIVE_AT, number, at).toArray()[0];
    const row: LeaseRow | undefined = live ? { ...live, ended_at: null, end_reason: null } : this.sql.exec<LeaseRow>(LEASE_AT, number, at).toArray()[0];
    if (!row) return null;
    // A lease the alarm has not ended yet ended at its expiry all the same.
    const end = row.ended_at ?? row.expires_at;
    if (end + graceMs < at) return null;
    return {
      id: row.id,
      session: row.session,
      source: row.source,
      leasedAt: row.leased_at,
      expiresAt: row.expires_at,
      endedAt: row.ended_at,
      endReason: row.end_reason,
      // A lease is over at its end (expireDue frees it then): a call at that instant is in grace.
      inGrace: end <= at,
    };
  }

  /** Record a ring on a number (last_called_at) and count it. */
  recordCall(number: string, at: number, attributed: boolean): void {
    this.sql.exec("UPDATE numbers SET last_called_at = MAX(COALESCE(last_called_at, 0), ?) WHERE number = ?", at, number);
    this.health.bump(attributed ? "calls_attributed" : "calls_unattributed", at);
  }

  /** End every lease whose time is up. */
  expireDue(now: number): void {
    if (now < this.noneDueBefore) return;
    const due = this.sql.exec<NumberRow>(QUERIES.due, now).toArray();
    for (const row of due) this.endLease(row, row.expires_at!, "expired");
    // Renewals only move ends later, so the earliest end now stays a lower bound until a new lease.
    this.noneDueBefore = this.nextExpiry() ?? Number.POSITIVE_INFINITY;
  }

  /** Forget what memory holds of storage (a transaction failed). */
  reset(): void {
    this.noneDueBefore = 0;
    this.lastLeaseId = null;
  }

  /**
   * A new lease's id: above every id given before, live (on a number) or ended (in the history,
   * whose AUTOINCREMENT sequence remembers ids pruned since). Kept in memory: the object serialises
   * every call, and a failed transaction resets it.
   */
  private nextLeaseId(): number {
    this.lastLeaseId ??= this.sql
      .exec<{ id: number }>(
        `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'leases'), 0),
                COALESCE((SELECT MAX(lease_id) FROM numbers), 0)) AS id`,
      )
      .one().id;
    this.lastLeaseId += 1;
    return this.lastLeaseId;
  }

  /** Drop finished leases that ended before `before`: no call can be attributed to them any more. */
  prune(before: number): void {
    this.sql.exec("DELETE FROM leases WHERE ended_at IS NOT NULL AND ended_at < ?", before);
  }

  nextExpiry(): number | null {
    return this.sql.exec<{ t: number | null }>(QUERIES.nextExpiry).one().t;
  }

  oldestEnded(): number | null {
    return this.sql.exec<{ t: number | null }>(QUERIES.oldestEnded).one().t;
  }

  /**
   * Lease `number` (null: the number free longest, if one is free now) to the request's session:
   * one statement. Null when no number was free.
   */
  private lease(settings: PoolSettings, number: string | null, req: GrantRequest, expiresAt: number): LeaseGrant | null {
    const { session, source, now, client } = req;
    const id = this.nextLeaseId();
    const set = [id, session, source, now, expiresAt, now, client?.addr ?? null, client?.block ?? null];
    const taken = (
      number === null ? this.sql.exec<Taken>(QUERIES.take, ...set, now) : this.sql.exec<Taken>(QUERIES.leaseNumber, ...set, now, number)
    ).toArray()[0];
    if (!taken) {
      // The id was not used: the next lease takes it.
      this.lastLeaseId = id - 1;
      return null;
    }
    this.noneDueBefore = Math.min(this.noneDueBefore, expiresAt);
    this.health.bump("allocations", now);
    this.health.leaseStarted(now);
    return { number: taken.number, parts: taken.parts, expiresAt, overflow: false, renewAt: renewAt(settings, now, expiresAt) };
  }

  /** End a lease: its history row, then the number freed (or gone, retiring) unless `leasedAgain` (the caller leases it at once). */
  private endLease(row: NumberRow, at: number, reason: "expired" | "recycled", leasedAgain = false): void {
    this.sql.exec(
      "INSERT INTO leases (id, number, session, source, leased_at, expires_at, ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      row.lease_id,
      row.number,
      row.session,
      row.source,
      row.leased_at,
      row.expires_at,
      at,
      reason,
    );
    // Leased again at once: the new lease writes every lease column of the row.
    if (!leasedAgain)
      if (row.retiring) this.sql.exec("DELETE FROM numbers WHERE number = ?", row.number);
      else this.sql.exec(`UPDATE numbers SET ${NO_LEASE}, released_at = ? WHERE number = ?`, at, row.number);
    this.health.leaseEnded(row, at);
  }
}
