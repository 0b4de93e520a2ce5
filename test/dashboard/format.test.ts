import { describe, expect, it } from "vitest";
import { duration, pct, rate, shortWhen, talkTime, when } from "../../dashboard/format";

/** Runs `f` with the process in time zone `tz` (Node's TZ: later Dates use it), then puts it back. */
function inZone(tz: string, f: () => void): void {
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
  const zone = env.TZ;
  try {
    env.TZ = tz;
    f();
  } finally {
    if (zone === undefined) delete env.TZ;
    else env.TZ = zone;
  }
}

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
    // In the viewer's time zone (UTC here) and locale (its words and order vary): the day, year, hour and minute.
    inZone("UTC", () => {
      const shown = when(Date.UTC(2031, 0, 5, 12, 30));
      expect(shown).toContain("2031");
      expect(shown).toMatch(/\b5\b/);
      expect(shown).toMatch(/12.30/);
    });
    // Tokyo is 9 hours ahead: 21:30 (9:30 PM in a 12-hour locale).
    inZone("Asia/Tokyo", () => expect(when(Date.UTC(2031, 0, 5, 12, 30))).toMatch(/\b(21|9)[:.]30\b/));
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
    inZone("UTC", () => {
      const shown = shortWhen(Date.UTC(2031, 0, 5, 12, 30));
      expect(shown).toMatch(/\b5\b/);
      expect(shown).toMatch(/12.30/);
      // In short: no year, no seconds.
      expect(shown).not.toContain("2031");
      expect(shown).not.toMatch(/12.30.00/);
    });
  });
});
