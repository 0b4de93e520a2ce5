/**
 * Utilization of all pools over the last 24 hours or 7 days: one line per pool (each bucket's peak
 * concurrent leases as a % of the pool), hover for each pool's value at that time.
 */
import type { HealthView } from "../api";
import { axis, draw, drawEmpty, uPlot } from "../chart/chart";
import { colorOf, poolColumns, poolsText } from "../chart/series";

/** The time ranges the chart offers: how far back, and the bucket size, in minutes. */
export const RANGES = {
  day: { minutes: 1440, step: 5, label: "last 24 h, peak of each 5 minutes" },
  week: { minutes: 10080, step: 60, label: "last 7 days, peak of each hour" },
} as const;
export type ChartRange = keyof typeof RANGES;
export const isChartRange = (v: string | undefined): v is ChartRange => v !== undefined && Object.hasOwn(RANGES, v);

export function renderPoolChart(node: HTMLElement, views: HealthView[], range: ChartRange): void {
  const data = poolColumns(views);
  // The chart's text alternative (node is role="img"): each pool's highest and latest share.
  node.setAttribute("aria-label", views.length ? poolsText(views, RANGES[range].label) : "Utilization of all pools: no pools yet.");
  if (!data[0].length) {
    drawEmpty(node, "No pools yet.");
    return;
  }
  draw(
    node,
    {
      ms: 1,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [axis(), { ...axis("% of the pool leased"), values: (_u, ticks) => ticks.map((t) => `${t} %`), size: 56 }],
      series: [
        { label: "Time", value: "{MMM} {D}, {HH}:{mm}" },
        ...views.map((v, i) => ({
          label: v.name,
          stroke: colorOf(i),
          width: 1.5,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          value: (_u: uPlot, y: number | null) => (y === null ? "—" : `${Math.round(y)} %`),
          points: { show: false },
        })),
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    },
    data,
  );
}
