/**
 * The account's pools: each pool's config (`pools`, JSON without its numbers) and every tracking
 * number the account has (`pool_numbers`: which pool, in what order, and for a removed number how
 * long it still routes calls to that pool). This is the account's own number index: the call path
 * finds a ringing number's pool here, and numbers are checked against each other here. Only the
 * cross-account claim of a tracking number lives in the Directory.
 *
 * A deleted pool stays as a tombstone (`deleted_at`) while its numbers still route: a late call on
 * one is attributed with the pool's last config.
 */
import type { NumberConflict } from "../directory/directory";
import { routeNumbers } from "../domain/route";
import { liveEarlier } from "../domain/shards";
import type { Pool } from "../schemas/pool";

export const REGISTRY_MIGRATIONS = {
  pools: `CREATE TABLE pools (id TEXT PRIMARY KEY, config TEXT NOT NULL);
   INSERT INTO meta (key, value) VALUES ('version_seq', '0');`,
  numbers: `ALTER TABLE pools ADD COLUMN deleted_at INTEGER;
   CREATE TABLE pool_numbers (
     number TEXT PRIMARY KEY, pool_id TEXT NOT NULL, seq INTEGER NOT NULL,
     released_until INTEGER   -- removed from the pool: still routes calls to it until then (lease + grace)
   );
   CREATE INDEX pool_numbers_pool ON pool_numbers (pool_id, seq);
   CREATE INDEX pool_numbers_released ON pool_numbers (released_until) WHERE released_until IS NOT NULL;
   INSERT INTO pool_numbers (number, pool_id, seq)
     SELECT j.value, p.id, (SELECT COUNT(*) FROM pools q WHERE q.id < p.id) * 100000 + j.key FROM pools p, json_each(p.config, '$.trackingNumbers') j;
   UPDATE pools SET config = json_remove(config, '$.trackingNumbers');`,
};

/** A pool as stored: its config without the numbers (in pool_numbers) and without isDefault (the account's). */
export type StoredPool = Omit<Pool, "trackingNumbers" | "isDefault">;

/** Where sessions of the account's pools are sent: the default pool and each pool's shard count. */
export interface Routing {
  defaultPool: string | null;
  pools: Record<string, number>;
  /** Earlier shard counts of a pool whose leases may still live: a session looks for its lease there first. */
  earlier?: Record<string, number[]>;
}

/** When a tombstone's objects hold nothing of its leases any more (the `?`: the retention after grace, ms). */
const TOMBSTONE_GONE = "deleted_at + COALESCE(json_extract(config, '$.graceSeconds'), 0) * 1000 + ?";

export class PoolRegistry {
  /**
   * Parsed configs of live pools by id; dropped by every write. An id with no pool is never
   * remembered: ids come from requests, and remembering each would grow memory without bound.
   */
  private readonly cache = new Map<string, StoredPool>();

  constructor(private readonly sql: SqlStorage) {}

  /** A live pool's config, or null. */
  get(id: string): StoredPool | null {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const r = this.sql.exec<{ config: string }>("SELECT config FROM pools WHERE id = ? AND deleted_at IS NULL", id).toArray()[0];
    if (!r) return null;
    const pool = JSON.parse(r.config) as StoredPool;
    this.cache.set(id, pool);
    return pool;
  }

  /** A pool's config, live or deleted (a tombstone while its numbers still route). */
  getAny(id: string): { pool: StoredPool; deleted: boolean } | null {
    const live = this.get(id);
    if (live) return { pool: live, deleted: false };
    const r = this.sql.exec<{ config: string }>("SELECT config FROM pools WHERE id = ?", id).toArray()[0];
    return r ? { pool: JSON.parse(r.config) as StoredPool, deleted: true } : null;
  }

  /** Every pool kept, deleted ones (tombstones) too. */
  allStored(): StoredPool[] {
    return this.sql
      .exec<{ config: string }>("SELECT config FROM pools ORDER BY id")
      .toArray()
      .map((r) => JSON.parse(r.config) as StoredPool);
  }

  ids(): string[] {
    return this.sql
      .exec<{ id: string }>("SELECT id FROM pools WHERE deleted_at IS NULL ORDER BY id")
      .toArray()
      .map((r) => r.id);
  }

