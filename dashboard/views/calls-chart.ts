/** Calls per day over the range: all calls as bars, the attributed ones as narrower bars in front; hover for the day's counts. */
import type { CallStats, Range } from "../api";
import { axis, draw, drawEmpty, uPlot } from "../chart/chart";
import { dailyColumns, dailyText, dayLabel, dayTicks } from "../chart/series";
import { count } from "../format";

export function renderCallsChart(node: HTMLElement, stats: CallStats, range: Range): void {
  const data = dailyColumns(stats.days, range);
  // The chart's text alternative (node is role="img"): what hovering shows, day by day.
  node.setAttribute("aria-label", dailyText(data));
  if (!stats.total.calls) {
    drawEmpty(node, "No calls in this range.");
    return;
  }
  // A day without calls has no bar (null) but reads 0; with the cursor off the chart, "—".
  const dayCount = (_u: uPlot, v: number | null, _s: number, idx: number | null) => (idx === null ? "—" : count(v ?? 0));
  draw(
    node,
    {
      ms: 1,
      scales: {
        x: { time: true, range: (_u, lo, hi) => [lo - 43_200_000, hi + 43_200_000] },
        y: { range: (_u, _lo, hi) => [0, Math.max(4, Math.ceil(hi * 1.1))] },
      },
      axes: [
        {
          ...axis(),
          // One tick per day, or per few days when they would crowd (about 56 px a label).
          splits: (u) => dayTicks(u.data[0] as number[], u.bbox.width / devicePixelRatio / 56),
          values: (_u, ticks) => ticks.map(dayLabel),
        },
        { ...axis("calls per day"), values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? count(t) : "")), size: 40 },
      ],
      series: [
        { label: "Day", value: (_u: uPlot, t: number | null) => (t === null ? "—" : dayLabel(t)) },
        { label: "Calls", fill: "#1565c033", stroke: "#1565c0", paths: uPlot.paths.bars?.({ size: [0.7, 40] }), value: dayCount, points: { show: false } },
        { label: "Attributed", fill: "#2f7d32", stroke: "#2f7d32", paths: uPlot.paths.bars?.({ size: [0.35, 20] }), value: dayCount, points: { show: false } },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    },
    data,
  );
}
