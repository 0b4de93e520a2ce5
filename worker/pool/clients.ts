/**
 * What one client may hold in a pool shard (drain resistance). A client is the address the
 * request came from (CF-Connecting-IP, set by Cloudflare; never anything from the body): an IPv4
 * address, or an IPv6 /64 (one subscriber's prefix), and for IPv6 also its /48 (one site's
 * allocation), so many /64s of one network count together.
 *
 * Figures (per shard, from the shard's leasable numbers n):
 * - an address holds at most `cap` = clamp(ceil(n / 5), 4, 25) live leases at once, renewals
 *   included (a renewal moves the lease to the address that renews it); a household or an office
 *   behind one address gets numbers up to that size;
 * - an IPv6 /48 holds at most 2 × cap;
 * - an address holding half its cap or more is draining: it never recycles another session's lease.
 */
/** Live leases one address may hold in a shard of `numbers` leasable numbers. */
export function clientCap(numbers: number): number {
  return Math.min(25, Math.max(4, Math.ceil(numbers / 5)));
}

/** Live leases one IPv6 /48 may hold. */
export function blockCap(numbers: number): number {
  return 2 * clientCap(numbers);
}

/** How a client stands in a shard: may it lease a new number, may it recycle another's. */
export interface ClientStanding {
  /** At its cap (address or block): no new number (overflow or none instead). */
  capped: boolean;
  /** Holds half its cap or more: never takes another session's lease. */
  draining: boolean;
}

export function standing(numbers: number, held: { addr: number; block: number }): ClientStanding {
  const cap = clientCap(numbers);
  const capped = held.addr >= cap || held.block >= 2 * cap;
  const draining = held.addr >= Math.ceil(cap / 2) || held.block >= cap;
  return { capped, draining };
}
