/** The range's totals: calls, the attribution rate, answered calls and talk time, one tile each. */
import type { CallStats } from "../api";
import { el } from "../dom";
import { count, rate, talkTime } from "../format";

export interface Tile {
  label: string;
  value: string;
  note: string;
}

export function totalTiles(t: CallStats["total"]): Tile[] {
  return [
    { label: "Calls", value: count(t.calls), note: t.calls === 1 ? "1 call in the range" : `${count(t.calls)} calls in the range` },
    { label: "Attribution rate", value: rate(t.attributed, t.calls), note: `${count(t.attributed)} matched to a visit` },
    { label: "Answered", value: rate(t.answered, t.calls), note: `${count(t.answered)} picked up` },
    { label: "Talk time", value: talkTime(t.talkSeconds), note: "of the answered calls" },
  ];
}

export function renderTotals(node: HTMLElement, t: CallStats["total"]): void {
  node.replaceChildren(
    ...totalTiles(t).map((tile) =>
      el(
        "div",
        { className: "tile", dataset: { tile: tile.label } },
        el("span", { className: "muted", textContent: tile.label }),
        el("strong", { textContent: tile.value }),
        el("span", { className: "muted small", textContent: tile.note }),
      ),
    ),
  );
}
