/**
 * Pushing a pool's config to its objects (one per shard) and knowing which version each took.
 * A push carries the shard's settings, the account's gate, and its numbers: a change against the
 * version the shard last took, or the full list when the account does not know that version (new
 * shard, a failed push, the shard count changed). A shard that missed a push is brought up to date
 * by the account's alarm; until then the API call that made the change answers 503.
 */
import { phoneParts } from "../../shared/phone";
import { ANY_NUMBER, type PhoneParts } from "../../shared/protocol";
import { thresholdOf } from "../domain/pool-figures";
import { liveEarlier, movedUntil, numbersOfShard, objectCount, shardOf } from "../domain/shards";
import { poolShard } from "../platform/stubs";
import type { AccountGate, Departing, NumberSpec, PoolPush, PoolSettings } from "../pool/protocol";
import { defaultNewLeaseLimit, shardLimit } from "../pool/rate-window";
import type { StoredPool } from "./registry";

export const SYNC_MIGRATION = `
  CREATE TABLE pool_sync (
    pool_id TEXT NOT NULL, shard INTEGER NOT NULL,
    version INTEGER,        -- the config version the shard took (NULL: unknown, push it in full)
    failed_at INTEGER,      -- the last push failed: the alarm pushes it in full again
    PRIMARY KEY (pool_id, shard)
  );
  CREATE INDEX pool_sync_failed ON pool_sync (failed_at) WHERE failed_at IS NOT NULL;`;

/** Seconds between retries of a failed push. */
const RETRY_MS = 10_000;

/** What changed: the numbers added and removed, or null to push every shard its full list. */
/**
 * The numbers a save added and removed, against the pool's stored version `from` (none: a new
 * pool). Sent as such only to a shard that took `from`: a shard a version behind (a push cut short
 * by a restart, then a retried PATCH whose own change is empty) is sent everything.
 */
export type NumbersChange = { added: string[]; removed: string[]; from?: number | undefined } | null;

/** The pool as the sync needs it: its config, numbers, whether it is the default and still live. */
export interface PoolState {
  pool: StoredPool;
  numbers: readonly string[];
  isDefault: boolean;
  active: boolean;
}

export class PoolSync {
  /** Destination parts by config version (libphonenumber, once per config). */
  private readonly parts = new Map<string, PhoneParts[]>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {}

  /**
   * Push a pool to every object it has or had; answers the shards that could not be reached.
   * While numbers moved between shards by a change of shard count are held, the holds are then
   * settled from what the old shards report (see settleHolds).
   */
  async push(accountId: string, state: PoolState, gate: AccountGate, change: NumbersChange): Promise<number[]> {
    const { pool } = state;
    const failed: number[] = [];
    const departing: Departing[] = [];
    await Promise.all(
      shardIndexes(pool).map(async (shard) => {
        const pushed = await this.pushShard(accountId, state, gate, shard, change);
        if (pushed) departing.push(...pushed);
        else failed.push(shard);
      }),
    );
    if (state.active && liveEarlier(pool, Date.now()).length) await this.settleHolds(accountId, state, departing, failed);
    return failed;
  }

  /**
   * Numbers that moved shard are pushed held until no old lease can be live (movedUntil). Once every
   * shard a number was in has taken the new config (it retired the number there: a free one went at
   * once, a leased one is never extended), the hold comes down to what they report: a number free
   * there is free here now, a leased one from its lease's end + grace. A shard that could not be
   * reached keeps its numbers' holds as they were (safe: later than any lease of it can end).
   */
  private async settleHolds(accountId: string, state: PoolState, departing: readonly Departing[], failed: readonly number[]): Promise<void> {
    const { pool } = state;
    const now = Date.now();
    const earlier = liveEarlier(pool, now);
    const leasedUntil = new Map<string, number>();
    for (const d of departing) leasedUntil.set(d.number, Math.max(leasedUntil.get(d.number) ?? 0, d.until));
    const byShard = new Map<number, NumberSpec[]>();
    for (const number of state.numbers) {
      const shard = shardOf(number, pool.shards);
      if (failed.includes(shard) || movedUntil(number, shard, pool, now) === null) continue;
      if (earlier.some((c) => failed.includes(shardOf(number, c)))) continue;
      const list = byShard.get(shard) ?? [];
      list.push({ number, heldUntil: leasedUntil.get(number) ?? 0 });
      byShard.set(shard, list);
    }
    await Promise.all(
      [...byShard].map(async ([shard, holds]) => {
        try {
          await poolShard(this.env, accountId, pool.id, shard).settleHolds(holds, now);
        } catch (err) {
          // The holds stay where the push put them: later than any old lease can end.
          console.warn(`settling moved numbers' holds on pool ${pool.id} shard ${shard} failed; they wait their full hold`, err);
        }
      }),
    );
  }

