/**
 * A tracking number whose trunk prefix is not its destination's: Australia's 1800 and 1300 numbers
 * and China's mobiles are dialled without the 0 a geographic number takes, and the other way round.
 * The worker's pattern and pairs (shared/pairs.ts findings, with the worker's trunk prefixes) run
 * through the snippet's own find and write.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Finding, findings } from "../../shared/pairs";
import { phoneParts } from "../../shared/phone";
import { dialTrunk } from "../../worker/domain/trunk";
import { alloc, answer, flush, page, reset, run, stubFetch } from "./helpers";
import { pool, swapped } from "./swap";

/** The forms a pattern finds its numbers in, in order (an area form's variants once). */
const forms = (numbers: Finding[]) => [...new Set(numbers.map((n) => n.form ?? "every"))];

const SYDNEY = "+61298765432";
const FREECALL = "+611800123456";
const LOCAL_RATE = "+611300123456";
const AU_MOBILE = "+61412345678";

describe("another trunk prefix", () => {
  it("writes a 1800 or 1300 number without the geographic number's 0, and keeps the form and separators", () => {
    const text = "Call (02) 9876 5432, 02-9876-5432, 02 9876 5432 or +61 2 9876 5432.";
    // A freecall number has no area code: the parentheses around Sydney's are not written around it.
    expect(swapped(pool([SYDNEY], FREECALL), text)).toBe("Call 1800 123 456, 1800-123-456, 1800 123 456 or +61 1800 123 456.");
    expect(swapped(pool([SYDNEY], LOCAL_RATE), "Call 02 9876 5432")).toBe("Call 1300 123 456");
  });

  it("after a country code with the trunk prefix (the `+61 (0)2` style), a 1800 number in its international form, without the (0)", () => {
    const text = "Tel. +61 (0)2 9876 5432, +61 (0) 2 9876 5432, 0061 (0)2 9876 5432, +61 02 9876 5432 or +61 2 9876 5432";
    expect(swapped(pool([SYDNEY], FREECALL), text)).toBe("Tel. +61 1800 123 456, +61 1800 123 456, +61 1800 123 456, +61 1800 123 456 or +61 1800 123 456");
    // China's 400 numbers and mobiles are dialled without the 0 of a Beijing number.
    expect(swapped(pool(["+861012345678"], "+8613123456789"), "电话 +86 (0)10 1234 5678")).toBe("电话 +86 131 2345 6789");
    // Where the tracking number takes the 0 too, the style is kept as it was (a mobile for a Sydney number).
    expect(swapped(pool([SYDNEY], AU_MOBILE), "+61 (0)2 9876 5432")).toBe("+61 (0)412 345 678");
  });

  it("writes a geographic number with its 0 in place of a 1800 number, not after a country code", () => {
    expect(swapped(pool([FREECALL], SYDNEY), "Freecall 1800 123 456, 1800-123-456 or +61 1800 123 456.")).toBe(
      "Freecall 02 9876 5432, 02-9876-5432 or +61 2 9876 5432.",
    );
  });

  it("keeps the 0 where both numbers take it (a mobile for a geographic number)", () => {
    expect(swapped(pool([SYDNEY], AU_MOBILE), "Call (02) 9876 5432 or 02 9876 5432")).toBe("Call 0412 345 678 or 0412 345 678");
    // One group for every form, after the three for the area code in parentheses (a mobile has none;
    // each with its variants: the page's separators after it, a capital label glued to it).
    expect(forms(findings(pool([SYDNEY], AU_MOBILE), "direct", dialTrunk).numbers)).toEqual(["area", "area-bare", "country-area", "every"]);
  });

  it("China: a mobile in place of a Beijing number and the other way round", () => {
    expect(swapped(pool(["+861012345678"], "+8613123456789"), "电话 010 1234 5678 / +86 10 1234 5678")).toBe("电话 131 2345 6789 / +86 131 2345 6789");
    expect(swapped(pool(["+8613123456789"], "+861012345678"), "手机 131 2345 6789 / +86 131 2345 6789")).toBe("手机 010 1234 5678 / +86 10 1234 5678");
  });

  it("the UAE's 800 numbers and Brazil's 0800 ones", () => {
    expect(swapped(pool(["+97122345678"], "+971800123456"), "Tel 02 234 5678 or +971 2 234 5678")).toBe("Tel 800 123456 or +971 800 123456");
    // Brazil's national form writes no 0 before an area code, but does before 0800; `(011)` is an older page's.
    // (In the page's separators after the area code, as it writes them: a dash.)
    expect(swapped(pool(["+551133334444"], "+558001234567"), "Ligue (11) 3333-4444 ou (011) 3333-4444.")).toBe("Ligue 0800 123-4567 ou 0800 123-4567.");
  });

  it("India: a mobile written without its 0, as Indian pages write mobiles, with a geographic number: that one with its 0 (without, it reads as another mobile)", () => {
    const text = "Call 98123 45678, +91 98123 45678, 098123 45678 or 9812345678";
    expect(swapped(pool(["+919812345678"], "+918047123456"), text)).toBe("Call 080 4712 3456, +91 80 4712 3456, 080 4712 3456 or 08047123456");
    // A mobile or toll-free tracking number as the original was written: without a 0.
    expect(swapped(pool(["+919812345678"], "+919876543210"), text)).toBe("Call 98765 43210, +91 98765 43210, 098765 43210 or 9876543210");
    expect(swapped(pool(["+919812345678"], "+9118001234567"), "Call 98123 45678")).toBe("Call 1800 123 4567");
    // Elsewhere a number written without its trunk prefix keeps that style: Hungary's `20/123-4567` with a Budapest number.
    expect(swapped(pool(["+36201234567"], "+3612345678"), "Mobil: 20/123-4567")).toBe("Mobil: 1/234-5678");
  });

  it("splits only the destinations it must: the others keep one group, and one pattern serves the pool", () => {
    const pools = [...pool(["+442079460958", SYDNEY], FREECALL)];
    const { numbers, pairs } = findings(pools, "direct", dialTrunk);
    // The GB destination is another country's (written as the number's national form): one group.
    expect(forms(numbers)).toEqual(["every", "area", "area-bare", "country-area", "zero", "international", "trunk", "bare"]);
    expect(pairs).toHaveLength(numbers.length);
    expect(swapped(pools, "UK 020 7946 0958, AU 02 9876 5432")).toBe("UK 1800 123 456, AU 1800 123 456");
  });

  it("a tracking number of one group in its national form in place of a national original: no parenthesis left open", () => {
    // Turkey's 444 numbers (one group as libphonenumber-js writes them) for an Istanbul number.
    const pools = pool(["+902123456789"], "+904441444");
    expect(swapped(pools, "Tel (0212) 345 67 89, 0212 345 67 89, +90 212 345 67 89")).toBe("Tel 4441444, 4441444, +90 4441444");
  });

  it("changes nothing where the trunk prefix is the same (a London number for a Manchester one)", () => {
    const pools = pool(["+441614960000"], "+442079460958");
    expect(findings(pools, "direct", dialTrunk).numbers).toHaveLength(1);
    expect(swapped(pools, "0161 496 0000, (0161) 496-0000, +44 161 496 0000, +44 (0)161 496 0000")).toBe(
      "020 7946 0958, (020) 7946-0958, +44 20 7946 0958, +44 (0)20 7946 0958",
    );
  });
});

