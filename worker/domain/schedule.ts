/**
 * Business hours: which of a route's step lists applies at an instant, in the schedule's IANA time
 * zone. Local wall time comes from the time zone database (Intl), so daylight-saving changes are
 * the zone's business, never an offset stored here: 09:00 is 09:00 local in winter and summer.
 *
 * A day's ranges are [from, to) in local wall time ("24:00" ends at midnight); a range over
 * midnight is written as two (Mon 22:00–24:00, Tue 00:00–06:00). A dated exception replaces that
 * date's weekly ranges (no ranges: closed all day). Outside every range, `otherwise` applies.
 * On the night clocks go forward, wall times in the skipped hour never occur; on the night they go
 * back, the repeated hour is matched by its wall time both times.
 */
import { remember } from "../../shared/bounded-map";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface HoursRange {
  /** "HH:MM", 00:00–23:59. */
  from: string;
  /** "HH:MM" after `from`, up to "24:00". */
  to: string;
  /** The step list this range routes to. */
  steps: string;
}

export interface DatedHours {
  /** A local date, "YYYY-MM-DD". */
  date: string;
  /** The day's ranges instead of its weekly ones; empty: closed all day. */
  hours: HoursRange[];
  /** What it is (shown in the dashboard): "Christmas Day". */
  name?: string | undefined;
}

export interface Schedule {
  /** IANA time zone, e.g. "America/New_York". */
  timeZone: string;
  weekly: Partial<Record<Weekday, HoursRange[]>>;
  exceptions: DatedHours[];
  /** The step list outside every range. */
  otherwise: string;
}

export interface LocalTime {
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minute: number;
}

export interface ScheduleMatch {
  steps: string;
  /** Why: a weekly range, a dated exception's range, or none (otherwise). */
  by: "weekly" | "exception" | "otherwise";
  local: LocalTime;
  range: HoursRange | null;
  exception: string | null;
}

/** Formats made, by the time zone name as given (bounded: names come from requests, in any case). */
const formats = new Map<string, Intl.DateTimeFormat>();
const FORMATS_KEPT = 200;

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    remember(formats, FORMATS_KEPT, timeZone, f);
  }
  return f;
}

/**
 * A time zone name as the database spells it, where it was given in another case
 * (`america/new_york` → `America/New_York`); any other name as given (a link such as US/Eastern
 * stays one). Only for a name isTimeZone accepts.
 */
