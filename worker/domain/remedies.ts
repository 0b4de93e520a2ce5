/**
 * The two remedies for a pool that runs hot: more numbers, or a shorter lease. Concurrency is
 * arrivals × hold time, so the size a pool needs and its lease scale together: a pool of `total`
 * numbers that needs `needed` fits the same traffic with the lease cut by total / needed.
 */
import { sizeFromObserved } from "./sizing";

interface Remedy {
  action: "add_numbers" | "shorten_lease";
  message: string;
  /** add_numbers: the pool size to reach. */
  suggestedNumbers?: number;
  /** shorten_lease: the lease to set. */
  suggestedLeaseSeconds?: number;
}

/** Shortest lease the API accepts. */
const MIN_LEASE_SECONDS = 30;

/**
 * `total` and `peak` are one object's: with `shards` > 1, one shard's of a pool whose numbers (and
 * visitors) are spread evenly over that many, so the pool wants about `shards` times what it wants.
 */
export function remedies(p: { poolId: string; total: number; peak: number; leaseSeconds: number; target?: number; shards?: number }): Remedy[] {
  const target = p.target ?? 0.01;
  const needed = Math.max(p.total + 1, sizeFromObserved(p.peak, target));
  const pct = `${Math.round(target * 1000) / 10} %`;
  const shards = Math.max(1, p.shards ?? 1);
  const add = (needed - p.total) * shards;
  const out: Remedy[] = [
    {
      action: "add_numbers",
      suggestedNumbers: needed * shards,
      message:
        shards === 1
          ? `Add ${add} numbers (to ${needed}): POST /v1/pools/${p.poolId}/numbers {"add":[…]}. Sized from the observed peak of ${p.peak} concurrent sessions so that at most ${pct} of new sessions find the pool full.`
          : `Add about ${add} numbers (to about ${needed * shards}): POST /v1/pools/${p.poolId}/numbers {"add":[…]}. Sized from this shard's observed peak of ${p.peak} concurrent sessions (its ${p.total} numbers are 1/${shards} of the pool's) so that at most ${pct} of new sessions find it full.`,
    },
  ];
  const lease = Math.max(MIN_LEASE_SECONDS, Math.floor((p.leaseSeconds * Math.max(p.total, 1)) / needed));
  if (lease < p.leaseSeconds) {
    out.push({
      action: "shorten_lease",
      suggestedLeaseSeconds: lease,
      message: `Or shorten the lease from ${p.leaseSeconds} s to ${lease} s: PATCH /v1/pools/${p.poolId} {"leaseSeconds":${lease}}. Each visitor then holds a number for less time, so fewer are needed at once; a visitor who comes back later may get another number.`,
    });
  }
  return out;
}
