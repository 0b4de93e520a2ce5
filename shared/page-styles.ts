/**
 * How countries' pages write numbers where libphonenumber's national forms do not say: which put a
 * mobile's first group in parentheses, close an area code's without opening it, leave a mobile's
 * trunk prefix out, or still write an abolished one. Read by shared/pairs.ts findings and
 * shared/pattern.ts.
 */
import type { PhoneParts } from "./protocol.ts";

/**
 * Countries whose pages put a mobile's (or any number's) first group in parentheses as they do an
 * area code's: Japan (`TEL（090）1234-5678`), Korea, Ukraine (`(067) 123-45-67`), Belarus, Uzbekistan,
 * Armenia, Moldova, Kyrgyzstan, Turkey (`0 (532) 123 45 67`), Germany and Austria. There a tracking
 * number without an area code takes the original's parentheses like any other.
 */
export const PARENTHESIZED: ReadonlySet<string> = new Set(["81", "82", "380", "375", "998", "374", "373", "996", "90", "49", "43"]);

/**
 * Countries whose pages close an area code's parenthesis without opening one: Korea (`02)1234-5678`).
 * Only there does the pattern find such a form (shared/pattern.ts withArea): elsewhere the lookahead
 * for it, at every 0 of a page's text, made the pattern 4 % slower for nothing.
 */
export const CLOSED_AREA: ReadonlySet<string> = new Set(["82"]);

/**
 * Whether the tracking number takes the destination's area code parentheses (its first group in
 * their place), where that has an area code and the tracking number none (PhoneParts.area): only
 * where pages put a mobile's first group in them too (PARENTHESIZED), and not a number with no such
 * group: one of one group (Turkey's `4441444`), or one its country dials without the trunk prefix
 * the destination takes, which every first group so parenthesized begins with (Korea's nationwide
 * `1588-1234` in place of Seoul's `(02)1234-5678` or `02)1234-5678`: not `(1588)1234`).
 */
export const keepsParentheses = (destination: PhoneParts, tracking: PhoneParts): boolean =>
  PARENTHESIZED.has(destination.cc) && tracking.groups.length > 1 && !(destination.trunk && !tracking.trunk);

/**
 * Countries whose pages write a mobile number without the trunk prefix its national form has (as
 * it is dialled from a mobile) but a geographic one with it: India (`98123 45678`, `022 1234 5678`).
 * There a geographic tracking number in place of a mobile written so takes its trunk prefix: without
 * it, `80 4712 3456` reads as another mobile (`8047123456`). Elsewhere the copy leaves it out too
 * (Hungary's `20/123-4567` and `1/234-5678`, Argentina's `11 15 2345-6789` and `11 4234-5678`).
 */
export const MOBILE_BARE: ReadonlySet<string> = new Set(["91"]);

/**
 * Trunk prefixes a country has abolished that its pages still write: Mexico's long-distance 01, gone
 * since 2019 (`01 800 123 4567`, `01-800-123-4567`, `01 (55) 1234 5678`). A destination written with one
 * is found (before its other forms: the digits after it would be found alone, and the prefix left),
 * and the tracking number written in its place without the prefix: in its current national groups
 * set apart as the page sets its groups apart (`01-55-1234-5678` → `33-1234-5678`), or, where the
 * page puts parentheses around the area code, in its national form (shared/pairs.ts findings). A
 * replaceAll pool finds the country's every number written in groups after it too
 * (worker/domain/any-number.ts).
 */
export const FORMER_TRUNK: Readonly<Record<string, string>> = { "52": "01" };
