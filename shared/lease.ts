/**
 * How long an allocation answer may be used, ms (AllocateResponse.lease): until the earliest of its
 * leases ends by the server's clock, 5 min for a pool without a number, at most a day. Made by the
 * worker: the snippet keeps the answer that long (its own clock from when the answer came: a skewed
 * clock cancels out) and renews when a quarter of it is left.
 */
import type { PoolAllocation } from "./protocol";

export const leaseMs = (pools: Pick<PoolAllocation, "expiresAt">[], now: number): number =>
  Math.min(86_400_000, ...pools.map((p) => (p.expiresAt ?? now + 300_000) - now));
