/**
 * A sliding-window rate limit in memory (the previous fixed window weighted by how much of it
 * still overlaps, plus the current one). Kept in the pool object that serialises the events, so
 * it is exact per object; an evicted object starts counting afresh, which only ever lets more in.
 */
export class RateWindow {
  private window = -1;
  private count = 0;
  private previous = 0;

  constructor(private readonly periodMs = 60_000) {}

  /** Count one event if fewer than `limit` happened in the last period; else seconds to wait. */
  take(now: number, limit: number): { ok: true } | { ok: false; retryAfter: number } {
    // Never back to an earlier window: requests are stamped before they queue, so one stamped just
    // before a window's end may come after one of the next (counted in the current one then).
    const w = Math.max(this.window, Math.floor(now / this.periodMs));
    if (w !== this.window) {
      this.previous = w === this.window + 1 ? this.count : 0;
      this.count = 0;
      this.window = w;
    }
    const elapsed = Math.max(0, (now - w * this.periodMs) / this.periodMs);
    if (this.previous * (1 - elapsed) + this.count >= limit) {
      return { ok: false, retryAfter: Math.max(1, Math.ceil(((w + 1) * this.periodMs - now) / 1000)) };
    }
    this.count++;
    return { ok: true };
  }
}

/** A pool's default new-lease limit: twice its numbers per minute, at least 60. */
export function defaultNewLeaseLimit(numbers: number): number {
  return Math.max(60, 2 * numbers);
}

/**
 * One shard's share of a pool's new-lease limit. Sessions hash to shards at random, so in any
 * minute a shard sees its even share give or take a few standard deviations: the share has room
 * for three (Poisson) standard deviations above it, so honest traffic at the pool's limit is never
 * refused by an unlucky shard. The pool as a whole then admits at most shards × this.
 */
export function shardLimit(limit: number, shards: number): number {
  if (shards <= 1) return limit;
  const even = limit / shards;
  return Math.min(limit, Math.ceil(even + 3 * Math.sqrt(even)));
}
