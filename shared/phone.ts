/**
 * Phone number normalisation (worker side; the snippet never bundles libphonenumber).
 * Every number the API accepts becomes E.164 here, and every number it hands to the snippet
 * is broken into the parts the snippet matches and writes with (PhoneParts).
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { planOf, trunkOf } from "./numbering-plan";
import type { PhoneParts } from "./protocol";

type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

const KEYPAD: Record<string, string> = {};
"abc2def3ghi4jkl5mno6pqrs7tuv8wxyz9".replace(/([a-z]+)(\d)/g, (_m, letters: string, d: string) => {
  for (const l of letters) KEYPAD[l] = d;
  return "";
});

/** Digits of a written number, letters mapped to the keypad (1-800-FLOWERS → 18003569377). */
function keypadDigits(input: string): string {
  let out = "";
  for (const ch of input.toLowerCase()) {
    if (ch >= "0" && ch <= "9") out += ch;
    else if (KEYPAD[ch]) out += KEYPAD[ch];
  }
  return out;
}

/**
 * Parse a number as a person or an API client writes it. International form (+44…, 0044…) always
 * works; national form needs `country`. Only complete, valid numbers pass: a country code alone or
 * a short prefix is refused, so a whitelist can never match "every number starting with +1".
 */
export function normalizePhone(input: unknown, country?: string): PhoneResult {
  if (typeof input !== "string") return { ok: false, reason: "must be a string" };
  const raw = input.trim();
  if (raw.length < 3 || raw.length > 40) return { ok: false, reason: "must be 3 to 40 characters" };
  if (!/^[+0-9A-Za-z ().\-/]+$/.test(raw)) return { ok: false, reason: "contains characters a phone number cannot" };
  const letters = /[A-Za-z]/.test(raw);
  const text = letters ? (raw.startsWith("+") ? "+" : "") + keypadDigits(raw) : raw;
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country as CountryCode } : undefined);
  if (!parsed) return { ok: false, reason: country ? "is not a phone number" : "is not a phone number (use +<country code>… or set the pool's country)" };
  if (!parsed.isValid()) return { ok: false, reason: "is not a valid, complete phone number" };
  return { ok: true, e164: parsed.number };
}

/** The parts the snippet needs for an E.164 number we stored (see PhoneParts). */
export function phoneParts(e164: string): PhoneParts {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) throw new Error(`stored number ${e164} does not parse`);
  const national = parsed.formatNational();
  const nsn = parsed.nationalNumber;
  const nationalDigits = national.replace(/\D/g, "");
  const type = parsed.getType();
  // Written with an area code: a geographic number, or one whose national form puts a parenthesis
  // around its first group (NANP's and Brazil's mobiles). Unknown type: as today, with one.
  const area = type === undefined || type === "FIXED_LINE" || type === "FIXED_LINE_OR_MOBILE" || national.includes("(");
  const number = { e164: parsed.number, cc: parsed.countryCallingCode, nsn, area };
  if (!nationalDigits.endsWith(nsn)) {
    // The national form is not the nsn after a trunk prefix: Argentina's mobiles are +54 9 11
    // 2345-6789 and, nationally, 011 15-2345-6789 (the 9 left out, a 15 after the area code). The
    // groups are the international form's (its digits are the nsn's), `inland` the national form's.
    const prefix = trunkOf(planOf(parsed.country as CountryCode));
    const trunk = prefix && nationalDigits.startsWith(prefix) ? prefix : "";
    return { ...number, trunk, national, groups: digitRuns(parsed.formatInternational()).slice(1), inland: withoutLeading(digitRuns(national), trunk.length) };
  }
  const trunk = nationalDigits.slice(0, nationalDigits.length - nsn.length);
  // The nsn's groups as the national form writes them: its digit runs, the trunk prefix's digits left out.
  return { ...number, trunk, national, groups: withoutLeading(digitRuns(national), trunk.length) };
}

/**
 * Parts stored before `area` was, and before `inland` was (an Argentine mobile's: its groups then
 * were its national form's digit runs, trunk prefix and all), are made again. (ANY_NUMBER's are current.)
 */
export const partsCurrent = (p: PhoneParts): boolean =>
  p.e164 === "*" || (p.area !== undefined && (p.inland !== undefined || p.national.replace(/\D/g, "").endsWith(p.nsn)));

const digitRuns = (text: string): string[] => text.match(/\d+/g) ?? [];

/** Digit runs without their first `count` digits (a trunk prefix written in the first). */
function withoutLeading(runs: string[], count: number): string[] {
  let skip = count;
  return runs
    .map((run) => {
      const cut = Math.min(skip, run.length);
      skip -= cut;
      return run.slice(cut);
    })
    .filter((run) => run !== "");
}
