/**
 * A replaceAll pool's pattern (shared/pattern.ts's group for ANY_NUMBER): every phone number of its
 * destinations' countries, as people write them, from libphonenumber's numbering plans — and never
 * a price, a date or an id:
 *
 * - international: `+`, `00` or `011`, the country code, an optional `(0)`, then the national
 *   significant number (a length a kind of number has, starting with a digit such numbers start
 *   with), any separators (spaces . - / ( ), invisible characters, at most three in a row) between
 *   digits: `+44 (0)20 7946 0958`, `+12125550100`;
 * - national, written in groups (at least one separator): the trunk prefix where the country's
 *   national form has it (`0` in GB, `1` optional in NANP; none for formats written without it,
 *   Australia's `1300`), or one it has abolished that its pages still write (Mexico's `01`), then
 *   the number: `(020) 7946 0958`, `212-555-0100`, `1 (212) 555-0100`, `01-55-1234-5678`;
 * - national without separators only as a whole text or a whole element's text (a `tel:` link's
 *   number, `<b>2125550100</b>`), with the trunk prefix as in groups: digits in running text without
 *   separators may be an id.
 *
 * Never: what starts like a date (`2026-11-25`, `25.11.2026`, `11/25/2026`, also with a time after
 * it), a range of years or of opening hours; and, as for every destination, anything glued to a
 * letter or digit, or after `$ # + . , / -` or a range's dash (the pattern's guards).
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { planOf, trunkOf } from "../../shared/numbering-plan";
import { FORMER_TRUNK } from "../../shared/page-styles";
import { NATIVE_DIGITS } from "../../shared/pairs";
import { DASHES, type EveryNumber, INVISIBLE, PARENS, UNESCAPED, u } from "../../shared/pattern";
import type { PhoneParts } from "../../shared/protocol";

/**
 * The kinds of number a business may show (libphonenumber's types): not premium rate, pagers or
 * personal numbers, whose lengths and first digits let more ids and amounts through.
 */
const TYPES = ["FIXED_LINE", "MOBILE", "TOLL_FREE", "SHARED_COST", "UAN", "VOIP"];

/** Between two digits: at most three of space . / ( ), a dash or a text node border (DIN's `0221 / 12 34 56`). */
const S = `[\\s./()${PARENS}${INVISIBLE}${UNESCAPED}\\0${DASHES}]{0,3}`;
/** No number at all. */
const NONE: EveryNumber = { written: "(?!)", bare: "(?!)" };
/** Shortest national number swapped: shorter ones are too much like other numbers. */
const MIN_LENGTH = 6;
/**
 * What starts like a date (a year or 1-2 digits, 1-2, 1-4, split by . / - and no more digits after
 * but a time: `2026-01-05 09:15`, `01.03.2024 14:30`; not Japan's `0120-12-3456`), a range
 * of years (`2019-2026`, `1999 – 2026`, `2024/2025`) or of times (opening hours: `09.00–17.30`,
 * `9:00 - 17:30`): never a number, even where the digits would make one.
 */
const DATE =
  `(?!(?:[12]\\d{3}|\\d\\d?)[./${DASHES}]\\d{1,2}[./${DASHES}]\\d{1,4}(?![./${DASHES}]?\\d|\\s\\d(?!\\d?[:h.]\\d\\d))` +
  `|(?:19|20)\\d\\d\\s{0,2}[/${DASHES}]\\s{0,2}(?:19|20)\\d\\d(?!\\d)` +
  `|\\d{1,2}[.:]\\d\\d\\s{0,2}[${DASHES}]\\s{0,2}\\d{1,2}[.:]\\d\\d(?!\\d))`;

/** An IPv4 address's part: 0–255, no leading zero (a Swiss `021.123.45.67` has one: a number). */
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/**
 * An IPv4 address (a server's `192.168.100.200`, a gateway's `203.0.113.195`: digits enough for a
 * number in India, the US and a dozen more countries): never a number. Four parts split by dots,
 * no digit after them (a sentence's full stop may follow). (A number written so, `91.123.45.67` for Madrid, is left alone too.)
 */
