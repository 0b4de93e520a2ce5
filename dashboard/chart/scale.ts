/**
 * Chart geometry, pure: where a value lands in an SVG of a given size. Charts are drawn in SVG
 * user units equal to CSS pixels (viewBox = the element's width × HEIGHT), so text stays readable
 * at any width.
 */
export const HEIGHT = 200;
/** Room for the y labels (left), the x labels (bottom), and breathing space. */
export const MARGIN = { left: 44, right: 12, top: 10, bottom: 24 } as const;
/** Narrower than this and the chart is drawn at this width and scaled down. */
export const MIN_WIDTH = 320;

export interface Frame {
  width: number;
  height: number;
  x0: number;
  x1: number;
  yMax: number;
  /** Data x (e.g. ms since epoch) to SVG x. */
  x(v: number): number;
  /** Data y (0..yMax) to SVG y (0 at the bottom of the plot area). */
  y(v: number): number;
  /** The plot area's edges in SVG units. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A frame for data over [x0, x1] × [0, yMax] in an SVG `width` wide. */
export function frame(width: number, x0: number, x1: number, yMax: number): Frame {
  const w = Math.max(width, MIN_WIDTH);
  const left = MARGIN.left;
  const right = w - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const span = x1 - x0;
  const max = yMax > 0 ? yMax : 1;
  return {
    width: w,
    height: HEIGHT,
    x0,
    x1,
    yMax: max,
    left,
    right,
    top,
    bottom,
    x: (v) => left + (span > 0 ? (v - x0) / span : 0) * (right - left),
    y: (v) => bottom - (v / max) * (bottom - top),
  };
}

/** Gridline values: the bottom, the middle and the top of the y axis. */
export const gridValues = (f: Frame): number[] => [0, f.yMax / 2, f.yMax];

/** A coordinate as it is written into a path (one decimal). */
export const coord = (v: number): string => v.toFixed(1);
