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
import { planOf, trunkOf } from "../../shared/numbering-plan";
import type { PhoneParts } from "../../shared/protocol";

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

/** The trunk prefixes of the country codes seen (a country code's countries share theirs: +44's, +61's, +7's). */
const byCountryCode = new Map<string, string>();

/**
 * A number's trunk prefix as its country dials it (shared/pairs.ts DialTrunk): as its national
 * form writes it, else the country's (unwrittenTrunk), remembered per country code in the isolate:
 * an allocation asks it for its destinations and, when they take one, its tracking number (each
 * first allocation another number: parsing it would cost more than the allocation's own work).
 */
export const dialTrunk = (p: PhoneParts): string => p.trunk || (byCountryCode.get(p.cc) ?? remember(byCountryCode, 300, p.cc, unwrittenTrunk(p)));
