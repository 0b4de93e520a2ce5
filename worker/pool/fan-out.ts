/**
 * Reads that ask every object of a pool (each shard it has, and those it had before its last
 * change of shard count) and merge their answers: live leases, health figures, numbers, sizing.
 * The pool's config comes from its account; the figures only from its objects.
 */
import { shardIndexes } from "../account/pool-sync";
import { healthView, mergeFigures, mergeNumberPages, type NumberPageQuery } from "../domain/pool-figures";
import { sizePool } from "../domain/pool-sizing";
import { REPLAY_DAYS } from "../domain/replay";
import { poolShard } from "../platform/stubs";
import type { HealthView, NumberFigures, PoolSizing, PoolSizingQuery } from "../schemas/health";
import type { Lease, Pool } from "../schemas/pool";
import { replayer, sizeForMisattribution } from "./replay-fan-out";

/** A pool's objects as its config names them (a deleted pool's too: its objects keep their lease history a while). */
type PoolObjects = { id: string } & Parameters<typeof shardIndexes>[0];

const objectsOf = (env: Env, accountId: string, pool: PoolObjects) => shardIndexes(pool).map((shard) => poolShard(env, accountId, pool.id, shard));

/** Forget a session's touch on every object of the pool (erasure of one of its calls). */
export async function forgetSessionSource(env: Env, accountId: string, pool: PoolObjects, session: string): Promise<void> {
  await forgetSessionSources(env, accountId, pool, [session]);
}

/** Forget many sessions' touches on every object of the pool: one call to each (an erasure by caller). */
export async function forgetSessionSources(env: Env, accountId: string, pool: PoolObjects, sessions: readonly string[]): Promise<void> {
  if (sessions.length) await Promise.all(objectsOf(env, accountId, pool).map((s) => s.forgetSources(sessions)));
}

/** Live leases of a pool, oldest first. */
export async function poolLeases(env: Env, accountId: string, pool: Pool, now: number): Promise<Lease[]> {
  const parts = await Promise.all(objectsOf(env, accountId, pool).map((s) => s.liveLeases(now)));
  return parts.flat().sort((a, b) => a.leasedAt - b.leasedAt || (a.number < b.number ? -1 : 1));
}

/** A pool's health: the figures of its objects, merged, `minutes` back in buckets of `step`. */
export async function poolHealth(env: Env, accountId: string, pool: Pool, q: { now: number; minutes: number; step: number }): Promise<HealthView> {
  const count = Math.ceil(q.minutes / q.step);
  const parts = await Promise.all(objectsOf(env, accountId, pool).map((s) => s.healthFigures({ now: q.now, step: q.step, count })));
  return healthView(pool, mergeFigures(parts), q.now);
}

/** A page of a pool's numbers in E.164 order, with last shown, last called, sessions served. */
export async function poolNumbers(
  env: Env,
  accountId: string,
  pool: Pool,
  q: NumberPageQuery,
): Promise<{ numbers: NumberFigures[]; nextCursor: string | null }> {
  const pages = await Promise.all(objectsOf(env, accountId, pool).map((s) => s.numberFigures(q)));
  return mergeNumberPages(pages, q.limit);
}

/** How many numbers a pool should have: from its observed peak, and from an estimate if given. */
export async function poolSizing(env: Env, accountId: string, pool: Pool, q: PoolSizingQuery, now: number): Promise<PoolSizing> {
  const health = await poolHealth(env, accountId, pool, { now, minutes: 0, step: 1 });
  // Sizing by misattributed calls replays the pool's log some 15 times: only when asked for.
  if (q.maxMisattributed === undefined) return sizePool(pool, health, q, null);
  const r = await replayer(env, accountId, pool, { from: now - REPLAY_DAYS * 86_400_000, leaseSeconds: pool.leaseSeconds });
  const found = await sizeForMisattribution(r, q.maxMisattributed);
  return sizePool(pool, health, q, {
    maxMisattributed: q.maxMisattributed,
    numbersPerPool: found.numbers,
    misattributedShare: found.misattributed,
    calls: found.calls,
  });
}
