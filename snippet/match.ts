/** Finding numbers: the destinations' pattern (shared/pattern.ts, made by the worker) run over a text. */
import type { Pair } from "../shared/protocol";

/** [number to find, number to write in its place (null: none), how to write it]: the worker's. */
export type { Pair };

/**
 * text with every occurrence of a pair's first number replaced by what replace gives for it (the
 * number as written, its pair), in order. pattern: the pairs' first numbers, in order (one group
 * each), with the "g" flag.
 */
export const find = (
  text: string,
  pattern: RegExp,
  pairs: Pair[],
  replace: (written: string, pair: Pair) => any,
  which?: any /* a local: fewer bytes than a let */,
): string =>
  // groups: the groups, then the offset and the whole string; findIndex stops at the group that
  // matched. A function, not a string, replaces it: no "$" patterns.
  text.replace(pattern, (match, ...groups) => match.replace(groups[(which = groups.findIndex((g) => g))], () => replace(groups[which], pairs[which]!)));

/**
 * The first view's test, before any destination is known: does this text (node borders, "\0", do
 * not count) hold something written like a phone number? Seven digits (of any script, `\p{Nd}`:
 * full-width `０３－１２３４－５６７８`, Arabic-Indic, Persian…) with at most three separators
 * between each, four after a `)` (anything but a letter, digit, comma, colon or apostrophe: amounts such as 1,234,567
 * and Switzerland's 1'250'000, and times such as 9:00-17:30 are not; `07071 / 556677`, `(07071) / 556677`
 * are), not glued to a letter or digit, nor after one of # $ . , / + - (ids,
 * prices, decimals: `#8005550199`, `ID8005550199`, `$8005550199`) but a label's dot in any script
 * (`TEL.03-1234-5678`, `Тел.8-800-555-35-35`, `Τηλ.210-1234567`)
 * and a country code's + (`+1-212-736-5000`), and not a date of a year 1900–2099 (2026-11-25,
 * 2026/11/25, 25/11/2026, 5.11.2026: a number in such groups, `0450.00.12.34`, `22.45.3300`, is no
 * date; year first, also as Chinese, Japanese and Korean pages write it: `2026年12月4日`,
 * `2026년 12월 4일`, `2026. 12. 4.`: after the year and the month one of - . / or a character from
 * 年 U+5E74 to 월 U+C6D4 (one range: 年 년 月 월 and the CJK and Hangul between, fewer bytes than
 * the four), then a space or none) or a range of years (a footer's `© 2019-2026`, `1999 – 2026`).
 * A page of dates, prices and ids asks nothing. (A date in other digits than ASCII, `２０２６年１２月４日`,
 * or written with words between its parts, is not told from a number: such a page asks.)
 */
export const phoneLike = (text: string): boolean =>
  // The first test (seven digits) is the quick one: it turns down most texts; the second is slower,
  // as it is tried at every character. The first takes the walk's quick class for a digit
  // (scan.ts walk: a superset, ten times faster than `\p{Nd}` on a two-byte text; in a literal,
  // fewer bytes than a RegExp built from it); the second, `\p{Nd}`, is exact.
  /[\d\u0660-\u17e9\uff10-\uff19]([^\w,:']{0,4}[\d\u0660-\u17e9\uff10-\uff19]){6}/.test((text = text.replace(/\0/g, ""))) &&
  /(\+|(^|[^\w#$.,/+-]|\p{L}\.)(?!(19|20)\d\d([-./\u5e74-\uc6d4]\s?\d\d?[-./\u5e74-\uc6d4]\s?\d|\D{1,3}(19|20)\d\d)|\d\d?[-./]\d\d?[-./](19|20)\d\d))\p{Nd}(\)?[^\w,:']{0,3}\p{Nd}){6}/u.test(
    text,
  );