const IPV4 = `(?!(?:${OCTET}\\.){3}${OCTET}(?!\\.?\\d))`;

/**
 * The digits a national number may start with: the first atom of each alternative of the plan's
 * pattern (`[2-9]\d{9}|3\d{6}` → 2-9 and 3), as one character class body.
 */
export function firstDigits(pattern: string): string {
  const out = new Set<string>();
  const alternatives = (p: string): string[] => {
    const parts: string[] = [];
    let depth = 0,
      inClass = false,
      from = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === "\\") i++;
      else if (inClass) inClass = c !== "]";
      else if (c === "[") inClass = true;
      else if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (c === "|" && depth === 0) {
        parts.push(p.slice(from, i));
        from = i + 1;
      }
    }
    return [...parts, p.slice(from)];
  };
  const first = (alt: string): void => {
    if (alt.startsWith("\\d")) out.add("0-9");
    else if (/^\d/.test(alt)) out.add(alt[0]!);
    else if (alt.startsWith("[")) out.add(alt.slice(1, alt.indexOf("]")));
    else if (alt.startsWith("(")) {
      // The group's content: its alternatives' first atoms.
      let depth = 0,
        end = 0;
      for (let i = 0; i < alt.length; i++) {
        if (alt[i] === "\\") i++;
        else if (alt[i] === "(") depth++;
        else if (alt[i] === ")" && --depth === 0) {
          end = i;
          break;
        }
      }
      for (const a of alternatives(alt.slice(alt.startsWith("(?:") ? 3 : 1, end))) first(a);
    } else out.add("0-9");
  };
  for (const a of alternatives(pattern)) first(a);
  return out.has("0-9") ? "0-9" : [...out].join("");
}

/**
 * A kind of number's own start where it is specific: its pattern's opening digits and digit
 * classes, three or more (`1800\d{6}` → `1800`, `18[59]0\d{6}` → `18[59]0`), else "".
 */
function specificStart(pattern: string): string {
  const start = /^(?:\d|\[[\d-]+\])+/.exec(pattern)?.[0] ?? "";
  return (start.match(/\d|\[[^\]]*\]/g) ?? []).length >= 3 ? start : "";
}

/** The kinds of number whose start may stand for a broad format's leading digits (not fixed lines or mobiles: too many). */
const SPECIFIC = ["TOLL_FREE", "SHARED_COST", "UAN", "VOIP"];

/** A leading-digit pattern that one in ten three-digit starts (or more) would meet: it tells nothing apart. */
function broad(leading: string): boolean {
  const re = RegExp(`^(?:${leading})`);
  let met = 0;
  for (let i = 0; i < 1000; i++) if (re.test(String(i).padStart(3, "0"))) met++;
  return met >= 100;
}

/**
 * An id written with a check digit after a dash, its digits in thousands split by dots (Brazil's CPF
 * `529.982.247-25` and CNPJ `11.222.333/0001-81`, Chile's RUT `76.123.456-K`, Colombia's NIT
 * `900.123.456-7`): never a number, though its digits may have a number's length and first digit.
 * (A number goes on after its dash: Russia's `8.800.555-35-35`.)
 */
const CHECKED_ID = `(?!\\d{1,3}(?:\\.\\d{3}){2}(?:/\\d{4})?[${DASHES}][\\dkK]{1,2}(?!\\w|[${DASHES}]\\d))`;
/**
 * Postcodes written as no number of their country is, by calling code: Brazil's CEP, five digits and
 * three after a dash (`30130-010`, `30.130-010`: eight digits starting 3 or 4, as its 4004 and 3003
 * numbers do, which are written 4-4).
 */
const POSTCODES: Partial<Record<string, string>> = { "55": `(?!\\d{2}\\.?\\d{3}[${DASHES}]\\d{3}(?!\\d))` };

