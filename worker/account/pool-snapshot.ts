/** What the account object sends each pool object: one shard's view of a pool's config. */

import { thresholdOf } from "../domain/pool-figures";
import { movedUntil, numbersOfShard } from "../domain/shards";
import type { PoolSnapshot } from "../pool/protocol";
import { defaultNewLeaseLimit } from "../pool/rate-window";
import type { Pool } from "../schemas/pool";
import { routeOf } from "./call-desk";

/** How long a removed number keeps routing calls to its pool: a lease that may still run, then grace. */
export function holdMs(pool: Pool): number {
  return (pool.leaseSeconds + pool.graceSeconds) * 1000;
}

export function shardsOf(pool: Pool): number {
  return pool.shards ?? 1;
}

/** One shard's view of a pool: its share of the numbers (held a while if they just moved in) and of the new-lease limit. */
export function snapshot(accountId: string, pool: Pool, shard: number): PoolSnapshot {
  const shards = shardsOf(pool);
  const numbers = numbersOfShard(pool.trackingNumbers, shard, shards);
  const heldUntil: Record<string, number> = {};
  for (const n of numbers) {
    const until = movedUntil(n, shard, shards, pool.previousShards ?? null, pool.reshardedAt ?? null, pool.leaseSeconds);
    if (until !== null) heldUntil[n] = until;
  }
  const limit = pool.maxNewLeasesPerMinute ?? defaultNewLeaseLimit(pool.trackingNumbers.length);
  return {
    accountId,
    poolId: pool.id,
    version: pool.version,
    active: true,
    shard,
    shards,
    heldUntil,
    trackingNumbers: numbers,
    overflowNumber: pool.overflowNumber,
    leaseSeconds: pool.leaseSeconds,
    graceSeconds: pool.graceSeconds,
    exhaustionPolicy: pool.exhaustionPolicy,
    maxNewLeasesPerMinute: Math.ceil(limit / shards),
    status: pool.status,
    alertThreshold: thresholdOf(pool),
    route: routeOf(pool),
  };
}
