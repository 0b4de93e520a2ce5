/** Finding numbers: each destination's written forms, as one pattern that allows any separators. */
import type { PhoneParts } from "../shared/protocol";

/** [number to find, number to write in its place (null: none)]. */
export type Pair = [PhoneParts, PhoneParts | null];
/** A match in a string: [start, end, pair]. */
export type Hit = [number, number, Pair];

/** The phone keypad: each digit's letters (vanity numbers, capitals only). */
const KEYPAD = ",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",");

/** Any run of spaces . / ( ) and hyphens. */
const SEP = "[\\s./()-]*";

/** The pairs the pattern was last built for, and the pattern. */
let last: Pair[], re: RegExp;

/** Digits (or their keypad letters) with separators between them. */
const rx = (x: string) => [...x].map((d) => "[" + d + KEYPAD[d as any] + "]").join(SEP);

/**
 * Every occurrence in s of a pair's first number, in order, in any of the forms people write it:
 * nsn; trunk+nsn; cc+nsn after "+", "00", "011" or nothing; cc+trunk+nsn (the "+44 (0)20" style);
 * after an optional "+" or "(". Not when glued to a letter, digit or one of . , / - before it, nor
 * to a letter or digit (or . / - and a digit) after it: never digits out of a longer run, a price
 * or a date.
 */
export const find = (s: string, pairs: Pair[]): Hit[] => {
  // One group per pair: the group that matched tells which. The character before the number, if
  // any, is consumed (outside the group); what follows is only looked at. Built once per pairs.
  if (pairs != last)
    (last = pairs),
      (re = RegExp(
        "(?:^|[^\\w.,/+(#$-])(?:" +
          (pairs
            .map(
              ([p]) =>
                "([+(]*(?:(?:(?:00|011)" + SEP + ")?" + rx(p.cc) + "(?:" + SEP + rx(p.trunk) + ")?" + SEP + "|" + (p.trunk && rx(p.trunk) + SEP) + ")?" + rx(p.nsn) + ")",
            )
            .join("|") || "(?!)") +
          ")(?!\\w|[./-]?\\d)",
        "g",
      ));
  const out: Hit[] = [];
  let m: RegExpExecArray | null, j: number;
  // exec() leaves lastIndex at 0 when it finds no more.
  while ((m = re.exec(s)))
    out.push([re.lastIndex - m[(j = m.findIndex((x, k) => k && x))]!.length, re.lastIndex, pairs[j - 1]!]);
  return out;
};

/** The cheap pre-check: seven digits with at most two separators between each. */
export const phoneLike = (s: string): boolean => /\d(\W{0,2}\d){6}/.test(s);
