/**
 * The pattern that finds destination numbers on a page, in any of the forms people write them. Made
 * by the worker and sent with the allocation (AllocateResponse.pattern): the snippet only runs it,
 * and carries none of this code (its size).
 * (Over 300 lines: one regular expression, its parts each with the page text that made it so; the
 * reasons are most of the file.)
 */
// With its extension: the benches run this file on Node, which finds no extensionless module.

import { CLOSED_AREA } from "./page-styles.ts";
import { type Finding, FULL_WIDTH, NATIVE_DIGITS } from "./pairs.ts";

/** The phone keypad: each digit's letters (vanity numbers, capitals only). */
const KEYPAD = ",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",");

/**
 * Dashes as typesetting writes them between a number's groups: hyphen, non-breaking hyphen (Word's
 * Ctrl+Shift+-, which keeps a number on one line), figure dash, en and em dash, horizontal bar,
 * minus sign, and as Japanese pages write them: the full-width hyphen-minus and the long-vowel mark
 * (`03－1234－5678`, `03ー1234ー5678`). (Spaces of every width, no-break ones included, are \s.)
 */
export const DASHES = "\\u2010-\\u2015\\u2212\\uFF0D\\u30FC-";

/**
 * The dashes that, glued before a number, make it the end of a range (`2019–2026`), not a number:
 * not the long-vowel mark, which ends Japanese words written right before a number (`コールセンター0120…`).
 */
const RANGE_DASHES = "\\u2010-\\u2015\\u2212-";

/**
 * The guard's start of a text, or a border ("\\0") after anything that may not stand before a
 * number: where bare digits (a replaceAll pool's) may start, and the first of written numbers' guards.
 * A digit may, where the number begins with its parenthesis or + after the border (the previous
 * element's hours: `9–5</span><span>(800) 555-0199`). (Here, not as an alternative of its own: that
 * made the pattern 5 % slower over a page's text; here about 1 %.)
 */
const start = (wide: string) => `^|(?:[^\\d.,/+(#$\\0${wide}${RANGE_DASHES}]|\\d(?=\\0[+(\\uFF08\\uFF0B]))\\0`;

/**
 * A letter before a label's dot that may stand glued before a number (`Tel.030…`, `č.602…`,
 * `Тел.8-800…`, `Τηλ.210…`, `טל.03…`, `هاتف.011…`, `फोन.011…`, `โทร.02…`, `전화.02…`, `電話.03…`):
 * the letters of Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic (not its digits or full stop),
 * Devanagari, Thai, Georgian, kana, CJK ideographs and Hangul, as ranges without their scripts'
 * marks and punctuation. The pattern runs without the u flag, so no `\p{L}`; phoneLike's `\p{L}` (the
 * first view's test) takes any script's: a page of a script left out here would ask and lease, and
 * not be swapped. (A class of more ranges costs nothing measurable: tried only where a dot is; the
 * pattern over the bench page's text, in Latin, kana or Hebrew letters, ran as fast.)
 */
const LETTER =
  "[A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u0388-\\u03FF\\u0400-\\u0481\\u048A-\\u052F\\u0531-\\u0587\\u05D0-\\u05EA\\u0620-\\u064A\\u0671-\\u06D3\\u0904-\\u0939\\u0E01-\\u0E30\\u10D0-\\u10FF\\u3041-\\u3096\\u30A1-\\u30FA\\u4E00-\\u9FFF\\uAC00-\\uD7A3]";

/** Full-width parentheses (`03（1234）5678`). */
export const PARENS = "\\uFF08\\uFF09";

/**
 * Invisible characters pages put into numbers: a soft hyphen, zero-width space, (non-)joiner and word
 * joiner (a CMS's typography, or a page keeping phones from linking the number themselves), and the
 * direction marks (the Arabic letter mark too), embeddings and isolates of right-to-left pages.
 */
export const INVISIBLE = "\\u00AD\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060\\u2066-\\u2069";