  /** A new gate to every object of the given pools; answers how many could not be reached. */
  async pushGate(accountId: string, pools: readonly StoredPool[], gate: AccountGate, markedAt?: number): Promise<number> {
    let failed = 0;
    await Promise.all(
      pools.flatMap((pool) =>
        shardIndexes(pool).map(async (shard) => {
          try {
            await poolShard(this.env, accountId, pool.id, shard).setGate(gate);
            // The gate was all this write marked the shard for: done (an older mark stays).
            if (markedAt !== undefined) {
              this.sql.exec(
                "UPDATE pool_sync SET failed_at = NULL WHERE pool_id = ? AND shard = ? AND failed_at = ? AND version IS NOT NULL",
                pool.id,
                shard,
                markedAt,
              );
            }
          } catch (err) {
            failed++;
            this.markFailed(pool.id, shard, Date.now());
            console.warn(`gate push to pool ${pool.id} shard ${shard} failed; retrying from the alarm`, err);
          }
        }),
      ),
    );
    return failed;
  }

  /**
   * Before a change is pushed, in the same write as the change: the pool's shards are due a push.
   * A push that completes clears it; one cut short by a crash or a reset of this object (or a pool
   * object that cannot be reached) is made again, in full, by the alarm RETRY_MS later. An earlier
   * mark that is still there is kept (it is due sooner, and may stand for another change).
   */
  pending(poolId: string, shards: readonly number[], now: number): void {
    for (const shard of shards) {
      this.sql.exec(
        "INSERT INTO pool_sync (pool_id, shard, version, failed_at) VALUES (?, ?, NULL, ?) ON CONFLICT (pool_id, shard) DO UPDATE SET failed_at = COALESCE(pool_sync.failed_at, excluded.failed_at)",
        poolId,
        shard,
        now,
      );
    }
  }

  /** Pools with a shard whose last push failed and is due for another. */
  due(now: number): string[] {
    return this.sql
      .exec<{ pool_id: string }>("SELECT DISTINCT pool_id FROM pool_sync WHERE failed_at IS NOT NULL AND failed_at <= ?", now - RETRY_MS)
      .toArray()
      .map((r) => r.pool_id);
  }

  nextDue(): number | null {
    const t = this.sql.exec<{ t: number | null }>("SELECT MIN(failed_at) AS t FROM pool_sync WHERE failed_at IS NOT NULL").one().t;
    return t === null ? null : t + RETRY_MS;
  }

  /** Forget a pool's shards (its tombstone went). */
  forget(poolId: string): void {
    this.sql.exec("DELETE FROM pool_sync WHERE pool_id = ?", poolId);
  }

