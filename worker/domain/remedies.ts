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

export function remedies(p: { poolId: string; total: number; peak: number; leaseSeconds: number; target?: number }): Remedy[] {
  const target = p.target ?? 0.01;
  const needed = Math.max(p.total + 1, sizeFromObserved(p.peak, target));
  const pct = `${Math.round(target * 1000) / 10} %`;
  const out: Remedy[] = [
    {
      action: "add_numbers",
      suggestedNumbers: needed,
      message: `Add ${needed - p.total} numbers (to ${needed}): POST /v1/pools/${p.poolId}/numbers {"add":[…]}. Sized from the observed peak of ${p.peak} concurrent sessions so that at most ${pct} of new sessions find the pool full.`,
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
