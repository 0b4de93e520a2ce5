import { describe, expect, it } from "vitest";
import { frame } from "../../dashboard/chart/scale";
import { bucketSpan, RANGES, renderUtilization, utilizationLegend, utilizationPaths } from "../../dashboard/views/utilization";
import { health, svgNode } from "./fixtures";

const T0 = Date.UTC(2031, 0, 5, 12);
const MIN = 60_000;
const buckets = [
  { t: T0, peak: 2, total: 10, utilization: 0.2 },
  { t: T0 + 5 * MIN, peak: 5, total: 10, utilization: 0.5 },
  { t: T0 + 10 * MIN, peak: 12, total: 10, utilization: 1.2 },
];

/** The path's points as [x, y] pairs. */
const points = (d: string) => [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe("utilization chart", () => {
  it("spans from the first bucket's start to the end of the last bucket", () => {
    expect(bucketSpan(buckets, 5)).toEqual([T0, T0 + 15 * MIN]);
    expect(bucketSpan([], 5)).toBeNull();
  });

  it("holds each bucket flat over its step and caps overflow at 100 %", () => {
    const f = frame(500, T0, T0 + 15 * MIN, 1);
    const { line, area } = utilizationPaths(buckets, 5, f);
    const p = points(line);
    expect(p).toHaveLength(6);
    const y = (u: number) => Number(f.y(u).toFixed(1));
    expect(p.map(([, py]) => py)).toEqual([y(0.2), y(0.2), y(0.5), y(0.5), y(1), y(1)]);
    expect(p[0]![0]).toBeCloseTo(f.left, 1);
    expect(p[5]![0]).toBeCloseTo(f.right, 1);
    // The area is the line closed down to zero at both ends.
    expect(area.startsWith(line)).toBe(true);
    expect(area.endsWith("Z")).toBe(true);
    expect(
      points(area)
        .slice(-2)
        .map(([, py]) => py),
    ).toEqual([y(0), y(0)]);
  });

  it("draws the series, the alert threshold where it belongs and labels it", () => {
    const node = svgNode();
    renderUtilization(node, health({ minutes: buckets, step: 5, alertThreshold: 0.75 }));
    expect(points(node.querySelector("path.series")?.getAttribute("d") ?? "")).toHaveLength(6);
    const f = frame(0, T0, T0 + 15 * MIN, 1);
    expect(Number(node.querySelector("line.threshold")?.getAttribute("y1"))).toBeCloseTo(f.y(0.75), 5);
    const labels = [...node.querySelectorAll("text")].map((t) => t.textContent);
    expect(labels).toContain("alert 75 %");
    expect(labels).toEqual(expect.arrayContaining(["0 %", "50 %", "100 %"]));
  });

  it("draws nothing without buckets, and clears what was drawn before", () => {
    const node = svgNode();
    renderUtilization(node, health({ minutes: buckets }));
    renderUtilization(node, health({ minutes: [] }));
    expect(node.childNodes).toHaveLength(0);
  });

  it("says what is plotted over which range", () => {
    const h = health({ numbers: { total: 20, leased: 6, free: 14, held: 0, retiring: 0, overflow: 0 }, peak7d: 9, peakUtilization7d: 0.45 });
    expect(utilizationLegend(h, "week")).toBe(`Peak concurrent leases as a share of 20 numbers (${RANGES.week.label}). 7-day peak 9 (45 %).`);
  });
});