/** Every number of one country (RegExp sources without groups). */
export function anyNumberOf(country: CountryCode): EveryNumber {
  const plan = planOf(country);
  const cc = plan.callingCode();
  const trunk = trunkOf(plan);
  // The trunk prefix is written when most of the country's national formats write it.
  const formats = plan.formats();
  // A format writes it when its rule puts it before the first group ("0$1", "(0$1)"); one without a
  // rule (the plan's 0: Australia's 1800 numbers, China's mobiles, Peru's) writes the number without it.
  const writesTrunk = (f: (typeof formats)[number]) => {
    const rule = String(f.nationalPrefixFormattingRule() || "");
    return rule.includes("$1") && rule.includes(trunk);
  };
  const trunkWritten = trunk !== "" && formats.filter(writesTrunk).length * 2 > formats.length;
  // Each length a kind of number has, with the digits such numbers start with: not every length
  // with every first digit (an Italian amount, a Brazilian postcode, an Indian IP address would be
  // numbers then).
  const byLength = new Map<number, Set<string>>();
  for (const name of TYPES) {
    const type = plan.type(name);
    const pattern = type?.pattern();
    if (!type || !pattern) continue;
    for (const n of type.possibleLengths() ?? plan.possibleLengths()) {
      if (n < MIN_LENGTH) continue;
      const firsts = byLength.get(n) ?? new Set<string>();
      firsts.add(firstDigits(pattern));
      byLength.set(n, firsts);
    }
  }
  const lengths = [...byLength.keys()].sort((a, b) => b - a);
  if (!lengths.length) return NONE;
  const nsn = (sep: string) => `(?:${lengths.map((n) => `[${[...byLength.get(n)!].join("")}](?:${sep}\\d){${n - 1}}`).join("|")})`;
  // After "+", in any form; after the 00 or 011 of an international call only with a separator
  // somewhere (a lookahead over the digits up to it): 13 digits starting 001 are as likely an EAN.
  const seps = `[\\s./()${PARENS}${INVISIBLE}\\0${DASHES}]`;
  const intl = `(?:\\+|(?=\\d{1,${3 + cc.length + lengths[0]! - 1}}${seps}{1,3}\\d)(?:00|011))[\\s.${DASHES}]?${cc}${S}(?:\\(0\\)${S})?${nsn(S)}`;
  // Where the trunk prefix is written, the leading digits of the formats written without it
  // (Australia's 1300, 1800 numbers): those numbers need none. (Their most precise leading-digit
  // pattern, and only one that tells numbers apart: by a first digit alone, Australia's, Ireland's
  // or Thailand's business and order numbers would be numbers.)
  const specific = SPECIFIC.map((name) => specificStart(plan.type(name)?.pattern() ?? "")).filter((start) => start);
  const withoutTrunk = trunkWritten
    ? formats
        .flatMap((f) => {
          if (writesTrunk(f)) return [];
          const leading = f.leadingDigitsPatterns().slice(-1)[0] ?? "";
          if (leading && !broad(leading)) return [leading];
          // A broad one (a first digit alone): the kinds of number it leads whose own start is
          // specific (Ireland's 1800 and 1850 numbers, written without the 0), none other.
          const leads = RegExp(`^(?:${leading || "\\d"})`);
          return specific.filter((start) => leads.test(start.replace(/\[(\d)[^\]]*\]/g, "$1")));
        })
        .join("|")
    : "";
  // The trunk prefix, then sep: where people write it, a national number needs it (but those of
  // formats written without it), elsewhere it may be there.
  const trunkThen = (sep: string) =>
    trunk ? (trunkWritten ? (withoutTrunk ? `(?:${trunk}${sep}|(?=(?:${withoutTrunk})))` : `${trunk}${sep}`) : `(?:${trunk}${sep})?`) : "";
  // A trunk prefix the country has abolished that its pages still write (shared/page-styles.ts
  // FORMER_TRUNK: Mexico's `01 800 123 4567`, `01-55-1234-5678`, `(01 55) 1234-5678`), in groups
  // only, found with the number it is written before (without it, `01 800 123 4567` left its 01
  // before the copy, and `01-55-1234-5678` was not found at all: its number comes after a dash).
  // Not in bare digits: 01 and ten digits is a UPC-A code's length.
  const former = FORMER_TRUNK[cc] ? `(?:${FORMER_TRUNK[cc]}${S})?` : "";
  // A separator (one to three) somewhere before the last digit: lookahead over the digits up to it.
  const grouped = `(?=\\(?\\d{1,${trunk.length + lengths[0]! - 1}}${seps}{1,3}\\d)\\(?${former}${trunkThen(S)}${nsn(S)}`;
  // Bare digits: only as a whole text or a whole element's text (nothing but a border around; what
  // is before them is the pattern's bare branch's guard: shared/pattern.ts), with the trunk prefix
  // as in groups (without it, where people write it, an article number or an EAN in a table cell).
  const bare = `${trunkThen("")}${nsn("")}(?![^\\0])`;
  return { written: `${DATE}${IPV4}${CHECKED_ID}${POSTCODES[cc] ?? ""}(?:${intl}|${grouped})`, bare: `${DATE}${bare}` };
}

