import type { Pair, PhoneParts, PoolAllocation, WriteMode } from "./protocol";

/** A grouping's shape, the lengths of its groups: "2,4,4". */
const shape = (p: PhoneParts) => p.groups.map((g) => g.length).join();

/**
 * How the snippet writes a tracking number in place of its destination (snippet/format.ts): into
 * the original's digit places (0: the same country code and grouping), in its own groups with the
 * original's prefix and separators (1: the same country code, another grouping), or its national
 * form (2: another country code; ANY_NUMBER has none).
 */
export const writeMode = (destination: PhoneParts, tracking: PhoneParts): WriteMode =>
  destination.cc !== tracking.cc ? 2 : shape(destination) === shape(tracking) ? 0 : 1;

/**
 * The pools' destinations in the order the answer's pattern has their groups: every pool's own
 * first, then the replaceAll pools' ANY_NUMBER (whose "every number" would otherwise find a later
 * pool's destination first, and write that pool's visitors the replaceAll pool's number).
 */
export const inGroupOrder = <T>(pools: readonly PoolAllocation[], each: (destination: PhoneParts, pool: PoolAllocation) => T): T[] => {
  const own: T[] = [];
  const every: T[] = [];
  for (const p of pools) for (const d of p.destinations) (d.e164 === "*" ? every : own).push(each(d, p));
  return [...own, ...every];
};

/**
 * What the snippet finds and what it writes: each destination of each pool (in the order the
 * answer's pattern has their groups: inGroupOrder) with its pool's number, how to write it and the
 * detail of the `dni:swap` event for it (the session's source name). Made by the worker so the
 * snippet carries no code for it. With a replaceAll pool's ANY_NUMBER, its pair once more at the
 * end, for the pattern's last group (bare digits: shared/pattern.ts).
 */
export const pairsOf = (pools: readonly PoolAllocation[], source: string): Pair[] => {
  const pairs = inGroupOrder(
    pools,
    (d, p): Pair => (p.number ? [d, p.number, writeMode(d, p.number), { destination: d.e164, number: p.number.e164, source }] : [d, null, 2]),
  );
  const every = pairs.find(([d]) => d.e164 === "*");
  return every ? [...pairs, every] : pairs;
};
