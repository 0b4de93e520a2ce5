/** Writing the tracking number in place of an original, in the original's style. */
import type { PhoneParts, WriteMode } from "../shared/protocol";

/**
 * The tracking number written in place of an original (as written on the page) of the destination,
 * as the worker said (shared/pairs.ts writeMode). The original may hold text node borders ("\0",
 * scan.ts); in a number that is not written digit for digit they all go to the end (into the
 * first node: the others are emptied).
 *
 * - 0, the same country code and grouping as the destination: the tracking number's digits go into
 *   the original's digit positions, so everything about the original stays (its prefix — "+1",
 *   "0044", "(0)", trunk —, separators, parentheses and the node borders).
 * - 1, the same country code, another grouping (another area code length, a mobile, toll-free or
 *   national number in place of a geographic one): the original's prefix (everything before its
 *   nsn's first digit: "+44 (0)", "0", "(0", "+1 (") stays, then the tracking number's own groups
 *   joined by the original's separators between its groups: the first after the first group, the
 *   others from the last (a group more takes the first one's again, without what marks the area code: up to its last `)` or `/`;
 *   none: none): "(020) 7946-0958" with a Manchester number gives "(0161) 496-0000", not "(016) 1496-0000".
 *   A tracking number with another trunk prefix than the destination comes in pairs per written form
 *   (shared/pairs.ts findings): in one for a national original, the destination's nsn holds its
 *   trunk prefix (so the prefix kept ends before it) and the first group the tracking number's.
 * - 2, another country's number, or a vanity original (letters): the tracking number's national form.
 *   (A parenthesis the number is written in, `(020 7946 0958)`, is not the original's: the pattern
 *   leaves it to the text.)
 */
export const write = (original: string, destination: PhoneParts, tracking: PhoneParts, mode: WriteMode): string => {
  const borders = original.replace(/[^\0]/g, ""),
    /** The original's digits before its nsn's: its prefix's (a country code, a trunk prefix). */
    prefix = original.replace(/\D/g, "").slice(0, -destination.nsn.length);
  let next = 0;
  if (/[A-Z]/.test(original) || mode > 1) return tracking.national + borders;
  if (!mode) return original.replace(/\d/g, () => (prefix + tracking.nsn)[next++]!);
  // Of the original without its node borders: [, prefix, (its last digit: unused; a group, fewer bytes
  // than `(?:`), the nsn as written]: the prefix ends where the nsn's first digit starts. ([^]: any
  // character, a line break of the page's source inside the number too.)
  const parts = RegExp("^(\\D*(\\d\\D*){" + prefix.length + "})([^]*)").exec(original.replace(/\0/g, ""))!,
    /** What comes before each of the written nsn's digit runs, and after the last: "", its separators, "". */
    separators = parts[3]!.split(/\d+/);
  /** How many groups the tracking number has more than the written nsn has digit runs (fewer: below 0). */
  let more = tracking.groups.length + 1 - separators.length;
  // The first separator stays after the first group (it may close a parenthesis: `(020) 7946-0958`),
  // the others are taken from the last (`+54 11 4234-5678` with a mobile's `9 11 2345 6789`: `+54 9 11
  // 2345-6789`; `03(1234)5678` keeps its `)`): a group less drops the ones after the first, a group
  // more takes the first one's again after it, without what marks the area code, up to its last `)` or `/` (`(021) 8350123` with a
  // mobile's three groups: `(0812) 345 678`).
  // (splice deletes none for a count below 0: a group more or the same.)
  for (separators.splice(2, -more); more-- > 0; ) separators.splice(2, 0, separators[1]!.replace(/.*[)/]/, ""));
  return parts[1] + tracking.groups.map((group, i) => separators[i] + group).join("") + borders;
};