/**
 * A pattern source (this module's: no backreferences) whose every digit may also be written in the
 * digits whose zeros are given (full-width `０`, Arabic-Indic `٠`…), ASCII still: `\\d`, a digit or a
 * digit range in a class, a literal digit. Escapes (`\\u2010`) and quantifiers (`{1,3}`) stay as they are.
 */
export function inNativeDigits(source: string, zeros: readonly number[]): string {
  const same = (d: number) => zeros.map((zero) => u(zero + d)).join("");
  const range = (from: number, to: number) => zeros.map((zero) => `${u(zero + from)}-${u(zero + to)}`).join("");
  let out = "",
    inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      const token = next === "u" ? source.slice(i, i + 6) : source.slice(i, i + 2);
      out += next === "d" ? (inClass ? `\\d${range(0, 9)}` : `[\\d${range(0, 9)}]`) : token;
      i += token.length - 1;
    } else if (inClass) {
      const to = source[i + 2];
      if (/\d/.test(c) && source[i + 1] === "-" && to !== undefined && /\d/.test(to)) {
        out += `${c}-${to}${range(Number(c), Number(to))}`;
        i += 2;
      } else out += /\d/.test(c) ? c + same(Number(c)) : c;
      inClass = c !== "]";
    } else if (c === "{") {
      const end = source.indexOf("}", i);
      out += source.slice(i, end + 1);
      i = end;
    } else {
      out += /\d/.test(c) ? `[${c}${same(Number(c))}]` : c;
      inClass = c === "[";
    }
  }
  return out;
}

/**
 * Every number of the countries of these numbers (a replaceAll pool's destinations); `native`: those
 * of countries whose pages write numbers in their own digits (NATIVE_DIGITS), written numbers only,
 * each digit in those or ASCII (none: a pattern that matches nothing).
 */
export function anyNumber(numbers: readonly PhoneParts[]): EveryNumber {
  const countries = new Map<CountryCode, readonly number[] | undefined>();
  for (const p of numbers) {
    const c = p.e164 === "*" ? undefined : parsePhoneNumberFromString(p.e164)?.country;
    if (c) countries.set(c, NATIVE_DIGITS[p.cc]);
  }
  const each = [...countries].map(([country, zeros]) => ({ ...anyNumberOf(country), zeros }));
  const native = each.filter((e) => e.zeros && e.written !== NONE.written).map((e) => inNativeDigits(e.written, e.zeros!));
  return each.length
    ? { written: each.map((e) => e.written).join("|"), bare: each.map((e) => e.bare).join("|"), native: native.join("|") || NONE.written }
    : NONE;
}
