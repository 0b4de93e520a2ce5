import type { ExhaustionPolicy, PoolStatus } from "../schemas/pool";

/** What the account object pushes to a pool's object: everything allocation needs. */
export interface PoolSnapshot {
  accountId: string;
  poolId: string;
  /** Increases on every change; an object ignores a snapshot older than the one it has. */
  version: number;
  /** False once the pool is deleted: all its numbers retire. */
  active: boolean;
  trackingNumbers: string[];
  overflowNumber: string | null;
  leaseSeconds: number;
  graceSeconds: number;
  exhaustionPolicy: ExhaustionPolicy;
  /** `warning` pools raise alerts (absent in older snapshots: `recycle`). */
  status?: PoolStatus;
  /** Utilization at which a `warning` pool raises an alert (absent: 0.8). */
  alertThreshold?: number;
  /** Most new leases per minute (drain backstop); absent in older snapshots: the default. */
  maxNewLeasesPerMinute?: number | null;
  /** This object's shard of the pool and the pool's shard count (absent: 0 of 1). */
  shard?: number;
  shards?: number;
  /** Numbers that moved here from another shard: not handed out before this time (ms). */
  heldUntil?: Record<string, number>;
  /** Call route (absent in snapshots written before the call path existed). Kept after delete so retiring numbers still route. */
  route?: CallRoute;
}

/** Where a pool's calls go: always its first destination, never a number from the page or the callback. */
export interface CallRoute {
  poolName: string;
  destination: string;
  callerId: string | null;
  whisper: boolean;
}

/** What the pool object knows about a ring on one of its numbers at a time. */
export interface CallMatch {
  /** The lease that held the number at that time (live, or ended within grace); null when none or overflow. */
  lease: MatchedLease | null;
  /** The number is the pool's shared overflow number: never attributed. */
  overflow: boolean;
  /** The route of the pool object's own (last) config, for pools the account no longer has. */
  route: CallRoute | null;
  /** The shard count in the object's own config (finds the right shard of a deleted pool). */
  shards?: number;
}

export interface MatchedLease {
  id: number;
  session: string;
  /** JSON of the session's source context, as stored at allocation. */
  source: string | null;
  leasedAt: number;
  expiresAt: number;
  endedAt: number | null;
  endReason: string | null;
  /** True when the call came after the lease had ended (inside the grace window). */
  inGrace: boolean;
}

export interface CallQuery {
  number: string;
  /** The call's start time: the lease holding the number then wins. */
  at: number;
  /** The account's current grace and overflow number for this pool; absent for a deleted pool (use the object's own). */
  graceSeconds?: number;
  overflowNumber?: string | null;
  /** Only look: record nothing (used to compare shards before recording on the one that held it). */
  peek?: boolean;
}

export interface LeaseGrant {
  number: string | null;
  expiresAt: number | null;
  overflow: boolean;
  /** Set when the pool's new-lease rate limit refused a new session: seconds to wait. */
  retryAfter?: number;
}

export type AllocateOutcome = { stale: true } | ({ stale: false } & LeaseGrant);

export interface AllocateArgs {
  session: string;
  /** JSON of the session's source context, stored with the lease for attribution. */
  source: string | null;
  now: number;
  /** The config version the account object holds; a lower local version means "push me the config". */
  version: number;
}