  /** A pool's tracking numbers, in the order they were added (removed ones not included). */
  numbers(id: string): string[] {
    return this.sql
      .exec<{ number: string }>("SELECT number FROM pool_numbers WHERE pool_id = ? AND released_until IS NULL ORDER BY seq", id)
      .toArray()
      .map((r) => r.number);
  }

  /** The API view of a live pool. */
  view(id: string, defaultPool: string | null): Pool | null {
    const pool = this.get(id);
    return pool
      ? {
          ...pool,
          provider: pool.provider ?? null,
          numberProviders: pool.numberProviders ?? {},
          route: pool.route ?? null,
          origins: pool.origins ?? null,
          trackingNumbers: this.numbers(id),
          isDefault: defaultPool === id,
        }
      : null;
  }

  routing(defaultPool: string | null, now = Date.now()): Routing {
    const pools: Record<string, number> = {};
    const earlier: Record<string, number[]> = {};
    for (const r of this.sql.exec<{ id: string; config: string }>("SELECT id, config FROM pools WHERE deleted_at IS NULL")) {
      const pool = JSON.parse(r.config) as StoredPool;
      pools[r.id] = pool.shards;
      const live = liveEarlier(pool, now);
      if (live.length) earlier[r.id] = live;
    }
    return { defaultPool, pools, earlier };
  }

  /** The pool a tracking number routed to at `at` (held ones included: removed numbers route for lease + grace). */
  ownerAt(number: string, at: number): string | null {
    return (
      this.sql
        .exec<{ pool_id: string }>("SELECT pool_id FROM pool_numbers WHERE number = ? AND (released_until IS NULL OR released_until > ?)", number, at)
        .toArray()[0]?.pool_id ?? null
    );
  }

  /** A number's claim as this account has it: "live" in a pool, held until a time (removed), or "none". */
  claimOf(number: string): "live" | "none" | { until: number } {
    const row = this.sql.exec<{ released_until: number | null }>("SELECT released_until FROM pool_numbers WHERE number = ?", number).toArray()[0];
    if (!row) return "none";
    return row.released_until === null ? "live" : { until: row.released_until };
  }

  /**
   * Conflicts inside the account of a pool's numbers-to-be: a tracking number of another pool (also
   * one still routing after removal), or a forward target (a destination, the fallback) of any pool;
   * a forward target that is a tracking number. A call must never be forwarded into a tracking number.
   */
  conflicts(poolId: string, tracking: readonly string[], forwardTargets: readonly string[], fallback: string | null, now: number): NumberConflict[] {
    const out: NumberConflict[] = [];
    const targets = this.forwardTargets(poolId);
    if (fallback) targets.set(fallback, "is the account's fallback number");
    for (const number of tracking) {
      const owner = this.ownerAt(number, now);
      if (owner !== null && owner !== poolId) out.push({ number, reason: `already a tracking number of pool ${owner}` });
      else if (targets.has(number)) out.push({ number, reason: `${targets.get(number)}; a tracking number cannot be one` });
    }
    for (const number of forwardTargets) {
      const owner = this.ownerAt(number, now);
      if (owner !== null) out.push({ number, reason: `is a tracking number of pool ${owner}; calls can never be forwarded into one` });
    }
    return out;
  }

  /** Numbers of the account that are a tracking number (live or still routing) at `now`. */
  trackingAt(numbers: readonly string[], now: number): string[] {
    return numbers.filter((n) => this.ownerAt(n, now) !== null);
  }

  /**
   * Store a pool with exactly `tracking` as its numbers: new ones are added after the others,
   * removed ones keep routing to it until `now + holdMs`. Answers what was added and removed.
   */
  save(pool: StoredPool, tracking: readonly string[], holdMs: number, now: number): { added: string[]; removed: string[] } {
    const current = new Set(this.numbers(pool.id));
    const wanted = new Set(tracking);
    const added = tracking.filter((n) => !current.has(n));
    const removed = [...current].filter((n) => !wanted.has(n));
    this.sql.exec("INSERT OR REPLACE INTO pools (id, config, deleted_at) VALUES (?, ?, NULL)", pool.id, JSON.stringify(pool));
    for (const number of removed) this.sql.exec("UPDATE pool_numbers SET released_until = ? WHERE number = ?", now + holdMs, number);
    let seq = this.sql.exec<{ s: number }>("SELECT COALESCE(MAX(seq), -1) AS s FROM pool_numbers").one().s;
    for (const number of added) {
      this.sql.exec(
        `INSERT INTO pool_numbers (number, pool_id, seq, released_until) VALUES (?, ?, ?, NULL)
         ON CONFLICT (number) DO UPDATE SET pool_id = excluded.pool_id, seq = excluded.seq, released_until = NULL`,
        number,
        pool.id,
        ++seq,
      );
    }
    this.cache.delete(pool.id);
    return { added, removed };
  }