  /** One shard: the change if the shard is at the version the account knows, else (or if asked) everything. */
  private async pushShard(accountId: string, state: PoolState, gate: AccountGate, shard: number, change: NumbersChange): Promise<Departing[] | null> {
    const { pool } = state;
    const stub = poolShard(this.env, accountId, pool.id, shard);
    const settings = this.settings(accountId, state, shard);
    const base =
      this.sql.exec<{ version: number | null }>("SELECT version FROM pool_sync WHERE pool_id = ? AND shard = ?", pool.id, shard).toArray()[0]?.version ?? null;
    const full = (): PoolPush => ({
      version: pool.version,
      base: null,
      settings,
      gate,
      numbers: { all: shardNumbers(pool, state.numbers, shard, Date.now()) },
    });
    try {
      let push: PoolPush = full();
      if (change && base !== null && change.from !== undefined && base === change.from) {
        const mine = (n: string) => shardOf(n, pool.shards) === shard;
        // An added number is held as the full push holds it: it may have moved in from a shard
        // whose lease on it is still live (a reshard, then out of the pool and back in).
        const now = Date.now();
        push = { ...push, base, numbers: { add: change.added.filter(mine).map((n) => numberSpec(n, shard, pool, now)), remove: change.removed.filter(mine) } };
      }
      let result = await stub.sync(push);
      if (!result.ok) result = await stub.sync(full());
      if (!result.ok) throw new Error("shard refused a full push");
      this.sql.exec(
        "INSERT INTO pool_sync (pool_id, shard, version, failed_at) VALUES (?, ?, ?, NULL) ON CONFLICT (pool_id, shard) DO UPDATE SET version = excluded.version, failed_at = NULL",
        pool.id,
        shard,
        result.version,
      );
      return result.departing ?? [];
    } catch (err) {
      this.markFailed(pool.id, shard, Date.now());
      console.warn(`config push to pool ${pool.id} shard ${shard} failed; retrying from the alarm`, err);
      return null;
    }
  }

  private markFailed(poolId: string, shard: number, now: number): void {
    this.sql.exec(
      "INSERT INTO pool_sync (pool_id, shard, version, failed_at) VALUES (?, ?, NULL, ?) ON CONFLICT (pool_id, shard) DO UPDATE SET version = NULL, failed_at = excluded.failed_at",
      poolId,
      shard,
      now,
    );
  }

  /** One shard's settings: its share of the new-lease limit, the destinations as the snippet needs them. */
  private settings(accountId: string, state: PoolState, shard: number): PoolSettings {
    const { pool } = state;
    const limit = pool.maxNewLeasesPerMinute ?? defaultNewLeaseLimit(state.numbers.length);
    return {
      accountId,
      poolId: pool.id,
      name: pool.name,
      shard,
      shards: pool.shards,
      active: state.active,
      isDefault: state.isDefault,
      destinations: this.destinationParts(pool),
      overflowNumber: pool.overflowNumber,
      leaseSeconds: pool.leaseSeconds,
      graceSeconds: pool.graceSeconds,
      exhaustionPolicy: pool.exhaustionPolicy,
      status: pool.status,
      alertThreshold: thresholdOf(pool),
      maxNewLeasesPerMinute: shardLimit(limit, pool.shards),
      origins: pool.origins ?? null,
    };
  }

  /** The destinations' parts; with replaceAll, then ANY_NUMBER: every other number on the page (allocate.ts). */
  private destinationParts(pool: StoredPool): PhoneParts[] {
    const key = pool.destinations.join(",") + (pool.replaceAll ? ",*" : "");
    let parts = this.parts.get(key);
    if (!parts) {
      parts = pool.destinations.map(phoneParts);
      if (pool.replaceAll) parts.push(ANY_NUMBER);
      this.parts.set(key, parts);
    }
    return parts;
  }
}

/** Shards a pool has now, and every one it had before (they answer for their old leases, and their figures). */
export function shardIndexes(pool: Parameters<typeof objectCount>[0]): number[] {
  return Array.from({ length: objectCount(pool) }, (_, i) => i);
}

/** A shard's number, held a while if it moved in from another shard (lowered by settleHolds). */
function numberSpec(number: string, shard: number, pool: StoredPool, now: number): NumberSpec {
  const until = movedUntil(number, shard, pool, now);
  return until === null ? { number } : { number, heldUntil: until };
}

/** A shard's numbers, each held a while if it just moved in from another shard. */
function shardNumbers(pool: StoredPool, numbers: readonly string[], shard: number, now: number): NumberSpec[] {
  return numbersOfShard(numbers, shard, pool.shards).map((number) => numberSpec(number, shard, pool, now));
}
