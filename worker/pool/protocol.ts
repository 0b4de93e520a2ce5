/**
 * What crosses the boundary of a pool object (plain data over Durable Object RPC): the config the
 * account object pushes to it, the allocation the worker asks of it, and what it tells the call
 * path about a ring on one of its numbers.
 */
import type { PhoneParts, PoolAllocation } from "../../shared/protocol";
import type { ApiErrorData } from "../platform/result";
import type { ExhaustionPolicy, PoolStatus } from "../schemas/pool";

/** One shard's settings of a pool: everything allocation needs except the numbers themselves. */
export interface PoolSettings {
  accountId: string;
  poolId: string;
  /** Display name (alerts). */
  name: string;
  /** This object's shard of the pool, and the pool's shard count. */
  shard: number;
  shards: number;
  /** False once the pool is deleted: all its numbers retire, no allocation. */
  active: boolean;
  /** The account's default pool: allocations that name no pool come here. */
  isDefault: boolean;
  /** Numbers the snippet may replace, in the parts it matches and writes with. */
  destinations: PhoneParts[];
  overflowNumber: string | null;
  leaseSeconds: number;
  graceSeconds: number;
  exhaustionPolicy: ExhaustionPolicy;
  status: PoolStatus;
  alertThreshold: number;
  /** This shard's share of the pool's new-lease limit per minute (drain backstop). */
  maxNewLeasesPerMinute: number;
  /** Origins that may lease here besides passing the account's gate; null (or absent: pushed before): any. */
  origins?: string[] | null;
}

/** What a pool object needs of its account to admit an allocation without asking it. */
export interface AccountGate {
  /** Increases on every change of the site key or origins; an older gate is ignored. */
  version: number;
  siteKey: string;
  /** Normalised allowed-origin patterns (domain/origins.ts). */
  origins: string[];
}

/** A tracking number as pushed to its shard; `heldUntil`: not handed out before then (it just moved here). */
export interface NumberSpec {
  number: string;
  heldUntil?: number;
}

/**
 * A config push. `version` is the pool's config version after it. Numbers come either in full
 * (`base` null: the shard's whole list) or as a change against `base`, the version the account
 * last saw this shard take; an object at another version answers `resync` and gets the full list.
 */
export interface PoolPush {
  version: number;
  base: number | null;
  settings: PoolSettings;
  gate: AccountGate;
  numbers: { all: NumberSpec[] } | { add: NumberSpec[]; remove: string[] };
}

/** A number this shard gives up (retiring) while a lease still holds it: free elsewhere only from `until` (its end + grace). */
export interface Departing {
  number: string;
  until: number;
}

export type PushResult = { ok: true; version: number; departing?: Departing[] } | { ok: false; resync: true };

/** The worker's allocation request to one shard of a pool. */
export interface AllocateArgs {
  siteKey: string;
  origin: string | null;
  session: string;
  /** JSON of the session's source context, stored with the lease for attribution. */
  source: string | null;
  now: number;
  /** The request named no pool: only the account's default pool may answer it. */
  asDefault: boolean;
  /** Where the request came from (CF-Connecting-IP); null when unknown (local development). */
  client: ClientKey | null;
  /** The shard count the worker routed by: another count than the shard's means stale routing. */
  shards: number;
  /**
   * Only look for the session's live lease here (a shard it was routed to under an earlier shard
   * count): answer it without extending, or `none`; never lease a new number.
   */
  renewOnly?: boolean;
  /**
   * The worker began this session for this request (its id made just now, first attempt only): it
   * holds no lease anywhere, so the shard does not look for one.
   */
  fresh?: boolean;
}

/** A client address as the pool counts it: IPv4 address or IPv6 /64, and the IPv6 /48 (null for IPv4). */
export interface ClientKey {
  addr: string;
  block: string | null;
}

export type AllocateReply =
  | { ok: true; allocation: PoolAllocation }
  /** The new-lease limit refused a new session: seconds to wait. */
  | { ok: false; kind: "rate_limited"; retryAfter: number }
  /** The caller's routing is stale (not the default any more, another shard count, deleted). */
  | { ok: false; kind: "reroute" }
  /** This object has never been given its config (the account pushes it, then the caller retries). */
  | { ok: false; kind: "unsynced" }
  /** renewOnly: the session holds no live lease here. */
  | { ok: false; kind: "none" }
  /** Refused: wrong key or origin. */
  | { ok: false; kind: "refused"; error: ApiErrorData };

/** What a pool object knows about a ring on one of its numbers at a time. */
export interface CallMatch {
  /** The lease that held the number at that time (live, or ended within grace); null when none or overflow. */
  lease: MatchedLease | null;
  /** The number is the pool's shared overflow number: never attributed. */
  overflow: boolean;
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
  /** Only look: record nothing (used to compare shards before recording on the one that held it). */
  peek?: boolean;
}

export interface LeaseGrant {
  number: string | null;
  /** The number's parts as stored when it was added (PhoneParts JSON; null or absent: make them). */
  parts?: string | null;
  expiresAt: number | null;
  overflow: boolean;
  /** When the snippet should ask again (null: no number). */
  renewAt?: number | null;
  /** renewOnly found no lease of the session. */
  none?: boolean;
  /** Set when the pool's new-lease rate limit refused a new session: seconds to wait. */
  retryAfter?: number;
  /** How the ask went, for the replay log: set for a renewal that extended and for every admitted new session. */
  asked?: { fresh: boolean; dry: boolean; recycled: boolean };
}
