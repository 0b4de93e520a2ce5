/**
 * Which numbers the snippet looks for and what it writes in their place: from an answer's pools,
 * the findings (each destination in each form a page may write it, for shared/pattern.ts) and the
 * pairs (destination, tracking number, write mode) in the same order.
 * (Over 300 lines: the forms and their pairs are made in one pass whose rules — trunk prefixes,
 * area codes, national and native-digit forms, replaceAll, former numbers — decide each other's
 * order; split up, the order that pattern groups and pairs share would be kept in two places.)
 */
// With their extensions: the benches run this file on Node, which finds no extensionless module.
import { FORMER_TRUNK, keepsParentheses, MOBILE_BARE } from "./page-styles.ts";
import { ANY_NUMBER, type Pair, type PhoneParts, type PoolAllocation, type WriteMode } from "./protocol.ts";

/** A grouping's shape, the lengths of its groups: "2,4,4". */
const shape = (p: PhoneParts) => p.groups.map((g) => g.length).join();

/**
 * How the snippet writes a tracking number in place of its destination (snippet/format.ts): into
 * the original's digit places (0: the same country code, grouping and trunk prefix), in its own
 * groups with the original's prefix and separators (1: the same country code, another grouping or
 * trunk prefix), or its national form (2: another country code; ANY_NUMBER has none).
 */
export const writeMode = (destination: PhoneParts, tracking: PhoneParts): WriteMode =>
  destination.cc !== tracking.cc ? 2 : shape(destination) === shape(tracking) && destination.trunk === tracking.trunk ? 0 : 1;

/**
 * Which of a number's written forms a group of the pattern finds (shared/pattern.ts): every form
 * (none given), or one of a number split by written form (findings): "zero" (after a country code,
 * with the trunk prefix: the `+44 (0)20` style), "international" (after a country code), "trunk"
 * (national, with its country's trunk prefix), "bare" (national, without one); "area" (its area
 * code in parentheses with the trunk prefix: `(020) 7946 0958`, `(011) 3333-4444`), "area-bare"
 * (without: `(20) 7946 0958`, `(11) 3333-4444`) and "country-area" (after a country code's `+`,
 * `00` or `011`: `+90 (212) 345 67 89`, or with the country code inside them: `(632) 8123-4567`),
 * split off only for a tracking number without an area code (PhoneParts.area); "regrouped" (in every
 * form, its first digit run a digit shorter or longer than its national form's first group, as
 * Finding.firstRun says: Spain's `91 234 56 78`, South Africa's `0800 123 456`); "former" (after a
 * trunk prefix the country has abolished, FORMER_TRUNK, in groups set apart without parentheses:
 * Mexico's `01-55-1234-5678`, `01 800 123 4567`; with them, `01 (55) 1234 5678`, its "trunk" form).
 */
export type Form = "zero" | "international" | "trunk" | "bare" | "area" | "area-bare" | "country-area" | "regrouped" | "former" | "skip";
/**
 * A destination as the pattern finds it; `digits`: written in a country's own digits (NATIVE_DIGITS,
 * the code points of their zeros), each digit found as any of them or ASCII.
 */
export type Finding = PhoneParts & {
  form?: Form;
  digits?: readonly number[];
  /**
   * A replaceAll pool's number as the snippet writes it in these digits: never found (ANY_NUMBER's
   * pattern would find it again, and the snippet's check for its own number reads ASCII digits only).
   */
  own?: string;
  /** "regrouped": the lengths its first digit run may have as written (shared/pairs.ts firstRuns). */
  firstRun?: readonly number[];
  /**
   * An area form's variant (areaForms): how the page writes what follows the area code, one of
   * `tails`: after its closing parenthesis a space, then one digit run (""), or runs with the one
   * separator given between every two, `least` of them at least; none: any other way. `glued`:
   * after a capital label glued to its parenthesis (`TEL(020) 7946 0958`).
   */
  tails?: readonly string[];
  least?: number;
  glued?: boolean;
};

/** Full-width digits (U+FF10…), as CJK text writes them: `０３－１２３４－５６７８`. */
export const FULL_WIDTH = 0xff10;
const ARABIC_INDIC = 0x660;
/** Persian and Urdu (U+06F0…): four of them are written unlike the Arabic-Indic ones. */
const EXTENDED_ARABIC_INDIC = 0x6f0;

