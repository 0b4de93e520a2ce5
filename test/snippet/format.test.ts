import { describe, expect, it } from "vitest";
import { writeMode } from "../../shared/pairs";
import { phoneParts } from "../../shared/phone";
import type { PhoneParts } from "../../shared/protocol";
import { write as writeAs } from "../../snippet/format";
import { FLOWERS, UK, UK_9, UK_T, US, US_T } from "./helpers";

/** Writes as the worker says (its pairs carry the mode). */
const write = (original: string, destination: PhoneParts, tracking: PhoneParts) => writeAs(original, destination, tracking, writeMode(destination, tracking));

/** The parts the worker sends (libphonenumber's national form for the number's region and type). */
const p = phoneParts;

describe("write: same grouping keeps the original digit for digit", () => {
  it.each([
    ["(800) 555-0199", "(800) 555-0123"],
    ["800.555.0199", "800.555.0123"],
    ["800-555-0199", "800-555-0123"],
    ["8005550199", "8005550123"],
    ["1-800-555-0199", "1-800-555-0123"],
    ["+1 800 555 0199", "+1 800 555 0123"],
    ["+1 (800) 555-0199", "+1 (800) 555-0123"],
    ["011 1 800 555 0199", "011 1 800 555 0123"],
  ])("keeps the shape of %s", (s, out) => {
    expect(write(s, US, US_T)).toBe(out);
  });

  it.each([
    ["+44 20 7946 0958", "+44 20 7946 0111"],
    ["020 7946 0958", "020 7946 0111"],
    ["+44 (0)20 7946 0958", "+44 (0)20 7946 0111"],
    ["0044 20 7946 0958", "0044 20 7946 0111"],
    // The site's own (unusual) grouping stays when the tracking number is of the same shape.
    ["0207 946 0958", "0207 946 0111"],
  ])("keeps the shape of %s", (s, out) => {
    expect(write(s, UK, UK_T)).toBe(out);
  });

  it("keeps node borders in place", () => {
    expect(write("(800)\0 555-0199", US, US_T)).toBe("(800)\0 555-0123");
  });
});

describe("write: another grouping is written in the tracking number's own groups, in the original's style", () => {
  const london = p("+442079460958");
  it.each([
    // Geographic, another area code length (Manchester 0161, Brampton 016977).
    ["020 7946 0958", "+441614960000", "0161 496 0000"],
    ["+44 20 7946 0958", "+441614960000", "+44 161 496 0000"],
    ["+44 (0)20 7946 0958", "+441614960000", "+44 (0)161 496 0000"],
    ["0044 20 7946 0958", "+441614960000", "0044 161 496 0000"],
    ["(020) 7946-0958", "+441614960000", "(0161) 496-0000"],
    ["020.7946.0958", "+441614960000", "0161.496.0000"],
    ["020/7946 0958", "+441614960000", "0161/496 0000"],
    ["02079460958", "+441614960000", "01614960000"],
    ["020 7946 0958", "+441697723456", "016977 23456"],
    // Mobile, toll-free, national (non-geographic) tracking numbers.
    ["020 7946 0958", "+447700900123", "07700 900123"],
    ["+44 20 7946 0958", "+447700900123", "+44 7700 900123"],
    ["020 7946 0958", "+448081570000", "0808 157 0000"],
    ["020-7946-0958", "+443031234567", "0303-123-4567"],
  ])("%s with %s gives %s", (s, t, out) => {
    expect(write(s, london, p(t))).toBe(out);
  });

  it.each([
    // Germany: Berlin (030, 6-digit subscriber) vs Munich (089, 8) and a mobile.
    ["030 123456", "+4930123456", "+498912345678", "089 12345678"],
    ["+49 30 123456", "+4930123456", "+4915123456789", "+49 1512 3456789"],
    ["030/123456", "+4930123456", "+4915123456789", "01512/3456789"],
    // France: 01 42 68 53 00 and a mobile keep five pairs.
    ["01 42 68 53 00", "+33142685300", "+33612345678", "06 12 34 56 78"],
    // Australia: (02) 9123 4567 with a mobile.
    ["(02) 9123 4567", "+61291234567", "+61412345678", "(0412) 345 678"],
    ["+61 2 9123 4567", "+61291234567", "+61412345678", "+61 412 345 678"],
    // The Netherlands: Amsterdam 020 with a mobile (06 + 8).
    ["020 123 4567", "+31201234567", "+31612345678", "06 12345678"],
    // Italy (no trunk prefix: the 0 is part of the number): fixed line with a mobile.
    ["06 1234 5678", "+390612345678", "+393123456789", "312 345 6789"],
    ["+39 06 1234 5678", "+390612345678", "+393123456789", "+39 312 345 6789"],
  ])("%s (%s) with %s gives %s", (s, d, t, out) => {
    expect(write(s, p(d), p(t))).toBe(out);
  });

  it("moves node borders to the end (the first node gets the number)", () => {
    expect(write("020\0 7946 0958", london, p("+441614960000"))).toBe("0161 496 0000\0");
  });

  it("reads a line break of the page's source inside the number as a separator (it threw)", () => {
    expect(write("020\n7946 0958", london, p("+441614960000"))).toBe("0161\n496 0000");
    expect(write("(020)\n  7946-0958", london, p("+447700900123"))).toBe("(07700)\n  900123");
    expect(write("020\n7946 0958", UK, UK_T)).toBe("020\n7946 0111");
  });

  it("closes a parenthesis once: a group more than the original has takes its last separator without one", () => {
    // Indonesia: Jakarta (021) 8350123 with a mobile 0812-345-678; Ireland (022) 12345 with a mobile.
    expect(write("(021) 8350123", p("+62218350123"), p("+62812345678"))).toBe("(0812) 345 678");
    expect(write("(022) 12345", p("+3532212345"), p("+353850123456"))).toBe("(085) 012 3456");
    expect(write("(022)-12345", p("+3532212345"), p("+353850123456"))).toBe("(085)-012-3456");
  });

  it("keeps the separators that tell groups apart when the tracking number has a group more or less (aligned from the last)", () => {
    // Argentina: a mobile (`+54 9 11 2345-6789`) for a Buenos Aires number, written with its leading 9 as a group
    // of its own: the original's dash stays before the last group, not after the 9.
    const buenosAires = p("+541142345678");
    const mobile = p("+5491123456789");
    expect(write("+54 11 4234-5678", buenosAires, mobile)).toBe("+54 9 11 2345-6789");
    // A group less: the first separator and the last ones, right to left.
    expect(write("+54 9 11 2345-6789", mobile, buenosAires)).toBe("+54 11 4234-5678");
  });

  it("keeps a closing parenthesis in its own place (Japan's `03(1234)5678` style)", () => {
    expect(write("03(1234)5678", p("+81312345678"), p("+819012345678"))).toBe("090(1234)5678");
    expect(write("03(1234)5678", p("+81312345678"), p("+81120123456"))).toBe("0120(123)456");
  });

  it("writes the original's prefix when the nsn length differs", () => {
    expect(write("020 7946 0958", UK, UK_9)).toBe("016977 2345");
    expect(write("+44 (0)20 7946 0958", UK, UK_9)).toBe("+44 (0)16977 2345");
  });
});

describe("write: the national form", () => {
  it("for another country's number", () => {
    expect(write("(800) 555-0199", US, UK_T)).toBe("020 7946 0111");
  });

  it("in place of a vanity number", () => {
    expect(write("1-800-FLOWERS", FLOWERS, US_T)).toBe("(800) 555-0123");
  });
});
