/**
 * Numbers written in a country's own digits: full-width in Japanese and Chinese text, Arabic-Indic
 * in Egypt's, Persian in Iran's, Bengali in Bangladesh's. The worker's pattern and pairs
 * (shared/pairs.ts findings, NATIVE_DIGITS) run through the snippet's own find and write, and the
 * snippet's first-view test and walk take such digits as digits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { findings, inDigits, NATIVE_DIGITS } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import { ANY_NUMBER, type PoolAllocation } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find, phoneLike } from "../../snippet/match";
import { walk } from "../../snippet/scan";
import { anyNumber, inNativeDigits } from "../../worker/domain/any-number";
import { dialTrunk } from "../../worker/domain/trunk";
import { alloc, answer, flush, page, reset, run, stubFetch } from "./helpers";
import { pool, swapped } from "./swap";

const TOKYO = "+81312345678";
const FREEDIAL = "+81120123456";

describe("full-width digits (Japan, China)", () => {
  it("finds a Tokyo number written in full width, in every form, and writes the tracking number's national form in full width", () => {
    expect(
      swapped(pool([TOKYO], FREEDIAL), "電話：０３－１２３４－５６７８、（０３）１２３４－５６７８、＋８１－３－１２３４－５６７８、０３１２３４５６７８"),
    ).toBe("電話：０１２０－１２３－４５６、０１２０－１２３－４５６、０１２０－１２３－４５６、０１２０－１２３－４５６");
    // The long-vowel mark Japanese pages write as a dash, and a freedial destination.
    expect(swapped(pool([FREEDIAL], TOKYO), "コールセンター０１２０ー１２３ー４５６（受付時間９：００～１８：００）")).toBe(
      "コールセンター０３－１２３４－５６７８（受付時間９：００～１８：００）",
    );
  });

  it("keeps writing an ASCII number in its own style beside it, and mixed widths are found", () => {
    expect(swapped(pool([TOKYO], FREEDIAL), "(03) 1234-5678 / ０３－1234－5678")).toBe("(0120) 123-456 / ０１２０－１２３－４５６");
  });

  it("leaves alone a longer run of full-width digits, one glued to a full-width digit, and an order number ending in the digits", () => {
    const text = "注文番号１０３－１２３４－５６７８９、０３－１２３４－５６７８９、１０３１２３４５６７８、９０３－１２３４－５６７８";
    expect(swapped(pool([TOKYO], FREEDIAL), text)).toBe(text);
  });

  it("China: a Beijing number in full width, with a mobile (no trunk prefix) in its place", () => {
    expect(swapped(pool(["+861012345678"], "+8613123456789"), "电话：０１０－１２３４５６７８ 或 010 1234 5678")).toBe(
      "电话：１３１ ２３４５ ６７８９ 或 131 2345 6789",
    );
  });

  it("a pool with no number to give keeps the original, in any digits", () => {
    expect(swapped(pool([TOKYO], null), "０３－１２３４－５６７８")).toBe("０３－１２３４－５６７８");
  });
});

describe("Arabic-Indic, Persian and Bengali digits", () => {
  it("Egypt: a Cairo number in Arabic-Indic digits, with the direction marks of a right-to-left page", () => {
    expect(swapped(pool(["+20223456789"], "+201012345678"), "اتصل بنا: ٠٢ ٢٣٤٥٦٧٨٩ أو \u200e+٢٠ ٢ ٢٣٤٥ ٦٧٨٩\u200e")).toBe(
      "اتصل بنا: ٠١٠ ١٢٣٤٥٦٧٨ أو \u200e٠١٠ ١٢٣٤٥٦٧٨\u200e",
    );
  });

  it("Iran: Persian digits, with an Arabic-Indic ٤ typed among them, are one number; written in Persian digits", () => {
    expect(swapped(pool(["+982112345678"], "+989121234567"), "تلفن: ۰۲۱-۱۲۳۴۵۶۷۸ و ۰۲۱-۱۲۳٤۵۶۷۸")).toBe("تلفن: ۰۹۱۲ ۱۲۳ ۴۵۶۷ و ۰۹۱۲ ۱۲۳ ۴۵۶۷");
  });

  it("Bangladesh: Bengali digits", () => {
    expect(swapped(pool(["+8801712345678"], "+8801812345678"), "ফোন: ০১৭১২-৩৪৫৬৭৮")).toBe("ফোন: ০১৮১২-৩৪৫৬৭৮");
  });
});

describe("a replaceAll pool in a country whose pages write their own digits", () => {
  /** The page's text as the snippet writes it with a replaceAll pool's answer (its every-number pattern too). */
  const everySwapped = (pools: PoolAllocation[], text: string) => {
    const { numbers, pairs } = findings(pools, "direct", dialTrunk);
    const re = RegExp(pattern(numbers, anyNumber(pools.flatMap((p) => p.destinations))), "g");
    return find(text, re, pairs, (written, [d, n, mode]) => (n ? write(written, d, n, mode) : written));
  };
  const every = (destinations: string[], tracking: string | null) =>
    pool(destinations, tracking).map((p) => ({ ...p, destinations: [...p.destinations, ANY_NUMBER] }));

  it("Japan: every number in full width becomes the tracking number's national form in full width; ASCII ones stay ASCII", () => {
    const text = "大阪：０６－６１２３－４５６７、携帯：０９０－１２３４－５６７８、本社：（０３）１２３４－５６７８、FAX 03-9876-5432";
    expect(everySwapped(every([TOKYO], FREEDIAL), text)).toBe(
      "大阪：０１２０－１２３－４５６、携帯：０１２０－１２３－４５６、本社：０１２０－１２３－４５６、FAX 0120-123-456",
    );
  });

  it("the number it wrote is not found again (a renewal's scan writes nothing), and dates, prices and ids stay", () => {
    const pools = every([TOKYO], FREEDIAL);
    const once = everySwapped(pools, "電話 ０６－６１２３－４５６７");
    expect(once).toBe("電話 ０１２０－１２３－４５６");
    const { numbers } = findings(pools, "direct", dialTrunk);
    expect(RegExp(pattern(numbers, anyNumber(pools.flatMap((p) => p.destinations))), "g").test(once)).toBe(false);
    const plain = "２０２６年１２月４日、価格：１２，８００円、注文番号：１２３４５６７８９０１２";
    expect(everySwapped(pools, plain)).toBe(plain);
  });

  it("Egypt: Arabic-Indic digits", () => {
    expect(everySwapped(every(["+20227345678"], "+20237654321"), "اتصل بنا: ٠٢ ٢٥٧٦٥٤٣٢")).toBe(
      `اتصل بنا: ${inDigits(phoneParts("+20237654321").national, 0x660)}`,
    );
  });

  it("a pool with no number to give keeps every number, in any digits", () => {
    expect(everySwapped(every([TOKYO], null), "０６－６１２３－４５６７ / 06-6123-4567")).toBe("０６－６１２３－４５６７ / 06-6123-4567");
  });

  it("a country whose pages write ASCII digits has no every-number part in other digits", () => {
    const us = phoneParts("+12125550100");
    expect(anyNumber([us, ANY_NUMBER]).native).toBe("(?!)");
    expect(
      findings(
        pool(["+12125550100"], "+18005550123").map((p) => ({ ...p, destinations: [...p.destinations, ANY_NUMBER] })),
        "direct",
      ).numbers.some((n) => n.digits),
    ).toBe(false);
  });

  it("inNativeDigits: digits, digit classes and \\d take the other digits too; escapes and quantifiers stay", () => {
    expect(inNativeDigits("(?![12]\\d{3}[./\\u2010-]\\d)[2-9](?:\\d){5}0", [0xff10])).toBe(
      "(?![1\\uFF112\\uFF12][\\d\\uFF10-\\uFF19]{3}[./\\u2010-][\\d\\uFF10-\\uFF19])[2-9\\uFF12-\\uFF19](?:[\\d\\uFF10-\\uFF19]){5}[0\\uFF10]",
    );
  });
});