/**
 * The digits other than ASCII that a country's pages write phone numbers in, by country code (the
 * code point of each set's zero; the first is the one a tracking number is written in): full-width
 * in Japan, Korea, China, Hong Kong, Macao and Taiwan; Arabic-Indic in the Arab states of the Middle
 * East and the Nile (the Maghreb writes ASCII); Persian in Iran (where Arabic-Indic ones mix in),
 * Afghanistan and Pakistan (Urdu); Bengali in Bangladesh, Myanmar's, Khmer and Lao digits, and
 * Devanagari in Nepal. (Not India's or Thailand's: their pages write phone numbers in ASCII.)
 */
export const NATIVE_DIGITS: Readonly<Record<string, readonly number[]>> = {
  ...Object.fromEntries(["81", "82", "86", "852", "853", "886"].map((cc) => [cc, [FULL_WIDTH]])),
  ...Object.fromEntries(
    ["20", "218", "249", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971", "973", "974"].map((cc) => [cc, [ARABIC_INDIC]]),
  ),
  "98": [EXTENDED_ARABIC_INDIC, ARABIC_INDIC],
  "93": [EXTENDED_ARABIC_INDIC, ARABIC_INDIC],
  "92": [EXTENDED_ARABIC_INDIC],
  "880": [0x9e6],
  "95": [0x1040],
  "855": [0x17e0],
  "856": [0xed0],
  "977": [0x966],
};

/** The digits other than ASCII that pages of these numbers' countries write (none: undefined). */
const nativeOf = (numbers: readonly PhoneParts[]): readonly number[] | undefined => {
  const zeros = [...new Set(numbers.flatMap((p) => (p.e164 === "*" ? [] : (NATIVE_DIGITS[p.cc] ?? []))))];
  return zeros.length ? zeros : undefined;
};

/**
 * A number's text (a national form) in the digits whose zero is `zero`; in full width, its hyphens
 * and parentheses too (U+FF0D, U+FF08/9: each ASCII character's full-width form lies as far above it).
 */
export const inDigits = (text: string, zero: number): string =>
  text.replace(zero === FULL_WIDTH ? /[\d()-]/g : /\d/g, (c) => String.fromCharCode(c.charCodeAt(0) - 48 + zero));

/**
 * A number's trunk prefix as its country dials it: `p.trunk` (as its national form writes it), or
 * the country's where the national form leaves it out (worker/domain/trunk.ts: Brazil's `(11)`
 * numbers, dialled `(011)`).
 */
export type DialTrunk = (p: PhoneParts) => string;

/**
 * A number as its national form writes it after the trunk prefix: an Argentine mobile's `11 15
 * 2345-6789` (PhoneParts.inland), not its nsn's `9 11 2345 6789`; any other number as it is.
 */
const inland = (p: PhoneParts): PhoneParts => (p.inland ? { ...p, nsn: p.inland.join(""), groups: p.inland } : p);

/**
 * Whether a number's national form writes its trunk prefix apart from its first group: France's
 * toll-free `0 800 12 34 56` (its others `01 23 45 67 89`), Armenia's `0 800 12 345`, Belarus's `8 0152
 * 45-09-11`: the form's first digit run is no longer than the trunk prefix (or shorter: Belarus's
 * prefix 80 is written `8 0`, split itself).
 */
const apart = (p: PhoneParts): boolean => !!p.trunk && (/\d+/.exec(p.national)?.[0].length ?? Infinity) <= p.trunk.length;

/**
 * A tracking number's groups in place of a destination of one group (a short number: Norway's
 * `02000`, Seychelles' `8000000`, the Netherlands' `14020`): an original written as its national form
 * writes it, in one run, tells nothing of how groups are set apart, so they are one group, spaced as
 * the tracking number's own form writes them (`+677 74 21234`, not `+677 7421234`). (Such a pair's
 * groups are then not digit groups; the parts `dni.number()` documents, snippet/README.md, leave groups out.)
 */
const fitted = (destination: PhoneParts, groups: string[]): string[] => (destination.groups.length < 2 ? [groups.join(" ")] : groups);

/**
 * `p` with `trunk` written before its first group, as one number: in a destination, so that the
 * snippet's prefix ends before the trunk prefix as written; in a tracking number, so that it writes
 * its own.
 */
const prefixed = (p: PhoneParts, trunk: string): PhoneParts => ({
  ...p,
  trunk: "",
  nsn: trunk + p.nsn,
  groups: trunk ? [trunk + p.groups[0], ...p.groups.slice(1)] : p.groups,
});

/**
 * A destination's pair for a national form: the tracking number to write in its place, written in
 * the groups given (1: its national groups with its trunk prefix, PhoneParts.groups), and its
 * `dni:swap` detail. The number's other parts stay its own: `dni.number()` hands them to the page.
 * A tracking number of one group (Turkey's `4441444`) is written in its national form: in the
 * original's prefix it would leave a parenthesis open (`(0212) 345 67 89`).
 */
const pairOf = (destination: PhoneParts, tracking: PhoneParts, groups: string[], swap: Pair[3]): Pair => [
  destination,
  { ...tracking, groups },
  groups.length < 2 ? 2 : 1,
  swap,
];

/**
 * The lengths, a digit shorter or longer than the destination's first group, that a page writing the
 * destination's first digits otherwise than its national form gives its first digit run (Spain's
 * Madrid `91 234 56 78` for `912 34 56 78`, as Spanish pages write the older 2-digit area codes, South
 * Africa's `0800 123 456` for `080 012 3456`, London's older `0207 946 0958`), where the tracking
 * number is of the other kind (one has an area code, the other not: PhoneParts.area): its own groups
 * are written there, not its digits into the original's places, which hold the destination's area
 * code as the page sees it (a mobile for Madrid's number was `61 234 56 78`, Cape Town's number for a
 * 0800 one `0211 234 567`). A number of the same kind is written digit for digit: the page's grouping
 * may be its own too (Barcelona's `93 234 56 78` for Madrid's, a 0861 number for a 0800 one `0861 234
 * 567`; but Zaragoza's, whose area code is 976, `97 612 34 56`: which area codes pages write in two
 * digits libphonenumber does not say). None where the national form puts the first group in
 * parentheses (NANP's, Brazil's: pages write it as that does).
 */
const firstRuns = (destination: PhoneParts, tracking: PhoneParts): number[] => {
  const first = destination.groups[0]!.length;
  return destination.area === tracking.area || destination.groups.length < 2 || destination.national.includes("(")
    ? []
    : [first - 1, first + 1].filter((run) => run > 0 && run + 1 < destination.nsn.length);
};

/** The separators pages write between the groups after an area code, one all through: spaces, dashes, dots. */
const BETWEEN = [" ", "-", "."];

/**
 * An area form's numbers and pairs (shared/pattern.ts areaForm), `plain` the tracking number written
 * as the form asks (its national form, without its trunk prefix, or its international one: `head`
 * and `groups` after it). Where the page sets the area code apart with a space after its parenthesis
 * and writes the rest as the forms without parentheses are written (snippet/format.ts), the tracking
 * number takes its separators as those do: its first group set apart by the space, the others by the
 * one separator the page writes all through (as many as it needs, at least: `(91) 234-56-78` with a
 * mobile `612 34-56-78`, where its national form is `612 34 56 78`), or, where the page writes the
 * rest in one run, by the space again (Jakarta's `(021) 8350123` with a mobile `0812 345 678`, where
 * its national form is `0812-345-678`). Written otherwise (the parenthesis alone setting it apart,
 * `(021)835-0123`; mixed separators; fewer than it needs), `plain`. Again after a capital label glued
 * to the parenthesis (`glue`), with a space before it (`TEL(020) 7946 0958` with a mobile: `TEL 07911
 * 123456`, not the label glued to the digits, nor the mobile's first group in parentheses as if it
 * were an area code), `plain`. The first pair is `plain`'s: `dni.number()` answers the first pair's number.
 */
const areaForms = (found: Finding, d: PhoneParts, plain: PhoneParts, head: string, groups: string[], swap: Pair[3], glue: boolean): [Finding, Pair][] => {
  const least = Math.max(0, groups.length - 2);
  const texts = new Map<string, string[]>();
  // "": the rest in one run.
  // A number of two groups has one separator, which the page's space after the area code says
  // nothing of: its own (Korea's `02) 1234-5678` with a 1588 number: `1588-1234`; a UK mobile `07911 123456`).
  for (const between of groups.length > 2 ? ["", ...BETWEEN] : []) {
    const text = `${head}${groups[0]} ${groups.slice(1).join(between || " ")}`;
    if (text !== plain.national) texts.set(text, [...(texts.get(text) ?? []), between]);
  }
  return [
    [found, [d, plain, 2, swap]],
    ...[...texts].map(([text, tails]): [Finding, Pair] => [{ ...found, tails, least }, [d, { ...plain, national: text }, 2, swap]]),
    ...(glue ? [[{ ...found, glued: true }, [d, { ...plain, national: ` ${plain.national}` }, 2, swap]] as [Finding, Pair]] : []),
  ];
};

/** A number's national form without its trunk prefix (and what sets it apart): `07911 123456` → `7911 123456`. */
const withoutTrunk = (p: PhoneParts): string => (p.trunk ? p.national.replace(RegExp(`^\\D*${[...p.trunk].join("\\D*")}[\\s\\u00A0-]*`), "") : p.national);

/**
 * What the snippet finds and what it writes, in one order: the pattern's numbers (one group each)
 * and the answer's pairs (each destination of each pool with its pool's number, how to write it and
 * the detail of the `dni:swap` event). Every pool's own destinations first, then the replaceAll
 * pools' ANY_NUMBER (whose "every number" would otherwise find a later pool's destination first, and
 * write that pool's visitors the replaceAll pool's number), and ANY_NUMBER's pair once more at the
 * end, for the pattern's last group (bare digits: shared/pattern.ts). Made by the worker so the
 * snippet carries no code for it.
 *
 * A destination is found in three groups, one per form, each with what the snippet writes for it,
 * where one pair for every form would write wrong: after a country code, the tracking number's
 * international groups; written nationally, its national ones with its own trunk prefix before them,
 * not the destination's as written. So when the two numbers' trunk prefixes differ (Australia's
 * `1800 123 456` for `(02) 9876 5432` is dialled without the 0, a Sydney number for a 1800 one
 * with it; a Chinese mobile for a `010` number; a Brazilian `0800` for an `(11)` number), and when
 * either is written otherwise nationally than internationally (an Argentine mobile, `011
 * 15-2345-6789` and `+54 9 11 2345-6789`).
 *
 * A destination of a country whose pages write numbers in its own digits (NATIVE_DIGITS) is found in
 * those too, in a group after its others (which find a number written in ASCII first), in any form;
 * the snippet writes the tracking number's national form in those digits there (`０１２０－１２３－４５６`,
 * `٠١٠ ١٢٣٤٥٦٧٨`). So is a replaceAll pool's every number (ANY_NUMBER), in the digits of its other
 * destinations' countries, without the tracking number as written there (Finding.own).
 */
export const findings = (pools: readonly PoolAllocation[], source: string, dial: DialTrunk = (p) => p.trunk): { numbers: Finding[]; pairs: Pair[] } => {
  const own: [Finding, Pair][] = [];
  const every: [Finding, Pair][] = [];
  /** The destinations of the pools before this one. */
  const seen = new Set<string>();
  for (const pool of pools) {
    const tracking = pool.number;
    for (const d of pool.destinations) {
      const into = d.e164 === "*" ? every : own;
      // The pattern finds a number with its country's trunk prefix, written by its national form or not.
      const trunk = d.e164 === "*" ? "" : dial(d);
      const found: Finding = trunk === d.trunk ? d : { ...d, trunk };
      // Written in the country's own digits: after the groups of the number as ASCII writes it (so those
      // find it first), in every form; the snippet writes the tracking number's national form in those
      // digits (its write reads ASCII digits only; a national form made here costs it nothing).
      // A replaceAll pool's every number: in the digits of its destinations' countries.
      const zeros = d.e164 === "*" ? nativeOf(pool.destinations) : NATIVE_DIGITS[d.cc];
      const ownDigits = zeros && tracking ? inDigits(tracking.national, zeros[0]!) : undefined;
      const native: [Finding, Pair] | undefined = zeros && [
        d.e164 === "*" && ownDigits ? { ...found, digits: zeros, own: ownDigits } : { ...found, digits: zeros },
        tracking ? [d, { ...tracking, national: ownDigits! }, 2, { destination: d.e164, number: tracking.e164, source }] : [d, null, 2],
      ];
      if (!tracking) {
        into.push([found, [d, null, 2]]);
        if (native) into.push(native);
        continue;
      }
      const fit: PhoneParts = { ...tracking, groups: fitted(d, tracking.groups) };
      const mode = writeMode(d, tracking);
      const swap = { destination: d.e164, number: tracking.e164, source };
      // After a trunk prefix the country has abolished (Mexico's 01): the tracking number's current
      // national groups over the prefix and the number, in the page's separators where it sets its
      // groups apart without parentheses (`01-55-1234-5678` → `55-9876-5432`: the destination's nsn
      // holds the prefix, so the snippet keeps nothing before it), else its national form (`01 (55)
      // 1234 5678` → `55 9876 5432`: the page's parentheses around a prefix it no longer has).
      const former = FORMER_TRUNK[d.cc];
      if (former) {
        into.push([
          { ...found, trunk: former, form: "former" },
          pairOf(prefixed(d, former), tracking, fitted(d, prefixed(tracking, tracking.trunk).groups), swap),
        ]);
        into.push([{ ...found, trunk: former, form: "trunk" }, [d, tracking, 2, swap]]);
      }
      // An area code in parentheses is the destination's, not the tracking number's, where that has
      // none (a mobile, toll-free or shared-cost number): `(020) 7946 0958` with a mobile is `07911
      // 123456`, not `(07911) 123456`; `+90 (212) 345 67 89` with Turkey's 444 number `+90 4441444`.
      // Found before the destination's other forms, written in the tracking number's own national
      // form (without its trunk prefix where the original left out the destination's: `(20) 7946
      // 0958`), or after the country code (or with it inside them: `(632) 8123-4567`) its international
      // one. Not where pages put a mobile's first group in parentheses too (keepsParentheses).
      // In the page's separators after the area code where it writes one kind all through, and after
      // a capital label glued to the parenthesis with a space (areaForms; not where an earlier pool
      // has the destination too: its groups find it first, but the glued group, tried at the capital,
      // would find it there before them).
      const areaApart = mode !== 2 && d.area && tracking.area === false && d.groups.length > 1 && !keepsParentheses(d, tracking);
      if (areaApart) {
        const glue = !seen.has(d.e164);
        // Its national form's groups after its trunk prefix (`0 800 12 34 56`: 800, 12, 34, 56).
        const rest = withoutTrunk(tracking);
        const national = [tracking.national.slice(0, -rest.length || undefined), rest.match(/\d+/g)!] as const;
        if (trunk) into.push(...areaForms({ ...found, form: "area" }, d, tracking, ...national, swap, glue));
        if (d.trunk) into.push(...areaForms({ ...found, form: "area-bare" }, d, { ...tracking, national: rest }, "", national[1], swap, glue));
        else into.push(...areaForms({ ...found, form: "area-bare" }, d, tracking, ...national, swap, glue));
        const international = { ...tracking, national: `+${tracking.cc} ${tracking.groups.join(" ")}` };
        into.push(...areaForms({ ...found, form: "country-area" }, d, international, `+${tracking.cc} `, tracking.groups, swap, glue));
      }
      // A tracking number of one group after a country code and a parenthesis the page opens around the
      // destination's first group (a mobile's, Turkey's 850: `+90 (850) 123 45 67`), as above: its
      // international form (written into the original's groups, the parenthesis was left open).
      if (!areaApart && mode === 1 && tracking.groups.length < 2 && d.groups.length > 1)
        into.push([{ ...found, form: "country-area" }, [d, { ...tracking, national: `+${tracking.cc} ${tracking.groups[0]}` }, 2, swap]]);
      // Written nationally without a trunk prefix: the tracking number's own national form's, if the
      // destination's national form writes none (else the original left out one it writes: so does the
      // copy), or where pages write a mobile without one but a geographic number with it (MOBILE_BARE).
      const bare = d.trunk && !(MOBILE_BARE.has(d.cc) && d.area === false && tracking.area !== false) ? "" : tracking.trunk;
      // With a trunk prefix: the tracking number's national form's; where neither number's national form
      // writes it but the original did (Brazil's `(011)`), its country's.
      const dialled = () => tracking.trunk || (d.trunk ? "" : dial(tracking));
      // One pair serves every form unless a national one writes otherwise than an international one:
      // another trunk prefix, or one written apart from the first group by one number and not the other.
      if (mode === 2 || !(d.inland || tracking.inland || bare || (trunk && dialled() !== trunk) || apart(d) !== apart(tracking))) {
        // Written digit for digit (0) unless the page groups the destination's first digits otherwise (firstRuns).
        const runs = mode === 0 ? firstRuns(d, tracking) : [];
        if (runs.length) into.push([{ ...found, form: "regrouped", firstRun: runs }, [d, fit, 1, swap]]);
        into.push([found, [d, fit, mode, swap]]);
        // Another country's number after a capital label glued to the area code's parenthesis
        // (`TEL(800) 555-0199` with a London number): its national form with a space before it, not
        // glued to the label (`TEL 020 7946 0111`). After the plain pair (`dni.number()` answers the
        // first pair's number); not where an earlier pool has the destination (as areaForms).
        if (mode === 2 && d.area && !seen.has(d.e164)) into.push([{ ...found, glued: true }, [d, { ...fit, national: ` ${fit.national}` }, 2, swap]]);
      } else {
        const [nd, nt] = [inland(d), inland(tracking)];
        // The `+61 (0)2` style, where the tracking number is dialled without a trunk prefix: its
        // international form, `+61 1800 123 456` (the snippet would keep the original's `(0)`).
        if (trunk && !dialled())
          into.push([{ ...found, form: "zero" }, [d, { ...tracking, national: `+${tracking.cc} ${tracking.groups.join(" ")}` }, 2, swap]]);
        into.push([{ ...found, form: "international" }, [d, fit, mode, swap]]);
        // Written with its trunk prefix: the tracking number's national form's digit runs where it writes its
        // trunk prefix apart (`0 800 12 34 56`), else its groups after the prefix it is dialled with.
        const national = apart(tracking) ? tracking.national.match(/\d+/g)! : prefixed(nt, dialled()).groups;
        if (trunk) into.push([{ ...nd, trunk, form: "trunk" }, pairOf(prefixed(nd, trunk), tracking, fitted(d, national), swap)]);
        into.push([{ ...nd, form: "bare" }, pairOf(prefixed(nd, ""), tracking, fitted(d, prefixed(nt, bare).groups), swap)]);
      }
      if (native) into.push(native);
    }
    for (const d of pool.destinations) seen.add(d.e164);
  }
  // With a replaceAll pool, every other pool's number already written on the page (a renewal scans
  // again) is found as itself before every number is: written as it is, never overwritten with the
  // replaceAll pool's number. (That pool's own number is the snippet's own check.)
  if (every.length)
    for (const pool of pools)
      if (pool.number && !pool.destinations.some((d) => d.e164 === "*") && !seen.has(pool.number.e164)) own.push([pool.number, [pool.number, pool.number, 2]]);
  // Before every number: what only looks like digit groups of one (an IBAN, a parcel or card number
  // of more digits than any phone number has), found whole at its start and left as it is (a pair
  // without a number): found from inside, its last groups were a number (`DE89 3704 0044 0532 0130 00`).
  const skip: [Finding, Pair][] = every.length ? [[{ ...ANY_NUMBER, form: "skip" }, [ANY_NUMBER, null, 2]]] : [];
  const all = [...own, ...skip, ...every];
  const last = every[0];
  if (last) all.push(last);
  return { numbers: all.slice(0, last ? -1 : undefined).map(([f]) => f), pairs: all.map(([, p]) => p) };
};
