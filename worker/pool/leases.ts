/**
 * Where a lease is chosen: a pool shard's lease table. Every number of the shard is a row of
 * `numbers` holding its current lease (if any); `leases` keeps each lease's history for late calls.
 * A live lease's end is kept on its number only (a renewal writes one row); its history row gets
 * the final end when the lease ends.
 * The object serialises every call, so a number is never leased to two sessions at once.
 *
 * Choosing a number uses partial indexes: a free number is the first row of `numbers_free`
 * (longest free first), a recycle victim the first row of `numbers_expiry` — O(log n).
 */
import type { Lease } from "../schemas/pool";
import type { PoolHealth } from "./health";
import type { CallMatch, LeaseGrant, NumberSpec, PoolSettings } from "./protocol";

export const LEASES_MIGRATION = `
  CREATE TABLE numbers (
    number TEXT PRIMARY KEY,
    retiring INTEGER NOT NULL DEFAULT 0,    -- removed from the pool: goes when its lease ends
    overflow INTEGER NOT NULL DEFAULT 0,    -- the shared overflow number: never leased
    lease_id INTEGER, session TEXT, leased_at INTEGER, expires_at INTEGER,  -- current lease, all NULL when free
    released_at INTEGER NOT NULL DEFAULT 0, -- when it last became free (in the future: held until then)
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
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`;

type NumberRow = {
  number: string;
  retiring: number;
  overflow: number;
  lease_id: number | null;
  session: string | null;
  leased_at: number | null;
  expires_at: number | null;
};

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

/** What grant() may do when the shard has no free number, and what it tells the caller. */
export interface GrantHooks {
  /** Admit one more new session under the new-lease limit, or say how long to wait. */
  admitNew(now: number): { ok: true } | { ok: false; retryAfter: number };
  /** A new session found no free number. */
  ranDry(now: number): void;
}

export class LeaseTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly health: PoolHealth,
  ) {}

  /** Make the shard's numbers exactly `all`: the others retire (gone at once when free). */
  replaceNumbers(all: readonly NumberSpec[]): void {
    const wanted = new Set(all.map((n) => n.number));
    const rows = this.sql.exec<{ number: string }>("SELECT number FROM numbers").toArray();
    this.removeNumbers(rows.map((r) => r.number).filter((n) => !wanted.has(n)));
    this.addNumbers(all);
  }

  /** Add numbers (a retiring one is taken back into use, its live lease kept). */
  addNumbers(add: readonly NumberSpec[]): void {
    for (const n of add) {
      this.sql.exec(
        `INSERT INTO numbers (number, released_at) VALUES (?, ?)
         ON CONFLICT (number) DO UPDATE SET retiring = 0`,
        n.number,
        n.heldUntil ?? 0,
      );
    }
  }

  /** Remove numbers: a free one goes at once, a leased one retires when its lease ends (never extended). */
  removeNumbers(remove: readonly string[]): void {
    for (const number of remove) {
      this.sql.exec("DELETE FROM numbers WHERE number = ? AND session IS NULL", number);
      this.sql.exec("UPDATE numbers SET retiring = 1 WHERE number = ?", number);
    }
  }

  /** Mark the overflow number (only one, only with policy overflow). */
  setOverflow(number: string | null): void {
    this.sql.exec("UPDATE numbers SET overflow = (number IS ?)", number);
  }

  /**
   * Give `session` a number: its own while its lease lives (extended), else a free one, else the
   * exhaustion policy's answer. Expired leases are ended first, so a late alarm never matters.
   */
  grant(settings: PoolSettings, session: string, source: string | null, now: number, hooks: GrantHooks): LeaseGrant {
    this.expireDue(now);
    const leaseMs = settings.leaseSeconds * 1000;
    const own = this.sql.exec<NumberRow>(QUERIES.own, session).toArray()[0];
    if (own) {
      // Sticky. A retiring number is kept until its lease ends, but not extended.
      const expiresAt = own.retiring ? own.expires_at! : Math.max(own.expires_at!, now + leaseMs);
      // One row written: a live lease's current end is on its number (the history row gets it when the lease ends).
      this.sql.exec("UPDATE numbers SET expires_at = ?, last_shown_at = ? WHERE number = ?", expiresAt, now, own.number);
      this.health.bump("renewals", now);
      return { number: own.number, expiresAt, overflow: false };
    }
    // A new session: the drain backstop counts every number handed to a new session.
    const admitted = hooks.admitNew(now);
    if (!admitted.ok) {
      this.health.bump("rate_limited", now);
      return { number: null, expiresAt: null, overflow: false, retryAfter: admitted.retryAfter };
    }
    const free = this.sql.exec<{ number: string; released_at: number }>(QUERIES.free).toArray()[0];
    if (free && free.released_at <= now) return this.lease(free.number, session, source, now, now + leaseMs);
    hooks.ranDry(now);
    if (settings.exhaustionPolicy === "recycle") {
      const victim = this.sql.exec<NumberRow>(QUERIES.victim).toArray()[0];
      if (victim) {
        this.endLease(victim, now, "recycled");
        this.health.bump("recycled_early", now);
        return this.lease(victim.number, session, source, now, now + leaseMs);
      }
    }
    if (settings.exhaustionPolicy === "overflow" && settings.overflowNumber) {
      // Only while nobody still holds it from before it became the overflow number.
      const held = this.sql.exec("SELECT 1 FROM numbers WHERE number = ? AND session IS NOT NULL", settings.overflowNumber).toArray().length > 0;
      if (!held) {
        this.health.bump("overflow", now);
        this.sql.exec("UPDATE numbers SET last_shown_at = ? WHERE number = ?", now, settings.overflowNumber);
        return { number: settings.overflowNumber, expiresAt: now + leaseMs, overflow: true };
      }
    }
    this.health.bump("refused", now);
    return { number: null, expiresAt: null, overflow: false };
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
    const row = this.sql.exec<LeaseRow>(LEASE_AT, number, at).toArray()[0];
    if (!row) return null;
    // A live lease's current end is on its number (renewals extend it there).
    if (row.ended_at === null) {
      const current = this.sql.exec<{ expires_at: number }>("SELECT expires_at FROM numbers WHERE number = ? AND lease_id = ?", number, row.id).toArray()[0];
      if (current) row.expires_at = current.expires_at;
    }
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
    const due = this.sql.exec<NumberRow>(QUERIES.due, now).toArray();
    for (const row of due) this.endLease(row, row.expires_at!, "expired");
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
    this.health.bump("allocations", now);
    this.health.leaseStarted(now);
    return { number, expiresAt, overflow: false };
  }

  private endLease(row: NumberRow, at: number, reason: "expired" | "recycled"): void {
    this.sql.exec("UPDATE leases SET ended_at = ?, end_reason = ?, expires_at = ? WHERE id = ?", at, reason, row.expires_at, row.lease_id);
    if (row.retiring) this.sql.exec("DELETE FROM numbers WHERE number = ?", row.number);
    else
      this.sql.exec(
        "UPDATE numbers SET lease_id = NULL, session = NULL, leased_at = NULL, expires_at = NULL, released_at = ? WHERE number = ?",
        at,
        row.number,
      );
    this.health.leaseEnded(row, at);
  }
}
