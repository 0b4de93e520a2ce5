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
      // One size per call: a shard's object serves its allocations between replays (each ≤ about 1 s on a full log).
      const parts = await Promise.all(
        used.map(async (s, i) => {
          const one = await Promise.all(split.map((x) => s.replay({ from: q.from, leaseSeconds: q.leaseSeconds, sizes: [x[i]!] })));
          return { actual: one[0]?.actual ?? emptyFigures(), replayed: one.map((o) => o.replayed[0]!), oldest: one[0]?.oldest ?? null };
        }),
      );
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
 * (more numbers never attribute fewer: a tested property). First sizes around the current one
 * (an eighth to 8 times, then on by doubling), then the bracket found is cut in four each round:
 * about 15 replays for any size. Null when there were no calls, or not even MAX_SEARCH would do.
 */
export async function sizeForMisattribution(r: PoolReplayer, target: number): Promise<{ numbers: number | null; misattributed: number; calls: number }> {
  const wrong = (f: ReplayFigures) => (f.calls > 0 ? (f.calls - f.right - f.unknown) / f.calls : 0);
  const passes = (f: ReplayFigures) => wrong(f) <= target + 1e-12;
  const c = Math.max(1, r.current);
  let sizes = [...new Set([c / 8, c / 4, c / 2, c, 2 * c, 4 * c, 8 * c].map((n) => Math.min(MAX_SEARCH, Math.max(1, Math.round(n)))))];
  let lo = 0;
  let hi: { n: number; f: ReplayFigures } | null = null;
  let calls = 0;
  let worst = 0;
  for (;;) {
    const { replayed } = await r.run(sizes);
    calls = replayed[0]!.calls;
    if (calls === 0) return { numbers: null, misattributed: 0, calls: 0 };
    const k = replayed.findIndex(passes);
    if (k >= 0) {
      hi = { n: sizes[k]!, f: replayed[k]! };
      if (k > 0) lo = sizes[k - 1]!;
    } else {
      lo = sizes[sizes.length - 1]!;
      worst = wrong(replayed[replayed.length - 1]!);
    }
    if (!hi) {
      // None passed yet: go on doubling up to MAX_SEARCH.
      if (lo >= MAX_SEARCH) return { numbers: null, misattributed: round(worst), calls };
      sizes = [2 * lo, 4 * lo, 8 * lo, 16 * lo].map((n) => Math.min(MAX_SEARCH, n)).filter((n, i, a) => a.indexOf(n) === i);
      continue;
    }
    if (hi.n - lo <= 1) return { numbers: hi.n, misattributed: round(wrong(hi.f)), calls };
    const span = hi.n - lo;
    sizes = [...new Set([1, 2, 3].map((q) => lo + Math.max(1, Math.round((span * q) / 4))))].filter((n) => n > lo && n < hi!.n);
    if (!sizes.length) return { numbers: hi.n, misattributed: round(wrong(hi.f)), calls };
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