  /** Delete a pool: it becomes a tombstone and its numbers keep routing to it until `now + holdMs`. */
  markDeleted(pool: StoredPool, holdMs: number, now: number): string[] {
    const numbers = this.numbers(pool.id);
    this.sql.exec("UPDATE pools SET config = ?, deleted_at = ? WHERE id = ?", JSON.stringify(pool), now, pool.id);
    this.sql.exec("UPDATE pool_numbers SET released_until = ? WHERE pool_id = ? AND released_until IS NULL", now + holdMs, pool.id);
    this.cache.delete(pool.id);
    return numbers;
  }

  /**
   * Forget numbers whose routing time is over, and tombstones with no number left once their
   * objects' lease history is gone too (grace + `historyMs` after the deletion: until then an
   * erasure reaches those objects through the tombstone's config). The pools gone for good.
   */
  purge(now: number, historyMs: number): string[] {
    this.sql.exec("DELETE FROM pool_numbers WHERE released_until IS NOT NULL AND released_until <= ?", now);
    this.sql.exec("DELETE FROM meta WHERE key LIKE 'long_leases_until:%' AND CAST(value AS INTEGER) <= ?", now);
    return this.sql
      .exec<{ id: string }>(
        `DELETE FROM pools WHERE ${TOMBSTONE_GONE} <= ? AND NOT EXISTS (SELECT 1 FROM pool_numbers WHERE pool_id = pools.id) RETURNING id`,
        historyMs,
        now,
      )
      .toArray()
      .map((r) => r.id);
  }

  /** When purge() next has something to do. */
  nextPurge(historyMs: number): number | null {
    const numbers = this.sql.exec<{ t: number | null }>("SELECT MIN(released_until) AS t FROM pool_numbers WHERE released_until IS NOT NULL").one().t;
    const tombstones = this.sql.exec<{ t: number | null }>(`SELECT MIN(${TOMBSTONE_GONE}) AS t FROM pools WHERE deleted_at IS NOT NULL`, historyMs).one().t;
    return numbers === null ? tombstones : tombstones === null ? numbers : Math.min(numbers, tombstones);
  }

  /**
   * Until when a lease of this pool taken under a longer lease length than its current one may run
   * (0: none). A shortened lease length does not shorten the leases already given: a number removed
   * meanwhile must be held as long as those may run, not the new length.
   */
  longLeasesUntil(poolId: string): number {
    const r = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", `long_leases_until:${poolId}`).toArray()[0];
    return r ? Number(r.value) : 0;
  }

  /** A lease length shortened now: leases of the earlier one may run until `until`. */
  leasesMayRunUntil(poolId: string, until: number): void {
    if (until <= this.longLeasesUntil(poolId)) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", `long_leases_until:${poolId}`, String(until));
  }

  /** The next config version (account-wide, so a re-created pool's objects never see an older one). */
  nextVersion(): number {
    const next = Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'version_seq'").one().value) + 1;
    this.sql.exec("UPDATE meta SET value = ? WHERE key = 'version_seq'", String(next));
    return next;
  }

  /** Every live pool's forward targets except `exceptPool`'s: destinations and whisper caller ids. */
  private forwardTargets(exceptPool: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const id of this.ids()) {
      if (id === exceptPool) continue;
      for (const n of forwardTargetsOf(this.get(id)!)) out.set(n, `is a destination of pool ${id}`);
    }
    return out;
  }
}

/** The numbers a pool's calls may be forwarded to or from which it dials: never a tracking number. */
export function forwardTargetsOf(pool: Pick<Pool, "destinations" | "whisper" | "callerId"> & { route?: Pool["route"] | undefined }): string[] {
  // A whisper callerId starts a leg whose callback is ours: like a destination, never a tracking number.
  const own = pool.whisper && pool.callerId ? [...pool.destinations, pool.callerId] : [...pool.destinations];
  // The route's numbers too: ringing or showing one of them must never be a tracking number.
  return [...new Set([...own, ...(pool.route ? routeNumbers(pool.route) : [])])];
}
