/**
 * Business hours by the clock: range boundaries, holidays and special hours, and both
 * daylight-saving changes in two time zones — the schedule follows local wall time.
 */
import { describe, expect, it } from "vitest";
import { isTimeZone, localTime, type Schedule, scheduleProblems, startOfDayIn, stepsAt } from "../../worker/domain/schedule";

const Z = (iso: string) => Date.parse(iso);
const everyDay = (from: string, to: string, steps = "open") =>
  Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [{ from, to, steps }]]));
const schedule = (timeZone: string, extra: Partial<Schedule> = {}): Schedule => ({
  timeZone,
  weekly: everyDay("09:00", "17:00"),
  exceptions: [],
  otherwise: "closed",
  ...extra,
});
const at = (s: Schedule, iso: string) => stepsAt(s, Z(iso)).steps;

describe("business hours", () => {
  const ny = schedule("America/New_York", {
    weekly: {
      ...everyDay("09:00", "17:00"),
      fri: [
        { from: "09:00", to: "12:00", steps: "open" },
        { from: "13:00", to: "24:00", steps: "late" },
      ],
    },
  });

  it("opens at `from`, closes at `to` exactly (local time)", () => {
    // Wednesday 2031-01-08, EST (UTC-5).
    expect(at(ny, "2031-01-08T13:59:59Z")).toBe("closed");
    expect(at(ny, "2031-01-08T14:00:00Z")).toBe("open");
    expect(at(ny, "2031-01-08T21:59:59Z")).toBe("open");
    expect(at(ny, "2031-01-08T22:00:00Z")).toBe("closed");
  });

  it("several ranges a day, each to its own step list; a range may end at midnight", () => {
    // Friday 2031-01-10.
    expect(at(ny, "2031-01-10T16:59:00Z")).toBe("open"); // 11:59
    expect(at(ny, "2031-01-10T17:30:00Z")).toBe("closed"); // 12:30, the lunch gap
    expect(at(ny, "2031-01-10T18:00:00Z")).toBe("late"); // 13:00
    expect(at(ny, "2031-01-11T04:59:00Z")).toBe("late"); // 23:59
    expect(at(ny, "2031-01-11T05:00:00Z")).toBe("closed"); // Saturday 00:00 — Saturday's ranges apply
  });

  it("a holiday closes a working day; special hours replace its ranges", () => {
    const s = schedule("America/New_York", {
      exceptions: [
        { date: "2031-12-25", hours: [], name: "Christmas Day" },
        { date: "2031-12-24", hours: [{ from: "09:00", to: "12:00", steps: "open" }] },
      ],
    });
    expect(stepsAt(s, Z("2031-12-25T15:00:00Z"))).toMatchObject({ steps: "closed", by: "otherwise", exception: "Christmas Day" });
    expect(stepsAt(s, Z("2031-12-24T15:00:00Z"))).toMatchObject({ steps: "open", by: "exception" });
    expect(at(s, "2031-12-24T18:00:00Z")).toBe("closed"); // 13:00 on Christmas Eve
    expect(at(s, "2031-12-26T18:00:00Z")).toBe("open"); // the day after: weekly hours again
  });

  describe.each([
    // [zone, day before spring, spring day, day before autumn, autumn day, UTC minute checked]
    ["America/New_York", "2031-03-08", "2031-03-09", "2031-11-01", "2031-11-02", "13:30"],
    ["Europe/London", "2031-03-29", "2031-03-30", "2031-10-25", "2031-10-26", "08:30"],
  ])("daylight saving in %s", (zone, beforeSpring, spring, beforeAutumn, autumn, utc) => {
    const s = schedule(zone);
    it("clocks go forward: the same UTC instant is an hour later on the wall, so it is open", () => {
      expect(at(s, `${beforeSpring}T${utc}:00Z`)).toBe("closed"); // 08:30 standard time
      expect(at(s, `${spring}T${utc}:00Z`)).toBe("open"); // 09:30 summer time
      expect(localTime(Z(`${spring}T${utc}:00Z`), zone).minute).toBe(9 * 60 + 30);
    });
    it("clocks go back: the same UTC instant is an hour earlier on the wall, so it is closed", () => {
      expect(at(s, `${beforeAutumn}T${utc}:00Z`)).toBe("open"); // 09:30 summer time
      expect(at(s, `${autumn}T${utc}:00Z`)).toBe("closed"); // 08:30 standard time
    });
  });

  it.each([
    // [zone, the UTC instant of local 09:00 on Wednesday 2031-01-08 (offsets from the tz database)]
    ["Asia/Kolkata", "2031-01-08T03:30:00Z"], // +05:30
    ["Asia/Kathmandu", "2031-01-08T03:15:00Z"], // +05:45
    ["Australia/Adelaide", "2031-01-07T22:30:00Z"], // +10:30, summer time in the south
    ["Pacific/Chatham", "2031-01-07T19:15:00Z"], // +13:45
  ])("%s: opens on its own 09:00, whatever the UTC date", (zone, opens) => {
    const s = schedule(zone, { exceptions: [{ date: "2031-01-09", hours: [], name: "Holiday" }] });
    expect(at(s, new Date(Z(opens) - 60_000).toISOString())).toBe("closed");
    expect(stepsAt(s, Z(opens))).toMatchObject({ steps: "open", local: { date: "2031-01-08", weekday: "wed", minute: 540 } });
    // The next local day is a holiday: closed at its 09:00, 24 h later (no change of offset that day).
    expect(stepsAt(s, Z(opens) + 86_400_000)).toMatchObject({ steps: "closed", exception: "Holiday", local: { date: "2031-01-09" } });
  });

  it("southern summer time ends in April: Adelaide's 09:00 moves from 22:30 to 23:30 UTC the day before", () => {
    // 2031-04-06 03:00 ACDT (+10:30) becomes 02:00 ACST (+09:30).
    const s = schedule("Australia/Adelaide");
    expect(at(s, "2031-04-04T22:30:00Z")).toBe("open"); // Saturday 09:00 ACDT
    expect(at(s, "2031-04-06T22:30:00Z")).toBe("closed"); // Monday 08:00 ACST
    expect(at(s, "2031-04-06T23:30:00Z")).toBe("open"); // Monday 09:00 ACST
  });

  it("a night shift over midnight, as two ranges, holds on both days; a holiday on the second day closes its morning", () => {
    const s = schedule("Europe/London", {
      weekly: { fri: [{ from: "22:00", to: "24:00", steps: "night" }], sat: [{ from: "00:00", to: "06:00", steps: "night" }] },
      exceptions: [{ date: "2032-01-03", hours: [] }],
    });
    expect(at(s, "2031-12-26T21:59:00Z")).toBe("closed");
    expect(at(s, "2031-12-26T22:00:00Z")).toBe("night");
    expect(at(s, "2031-12-27T05:59:00Z")).toBe("night"); // Saturday
    expect(at(s, "2031-12-27T06:00:00Z")).toBe("closed");
    // Year boundary: Friday 2032-01-02 22:00 opens, Saturday 2032-01-03 (a holiday) does not.
    expect(at(s, "2032-01-02T23:00:00Z")).toBe("night");
    expect(at(s, "2032-01-03T01:00:00Z")).toBe("closed");
  });

  it("the skipped hour never matches; the repeated hour matches both times", () => {
    const s = schedule("America/New_York", {
      weekly: {
        sun: [
          { from: "01:00", to: "01:30", steps: "night" },
          { from: "02:00", to: "02:30", steps: "skipped" },
        ],
      },
    });
    // 2031-03-09: 01:59 EST is 06:59Z, the next minute is 03:00 EDT.
    expect(at(s, "2031-03-09T06:15:00Z")).toBe("night");
    expect(at(s, "2031-03-09T07:00:00Z")).toBe("closed");
    expect(localTime(Z("2031-03-09T07:00:00Z"), "America/New_York").minute).toBe(180);
    // 2031-11-02: 01:15 happens at 05:15Z (EDT) and again at 06:15Z (EST).
    expect(at(s, "2031-11-02T05:15:00Z")).toBe("night");
    expect(at(s, "2031-11-02T06:15:00Z")).toBe("night");
    expect(at(s, "2031-11-02T06:45:00Z")).toBe("closed");
  });

  it("refuses three-letter abbreviations the runtime reads as one place each (BST as Dhaka, CST as Chicago, IST as Kolkata): in a schedule, stats and conversion settings", () => {
    const lists = new Set(["open", "closed"]);
    // What the runtime makes of BST: Dhaka, UTC+6; a London 09:00 opened at 04:00 London time.
    expect(localTime(Z("2031-07-01T12:00:00Z"), "BST").minute).toBe(18 * 60);
    for (const zone of ["BST", "bst", "CST", "IST", "AST", "NST", "SST", "ART", "PST", "JST"]) {
      expect(isTimeZone(zone), zone).toBe(false);
      const problems = scheduleProblems(schedule(zone), lists);
      expect(problems.map((p) => [p.path, p.message.includes("abbreviation")])).toEqual([["timeZone", true]]);
    }
    // The places' own names, and the database's single-word zones that are clocks, are taken.
    for (const zone of ["Europe/London", "Asia/Shanghai", "UTC", "GMT", "CET", "HST", "EST5EDT"]) expect(isTimeZone(zone), zone).toBe(true);
  });

  it("refuses a time zone name that is no place's clock: Factory (time unknown), and EST, MST (no daylight saving)", () => {
    const lists = new Set(["open", "closed"]);
    // What the time zone database makes of them: EST is UTC-5 all year (its link is America/Panama),
    // so a New York business's 09:00 would open at 10:00 all summer.
    expect(localTime(Z("2031-07-01T13:30:00Z"), "EST").minute).toBe(8 * 60 + 30);
    expect(localTime(Z("2031-07-01T13:30:00Z"), "America/New_York").minute).toBe(9 * 60 + 30);
    for (const [zone, hint] of [
      ["EST", "America/New_York"],
      ["MST", "America/Denver"],
      ["Factory", "America/New_York"],
    ]) {
      const problems = scheduleProblems(schedule(zone!), lists);
      expect(
        problems.map((p) => p.path),
        zone,
      ).toEqual(["timeZone"]);
      expect(problems[0]!.message).toContain(hint);
    }
    // Names of places, and fixed offsets named as such, stay accepted.
    for (const zone of ["America/Phoenix", "HST", "Pacific/Honolulu", "US/Eastern", "EST5EDT", "Etc/GMT+5", "UTC", "Asia/Kathmandu"])
      expect(scheduleProblems(schedule(zone), lists), zone).toEqual([]);
  });

  it("a range starting at 24:00 is refused once, for its start", () => {
    const s = schedule("America/New_York", { weekly: { mon: [{ from: "24:00", to: "24:00", steps: "open" }] } });
    expect(scheduleProblems(s, new Set(["open", "closed"]))).toEqual([{ path: "weekly.mon[0].from", message: "must be HH:MM from 00:00 to 23:59" }]);
  });

  it("refuses what cannot be meant, saying where", () => {
    const lists = new Set(["open", "closed"]);
    expect(scheduleProblems(schedule("America/New_York"), lists)).toEqual([]);
    const bad: Schedule = {
      timeZone: "Mars/Olympus",
      weekly: {
        mon: [
          { from: "09:00", to: "17:00", steps: "open" },
          { from: "16:00", to: "18:00", steps: "open" },
        ],
        tue: [{ from: "22:00", to: "06:00", steps: "open" }],
        wed: [{ from: "9:00", to: "25:00", steps: "nope" }],
      },
      exceptions: [
        { date: "2031-02-30", hours: [] },
        { date: "2031-12-25", hours: [] },
        { date: "2031-12-25", hours: [] },
      ],
      otherwise: "missing",
    };
    expect(scheduleProblems(bad, lists).map((p) => p.path)).toEqual([
      "timeZone",
      "weekly.mon[1]",
      "weekly.tue[0]",
      "weekly.wed[0].from",
      "weekly.wed[0].to",
      "weekly.wed[0].steps",
      "exceptions[0].date",
      "exceptions[2].date",
      "otherwise",
    ]);
  });
});

describe("the instant a day begins in a zone (stats' day-only bounds)", () => {
  it("is the day's first minute there, where midnight is skipped or repeated too", () => {
    const cases: [string, string][] = [
      ["America/New_York", "2026-03-08"],
      ["Europe/London", "2026-03-29"],
      ["Pacific/Kiritimati", "2026-06-01"],
      ["Pacific/Pago_Pago", "2026-06-01"],
      // Midnight skipped: clocks go from 23:59 to 01:00.
      ["America/Santiago", "2026-09-06"],
      ["Atlantic/Azores", "2026-03-29"],
      ["America/Havana", "2026-03-08"],
      ["Asia/Beirut", "2026-03-29"],
      // Midnight repeated (clocks go back from 00:00 to 23:00 of the day before).
      ["America/Santiago", "2026-04-05"],
    ];
    for (const [zone, day] of cases) {
      const t = startOfDayIn(day, zone);
      expect({ zone, day, on: localTime(t, zone).date }).toEqual({ zone, day, on: day });
      expect({ zone, day, before: localTime(t - 60_000, zone).date < day }).toEqual({ zone, day, before: true });
    }
  });
});
