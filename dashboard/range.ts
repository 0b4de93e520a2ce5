/**
 * The date range the calls parts of the page show: today, the last 7 or 30 days (each counted in
 * whole days of the viewer's calendar, today included), or custom dates. Pure: no DOM.
 */
import type { Range } from "./api";

export const PRESETS = {
  today: { days: 1, label: "Today" },
  "7d": { days: 7, label: "Last 7 days" },
  "30d": { days: 30, label: "Last 30 days" },
} as const;
export type Preset = keyof typeof PRESETS;
export const isPreset = (v: string | undefined): v is Preset => v !== undefined && Object.hasOwn(PRESETS, v);

/** Local midnight of the day `ms` falls in, moved by `days` whole days. */
const midnight = (ms: number, days = 0): number => {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days).getTime();
};

/** A preset as a range: from the local midnight `days - 1` days ago to the next midnight. */
export function presetRange(preset: Preset, now: number): Range {
  return { from: midnight(now, 1 - PRESETS[preset].days), to: midnight(now, 1) };
}

/** An `<input type="date">` value (YYYY-MM-DD) as that day's local midnight; null when it is not one. */
export function dateValue(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 ? d.getTime() : null;
}

/** A local day as an `<input type="date">` value. */
export const dateInput = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

/** Custom dates, both days included; an error sentence when they do not make a range. */
export function customRange(from: string, to: string): Range | string {
  const a = dateValue(from);
  const b = dateValue(to);
  if (a === null || b === null) return "Choose both dates.";
  if (b < a) return "The end date is before the start date.";
  return { from: a, to: midnight(b, 1) };
}

/** The range in words: "Jan 5" for one day, "Jan 5 – Jan 11" else (both days included). */
export function rangeLabel(r: Range): string {
  const day = (ms: number) => new Date(ms).toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" });
  const last = midnight(r.to, -1);
  return last <= r.from ? day(r.from) : `${day(r.from)} – ${day(last)}`;
}

/** The CSV's file name: calls-2031-01-05.csv or calls-2031-01-05-to-2031-01-11.csv. */
export function csvFileName(r: Range): string {
  const first = dateInput(r.from);
  const last = dateInput(midnight(r.to, -1));
  return first === last ? `calls-${first}.csv` : `calls-${first}-to-${last}.csv`;
}
