/** Writing the tracking number in the original's shape. */
import type { PhoneParts } from "../shared/protocol";

/**
 * The tracking number t written in place of s, an original of the destination d: t's digits go
 * into the original's digit positions (same separators, grouping, "+", parentheses, "(0)"; the
 * original's own prefix digits — cc, trunk, 00 — stay) when both have the same country code and as
 * many digits; otherwise, and for vanity originals (letters), `t.national` (followed by the
 * original's text node borders, "\0": in a number split over nodes it goes into the first one).
 */
export const write = (s: string, d: PhoneParts, t: PhoneParts, D = s.replace(/\D/g, "").slice(0, -d.nsn.length) + t.nsn, k = 0): string =>
  /[A-Z]/.test(s) || d.cc + d.nsn.length != t.cc + t.nsn.length ? t.national + s.replace(/[^\0]/g, "") : s.replace(/\d/g, () => D[k++]!);
