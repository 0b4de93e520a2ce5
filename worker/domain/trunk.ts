/**
 * A destination's trunk prefix where its national form leaves it out: Brazil writes `(11)
 * 3333-4444`, yet `(011) 3333-4444` (the long-distance 0) is all over older pages; so are Bolivia's,
 * Georgia's, Lebanon's, Peru's and other countries' mobiles with a 0 before them. PhoneParts.trunk
 * is the prefix as the national form writes it (the snippet writes by it); the destinations'
 * pattern also finds a number written with the country's prefix (allocate.ts), as a replaceAll
 * pool's does (any-number.ts).
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { remember } from "../../shared/bounded-map";
import type { PhoneParts } from "../../shared/protocol";
import { planOf, trunkOf } from "./any-number";

/**
 * The country's trunk prefix when `p`'s national form does not write it, else "". Not for NANP
 * numbers: their prefix 1 is the country code, which the pattern finds already (`1-800-…`).
 */
export function unwrittenTrunk(p: PhoneParts): string {
  if (p.trunk) return "";
  const country = parsePhoneNumberFromString(p.e164)?.country;
  if (!country) return "";
  const prefix = trunkOf(planOf(country));
  return prefix === p.cc ? "" : prefix;
}

/** Trunk prefixes dialled, by number: a few destinations and the tracking numbers answered lately. */
const dialled = new Map<string, string>();

/**
 * A number's trunk prefix as its country dials it (shared/pairs.ts DialTrunk): as its national
 * form writes it, else the country's (unwrittenTrunk). Remembered per number in the isolate: it is
 * asked for a destination and its tracking number on every allocation that writes another grouping.
 */
export const dialTrunk = (p: PhoneParts): string => p.trunk || (dialled.get(p.e164) ?? remember(dialled, 2000, p.e164, unwrittenTrunk(p)));
