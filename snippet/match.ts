/** Finding numbers: each destination's written forms, as one pattern that allows any separators. */
import type { PhoneParts } from "../shared/protocol";

/** [number to find, number to write in its place (null: none)]. */
export type Pair = [PhoneParts, PhoneParts | null];

/** The phone keypad: each digit's letters (vanity numbers, capitals only). */
const KEYPAD = ",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",");

/** Any run of spaces . / ( ) and hyphens, and borders between text nodes ("\0", scan.ts). */
const SEP = "[\\s./()\\0-]*";

/** The pairs the pattern was last built for, and the pattern. */
let last: Pair[], re: RegExp;

/** Digits (or their keypad letters) with separators between them. */
const rx = (x: string) => [...x].map((d) => "[" + d + KEYPAD[d as any] + "]").join(SEP);

/**
 * s with every occurrence of a pair's first number replaced by what f gives for it (the number as
 * written, its pair), in order. Found in any of the forms people write it: nsn; trunk+nsn; cc+nsn
 * after "+", "00", "011" or nothing; cc+trunk+nsn (the "+44 (0)20" style); after an optional "+"
 * or "(". Not when glued to a letter, digit or one of . , / - before it, nor to a letter or digit
 * (or . / - and a digit) after it: never digits out of a longer run, a price or a date.
 *
 * s may be several text nodes' texts joined by "\0" (scan.ts): a number may run on over such a
 * border, and start or end at one as at the start or end of s (`<span>Call us</span><a>(800)
 * 555-0199</a>`), but not glued over it to a digit or one of . , / + ( # $ - before it, nor to a
 * digit (or . / - and a digit) after it: `9<b>800</b>5550199` is a longer run.
 */
export const find = (s: string, pairs: Pair[], f: (x: string, p: Pair) => any): string => {
  // One group per pair: the group that matched tells which. The character before the number (and
  // a border after it: tried first, so that the number does not start with the border), if any, is
  // consumed outside the group, and kept; what follows is only looked at. Built once per pairs.
  if (pairs != last)
    (last = pairs),
      (re = RegExp(
        "(?:^|[^\\d.,/+(#$\\0-]\\0|[^\\w.,/+(#$\\0-])(?:" +
          (pairs
            .map(
              ([p]) =>
                "([+(\\0]*(?:(?:(?:00|011)" +
                SEP +
                ")?" +
                rx(p.cc) +
                "(?:" +
                SEP +
                rx(p.trunk) +
                ")?" +
                SEP +
                "|" +
                (p.trunk && rx(p.trunk) + SEP) +
                ")?" +
                rx(p.nsn) +
                ")",
            )
            .join("|") || "(?!)") +
          ")(?!\\w|\\0?[./-]?\\d)",
        "g",
      ));
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
