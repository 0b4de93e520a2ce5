/** Finding numbers: the destinations' pattern (shared/pattern.ts, made by the worker) run over a text. */
import type { PhoneParts } from "../shared/protocol";

/** [number to find, number to write in its place (null: none)]. */
export type Pair = [PhoneParts, PhoneParts | null];

/**
 * s with every occurrence of a pair's first number replaced by what f gives for it (the number as
 * written, its pair), in order. re: the pattern of the pairs' first numbers, in order (one group
 * each), with the "g" flag.
 */
export const find = (s: string, re: RegExp, pairs: Pair[], f: (x: string, p: Pair) => any): string => {
  let j: number;
  // g: the groups, then the offset and the whole string; findIndex stops at the group that matched.
  // A function, not a string, replaces it: no "$" patterns.
  return s.replace(re, (m, ...g) => m.replace(g[(j = g.findIndex((x) => x))], () => f(g[j], pairs[j]!)));
};

/**
 * The cheap pre-check: seven digits with at most two separators between each; node borders ("\0")
 * do not count, and a comma is no separator (amounts: 1,234,567).
 */
export const phoneLike = (s: string): boolean => /\d([^\w,]{0,2}\d){6}/.test(s.replace(/\0/g, ""));
