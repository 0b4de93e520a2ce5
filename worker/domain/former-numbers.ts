/**
 * A number a page still shows after its session lost it. The snippet writes a tracking number in
 * place of its destination, and then only looks for destinations: when a renewal answers with
 * another number (the session's lease was recycled to a new visitor, or ended while the page
 * slept and went to someone else) or with none (an exhausted pool), the page would go on showing
 * the old number, now another visitor's, and its calls would be attributed to them.
 *
 * So the session token (domain/session.ts) carries, by pool, the number the answer it came with
 * gave (`Shown`): what the page that sends it back shows. Where a pool's number is not that one
 * now, the answer gets one more "destination" for that pool: the old number, found in any written
 * form like a destination, with the pool's number now written in its place, or, when the pool has
 * none, its destination (its first: which one an old number stood for is not known). All of it is
 * in the answer's pattern and pairs (shared/pairs.ts): the snippet carries no code for it.
 *
 * The token is the browser's, so a page may claim any numbers it likes: at worst its own page
 * writes its own number over them. A number that does not parse is left out.
 */
import { phoneParts } from "../../shared/phone";
import type { Pair, PhoneParts, PoolAllocation } from "../../shared/protocol";

/** By pool id: the tracking number (E.164) an answer gave, which its page shows until the next. */
export type Shown = Record<string, string>;

/** The numbers an answer's pools give (the overflow number too: it is shown); none: undefined. */
export function shownOf(pools: readonly PoolAllocation[]): Shown | undefined {
  const given = pools.filter((p) => p.number);
  return given.length ? Object.fromEntries(given.map((p) => [p.pool, p.number!.e164])) : undefined;
}

/** The first number of a pool's destinations that is a number (a replaceAll pool's ANY_NUMBER is not). */
const firstDestination = (pool: PoolAllocation): PhoneParts | undefined => pool.destinations.find((d) => d.e164 !== "*");

const partsOf = (e164: string): PhoneParts | undefined => {
  try {
    return phoneParts(e164);
  } catch {
    return undefined;
  }
};

/**
 * For each pool whose number is no longer the one the page was given, a pool-like entry for
 * shared/pairs.ts findings: the old number as its one destination, what to write in its place as
 * its number. Listed after the pools themselves, so a destination is always found as itself first.
 */
export function formerNumbers(pools: readonly PoolAllocation[], shown: Shown | undefined): PoolAllocation[] {
  if (!shown) return [];
  const out: PoolAllocation[] = [];
  for (const pool of pools) {
    const old = shown[pool.pool];
    if (!old || old === pool.number?.e164) continue;
    const into = pool.number ?? firstDestination(pool);
    const parts = into && partsOf(old);
    if (!into || !parts || pools.some((p) => p.destinations.some((d) => d.e164 === old))) continue;
    out.push({ pool: pool.pool, destinations: [parts], number: into, expiresAt: pool.expiresAt, overflow: pool.overflow });
  }
  return out;
}

/**
 * The `dni:swap` detail of a former number's pairs names the pool's destination (findings names
 * the old number, which it took for one), so a listener sees the destination and what now stands
 * for it.
 */
export function namedForDestinations(pairs: Pair[], former: readonly PoolAllocation[], pools: readonly PoolAllocation[]): Pair[] {
  if (!former.length) return pairs;
  const destinationOf = new Map<string, string>();
  for (const f of former) {
    const destination = firstDestination(pools.find((p) => p.pool === f.pool)!);
    if (destination) destinationOf.set(f.destinations[0]!.e164, destination.e164);
  }
  return pairs.map((pair) => {
    const destination = destinationOf.get(pair[0].e164);
    return destination && pair[3] ? [pair[0], pair[1], pair[2], { ...pair[3], destination }] : pair;
  });
}
