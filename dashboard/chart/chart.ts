/**
 * uPlot charts (bundled from node_modules: no request leaves the page's origin): one per container,
 * replaced on each draw, as wide as its container and redrawn at the new width when the window is
 * resized. uPlot draws axes with ticks and gridlines, and its legend shows the values under the cursor.
 */
import uPlot from "uplot";

const charts = new Map<HTMLElement, uPlot>();

export const HEIGHT = 220;

/** Draws `data` into `node` with `opts` (width and height are the container's). */
export function draw(node: HTMLElement, opts: Omit<uPlot.Options, "width" | "height">, data: uPlot.AlignedData): uPlot {
  charts.get(node)?.destroy();
  node.textContent = "";
  const chart = new uPlot({ ...opts, width: widthOf(node), height: HEIGHT }, data, node);
  // The hover legend is for the eye; a screen reader has the container's text alternative (role="img").
  chart.root.querySelector(".u-legend")?.setAttribute("aria-hidden", "true");
  charts.set(node, chart);
  return chart;
}

/** A chart with nothing to plot: one line of text instead. */
export function drawEmpty(node: HTMLElement, message: string): void {
  charts.get(node)?.destroy();
  charts.delete(node);
  const p = document.createElement("p");
  p.className = "muted empty";
  p.textContent = message;
  node.replaceChildren(p);
}

const widthOf = (node: HTMLElement) => Math.max(240, Math.floor(node.getBoundingClientRect().width));

let pending = 0;
addEventListener("resize", () => {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(() => {
    for (const [node, chart] of charts) chart.setSize({ width: widthOf(node), height: HEIGHT });
  });
});

/** Axis and grid colours shared by the charts. */
export const axis = (label?: string): uPlot.Axis => ({
  stroke: "#6b7280",
  grid: { stroke: "#eef0f3", width: 1 },
  ticks: { stroke: "#c5cad3", width: 1, size: 5 },
  font: "11px system-ui, sans-serif",
  ...(label ? { label, labelFont: "11px system-ui, sans-serif", labelSize: 16 } : {}),
});

export { uPlot };
