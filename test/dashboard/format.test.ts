import { describe, expect, it } from "vitest";
import { count, monthDay, pct, utcDay, when } from "../../dashboard/format";

describe("format", () => {
  it("shows a share as a whole percentage", () => {
    expect(pct(0.3)).toBe("30 %");
    expect(pct(0.125)).toBe("13 %");
    expect(pct(0)).toBe("0 %");
    expect(pct(1.5)).toBe("150 %");
  });

  it("shows never as a dash and a moment in the viewer's locale", () => {
    expect(when(null)).toBe("—");
    expect(when(undefined)).toBe("—");
    expect(when(0)).toBe("—");
    const t = Date.UTC(2031, 0, 5, 12, 30);
    expect(when(t)).toBe(new Date(t).toLocaleString());
  });

  it("keys days in UTC as the calls API does", () => {
    expect(utcDay(Date.UTC(2031, 0, 5, 23, 59))).toBe("2031-01-05");
    expect(utcDay(Date.UTC(2031, 0, 6, 0, 0))).toBe("2031-01-06");
    expect(monthDay(Date.UTC(2031, 11, 31, 8))).toBe("12-31");
  });

  it("rounds counts on the calls axis", () => {
    expect(count(2.5)).toBe("3");
    expect(count(0)).toBe("0");
  });
});
