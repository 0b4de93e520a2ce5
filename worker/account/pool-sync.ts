/**
 * Pushing a pool's config to its objects (one per shard) and knowing which version each took.
 * A push carries the shard's settings, the account's gate, and its numbers: a change against the
 * version the shard last took, or the full list when the account does not know that version (new
 * shard, a failed push, the shard count changed). A shard that missed a push is brought up to date
 * by the account's alarm; until then the API call that made the change answers 503.
 */
import { phoneParts } from "../../shared/phone";
import type { PhoneParts } from "../../shared/protocol";
import { thresholdOf } from "../domain/pool-figures";
import { movedUntil, numbersOfShard, shardOf } from "../domain/shards";
import { poolShard } from "../platform/stubs";
import type { AccountGate, NumberSpec, PoolPush, PoolSettings } from "../pool/protocol";
import { defaultNewLeaseLimit } from "../pool/rate-window";
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
export type NumbersChange = { added: string[]; removed: string[] } | null;

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

  /** Push a pool to every object it has or had; answers the shards that could not be reached. */
  async push(accountId: string, state: PoolState, gate: AccountGate, change: NumbersChange): Promise<number[]> {
    const { pool } = state;
    const failed: number[] = [];
    await Promise.all(
      shardIndexes(pool).map(async (shard) => {
        if (!(await this.pushShard(accountId, state, gate, shard, change))) failed.push(shard);
      }),
    );
    return failed;
  }

  /** A new gate to every object of the given pools; answers how many could not be reached. */
  async pushGate(accountId: string, pools: readonly StoredPool[], gate: AccountGate): Promise<number> {
    let failed = 0;
    await Promise.all(
      pools.flatMap((pool) =>
        shardIndexes(pool).map(async (shard) => {
          try {
            await poolShard(this.env, accountId, pool.id, shard).setGate(gate);
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
  private async pushShard(accountId: string, state: PoolState, gate: AccountGate, shard: number, change: NumbersChange): Promise<boolean> {
    const { pool } = state;
    const stub = poolShard(this.env, accountId, pool.id, shard);
    const settings = this.settings(accountId, state, shard);
    const base =
      this.sql.exec<{ version: number | null }>("SELECT version FROM pool_sync WHERE pool_id = ? AND shard = ?", pool.id, shard).toArray()[0]?.version ?? null;
    const full = (): PoolPush => ({ version: pool.version, base: null, settings, gate, numbers: { all: shardNumbers(pool, state.numbers, shard) } });
    try {
      let push: PoolPush = full();
      if (change && base !== null) {
        const mine = (n: string) => shardOf(n, pool.shards) === shard;
        push = { ...push, base, numbers: { add: change.added.filter(mine).map((number) => ({ number })), remove: change.removed.filter(mine) } };
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
      return true;
    } catch (err) {
      this.markFailed(pool.id, shard, Date.now());
      console.warn(`config push to pool ${pool.id} shard ${shard} failed; retrying from the alarm`, err);
      return false;
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
      maxNewLeasesPerMinute: Math.ceil(limit / pool.shards),
    };
  }

  private destinationParts(pool: StoredPool): PhoneParts[] {
    const key = pool.destinations.join(",");
    let parts = this.parts.get(key);
    if (!parts) {
      parts = pool.destinations.map(phoneParts);
      this.parts.set(key, parts);
    }
    return parts;
  }
}

/** Shards a pool has now, and those it had before its last change of shard count (they retire their numbers). */
export function shardIndexes(pool: Pick<StoredPool, "shards" | "previousShards">): number[] {
  const n = Math.max(pool.shards, pool.previousShards ?? 1);
  return Array.from({ length: n }, (_, i) => i);
}

/** A shard's numbers, each held a while if it just moved in from another shard. */
function shardNumbers(pool: StoredPool, numbers: readonly string[], shard: number): NumberSpec[] {
  return numbersOfShard(numbers, shard, pool.shards).map((number) => {
    const until = movedUntil(number, shard, pool.shards, pool.previousShards ?? null, pool.reshardedAt ?? null, pool.leaseSeconds);
    return until === null ? { number } : { number, heldUntil: until };
  });
}
