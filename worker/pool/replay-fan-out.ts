/**
 * The what-if replay of a pool across its objects: each shard replays its own log with its share
 * of the size (split in proportion to the numbers each has now), and the figures add up. Shards
 * with no numbers now (left from a larger shard count) are left out unless none has any.
 */
import { shardIndexes } from "../account/pool-sync";
import { addFigures, emptyFigures, type ReplayFigures, sharesOf, splitNumbers } from "../domain/replay";
import { poolShard } from "../platform/stubs";
import type { Pool } from "../schemas/pool";
import type { PoolReplay, ReplayOutcome, ReplayQuery } from "../schemas/replay";

const DAY_MS = 86_400_000;
/** Largest pool the sizing search tries. */
export const MAX_SEARCH = 20_000;

export interface PoolReplayer {
  /** Numbers the pool has now (all its shards). */
  current: number;
  /** Figures of what happened, and of a replay at each of `totals` numbers. */
  run(totals: number[]): Promise<{ actual: ReplayFigures; replayed: ReplayFigures[]; oldest: number | null }>;
}

export async function replayer(env: Env, accountId: string, pool: Pool, q: { from: number; leaseSeconds: number }): Promise<PoolReplayer> {
  const all = shardIndexes(pool).map((shard) => poolShard(env, accountId, pool.id, shard));
  const sizes = await Promise.all(all.map((s) => s.replaySize()));
  const used = sizes.some((n) => n > 0) ? all.filter((_, i) => sizes[i]! > 0) : all;
  const weights = sizes.some((n) => n > 0) ? sizes.filter((n) => n > 0) : sizes;
  return {
    current: weights.reduce((a, b) => a + b, 0),
    async run(totals) {
      const split = totals.map((t) => splitNumbers(t, weights));
      const parts = await Promise.all(used.map((s, i) => s.replay({ from: q.from, leaseSeconds: q.leaseSeconds, sizes: split.map((x) => x[i]!) })));
      const oldest = parts.map((p) => p.oldest).filter((t): t is number => t !== null);
      return {
        actual: parts.reduce((acc, p) => addFigures(acc, p.actual), emptyFigures()),
        replayed: totals.map((_, k) => parts.reduce((acc, p) => addFigures(acc, p.replayed[k]!), emptyFigures())),
        oldest: oldest.length ? Math.min(...oldest) : null,
      };
    },
  };
}

const outcome = (numbers: number, leaseSeconds: number, f: ReplayFigures): ReplayOutcome => ({ numbers, leaseSeconds, ...sharesOf(f) });
const pct = (x: number) => `${Math.round(x * 10_000) / 100} %`;

/** GET /v1/pools/{id}/replay. */
export async function poolReplay(env: Env, accountId: string, pool: Pool, q: ReplayQuery, now: number): Promise<PoolReplay> {
  const from = now - q.days * DAY_MS;
  const leaseSeconds = q.leaseSeconds ?? pool.leaseSeconds;
  const r = await replayer(env, accountId, pool, { from, leaseSeconds });
  const numbers = q.numbers ?? r.current;
  const { actual, replayed, oldest } = await r.run([numbers]);
  const a = outcome(r.current, pool.leaseSeconds, actual);
  const b = outcome(numbers, leaseSeconds, replayed[0]!);
  const summary =
    a.newSessions === 0 && a.calls === 0
      ? `Nothing recorded in the last ${q.days} days to replay.`
      : `With ${numbers} numbers and a ${leaseSeconds} s lease, ${pct(b.foundFull)} of new sessions would have found the pool full ` +
        `(${pct(b.recycledEarly)} recycled early) and ${pct(b.rightVisit)} of calls gone to the right visit; ` +
        `with its ${a.numbers} numbers and ${a.leaseSeconds} s it was ${pct(a.foundFull)} full, ${pct(a.recycledEarly)} recycled early, ${pct(a.rightVisit)} right.`;
  return { pool: pool.id, from, to: now, historySince: oldest, actual: a, replay: b, summary };
}

/**
 * The smallest pool whose replay of the window sends at most `target` of calls to the wrong visit
 * (more numbers never attribute fewer: tested), searched on a grid that narrows each round.
 * Null when there were no calls to go by, or not even MAX_SEARCH numbers would do.
 */
export async function sizeForMisattribution(
  r: PoolReplayer,
  target: number,
): Promise<{ numbers: number; misattributed: number; calls: number } | { numbers: null; misattributed: number; calls: number }> {
  const wrong = (f: ReplayFigures) => (f.calls > 0 ? (f.calls - f.right - f.unknown) / f.calls : 0);
  const grid: number[] = [];
  for (let n = 1; n < MAX_SEARCH; n *= 2) grid.push(n);
  grid.push(MAX_SEARCH);
  let lo = 0;
  let hi: { n: number; f: ReplayFigures } | null = null;
  let sizes = grid;
  for (;;) {
    const { replayed } = await r.run(sizes);
    if (replayed[0]!.calls === 0) return { numbers: null, misattributed: 0, calls: 0 };
    const k = replayed.findIndex((f) => wrong(f) <= target + 1e-12);
    if (k < 0) {
      if (!hi) return { numbers: null, misattributed: round(wrong(replayed[replayed.length - 1]!)), calls: replayed[0]!.calls };
      lo = sizes[sizes.length - 1]!;
    } else {
      hi = { n: sizes[k]!, f: replayed[k]! };
      if (k > 0) lo = sizes[k - 1]!;
    }
    if (hi.n - lo <= 1) return { numbers: hi.n, misattributed: round(wrong(hi.f)), calls: hi.f.calls };
    const step = Math.max(1, Math.ceil((hi.n - lo - 1) / 15));
    sizes = [];
    for (let n = lo + step; n < hi.n; n += step) sizes.push(n);
    if (!sizes.length) return { numbers: hi.n, misattributed: round(wrong(hi.f)), calls: hi.f.calls };
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
