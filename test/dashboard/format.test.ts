import { describe, expect, it } from "vitest";
import { duration, pct, rate, shortWhen, talkTime, when } from "../../dashboard/format";

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

  it("shows a rate of a whole, and a dash when there is none", () => {
    expect(rate(2, 3)).toBe("67 %");
    expect(rate(0, 3)).toBe("0 %");
    expect(rate(0, 0)).toBe("—");
  });

  it("shows a call's talk time as m:ss (h:mm:ss past an hour), a dash when not reported", () => {
    expect(duration(42)).toBe("0:42");
    expect(duration(725)).toBe("12:05");
    expect(duration(3729)).toBe("1:02:09");
    expect(duration(0)).toBe("0:00");
    expect(duration(null)).toBe("—");
  });

  it("shows a total talk time in seconds, minutes, or hours and minutes", () => {
    expect(talkTime(42)).toBe("42 s");
    expect(talkTime(720)).toBe("12 min");
    expect(talkTime(3 * 3600 + 5 * 60)).toBe("3 h 05 min");
  });

  it("shows a moment in short in the viewer's locale", () => {
    const t = Date.UTC(2031, 0, 5, 12, 30);
    expect(shortWhen(t)).toBe(new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }));
  });
});
