/** Draws a chart's frame into an SVG: gridlines with y labels, and the x range's two ends. */
import { svg } from "../dom";
import { type Frame, frame, gridValues, HEIGHT } from "./scale";

interface AxisFormat {
  y: (v: number) => string;
  x: (v: number) => string;
}

/** Empties `node`, sizes it to its rendered width, draws the axes and returns the frame to plot in. */
export function drawFrame(node: SVGSVGElement, x0: number, x1: number, yMax: number, format: AxisFormat): Frame {
  node.textContent = "";
  const f = frame(node.clientWidth || 0, x0, x1, yMax);
  node.setAttribute("viewBox", `0 0 ${f.width} ${HEIGHT}`);
  for (const v of gridValues(f)) {
    node.append(svg("line", { x1: f.left, x2: f.right, y1: f.y(v), y2: f.y(v), class: "gridline" }));
    node.append(svg("text", { x: f.left - 6, y: f.y(v) + 4, "text-anchor": "end", class: "axis" }, format.y(v)));
  }
  node.append(svg("text", { x: f.left, y: HEIGHT - 6, class: "axis" }, format.x(x0)));
  node.append(svg("text", { x: f.right, y: HEIGHT - 6, "text-anchor": "end", class: "axis" }, format.x(x1)));
  return f;
}

/** A chart with nothing to plot: one line of text where the plot would be. */
export function drawEmpty(node: SVGSVGElement, message: string): void {
  node.textContent = "";
  if (message) node.append(svg("text", { x: 20, y: 40, class: "axis" }, message));
}
