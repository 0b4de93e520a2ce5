/** Writing the tracking number in place of an original, in the original's style. */
import type { PhoneParts } from "../shared/protocol";

/** A grouping's shape, the lengths of its groups (the worker's, PhoneParts.groups): "2,4,4". */
const shape = (p: PhoneParts) => p.groups.map((g) => g.length) + "";

/**
 * The tracking number t written in place of s, an original of the destination d. s may hold text
 * node borders ("\0", scan.ts); in a number that is not written digit for digit they all go to the
 * end (into the first node: the others are emptied).
 *
 * - Same country code and same grouping (shape) as d: t's digits go into the original's digit
 *   positions, so everything about the original stays (its prefix — "+1", "0044", "(0)", trunk —,
 *   separators, parentheses and the node borders).
 * - Same country code, another grouping (another area code length, a mobile, toll-free or national
 *   number in place of a geographic one): the original's prefix (everything before its nsn's first
 *   digit: "+44 (0)", "0", "(0", "+1 (") stays, then t's own groups joined by the original's
 *   separators between its groups, in order (the last one repeats; none: none): "(020) 7946-0958"
 *   with a Manchester number gives "(0161) 496-0000", not "(016) 1496-0000".
 * - A vanity original (letters) or another country's number: t's national form.
 */
export const write = (s: string, d: PhoneParts, t: PhoneParts): string => {
  const borders = s.replace(/[^\0]/g, ""),
    x = s.replace(/\0/g, ""),
    g = t.groups;
  let k = 0;
  if (/[A-Z]/.test(s) || d.cc != t.cc) return t.national + borders;
  if (shape(d) == shape(t)) {
    const D = s.replace(/\D/g, "").slice(0, -d.nsn.length) + t.nsn;
    return s.replace(/\d/g, () => D[k++]!);
  }
  // [prefix, the nsn as written]: the prefix ends where the nsn's first digit starts.
  const m = RegExp("^(\\D*(?:\\d\\D*){" + (x.replace(/\D/g, "").length - d.nsn.length) + "})(.*)$").exec(x)!,
    seps = m[2]!.match(/\D+/g) || [];
  return m[1] + g.map((v, i) => (i ? seps[Math.min(i, seps.length) - 1] || "" : "") + v).join("") + borders;
};
