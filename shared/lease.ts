/**
 * How long an allocation answer may be used, and when to renew it, ms after the answer
 * (AllocateResponse.lease, .renew). Made by the worker: the snippet keeps the answer that long and
 * renews then (its own clock from when the answer came: a skewed clock cancels out).
 */
import type { PoolAllocation } from "./protocol";

/** Until the earliest of its leases ends by the server's clock, 5 min for a pool without a number, at most a day. */
export const leaseMs = (pools: Pick<PoolAllocation, "expiresAt">[], now: number): number =>
  Math.min(86_400_000, ...pools.map((p) => (p.expiresAt ?? now + 300_000) - now));

/**
 * A renewal comes no sooner than this after the answer unless the lease ends sooner: a lease whose
 * end a renewal did not move (a client at its cap, a retiring number) has its renewAt behind it.
 */
const RENEW_FLOOR_MS = 60_000;

/** The pools' earliest renewAt (pool/leases.ts: a quarter of the lease before its end, sooner when recycling), else three quarters of leaseMs. */
export const renewMs = (pools: Pick<PoolAllocation, "expiresAt" | "renewAt">[], now: number): number => {
  const quarterLeft = Math.round(0.75 * leaseMs(pools, now));
  const due = Math.min(quarterLeft, ...pools.map((p) => (p.renewAt == null ? quarterLeft : p.renewAt - now)));
  return Math.max(due, Math.min(RENEW_FLOOR_MS, quarterLeft));
};
