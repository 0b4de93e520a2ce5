import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quietPage } from "../../bench/page";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import { find, type Pair, phoneLike } from "../../snippet/match";
import { FLOWERS, UK, UK_T, US, US_T } from "./helpers";

const PAIRS: Pair[] = [
  [US, US_T, 0],
  [UK, UK_T, 0],
  [FLOWERS, US_T, 0],
];
/** The numbers find() finds in s: [start, end, pair] each, in order (s is returned unchanged). */
const hits = (s: string, pairs = PAIRS) => {
  const ps: Pair[] = [];
  // Each number found is marked «…» in the result, which tells where it is.
  const marked = find(s, RegExp(pattern(pairs.map((p) => p[0])), "g"), pairs, (x, p) => {
    ps.push(p);
    return `\u00ab${x}\u00bb`;
  });
  expect(marked.replace(/[\u00ab\u00bb]/g, "")).toBe(s);
  return [...marked.matchAll(/\u00ab([^\u00bb]*)\u00bb/g)].map((m, i): [number, number, Pair] => [m.index - 2 * i, m.index - 2 * i + m[1]!.length, ps[i]!]);
};
/** The matched substrings. */
const found = (s: string) => hits(s).map(([a, b]) => s.slice(a, b));

describe("find", () => {
  it.each([
    "(800) 555-0199",
    "800.555.0199",
    "800-555-0199",
    "800 555 0199",
    "8005550199",
    "1-800-555-0199",
    "1 (800) 555-0199",
    "+1 800 555 0199",
    "+1 (800) 555-0199",
    "+1-800-555-0199",
    "+18005550199",
    "001 800 555 0199",
    "011 1 800 555 0199",
    "800/555-0199",
  ])("finds the NANP destination written %s", (s) => {
    expect(found(s)).toEqual([s]);
    expect(hits(s)[0]![2][0]).toBe(US);
  });

  it.each(["+44 20 7946 0958", "020 7946 0958", "+44 (0)20 7946 0958", "+44 (0) 20 7946 0958", "0044 20 7946 0958", "+442079460958", "44 20 7946 0958"])(
    "finds the GB destination written %s",
    (s) => {
      expect(found(s)).toEqual([s]);
      expect(hits(s)[0]![2][0]).toBe(UK);
    },
  );

  it.each([
    ["an en dash", "800\u2013555\u20130199"],
    ["a non-breaking hyphen", "800\u2011555\u20110199"],
    ["a minus sign", "800\u2212555\u22120199"],
    ["no-break spaces and a non-breaking hyphen", "(800)\u00a0555\u20110199"],
    ["narrow no-break spaces", "+44\u202f20\u202f7946\u202f0958"],
    ["no-break spaces", "020\u00a07946\u00a00958"],
    ["en dashes in a vanity number", "1\u2013800\u2013FLOWERS"],
  ])("finds a destination typeset with %s", (_, s) => {
    expect(found(`Call ${s} today`)).toEqual([s]);
  });

  it("finds a vanity number by its keypad digits", () => {
    expect(found("Call 1-800-FLOWERS now")).toEqual(["1-800-FLOWERS"]);
    expect(hits("1-800-FLOWERS")[0]![2][0]).toBe(FLOWERS);
    expect(found("800-FLOWERS")).toEqual(["800-FLOWERS"]);
  });

  it("finds numbers inside text, with the offsets of the number only", () => {
    const s = "Call us at (800) 555-0199 today, or +44 20 7946 0958.";
    expect(hits(s).map(([a, b]) => [a, b])).toEqual([
      [11, 25],
      [36, 52],
    ]);
    expect(found("Sales: 800-555-0199, support: 800.555.0199; fax (800) 555 0199!")).toEqual(["800-555-0199", "800.555.0199", "(800) 555 0199"]);
    expect(found("(800) 555-0199 24/7")).toEqual(["(800) 555-0199"]);
    expect(found("phone:800-555-0199")).toEqual(["800-555-0199"]);
    // After a label's dot with no space (Japanese and German pages: "TEL.03-…", "Tel.030 …"), and
    // with an extension glued on.
    expect(found("Tel.800-555-0199, TEL.(800) 555-0199, T.020 7946 0958")).toEqual(["800-555-0199", "(800) 555-0199", "020 7946 0958"]);
    expect(found("800-555-0199x12, +44 20 7946 0958x3")).toEqual(["800-555-0199", "+44 20 7946 0958"]);
    expect(found("Call now\u2014800-555-0199, Phone\u2013(800) 555-0199, call us \u2014800.555.0199")).toEqual([
      "800-555-0199",
      "(800) 555-0199",
      "800.555.0199",
    ]);
    // With invisible characters in it: zero-width spaces, a soft hyphen, word joiners.
    for (const s of [
      "800\u200b555\u200b0199",
      "(800)\u00ad555-0199",
      "800\u2060555\u20600199",
      "+44\u200c20\u200d7946 0958",
      "(800)\u200e 555\u200e-0199",
      "800\u061c555\u061c0199",
    ])
      expect(found(`Call ${s}.`)).toEqual([s]);
  });

  it.each([
    "$1,800.55",
    "2024-08-05",
    "Order #98005550199",
    "Order #18005550199",
    "Ticket #8005550199",
    "$8005550199",
    "180055501990",
    "98005550199",
    "8005550199123",
    "800-555-01990",
    "800-555-0199-5",
    "800.555.0199.5",
    "A1-800-555-0199",
    "ID8005550199",
    "8005550199abc",
    "800-555-0100",
    "(800) 555-0198",
    "+1 800 555 0190",
    "$1,800.555.0199",
    "v2.800.555.0199",
    "+44 20 7946 0959",
    "020 7946 09588",
    "1-800-FLOWER",
    "1-800-FLOWERSS",
    "1-800-flowers",
    "800\u2013555\u20130199\u20135",
    "800\u2011555\u2011019",
  ])("never matches %s", (s) => {
    expect(found(s)).toEqual([]);
  });

  it("runs in linear time over long runs of separators (a pattern with two unbounded runs in a row took seconds)", () => {
    // 40,000 characters after a country code: tried at every split of the run, as a pattern with
    // adjacent runs would, this would not end within the test's time; run once over them, it ends at
    // once. (The worker's parts: a NANP number's national form has no trunk prefix.)
    const us = phoneParts("+18005550199");
    expect(us.trunk).toBe("");
    const re = RegExp(pattern([us]), "g");
    for (const run of [" ", "\0", " (", "-"]) {
      const text = `+1${run.repeat(40_000)}x (800) 555-0199`;
      expect([...text.matchAll(re)].map((m) => m[1])).toEqual(["(800) 555-0199"]);
    }
  });

  it("matches nothing without destinations", () => {
    expect(hits("(800) 555-0199", [])).toEqual([]);
  });

  // Any text whose digits (letters read on the keypad) never spell a destination's nsn is left alone.
  it("never matches random text without a destination's digits (property)", () => {
    const keypad = (s: string) =>
      s.replace(/[A-Z]/g, (c) => String(",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",").findIndex((k) => k.includes(c)))).replace(/\D/g, "");
    const unit = fc.constantFrom(..."0123456789 .-()/+,$#:xX\nAFLOWERSab".split(""));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        fc.pre(![US, UK, FLOWERS].some((p) => keypad(s).includes(p.nsn)));
        expect(hits(s)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("always finds a destination written with random separators (property)", () => {
    const sep = fc.string({ unit: fc.constantFrom(" ", ".", "-", "(", ")", "/", "\u00a0", "\u202f", "\u2011", "\u2013", "\u2212"), maxLength: 2 });
    fc.assert(
      fc.property(fc.array(sep, { minLength: 10, maxLength: 10 }), (seps) => {
        const s = [..."8005550199"].map((d, i) => (i ? seps[i]! : "") + d).join("");
        expect(found(`Tel ${s} !`)).toEqual([s]);
      }),
    );
  });
});

describe("find, over text node borders (\\0: scan.ts joins a run's texts with it)", () => {
  it.each([
    ["(800)\x00 555-0199", "(800)\x00 555-0199"],
    ["Call \x00800\x00.\x00555\x00.0199 now", "800\x00.\x00555\x00.0199"],
    ["Tel:\x00800 555 0199", "800 555 0199"], // a border before it counts as the start of the text
    ["Call us\x00(800) 555-0199\x00Mon-Fri", "(800) 555-0199"], // ... after it, as the end
    ["+\x001 800 555 0199", "+\x001 800 555 0199"],
    ["(\x00800) 555-0199", "(\x00800) 555-0199"],
    ["1-800-\x00FLOWERS", "1-800-\x00FLOWERS"],
    ["+44 (0)\x0020 7946 0958", "+44 (0)\x0020 7946 0958"],
    // The next element's opening hours or duration, glued as JSX writes siblings: digits a word follows.
    ["(800) 555-0199\x009am–5pm", "(800) 555-0199"],
    ["800-555-0199\x0024 hours", "800-555-0199"],
    ["800.555.0199\x009時～18時", "800.555.0199"],
    ["800-555-0199\x009:00–17:00", "800-555-0199"],
    ["800-555-0199\x0024/7", "800-555-0199"],
    ["800-555-0199\x0024 часа", "800-555-0199"],
    ["800-555-0199\x009시-18시", "800-555-0199"],
    // ... or another number, written in groups.
    ["(800) 555-0199\x000800 123 4567", "(800) 555-0199"],
    ["800.555.0199\x00212 736 5000 (fax)", "800.555.0199"],
    // ... and a previous element ending in a digit, where the number begins with ( or + (hours before it).
    ["Mon–Fri 9–5\x00(800) 555-0199", "(800) 555-0199"],
    ["Sat 10–2\x00+1 800 555 0199", "+1 800 555 0199"],
    ["1\x00(800) 555-0199", "1\x00(800) 555-0199"],
  ])("finds the destination in %j", (s, x) => {
    expect(found(s)).toEqual([x]);
  });

  it.each([
    "9\x00800-555-0199",
    "800\x00555019\x009\x000",
    "8005550199\x001",
    "800-555-0199\x00.5",
    "8005550199\x00-5",
    "ID\x008005550199x",
    "$1,\x00800.555.0199",
    "9(\x00800) 555-0199",
    "v2.\x00800.555.0199",
    "800-555-0199\x009",
    "800-555-0199\x0024/75",
    "800-555-0199\x009:0",
    "800-555-0199\x0012 34",
    "8005550199\x00.5am",
    "800-555-0199am",
    "800-555-01999am",
  ])("never finds a destination in a longer run over borders: %j", (s) => {
    expect(found(s)).toEqual([]);
  });

  it("finds a destination split anywhere by borders, never one glued to a digit over a border (property)", () => {
    const cuts = fc.array(fc.boolean(), { minLength: 13, maxLength: 13 });
    const forms = fc.constantFrom("(800) 555-0199", "800-555-0199");
    fc.assert(
      fc.property(cuts, forms, fc.constantFrom("", "9", "1", "x", " ", "9(", ":"), fc.constantFrom("", "0", ".5", "x", " "), (cut, form, before, after) => {
        const n = [...form].map((c, i) => (i && cut[i - 1] ? "\x00" : "") + c).join("");
        // Borders as scan.ts makes them: between non-empty texts only.
        const s = (before && `${before}\x00`) + n + (after && `\x00${after}`);
        // A digit before the border makes a longer run ("1": the trunk prefix, part of the number),
        // unless the number begins with its parenthesis there (the previous element's hours end in a
        // digit: `9–5</span><span>(800) 555-0199`); so does a digit after it, or . and a digit.
        const glued = before === "9(" || (before === "9" && !form.startsWith("("));
        const want = glued || /\d/.test(after) ? [] : [`${before === "1" ? "1" : ""}8005550199`];
        expect(found(s).map((x) => x.replace(/\D/g, ""))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});

describe("phoneLike", () => {
  it("sees runs of phone length", () => {
    expect(phoneLike("call (555) 123-4567")).toBe(true);
    expect(phoneLike("1234567")).toBe(true);
    expect(phoneLike("+44 20 7946 0958")).toBe(true);
  });
  it("ignores short digit runs", () => {
    expect(phoneLike("Open 9-5, $1,299 or 3 for $20")).toBe(false);
    expect(phoneLike("")).toBe(false);
  });

  // Every form snippet/README.md lists (vanity aside: four digits are not phone-like).
  const FORMS = [
    "(800) 555-0199",
    "800.555.0199",
    "1-800-555-0199",
    "+1 800 555 0199",
    "001 800 555 0199",
    "011 1 800 555 0199",
    "+44 20 7946 0958",
    "020 7946 0958",
    "+44 (0)20 7946 0958",
    "800/555-0199",
    "(800)555-0199",
    "8005550199",
    "555-0199",
    "01 23 45 67 89",
    "01.23.45.67.89",
    // International with a dash or dot after the country code, and after a label's dot.
    "+1-212-736-5000",
    "+49-30-12345678",
    "+1.212.736.5000",
    "TEL.03-1234-5678",
    "Tel.030 12345678",
    // A slash or dash with a space each side (German and Austrian pages: `07071 / 556677`; a hotline's `0800 - 123 456`).
    "07071 / 556677",
    "0800 - 123 456",
    "+49 (0) 7071 / 55 66 77",
    "Tel. (07071) / 556677",
    // A label's dot in another script than Latin.
    "Тел.8-800-555-35-35",
    "Τηλ.210-1234567",
  ];
  it.each(FORMS)("sees %s, alone, in text, and split over text nodes", (s) => {
    expect(phoneLike(s)).toBe(true);
    expect(phoneLike(`Call ${s}, Mon-Fri 9-5.`)).toBe(true);
    expect(phoneLike(s.replace(/(\W+)/g, "\x00$1\x00"))).toBe(true);
  });

  it.each(["1,234,567", "$12,345,678.90", "Total: 1,234,567 views", "1,234 567", "12,345 or 67,890", "999,999,999,999", "CHF 1'250'000.–", "Fr. 12'345'678"])(
    "ignores the amount in %s",
    (s) => {
      expect(phoneLike(s)).toBe(false);
    },
  );

  // What real pages show beside (or instead of) a phone number: a footer's years, opening hours.
  it.each([
    "© 2019-2026 Acme Ltd. All rights reserved.",
    "Copyright 1999 – 2026",
    "© 2020–2026",
    "Seasons 2024/2025",
    "Open Mon-Fri 9:00-17:30, Sat 10:00 - 14:00",
    "Öffnungszeiten 09:00–18:00 Uhr",
    "Posted 2026-11-25 10:30:15",
    // Dates as Chinese, Japanese and Korean pages write them: 年月日, 년월일 (with spaces), and dots with spaces.
    "更新日：2026年12月4日（金）10:00",
    "发布于 2026年1月15日",
    "2026년 12월 4일 오후 3시",
    "등록일 2026. 12. 4.",
  ])("ignores the years and times in %s, and sees a number beside them", (s) => {
    expect(phoneLike(s)).toBe(false);
    expect(phoneLike(`${s} Call (800) 555-0199.`)).toBe(true);
    // In a text node of its own (the border is no separator: a space before the number, as a page has).
    expect(phoneLike(`${s}\x00 020 7946 0958`)).toBe(true);
    expect(phoneLike(`${s}\x00 Tel. 555 0199`)).toBe(true);
  });

  // Not dates: a year-like first group then a group of three or more, or a space before the second group.
  it.each(["1900 54 54 40", "1900.545.440", "2012 345 678", "お問い合わせ 2026年12月4日 03-1234-5678", "전화 02-312-3456 (2026년 12월 4일)"])(
    "sees the number in %s",
    (s) => {
      expect(phoneLike(s)).toBe(true);
    },
  );

  // bench/page.ts mirrors phoneLike's exact expression to blank a page's numbers (the snippet keeps its
  // literal inline: a shared const costs bytes): the mirror must blank what phoneLike sees, nothing else.
  it.each([
    ...FORMS,
    "1,234,567",
    "CHF 1'250'000.–",
    "Posted 2026-11-25 10:30:15",
    "更新日：2026年12月4日（金）10:00",
    "2026년 12월 4일 오후 3시",
    "© 2019-2026 Acme Ltd.",
    "#8005550199",
    "お電話：０３－１２３４－５６７８",
    "1900 54 54 40",
  ])("the bench's nothing-phone-like page blanks %s exactly when phoneLike sees it", (s) => {
    expect(quietPage(s) !== s).toBe(phoneLike(s));
  });

  it("ignores comma-grouped amounts, and sees phone numbers next to them (property)", () => {
    const amount = fc
      .tuple(fc.integer({ min: 1, max: 999 }), fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 5 }))
      .map(([h, t]) => [h, ...t.map((g) => String(g).padStart(3, "0"))].join(","));
    const phone = fc.tuple(fc.constantFrom(...FORMS), fc.stringMatching(/^\d{10}$/)).map(([f, d]) => {
      let i = 0;
      return f.replace(/\d/g, () => d[i++ % 10]!);
    });
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 4 }), fc.constantFrom(" ", ", ", " or $", "; "), (as, sep) => {
        expect(phoneLike(`$${as.join(sep)}`)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(amount, phone, (a, p) => {
        expect(phoneLike(`From $${a}. Call ${p}`)).toBe(true);
        expect(phoneLike(`Call ${p}, from $${a}`)).toBe(true);
        expect(phoneLike(`© 2019-2026. Call ${p}, 9:00-17:30`)).toBe(true);
      }),
    );
  });
});