describe("a trunk prefix abolished that pages still write", () => {
  it("Mexico's 01 (gone since 2019): found, and the tracking number written without it, in the page's separators", () => {
    const text = "Llame al 01 800 123 4567, 01-800-123-4567, 01.800.123.4567, 01800 123 4567, 018001234567, 01 (800) 123 4567 o 800 123 4567.";
    // In its own groups, as any number of another grouping: set apart as the page sets its groups
    // apart (none: none), the prefix written over; after a parenthesis around the area code, whose
    // prefix is gone, its national form.
    expect(swapped(pool(["+528001234567"], "+525512345678"), text)).toBe(
      "Llame al 55 1234 5678, 55-1234-5678, 55.1234.5678, 55 1234 5678, 5512345678, 55 1234 5678 o 55 1234 5678.",
    );
    expect(swapped(pool(["+525512345678"], "+525598765432"), "Tel. 01-55-1234-5678, 01 55 1234-5678, (01-55-1234-5678), 01\u00a055\u00a01234\u00a05678")).toBe(
      "Tel. 55-9876-5432, 55 9876-5432, (55-9876-5432), 55\u00a09876\u00a05432",
    );
    expect(swapped(pool(["+525512345678"], "+528001234567"), "Tel. 01-55-1234-5678")).toBe("Tel. 800-123-4567");
    expect(swapped(pool(["+525512345678"], "+523312345678"), "Tel. 01 55 1234 5678, 01 (55) 1234 5678, (01 55) 1234-5678, +52 55 1234 5678")).toBe(
      "Tel. 33 1234 5678, 33 1234 5678, 33 1234 5678, +52 33 1234 5678",
    );
    // Not after a dash or a digit: the end of a date or of another number.
    expect(swapped(pool(["+525512345678"], "+523312345678"), "Folio 2024-01 55 1234 5678")).toBe("Folio 2024-01 33 1234 5678");
  });
});

describe("dni.number() of a destination found in a form of its own", () => {
  beforeEach(() => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(async () => {
    await flush();
    reset();
  });

  it("is the tracking number's own parts, however the destination is written", async () => {
    stubFetch(answer([alloc("au", [phoneParts(FREECALL)], phoneParts(SYDNEY))]));
    page("<p>Freecall 1800 123 456</p>");
    const dni = run();
    // The parts snippet/README.md documents, { e164, cc, nsn, trunk, national } (a pair's groups are how it writes them).
    const { groups: _, ...own } = phoneParts(SYDNEY);
    expect(await dni.number("1800 123 456")).toMatchObject(own);
    expect(await dni.number("+61 1800 123 456")).toEqual(phoneParts(SYDNEY));
    expect(await dni.number()).toEqual(phoneParts(SYDNEY));
    expect(document.body.textContent).toBe("Freecall 02 9876 5432");
  });
});
