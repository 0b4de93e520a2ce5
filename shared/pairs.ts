import type { PhoneParts, PoolAllocation } from "./protocol";

/**
 * What the snippet finds and what it writes: each destination of each pool (in the order the
 * answer's pattern has their groups) with its pool's number. Made by the worker so the snippet
 * carries no code for it.
 */
export const pairsOf = (pools: readonly PoolAllocation[]): [PhoneParts, PhoneParts | null][] =>
  pools.flatMap((p) => p.destinations.map((d): [PhoneParts, PhoneParts | null] => [d, p.number]));