/**
 * An opening parenthesis that is not the number's. The number's (`(020) 7946 0958`, `(+44) 20…`,
 * `(0)20`, `(0xx11)`, `(0049 6221) 1234567`, `(+44) (0)20…`) closes within twelve characters, with
 * none opened before, and a digit (or a keypad capital: `(800) FLOWERS`) follows, after any
 * separators (spaces, dots, slashes, dashes, invisible characters, node borders) or another opening
 * parenthesis. Another (`(020 7946 0958)`, `(02000)`) is the text's: after the character before the
 * number, it stays outside the number with it (so a number written in another form keeps it).
 * `digits`: the pattern's other digits.
 */
const unclosed = (digits: string) => `[(\\uFF08](?![^()\\uFF08\\uFF09]{1,12}[)\\uFF09][\\s./(\\uFF08\\0${INVISIBLE}${DASHES}]*[\\dA-Z${digits}])`;

/**
 * A tel: link's UTF-8 escapes as the snippet reads them (`unescape`, byte by byte: `decodeURIComponent`
 * costs dni.js bytes and throws on a stray %): a no-break space `%C2%A0` is `Â` and a no-break space,
 * a non-breaking hyphen, en dash or narrow no-break space `%E2%80%91`… is `â`, a C1 control and
 * another (`¯` for U+202F). Separators in a number, never its digits (no page writes `Â` or `â`
 * between a number's digits).
 */
export const UNESCAPED = "\\u0080-\\u009F\\u00AF\\u00C2\\u00E2";

/** Any run of spaces . / ( ), dashes, invisible characters and borders between text nodes ("\0", snippet/scan.ts). */
const SEP = `[\\s./()${PARENS}${INVISIBLE}${UNESCAPED}\\0${DASHES}]*`;

/** A run of one or more of SEP's separators: where a number must be set apart. */
const APART = `${SEP.slice(0, -1)}+`;

/** SEP without parentheses: a number written in groups without any (Finding.form "former"). */
const SEP_FLAT = `[\\s./${INVISIBLE}${UNESCAPED}\\0${DASHES}]*`;

