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

/** A shard count the pool had before, and until when leases made under it may still matter. */
export interface EarlierShards {
  shards: number;
  /** The change away from this count + a lease + grace + margin: no lease of its era lives (or takes a call) after. */
  until: number;
}

/** A renewal already in flight when a change was committed may extend an old lease once more: margin for it. */
export const RESHARD_MARGIN_MS = 60_000;

/** What of a pool its sharding is worked out from. */
export type Sharded = {
  shards: number;
  previousShards?: number | null;
  reshardedAt?: number | null;
  leaseSeconds: number;
  graceSeconds: number;
  earlierShards?: EarlierShards[] | undefined;
};

/**
 * Every earlier shard count of a pool (one entry per count, the latest `until`), the current one
 * excluded: what the shard count becomes after a change from `before` to `shards` at `now`. A pool
 * stored before this list existed has its one previous count.
 */
export function earlierAfterChange(pool: Sharded, shards: number, now: number): EarlierShards[] {
  const until = now + (pool.leaseSeconds + pool.graceSeconds) * 1000 + RESHARD_MARGIN_MS;
  const list = [...earlierOf(pool), { shards: pool.shards, until }];
  const byCount = new Map<number, number>();
  for (const e of list) if (e.shards !== shards) byCount.set(e.shards, Math.max(byCount.get(e.shards) ?? 0, e.until));
  return [...byCount].map(([count, t]) => ({ shards: count, until: t })).sort((a, b) => a.shards - b.shards);
}

/** The pool's earlier shard counts (all of them, live or not). */
export function earlierOf(pool: Sharded): EarlierShards[] {
  if (pool.earlierShards) return pool.earlierShards;
  if (pool.previousShards && pool.reshardedAt !== null && pool.reshardedAt !== undefined && pool.previousShards !== pool.shards) {
    return [{ shards: pool.previousShards, until: pool.reshardedAt + (pool.leaseSeconds + pool.graceSeconds) * 1000 + RESHARD_MARGIN_MS }];
  }
  return [];
}

/** Earlier shard counts whose leases may still live (or take a call) at `at`. */
export function liveEarlier(pool: Sharded, at: number): number[] {
  return earlierOf(pool)
    .filter((e) => e.until > at)
    .map((e) => e.shards);
}

/** Every object a pool has or had: shards 0 … the largest count it ever had − 1 (reads merge them all). */
export function objectCount(pool: Sharded): number {
  return Math.max(pool.shards, ...earlierOf(pool).map((e) => e.shards));
}

/**
 * A number that moved into `shard` with the last change(s) of shard count is held there (not
 * handed out) until no lease of an earlier shard it was in can be live: the latest `until` of the
 * live earlier counts under which it was elsewhere; null when it did not move. The account object
 * then lowers the hold to what the old shards report (a free number at once, a leased one at its
 * lease's end + grace).
 */
export function movedUntil(number: string, shard: number, pool: Sharded, now: number): number | null {
  let until: number | null = null;
  for (const e of earlierOf(pool)) {
    if (e.until <= now || shardOf(number, e.shards) === shard) continue;
    until = Math.max(until ?? 0, e.until);
  }
  return until;
}
