import { describe, expect, it } from "vitest";
import { frame, gridValues, HEIGHT, MARGIN, MIN_WIDTH } from "../../dashboard/chart/scale";

describe("chart frame", () => {
  it("maps the data range onto the plot area inside the margins", () => {
    const f = frame(600, 1000, 2000, 10);
    expect(f.x(1000)).toBe(MARGIN.left);
    expect(f.x(2000)).toBe(600 - MARGIN.right);
    expect(f.x(1500)).toBe((MARGIN.left + 600 - MARGIN.right) / 2);
    expect(f.y(0)).toBe(HEIGHT - MARGIN.bottom);
    expect(f.y(10)).toBe(MARGIN.top);
    expect(f.y(5)).toBe((HEIGHT - MARGIN.bottom + MARGIN.top) / 2);
  });

  it("never draws narrower than the minimum width (a hidden or unsized element reads 0)", () => {
    const f = frame(0, 0, 1, 1);
    expect(f.width).toBe(MIN_WIDTH);
    expect(f.x(1)).toBe(MIN_WIDTH - MARGIN.right);
  });

  it("puts everything at the left edge when the x range is a single instant", () => {
    const f = frame(400, 5, 5, 1);
    expect(f.x(5)).toBe(MARGIN.left);
    expect(Number.isFinite(f.x(99))).toBe(true);
  });

  it("treats an empty y range as 0..1 rather than dividing by zero", () => {
    const f = frame(400, 0, 1, 0);
    expect(f.yMax).toBe(1);
    expect(f.y(1)).toBe(MARGIN.top);
    expect(gridValues(f)).toEqual([0, 0.5, 1]);
  });
});
