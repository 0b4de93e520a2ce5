import type { ExhaustionPolicy } from "../schemas/pool";

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
}

export interface LeaseGrant {
  number: string | null;
  expiresAt: number | null;
  overflow: boolean;
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