export function zoneSpelling(name: string): string {
  const resolved = formatFor(name).resolvedOptions().timeZone;
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

/**
 * Three-letter names V8's time zone database takes (old Java ids, not IANA names) for one place
 * each, often not the one meant: BST is Asia/Dhaka (not London's summer), CST Chicago (not China),
 * IST Kolkata (not Israel or Ireland), AST Anchorage, NST Auckland, SST Guadalcanal, ART Cairo. A
 * London 09:00-17:00 under "BST" opened at 04:00. Refused: name the place.
 */
const ABBREVIATIONS = new Set("ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST PLT PNT PRT PST SST VST".split(" "));

/** Whether the runtime's time zone database knows this IANA name (not an abbreviation it maps to one place). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(name) || ABBREVIATIONS.has(name.toUpperCase())) return false;
  try {
    formatFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The local date, weekday and minute of `instant` (ms since epoch) in `timeZone`. */
export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatFor(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  const weekday = parts.weekday!.toLowerCase().slice(0, 3) as Weekday;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * The instant a calendar day (YYYY-MM-DD) begins in `timeZone`: its midnight there (the first
 * minute of it where a change of offset skips midnight: Santiago's, Beirut's, the Azores'). Two
 * corrections from the UTC midnight, by the zone's offset there and then at the instant found; of
 * those that fall on the day, the earliest (where midnight is skipped, the second correction lands
 * on the day before).
 */
export function startOfDayIn(day: string, timeZone: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const wanted = Date.UTC(y, m - 1, d);
  const corrected = (t: number) => {
    const local = localTime(t, timeZone);
    const [ly, lm, ld] = local.date.split("-").map(Number) as [number, number, number];
    return t + wanted - (Date.UTC(ly, lm - 1, ld) + local.minute * 60_000);
  };
  const first = corrected(wanted);
  const second = corrected(first);
  const onDay = [first, second].filter((t) => localTime(t, timeZone).date === day);
  return onDay.length ? Math.min(...onDay) : second;
}

/** "HH:MM" → minutes; "24:00" → 1440. */
export const minuteOfDay = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The step list that applies at `instant`. */
export function stepsAt(schedule: Schedule, instant: number): ScheduleMatch {
  const local = localTime(instant, schedule.timeZone);
  const exception = schedule.exceptions.find((e) => e.date === local.date) ?? null;
  const ranges = exception ? exception.hours : (schedule.weekly[local.weekday] ?? []);
  const range = ranges.find((r) => minuteOfDay(r.from) <= local.minute && local.minute < minuteOfDay(r.to)) ?? null;
  if (range)
    return { steps: range.steps, by: exception ? "exception" : "weekly", local, range, exception: exception ? (exception.name ?? exception.date) : null };
  return { steps: schedule.otherwise, by: "otherwise", local, range: null, exception: exception ? (exception.name ?? exception.date) : null };
}

/**
 * Names the time zone database knows that are no place's business hours: Factory (its "-00" says
 * the time is unknown), and EST and MST, a whole year at UTC-5 and UTC-7 (links to America/Panama
 * and America/Phoenix), which most places on Eastern and Mountain time are not in summer. HST is
 * Hawaii's clock all year, and is accepted.
 */
const NO_PLACE: Record<string, string> = {
  factory: "it is the database's zone for an unknown time: name the place, e.g. America/New_York",
  est: "it is UTC-05:00 all year, without daylight saving: name the place, e.g. America/New_York (America/Panama: no daylight saving)",
  mst: "it is UTC-07:00 all year, without daylight saving: name the place, e.g. America/Denver (America/Phoenix: no daylight saving)",
};

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export interface ScheduleProblem {
  path: string;
  message: string;
}

/**
 * What is wrong with a schedule (empty: nothing): an unknown time zone, a malformed or empty
 * range, ranges of one day that overlap, a date that does not exist, a date given twice, a step
 * list that is not defined.
 */
export function scheduleProblems(s: Schedule, stepLists: ReadonlySet<string>, given = true): ScheduleProblem[] {
  const out: ScheduleProblem[] = [];
  const noPlace = NO_PLACE[s.timeZone.toLowerCase()];
  const abbreviation = ABBREVIATIONS.has(s.timeZone.toUpperCase());
  if (noPlace) out.push({ path: "timeZone", message: `"${s.timeZone}" is not accepted for business hours: ${noPlace}` });
  // Refused when given; one stored before they were (its pool edited otherwise) keeps working as it did.
  else if (abbreviation && given)
    out.push({
      path: "timeZone",
      message: `"${s.timeZone}" is an abbreviation, not a place (it is read as one place, often not the one meant): use an IANA name such as Europe/London`,
    });
  else if (!abbreviation && !isTimeZone(s.timeZone))
    out.push({ path: "timeZone", message: `unknown time zone "${s.timeZone}": use an IANA name such as America/New_York` });
  const checkRanges = (ranges: HoursRange[], path: string) => {
    const sorted = ranges.map((r, i) => ({ r, i })).sort((a, b) => minuteOfDay(a.r.from) - minuteOfDay(b.r.from));
    for (const { r, i } of sorted) {
      if (!HHMM.test(r.from) || r.from === "24:00") out.push({ path: `${path}[${i}].from`, message: "must be HH:MM from 00:00 to 23:59" });
      if (!HHMM.test(r.to)) out.push({ path: `${path}[${i}].to`, message: "must be HH:MM from 00:01 to 24:00" });
      else if (HHMM.test(r.from) && r.from !== "24:00" && minuteOfDay(r.to) <= minuteOfDay(r.from)) {
        out.push({ path: `${path}[${i}]`, message: `ends (${r.to}) before it starts (${r.from}): write a range over midnight as two, one each day` });
      }
      if (!stepLists.has(r.steps)) out.push({ path: `${path}[${i}].steps`, message: `no step list named "${r.steps}"` });
    }
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      const cur = sorted[k]!;
      if (minuteOfDay(cur.r.from) < minuteOfDay(prev.r.to)) out.push({ path: `${path}[${cur.i}]`, message: `overlaps ${prev.r.from}–${prev.r.to}` });
    }
  };
  for (const day of Object.keys(s.weekly)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) out.push({ path: `weekly.${day}`, message: `not a weekday: use ${WEEKDAYS.join(", ")}` });
    else checkRanges(s.weekly[day as Weekday] ?? [], `weekly.${day}`);
  }
  const seen = new Set<string>();
  s.exceptions.forEach((e, i) => {
    const [y, m, d] = e.date.split("-").map(Number);
    const real = DATE.test(e.date) && new Date(Date.UTC(y!, m! - 1, d!)).getUTCDate() === d;
    if (!real) out.push({ path: `exceptions[${i}].date`, message: `"${e.date}" is not a date: use YYYY-MM-DD` });
    if (seen.has(e.date)) out.push({ path: `exceptions[${i}].date`, message: `${e.date} is given twice` });
    seen.add(e.date);
    checkRanges(e.hours, `exceptions[${i}].hours`);
  });
  if (!stepLists.has(s.otherwise)) out.push({ path: "otherwise", message: `no step list named "${s.otherwise}"` });
  return out;
}
