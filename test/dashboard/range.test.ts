/** The date range: presets counted in the viewer's whole days, custom dates, and how a range reads and is named. */
import { describe, expect, it } from "vitest";
import { csvFileName, customRange, dateInput, dateValue, presetRange, rangeLabel } from "../../dashboard/range";

const local = (y: number, m: number, d: number, h = 0) => new Date(y, m - 1, d, h).getTime();

describe("date range", () => {
  const now = local(2031, 3, 10, 15); // Mar 10 2031, 3 pm

  it("counts presets in whole local days, today included, up to the next midnight", () => {
    expect(presetRange("today", now)).toEqual({ from: local(2031, 3, 10), to: local(2031, 3, 11) });
    expect(presetRange("7d", now)).toEqual({ from: local(2031, 3, 4), to: local(2031, 3, 11) });
    expect(presetRange("30d", now)).toEqual({ from: local(2031, 2, 9), to: local(2031, 3, 11) });
    // Just after midnight "today" is the new day.
    expect(presetRange("today", local(2031, 3, 11, 0) + 1000).from).toBe(local(2031, 3, 11));
  });

  it("reads custom dates with both days included, and says what is wrong with bad ones", () => {
    expect(customRange("2031-03-01", "2031-03-03")).toEqual({ from: local(2031, 3, 1), to: local(2031, 3, 4) });
    expect(customRange("2031-03-03", "2031-03-03")).toEqual({ from: local(2031, 3, 3), to: local(2031, 3, 4) });
    expect(customRange("2031-03-04", "2031-03-03")).toBe("The end date is before the start date.");
    expect(customRange("", "2031-03-03")).toBe("Choose both dates.");
    expect(dateValue("2031-02-30")).toBeNull();
    expect(dateValue("31-02-03")).toBeNull();
    expect(dateInput(local(2031, 3, 4, 23))).toBe("2031-03-04");
  });

  it("reads a range as its first and last day, and names its CSV after them", () => {
    const one = { from: local(2031, 3, 10), to: local(2031, 3, 11) };
    const week = presetRange("7d", now);
    // In the viewer's locale (its words and order vary): the day and the year, one day or the first and last.
    const label = rangeLabel(one);
    expect(label).toMatch(/\b10\b/);
    expect(label).toContain("2031");
    expect(label).not.toContain("–");
    const [first, last, ...more] = rangeLabel(week).split(" – ");
    expect(more).toEqual([]);
    expect(first).toMatch(/\b4\b/);
    expect(first).not.toMatch(/\b10\b/);
    expect(last).toMatch(/\b10\b/);
    // The last day is the range's last whole day (its end, the next midnight, is not in it).
    expect(last).not.toMatch(/\b11\b/);
    expect(csvFileName(one)).toBe("calls-2031-03-10.csv");
    expect(csvFileName(week)).toBe("calls-2031-03-04-to-2031-03-10.csv");
  });
});
