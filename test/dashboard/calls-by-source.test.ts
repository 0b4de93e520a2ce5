import { describe, expect, it } from "vitest";
import { COLORS, dayWindow, MIN_DAYS_SHOWN, renderCallsBySource, stackBySource, UNATTRIBUTED } from "../../dashboard/views/calls-by-source";
import { svgNode } from "./fixtures";

const DAY = 86_400_000;
const NOW = Date.UTC(2031, 0, 20, 15);
const rows = [
  { day: "2031-01-19", source: "newsletter", calls: 2, attributed: 2, answered: 0, talkSeconds: 0 },
  { day: "2031-01-18", source: "google-ads", calls: 3, attributed: 3, answered: 0, talkSeconds: 0 },
  { day: "2031-01-19", source: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
  { day: "2031-01-19", source: "google-ads", calls: 4, attributed: 4, answered: 0, talkSeconds: 0 },
];

describe("calls by source", () => {
  it("stacks the API's rows by day and source, unattributed calls as their own source", () => {
    const s = stackBySource(rows);
    expect(s.days).toEqual(["2031-01-18", "2031-01-19"]);
    expect(s.sources).toEqual([UNATTRIBUTED, "google-ads", "newsletter"]);
    expect(s.calls.get("2031-01-19")?.get("google-ads")).toBe(4);
    expect(s.calls.get("2031-01-19")?.get(UNATTRIBUTED)).toBe(1);
    expect(s.yMax).toBe(7);
    expect(stackBySource([]).yMax).toBe(1);
  });

  it("shows at least the last fortnight up to the end of today, and older days when there are some", () => {
    const today = Date.UTC(2031, 0, 20);
    expect(dayWindow(["2031-01-19"], NOW)).toEqual([today - (MIN_DAYS_SHOWN - 1) * DAY, today + DAY]);
    expect(dayWindow(["2030-12-25", "2031-01-19"], NOW)).toEqual([Date.UTC(2030, 11, 25), today + DAY]);
  });

  it("draws one titled bar segment per day and source, stacked, and a legend in the bars' colours", () => {
    const node = svgNode();
    const legend = document.createElement("div");
    renderCallsBySource(node, legend, { days: rows, total: { calls: 10, attributed: 9, answered: 0, talkSeconds: 0 } }, NOW);
    const rects = [...node.querySelectorAll("rect")];
    expect(rects.map((r) => r.querySelector("title")?.textContent).sort()).toEqual([
      "2031-01-18 google-ads: 3",
      "2031-01-19 (unattributed): 1",
      "2031-01-19 google-ads: 4",
      "2031-01-19 newsletter: 2",
    ]);
    // On the 19th the three segments sit on each other: each one's top is the next one's bottom.
    const day19 = rects.filter((r) => r.querySelector("title")?.textContent?.startsWith("2031-01-19"));
    for (let i = 1; i < day19.length; i++) {
      const below = day19[i - 1]!;
      expect(Number(day19[i]!.getAttribute("y")) + Number(day19[i]!.getAttribute("height"))).toBeCloseTo(Number(below.getAttribute("y")), 5);
    }
    expect([...legend.querySelectorAll(".key")].map((k) => k.textContent)).toEqual([UNATTRIBUTED, "google-ads", "newsletter"]);
    const fill = (title: string) => rects.find((r) => r.querySelector("title")?.textContent === title)?.getAttribute("fill");
    expect(fill("2031-01-19 newsletter: 2")).toBe(COLORS[2]);
    expect(legend.querySelectorAll<HTMLElement>(".swatch")[2]!.style.background).toBe(COLORS[2]);
  });

  it("says so when there are no calls, and empties the legend", () => {
    const node = svgNode();
    const legend = document.createElement("div");
    legend.textContent = "stale";
    renderCallsBySource(node, legend, { days: [], total: { calls: 0, attributed: 0, answered: 0, talkSeconds: 0 } }, NOW);
    expect(node.textContent).toBe("No calls in the last 30 days.");
    expect(legend.textContent).toBe("");
  });
});
