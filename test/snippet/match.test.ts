import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { find, phoneLike, type Pair } from "../../snippet/match";
import { FLOWERS, UK, UK_T, US, US_T } from "./helpers";

const PAIRS: Pair[] = [
  [US, US_T],
  [UK, UK_T],
  [FLOWERS, US_T],
];
/** The matched substrings. */
const found = (s: string) => find(s, PAIRS).map(([a, b]) => s.slice(a, b));

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
    expect(find(s, PAIRS)[0]![2][0]).toBe(US);
  });

  it.each(["+44 20 7946 0958", "020 7946 0958", "+44 (0)20 7946 0958", "+44 (0) 20 7946 0958", "0044 20 7946 0958", "+442079460958", "44 20 7946 0958"])(
    "finds the GB destination written %s",
    (s) => {
      expect(found(s)).toEqual([s]);
      expect(find(s, PAIRS)[0]![2][0]).toBe(UK);
    },
  );

  it("finds a vanity number by its keypad digits", () => {
    expect(found("Call 1-800-FLOWERS now")).toEqual(["1-800-FLOWERS"]);
    expect(find("1-800-FLOWERS", PAIRS)[0]![2][0]).toBe(FLOWERS);
    expect(found("800-FLOWERS")).toEqual(["800-FLOWERS"]);
  });

  it("finds numbers inside text, with the offsets of the number only", () => {
    const s = "Call us at (800) 555-0199 today, or +44 20 7946 0958.";
    expect(find(s, PAIRS).map(([a, b]) => [a, b])).toEqual([
      [11, 25],
      [36, 52],
    ]);
    expect(found("Sales: 800-555-0199, support: 800.555.0199; fax (800) 555 0199!")).toEqual([
      "800-555-0199",
      "800.555.0199",
      "(800) 555 0199",
    ]);
    expect(found("(800) 555-0199 24/7")).toEqual(["(800) 555-0199"]);
    expect(found("phone:800-555-0199")).toEqual(["800-555-0199"]);
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
  ])("never matches %s", (s) => {
    expect(found(s)).toEqual([]);
  });

  it("matches nothing without destinations", () => {
    expect(find("(800) 555-0199", [])).toEqual([]);
  });

  // Any text whose digits (letters read on the keypad) never spell a destination's nsn is left alone.
  it("never matches random text without a destination's digits (property)", () => {
    const keypad = (s: string) =>
      s.replace(/[A-Z]/g, (c) => String(",,ABC,DEF,GHI,JKL,MNO,PQRS,TUV,WXYZ".split(",").findIndex((k) => k.includes(c)))).replace(/\D/g, "");
    const unit = fc.constantFrom(..."0123456789 .-()/+,$#:xX\nAFLOWERSab".split(""));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        fc.pre(![US, UK, FLOWERS].some((p) => keypad(s).includes(p.nsn)));
        expect(find(s, PAIRS)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("always finds a destination written with random separators (property)", () => {
    const sep = fc.string({ unit: fc.constantFrom(" ", ".", "-", "(", ")", "/"), maxLength: 2 });
    fc.assert(
      fc.property(fc.array(sep, { minLength: 10, maxLength: 10 }), (seps) => {
        const s = [..."8005550199"].map((d, i) => (i ? seps[i]! : "") + d).join("");
        expect(found("Tel " + s + " !")).toEqual([s]);
      }),
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
});
