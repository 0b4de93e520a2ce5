/**
 * A country's numbering plan as libphonenumber-js has it (its typings leave these parts out): read
 * by shared/phone.ts (a number's trunk prefix) and the worker's every-number pattern
 * (worker/domain/any-number.ts).
 */
import { type CountryCode, Metadata } from "libphonenumber-js/max";

/** The parts of a numbering plan read here. */
export interface Plan {
  callingCode(): string;
  /** A string, or the number 0 (not a string) where the country has no trunk prefix (ES, IT, DK, SG…). */
  nationalPrefix(): string | number | undefined;
  possibleLengths(): number[];
  formats(): { nationalPrefixFormattingRule(): string | 0 | undefined; leadingDigitsPatterns(): string[] }[];
  type(name: string): { pattern(): string | undefined; possibleLengths(): number[] | undefined } | undefined;
}

/** A country's numbering plan. */
export function planOf(country: CountryCode): Plan {
  const m = new Metadata();
  m.selectNumberingPlan(country);
  return m.numberingPlan as unknown as Plan;
}

/**
 * A plan's trunk prefix, "" for none. String(): a country without one has the number 0 here, not ""
 * (its national numbers were never found while a 0 stood in for the prefix).
 */
export const trunkOf = (plan: Plan): string => String(plan.nationalPrefix() || "");