describe("countries whose pages write ASCII digits", () => {
  it("have the pattern they had: no other digits in it (a British number in full width is not looked for)", () => {
    const { numbers } = findings(pool(["+442079460958", "+12125550199"], "+441614960000"), "direct", dialTrunk);
    expect(numbers.every((n) => !n.digits)).toBe(true);
    expect(pattern(numbers)).not.toMatch(/\\u(FF1|066|06F|09E)/);
    expect(swapped(pool(["+442079460958"], "+441614960000"), "０２０ ７９４６ ０９５８")).toBe("０２０ ７９４６ ０９５８");
  });
});

describe("the snippet takes any script's digits as digits", () => {
  it("a first view's test: a number in full-width, Arabic-Indic or Persian digits is phone-like; ASCII dates and prices still are not", () => {
    expect(phoneLike("お電話：０３－１２３４－５６７８")).toBe(true);
    expect(phoneLike("اتصل بنا: ٠٢ ٢٣٤٥٦٧٨٩")).toBe(true);
    expect(phoneLike("تلفن: ۰۲۱-۱۲۳۴۵۶۷۸")).toBe(true);
    expect(phoneLike("価格：１２３円")).toBe(false);
    expect(phoneLike("2026-11-25 · $1,234,567")).toBe(false);
  });

  // Every script a destination may be written in (shared/pairs.ts NATIVE_DIGITS): the walk's quick
  // digit class and the first view's quick test must take its digits, or such a number is never seen.
  const zeros = [...new Set(Object.values(NATIVE_DIGITS).flat())];

  it("every script of NATIVE_DIGITS: a number in its digits is phone-like, and the walk hands its run on", () => {
    expect(zeros.length).toBe(8);
    for (const zero of zeros) {
      const text = `Tel ${inDigits("02 2345 6789", zero)}`;
      expect(phoneLike(text), text).toBe(true);
      document.body.innerHTML = `<p>${inDigits("0", zero)}</p>`;
      const runs: string[] = [];
      walk(
        document.body,
        (_, value) => void runs.push(value),
        () => {},
      );
      expect(runs, text).toEqual([inDigits("0", zero)]);
    }
  });

  it("text in those scripts' letters is not phone-like: the quick test lets it through, the exact one turns it down", () => {
    for (const text of [
      "नमस्ते, हमारी दुकान में आपका स्वागत है", // Hindi (Devanagari)
      "پیشنهاد ویژه برای شما، همین امروز تماس بگیرید", // Persian
      "আমাদের দোকানে আপনাকে স্বাগতম", // Bengali
      "ยินดีต้อนรับสู่ร้านของเรา", // Thai
      "ကျွန်ုပ်တို့၏ဆိုင်သို့ကြိုဆိုပါသည်", // Burmese
      "សូមស្វាគមន៍មកកាន់ហាងរបស់យើង", // Khmer
    ])
      expect(phoneLike(text), text).toBe(false);
  });

  it("the walk hands on no run of Latin, Greek, Cyrillic, Hebrew, CJK or punctuation without a digit", () => {
    document.body.innerHTML =
      "<p>We’re open — “call us” … €5</p><p>Καλώς ήρθατε</p><p>Добро пожаловать</p><p>ברוכים הבאים</p><p>ようこそ、お問い合わせは平日のみ</p><p>Total: 12</p>";
    const runs: string[] = [];
    walk(
      document.body,
      (_, value) => void runs.push(value),
      () => {},
    );
    expect(runs).toEqual(["We’re open — “call us” … €5", "Total: 12"]);
  });

  describe("on a page", () => {
    beforeEach(() => {
      vi.spyOn(console, "warn").mockImplementation(() => {});
    });
    afterEach(async () => {
      await flush();
      reset();
    });

    it("a first view showing only a full-width number, split over elements, asks and swaps it", async () => {
      const f = stubFetch(answer([alloc("jp", [phoneParts(TOKYO)], phoneParts(FREEDIAL))]));
      page("<p>お電話：<b>０３</b>－１２３４－５６７８</p><p>２０２６年</p>");
      run();
      await flush(5);
      expect(f).toHaveBeenCalledTimes(1);
      expect(document.body.textContent).toBe("お電話：０１２０－１２３－４５６２０２６年");
      expect(document.querySelector("b")!.textContent).toBe("０１２０－１２３－４５６");
    });

    it("a Hindi or Persian page without a number asks nothing", async () => {
      const f = stubFetch(answer([alloc("ir", [phoneParts("+982112345678")], phoneParts("+982187654321"))]));
      page("<p>नमस्ते, हमारी दुकान में आपका स्वागत है</p><p>پیشنهاد ویژه برای شما، همین امروز تماس بگیرید</p>");
      run();
      await flush(5);
      expect(f).not.toHaveBeenCalled();
    });

    it("a page without any ASCII or native digit that looks like a number asks nothing", async () => {
      const f = stubFetch(answer([alloc("jp", [phoneParts(TOKYO)], phoneParts(FREEDIAL))]));
      page("<p>営業時間：平日のみ</p><p>価格：１２３円</p>");
      run();
      await flush(5);
      expect(f).not.toHaveBeenCalled();
    });
  });
});
