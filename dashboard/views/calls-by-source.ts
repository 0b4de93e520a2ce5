/**
 * Calls by source per day: stacked bars, one colour per source (unattributed calls as their own
 * source), each bar segment titled with its day, source and count; a legend of the sources.
 */
import type { CallStats } from "../api";
import { drawEmpty, drawFrame } from "../chart/axes";
import { el, svg } from "../dom";
import { count, monthDay, utcDay } from "../format";

const DAY = 86_400_000;
/** The chart shows at least this many days back from today, so a quiet fortnight still reads as one. */
export const MIN_DAYS_SHOWN = 14;
export const COLORS = ["#1565c0", "#2f7d32", "#c77700", "#6a1b9a", "#b3261e", "#00838f", "#5d4037", "#546e7a"];
export const UNATTRIBUTED = "(unattributed)";

interface Stacked {
  /** UTC days with calls, oldest first. */
  days: string[];
  /** Source names, sorted; the colour of source i is COLORS[i % COLORS.length]. */
  sources: string[];
  /** Calls per day and source. */
  calls: Map<string, Map<string, number>>;
  /** The highest day's total (at least 1). */
  yMax: number;
}

/** Groups the API's rows (one per day and source) into stacks. */
export function stackBySource(rows: CallStats["days"]): Stacked {
  const calls = new Map<string, Map<string, number>>();
  const sources = new Set<string>();
  for (const r of rows) {
    const source = r.source ?? UNATTRIBUTED;
    sources.add(source);
    const day = calls.get(r.day) ?? new Map<string, number>();
    day.set(source, (day.get(source) ?? 0) + r.calls);
    calls.set(r.day, day);
  }
  const days = [...calls.keys()].sort();
  const totals = days.map((d) => [...(calls.get(d)?.values() ?? [])].reduce((a, b) => a + b, 0));
  return { days, sources: [...sources].sort(), calls, yMax: Math.max(1, ...totals) };
}

/** The x range in ms: from the earlier of the first day and MIN_DAYS_SHOWN ago, to the end of the later of the last day and today. */
export function dayWindow(days: string[], now: number): [number, number] {
  const today = Date.parse(utcDay(now));
  const first = days[0] ? Date.parse(days[0]) : today;
  const last = days[days.length - 1] ? Date.parse(days[days.length - 1]!) : today;
  return [Math.min(first, today - (MIN_DAYS_SHOWN - 1) * DAY), Math.max(last, today) + DAY];
}

export function renderCallsBySource(node: SVGSVGElement, legend: HTMLElement, stats: CallStats, now: number): void {
  legend.textContent = "";
  const s = stackBySource(stats.days);
  if (!s.days.length) {
    drawEmpty(node, "No calls in the last 30 days.");
    return;
  }
  const [x0, x1] = dayWindow(s.days, now);
  const f = drawFrame(node, x0, x1, s.yMax, { y: count, x: monthDay });
  const barWidth = Math.min(40, Math.max(2, (f.x(x0 + DAY) - f.x(x0)) * 0.8));
  for (const day of s.days) {
    let base = 0;
    s.sources.forEach((source, i) => {
      const v = s.calls.get(day)?.get(source) ?? 0;
      if (!v) return;
      const bar = svg("rect", { x: f.x(Date.parse(day)) + 1, y: f.y(base + v), width: barWidth, height: f.y(base) - f.y(base + v), fill: color(i) });
      bar.append(svg("title", {}, `${day} ${source}: ${v}`));
      node.append(bar);
      base += v;
    });
  }
  s.sources.forEach((source, i) => {
    const swatch = el("i", { className: "swatch" });
    swatch.style.background = color(i);
    legend.append(el("span", { className: "key" }, swatch, source));
  });
}

const color = (i: number): string => COLORS[i % COLORS.length]!;
