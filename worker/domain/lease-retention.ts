/**
 * How long a pool's objects keep a finished lease (and the visit's touch on it): the pool's grace,
 * then LEASE_RETENTION_DAYS (30 when unset), so a late call still finds it. The account keeps a
 * deleted pool's config (its objects, shard by shard) as long, so an erasure still reaches them.
 */
export const DEFAULT_LEASE_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/** The retention part (without the pool's grace), in ms. */
export const leaseRetentionMs = (env: Pick<Env, "LEASE_RETENTION_DAYS">) => (Number(env.LEASE_RETENTION_DAYS) || DEFAULT_LEASE_RETENTION_DAYS) * DAY_MS;
