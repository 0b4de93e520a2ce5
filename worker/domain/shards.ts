/**
 * Splitting one pool across several Durable Objects (pool setting `shards`, default 1).
 * Numbers are partitioned by a stable hash of the number, sessions routed by a stable hash of the
 * session id: each number lives in exactly one shard, so the one-object-per-number invariant
 * (never leased twice) holds across shards, and a session always reaches the shard it leased from.
 */

/** FNV-1a, 32 bit: stable across runtimes and deploys (never Math.random or a keyed hash). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function shardOf(key: string, shards: number): number {
  return shards <= 1 ? 0 : fnv1a(key) % shards;
}

/** Durable Object name of one shard; shard 0 keeps the unsharded name, so going 1 → n keeps its leases. */
export function shardName(accountId: string, poolId: string, shard: number): string {
  return shard === 0 ? `${accountId}/${poolId}` : `${accountId}/${poolId}#${shard}`;
}

/** The numbers of one shard, in the pool's order. */
export function numbersOfShard(numbers: readonly string[], shard: number, shards: number): string[] {
  return numbers.filter((n) => shardOf(n, shards) === shard);
}

/**
 * When the shard count changes, a number may move to another shard while its old shard still has
 * it leased (it retires there, not extended). The new shard must not hand it out before that lease
 * can have ended: this is when it may, for a number that moved (null when it did not move).
 */
export function movedUntil(
  number: string,
  shard: number,
  shards: number,
  previousShards: number | null,
  reshardedAt: number | null,
  leaseSeconds: number,
): number | null {
  if (previousShards === null || reshardedAt === null || previousShards === shards) return null;
  if (shardOf(number, previousShards) === shard) return null;
  // A renewal already in flight when the change was committed may still extend the old lease by
  // one lease from then: allow a minute of margin for it.
  return reshardedAt + leaseSeconds * 1000 + 60_000;
}