/** A code point as a pattern escape: `\\uFF10`. */
export const u = (code: number) => `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Digits with separators between them; in a country's own digits (Finding.digits), each also as
 * those (`３` for 3); from the `lettersFrom`th digit on (a number's after its first group: a vanity
 * number spells its end, `1-800-FLOWERS`), each also as its keypad letters. (No group of the pattern
 * begins with a letter, so none is tried at a capital of a page's text.)
 */
const rx = (x: string, zeros?: readonly number[], lettersFrom = Infinity, sep = SEP) =>
  [...x].map((d, i) => `[${d}${zeros ? zeros.map((zero) => u(zero + Number(d))).join("") : i >= lettersFrom ? KEYPAD[Number(d)] : ""}]`).join(sep);

/** A full-width number may start with a full-width parenthesis or plus, consumed in its group as `(` and `+` are. */
const WIDE_OPEN = "\\uFF08\\uFF0B";

/**
 * A regular expression source (used with the "g" flag) with one group per number, in order: the
 * group that matched tells which. Each is found in any of the forms people write it: nsn;
 * trunk+nsn; cc+nsn after "+", "00", "011" or nothing; cc+trunk+nsn (the "+44 (0)20" style); after
 * an optional "+" or "(". Not when glued to a letter, digit or one of . , / and a dash (any of
 * RANGE_DASHES: the end of a range, `2019–2026`, `09.00–17.30`) before it — but after a word's
 * dot (LETTER: `Tel.030 …`), a capital before a parenthesis the number closes (`TEL(03)1234-5678`;
 * not any letter: a lookahead after every small letter of a page's text made the pattern a third slower),
 * or an en or em dash after anything but a digit (`Call now—800-555-0199`, `Call us —800…`) —, nor to a letter or digit (or . / a dash and a digit) after it, but an
 * extension's x (`x12`): never digits out of a longer run, a price, a date or a range.
 *
 * A number in a country's own digits (Finding.digits: full-width `０３－１２３４－５６７８`, Arabic-Indic
 * `٠٢ ٢٣٤٥٦٧٨٩`, Persian…) has a group of its own, each digit any of its forms (ASCII too: pages mix
 * them), with those digits in the guards; patterns without such a number are as they were.
 *
 * No two unbounded runs of separators meet (a country without a trunk prefix has no optional trunk
 * between them): a long run of spaces or node borders would make the engine try every split of it.
 *
 * The text searched may be several text nodes' texts joined by "\0" (snippet/scan.ts): a number may
 * run on over such a border, and start or end at one as at the start or end of the text (`<span>Call
 * us</span><a>(800) 555-0199</a>`), but not glued over it to a digit or one of . , / + ( # $ - before
 * it, nor to a digit (or . / - and a digit) after it: `9<b>800</b>5550199` is a longer run. (But digits
 * after it that a word follows are the next element's: `(415) 555-0132</span><span>9am–5pm`; and a
 * number beginning with its parenthesis or + is its own after a digit: `9–5</span><span>(415) …`.)
 *
 * The character before the number (and a border after it: tried first, so that the number does not
 * start with the border), if any, is consumed outside the groups, and kept; what follows is only
 * looked at. No numbers: a pattern that matches nothing.
 *
 * ANY_NUMBER (a replaceAll pool's): `every.written`, the worker's pattern of every number of the
 * pool's countries written with a prefix or in groups (worker/domain/any-number.ts). Its bare digits
 * (`every.bare`) count only as a whole text or a node's whole text: they have a branch of their own
 * after the others, with the guard's start or border only, and their own group, the last (the
 * answer's pairs repeat ANY_NUMBER's pair at the end for it: shared/pairs.ts). In a country's own
 * digits (a Finding with `digits`): `every.native`, written numbers only, its group after ANY_NUMBER's,
 * never the tracking number as the snippet writes it there (Finding.own). Without a lookbehind,
 * which Safari before 16.4 cannot compile.
 */
export const pattern = (numbers: Finding[], every: EveryNumber = { written: "(?!)", bare: "(?!)" }): string => {
  // After the guard, a lookahead for what every number starts with (+ ( a border, a digit: keypad
  // letters come only after a number's first group): it matches nothing more or less, but turns down most places in a text at once instead
  // of trying each number there (about twice as fast over text with prices and dates, measured).
  // Numbers in a country's own digits (Finding.digits): such a digit glued before or after is a
  // longer run, and one may start with it (or, in full width, with `（` or `＋`: a parenthesis left
  // outside its group would be left open when the number is written).
  const zeros = [...new Set(numbers.flatMap((p) => p.digits ?? []))];
  const digits = zeros.map((zero) => `${u(zero)}-${u(zero + 9)}`).join("");
  const wide = digits + (zeros.includes(FULL_WIDTH) ? WIDE_OPEN : "");
  // Where an area form has a variant after a capital label glued to its parenthesis (Finding.glued),
  // that variant's group begins with the label's capital (areaForm; no other group begins with a
  // letter), after the guard (`T(020)…` after a space), or after the capital before it as a guard of
  // its own (`TEL(020)…`: the E), tried before the capital itself as the guard, which the other
  // groups follow. (A match that may begin at the capital without a guard, a lookahead of its own
  // before the guard, made the pattern a third slower over the bench page's text; this, 4–7 %.)
  const glued = numbers.some((p) => p.glued);
  // An IBAN begins with its country's letters: where one is skipped (Finding form skip), those too.
  const skips = numbers.some((p) => p.form === "skip");
  const written =
    `(?:${start(wide)}|[^\\w.,/+(#$\\0${wide}${RANGE_DASHES}]|${LETTER}\\.|${glued ? `[A-Z](?=${CAPITAL})|` : ""}${CAPITAL}|\\D[\\u2013\\u2014])` +
    `(?:${unclosed(digits)})?(?=[+(\\0\\d${wide}]${glued ? `|${CAPITAL}` : ""}${skips ? "|[A-Z]{2}\\d\\d" : ""})(?![+\\0]*${unclosed(digits)})(?:${groupsOf(numbers, every).join("|") || "(?!)"})`;
  const bare = numbers.some((p) => p.e164 === "*") ? `(?:${written}|(?:${start(wide)})(${every.bare}))` : written;
  const digit = digits ? `[\\d${digits}]` : "\\d";
  // After a border, digits the next node begins with are a longer run (`<b>800</b>555-0199<i>0</i>`),
  // unless a word follows them, or they are a time or 24/7: opening hours or a duration in the next
  // element, as JSX writes siblings with no space between (`<span>(415) 555-0132</span><span>9am–5pm</span>`,
  // `9:00–17:00`, `24/7`, `24 часа`, `9時～`, `9시`); or three groups set apart by spaces: another number
  // (`<span>020 7946 0958</span><span>0800 123 4567</span>`; not `12 34`).
  return `${bare}(?!(?!x\\d)\\w|\\0?[./${DASHES}]${digit}|${digit}|\\0${digit}(?!${digit}*\\s?[A-Za-z\\u0400-\\u04FF\\u3040-\\u9FFF\\uAC00-\\uD7A3]|${digit}?[:.]${digit}${digit}|${digit}?\\/7(?!\\d)|${digit}+\\s${digit}+\\s${digit}))`;
};

/**
 * What a replaceAll pool leaves alone, found whole from its start (shared/pairs.ts findings: its pair
 * has no number): an IBAN (two letters, two check digits, up to 30 letters and digits, in groups of
 * four or not), or four or more groups of four digits and a short last one, as cards, parcel and
 * account numbers are written (no phone number is: and a date and a number beside it, or two numbers
 * side by side, are not one such run).
 */
const SKIP =
  "[A-Z]{2}\\d\\d(?:[ \\u00A0]?[A-Z\\d]{4}){2,7}(?:[ \\u00A0]?[A-Z\\d]{1,3})?(?![A-Z\\d])|\\d{4}(?:[ \\u00A0]\\d{4}){3,}(?:[ \\u00A0]\\d{1,3})?(?!\\d)";

/** A capital label glued to a parenthesis the number closes: `TEL(03)1234-5678`, `TEL（03）…`. */
const CAPITAL = "[A-Z](?=[(\\uFF08][^()\\uFF08\\uFF09]{1,8}[)\\uFF09])";

const AREA_FORMS: ReadonlySet<Finding["form"]> = new Set(["area", "area-bare", "country-area"]);

/**
 * The numbers' groups, one per number, in order: an area form's variants (consecutive numbers of one
 * destination and area form) in one alternation behind one lookahead for the form (areaForm).
 */
const groupsOf = (numbers: Finding[], every: EveryNumber): string[] => {
  const out: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    const p = numbers[i]!;
    let end = i + 1;
    if (AREA_FORMS.has(p.form)) while (numbers[end]?.form === p.form && numbers[end]!.e164 === p.e164 && numbers[end]!.trunk === p.trunk) end++;
    out.push(
      end > i + 1 || (p.glued && AREA_FORMS.has(p.form)) || p.tails
        ? areaForm(numbers.slice(i, end))
        : p.form === "skip"
          ? `(${SKIP})`
          : p.e164 === "*"
            ? `(${p.digits ? `${p.own ? `(?!${literally(p.own)})` : ""}(?:${every.native ?? "(?!)"})` : every.written})`
            : AREA_FORMS.has(p.form)
              ? `(${withArea(p)})`
              : p.form === "former"
                ? `([+\\0]*${rx(p.trunk, p.digits, Infinity, SEP_FLAT)}${SEP_FLAT}${rx(p.nsn, p.digits, p.groups[0]?.length || 1, SEP_FLAT)})`
                : // Glued (another country's number after a capital label, shared/pairs.ts): the label's capital first.
                  `${p.glued ? "[A-Z]" : ""}([+(\\0${NATIVE_DIGITS[p.cc]?.includes(FULL_WIDTH) ? WIDE_OPEN : ""}]*${prefixOf(p)}${p.form === "regrouped" ? regrouped(p) : rx(p.nsn, p.digits, p.groups[0]?.length || 1)})`,
    );
    i = end;
  }
  return out;
};

/** Borders, which a page's separator may have about it (`(020) <b>7946</b>-0958`). */
const AROUND = "\\0*";
/** A digit run, borders in it. */
const RUN = "\\d[\\d\\0]*";

/**
 * What follows an area code's closing parenthesis, as a variant of an area form asks it (Finding.tails):
 * a space, then one digit run, or runs with the same separator between every two, `least` of them at
 * least; up to the number's end (no more digits after a separator; but a slash or parenthesis
 * after it begins what follows: `(91) 234-56-78 / (91) 234-56-79`, `(91) 234-56-78 (9-14 h)`).
 */
const tailOf = (p: Finding): string =>
  `[^)\\uFF09]*[)\\uFF09]${AROUND} ${AROUND}${RUN}(?:${p.tails!.map((between) => (between ? `(?:${literally(between)}${AROUND}${RUN}){${p.least ?? 0},}` : "")).join("|")})(?![\\s.\\0${DASHES}]*\\d)`;

/**
 * An area form's variants (shared/pairs.ts areaForms), each a group: the form found once, in a
 * lookahead (withArea), then each variant's check, and the number taken again, its digits with
 * anything between them (withArea, loose: the lookahead has found what they are). A variant without
 * a tail first (its pair keeps the tracking number's own parts: `dni.number()` answers the first
 * pair's), where the page's separators are none of its later variants'; one glued to a capital
 * label begins with it (the match then begins at the capital: pattern), and the others cannot (the
 * form begins with `(`, `+` or a digit).
 */
const areaForm = (variants: Finding[]): string => {
  const p = variants[0]!;
  const check = (v: Finding) => {
    if (v.tails) return `(?=${tailOf(v)})`;
    const others = variants.filter((w) => w.tails && !w.glued === !v.glued).map(tailOf);
    return others.length ? `(?!${others.join("|")})` : "";
  };
  const loose = withArea(p, "\\D*");
  return `(?=${variants.some((v) => v.glued) ? "[A-Z]?" : ""}${withArea(p)})(?:${variants.map((v) => `${v.glued ? "[A-Z]" : ""}${check(v)}(${loose})`).join("|")})`;
};

/**
 * What may come before a number's nsn in the forms its group finds (Finding.form): a country code
 * after "+", "00", "011" or nothing, and then maybe its trunk prefix (the "+44 (0)20" style: "zero"
 * has it, always); its trunk prefix; nothing. Every form, or one.
 */
const prefixOf = (p: Finding): string => {
  const exit = p.digits ? `${rx("0", p.digits)}(?:${rx("0", p.digits)}|${rx("1", p.digits)}{2})` : "00|011";
  const country = `(?:(?:${exit})${SEP})?${rx(p.cc, p.digits)}`;
  const international = `${country}${p.trunk && `(?:${SEP}${rx(p.trunk, p.digits)})?`}${SEP}`;
  // Brazil's older pages write a carrier code's place after the trunk prefix: `(0xx11) 3333-4444`.
  // (Only in a group for every form: a pair for a national form with the trunk prefix writes the
  // tracking number's own prefix after the original's, and would take the xx for a separator.)
  const trunk = p.trunk && rx(p.trunk, p.digits) + (p.cc === "55" && !p.form ? "(?:xx|XX)?" : "") + SEP;
  if (p.form === "zero") return `${country}${SEP}${trunk}`;
  if (p.form === "international") return international;
  if (p.form === "trunk") return trunk;
  if (p.form === "bare") return "";
  return `(?:${international}|${trunk})?`;
};

/**
 * A number with its area code in parentheses, the trunk prefix inside them ("area": `(020) 7946
 * 0958`, `(011) 3333-4444`, `(06 1) 234 5678`) or not ("area-bare": `(20) 7946 0958`), or after a
 * country code with its + or exit code ("country-area": `+90 (212) 345 67 89`, `0044 (020)…`, the
 * trunk prefix inside or not), or with the country code inside them, its + or exit code written or
 * not (also "country-area", as Philippine and Peruvian pages write it: `(632) 8123-4567`, `(+63 2)
 * 8123 4567`, `(511) 412-3456`); not the `+44 (0)20` style, whose parentheses hold the trunk prefix
 * alone ("zero"), nor `(+44) 20…`, whose hold the country code alone. The area code is the first
 * group of its national form, or a digit fewer or more: pages write area codes libphonenumber groups
 * otherwise (Spain's `(91) 234 56 78` for `912 34 56 78`, Greece's `(210) 1234567` for `21 0123
 * 4567`, London's older `(0207) 946 0958`). With the trunk prefix inside them, the opening one may
 * be left out where pages write an area code so (CLOSED_AREA: Korea's `02)1234-5678`; not without the
 * trunk prefix: `2) …` is a list's item).
 */
const withArea = (p: Finding, sep = SEP): string => {
  const groups = p.form === "country-area" ? p.groups : (p.inland ?? p.groups);
  const digits = (x: string) => rx(x, undefined, Infinity, sep);
  // The trunk prefix may stand apart inside them (Hungary's `(06 1) 234 5678`, Lithuania's `(0-312) 34567`).
  // A border may stand inside them, the area code an element of its own: `(<span>020</span>) 7946 0958`.
  // The parenthesis closes after the area code's digits (a lookahead: the digits' own separators
  // take the `)`); a number written whole in parentheses, `(020 7946 0958)`, is not one of these.
  // (Each run of spaces bounded, each of borders after a parenthesis or digit: no two unbounded runs meet.)
  // Loose (another `sep`: areaForm, where a lookahead has found the form), without that lookahead.
  const trunk = p.form === "area" ? `${digits(p.trunk)}[\\s-]?` : p.form === "country-area" && p.trunk ? `(?:${digits(p.trunk)}[\\s-]?)?` : "";
  const open = "[(\\uFF08]\\0*\\s?";
  const first = groups[0]!.length;
  const area = `${trunk}${sep === SEP ? `(?=(?:\\d[\\s\\0]?){${Math.max(1, first - 1)},${first + 1}}\\0*[)\\uFF09])` : ""}${digits(groups.join(""))}`;
  // After a country code, only with its + or exit code: it is written with its +. Inside the
  // parentheses with or without them (they set it apart from what comes before): also with its +.
  return p.form === "country-area"
    ? `\\0*(?:(?:\\+|(?:00|011)${sep})${sep === SEP ? "\\0*" : ""}${digits(p.cc)}${sep}${open}|${open}(?:\\+|(?:00|011)\\s?)?${digits(p.cc)}[\\s-]?)${area}`
    : `\\0*${p.form === "area" && CLOSED_AREA.has(p.cc) ? `(?:${open})?` : open}${area}`;
};

/**
 * A number's nsn with its first digit run a digit shorter or longer than its national form's first
 * group (Finding.firstRun, "regrouped": Spain's `91 234 56 78` for `912 34 56 78`, South Africa's `0800
 * 123 456` for `080 012 3456`): set apart there, and not where the national form ends the group.
 * (The runs after it are found as in any form; the nsn runs on after both places.)
 */
const regrouped = (p: Finding): string => {
  const first = p.groups[0]!.length;
  const head = rx(p.nsn.slice(0, first - 1));
  const middle = `[${p.nsn[first - 1]}][${p.nsn[first]}]`;
  const runs = p.firstRun!.map((run) => (run < first ? `${APART}${middle}${SEP}` : `${head && SEP}${middle}${APART}`));
  return `${head}(?:${runs.join("|")})${rx(p.nsn.slice(first + 1))}`;
};

/**
 * A replaceAll pool's every-number pattern (worker/domain/any-number.ts): numbers written with a
 * prefix or in groups, and bare digits.
 */
export interface EveryNumber {
  written: string;
  bare: string;
  /** Written numbers of the countries whose pages write their own digits, in those or ASCII (Finding.digits). */
  native?: string;
}

/** Text as a pattern that matches it as it is. */
const literally = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
