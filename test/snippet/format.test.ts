import { describe, expect, it } from "vitest";
import { write } from "../../snippet/format";
import { FLOWERS, UK, UK_9, UK_T, US, US_T } from "./helpers";

describe("write", () => {
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
  ])("keeps the shape of %s", (s, out) => {
    expect(write(s, UK, UK_T)).toBe(out);
  });

  it("writes the national form when the digit counts differ", () => {
    expect(write("020 7946 0958", UK, UK_9)).toBe("016977 2345");
    expect(write("+44 (0)20 7946 0958", UK, UK_9)).toBe("016977 2345");
  });

  it("writes the national form for another country's number", () => {
    expect(write("(800) 555-0199", US, UK_T)).toBe("020 7946 0111");
  });

  it("writes the national form in place of a vanity number", () => {
    expect(write("1-800-FLOWERS", FLOWERS, US_T)).toBe("(800) 555-0123");
  });
});
