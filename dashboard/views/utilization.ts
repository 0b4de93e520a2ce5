/**
 * The selected pool's utilization over time: a step line of each bucket's peak concurrent leases as
 * a share of the pool, the area under it, and the pool's alert threshold as a dashed line.
 */
import type { HealthView } from "../api";
import { drawEmpty, drawFrame } from "../chart/axes";
import { coord, type Frame } from "../chart/scale";
import { svg } from "../dom";
import { pct, shortDateTime } from "../format";

/** The time ranges the chart offers: how far back, and the bucket size, in minutes. */
export const RANGES = {
  day: { minutes: 1440, step: 5, label: "last 24 h, 5-minute peaks" },
  week: { minutes: 10080, step: 60, label: "last 7 days, hourly peaks" },
} as const;
export type RangeName = keyof typeof RANGES;
export const isRangeName = (v: string | undefined): v is RangeName => v !== undefined && Object.hasOwn(RANGES, v);

type Bucket = HealthView["minutes"][number];

/** The x extent of the buckets: from the first bucket's start to the end of the last one. */
export function bucketSpan(buckets: Bucket[], stepMinutes: number): [number, number] | null {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return null;
  return [first.t, last.t + stepMinutes * 60_000];
}

/**
 * SVG paths for the buckets in frame `f`: `line` holds each bucket flat over its own step (a value
 * over 1 — overflow — is drawn at 100 %); `area` closes it down to zero.
 */
export function utilizationPaths(buckets: Bucket[], stepMinutes: number, f: Frame): { line: string; area: string } {
  const stepMs = stepMinutes * 60_000;
  let line = "";
  buckets.forEach((b, i) => {
    const y = coord(f.y(Math.min(b.utilization, 1)));
    line += `${i ? "L" : "M"}${coord(f.x(b.t))},${y}L${coord(f.x(b.t + stepMs))},${y}`;
  });
  const area = line ? `${line}L${coord(f.x(f.x1))},${coord(f.y(0))}L${coord(f.x(f.x0))},${coord(f.y(0))}Z` : "";
  return { line, area };
}

/** Draws `h` (a health view with buckets) into the chart `node`. */
export function renderUtilization(node: SVGSVGElement, h: HealthView): void {
  const span = bucketSpan(h.minutes, h.step);
  if (!span) {
    drawEmpty(node, "");
    return;
  }
  const f = drawFrame(node, span[0], span[1], 1, { y: pct, x: shortDateTime });
  const { line, area } = utilizationPaths(h.minutes, h.step, f);
  node.append(svg("path", { d: area, fill: "#1565c0", "fill-opacity": "0.12", stroke: "none" }));
  node.append(svg("path", { d: line, fill: "none", stroke: "#1565c0", "stroke-width": 1.5, class: "series" }));
  const ty = f.y(h.alertThreshold);
  node.append(svg("line", { x1: f.left, x2: f.right, y1: ty, y2: ty, stroke: "#c77700", "stroke-dasharray": "4 3", class: "threshold" }));
  node.append(svg("text", { x: f.right, y: ty - 4, "text-anchor": "end", class: "axis" }, `alert ${pct(h.alertThreshold)}`));
}

/** The line under the chart: what is plotted, over what, and the 7-day peak. */
export function utilizationLegend(h: HealthView, range: RangeName): string {
  return `Peak concurrent leases as a share of ${h.numbers.total} numbers (${RANGES[range].label}). 7-day peak ${h.peak7d} (${pct(h.peakUtilization7d)}).`;
}
