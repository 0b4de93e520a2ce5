/**
 * The selected pool's numbers: state now, last shown, last called, sessions served; a page of
 * PAGE_SIZE at a time, "More numbers" fetching the next page after the last one shown.
 */
import type { Api, NumberFigures } from "../api";
import { el } from "../dom";
import { when } from "../format";

export const PAGE_SIZE = 200;

function row(n: NumberFigures): HTMLTableRowElement {
  return el(
    "tr",
    {},
    el("td", { textContent: n.number }),
    el("td", {}, el("span", { className: `st ${n.state}`, textContent: n.state })),
    el("td", { className: "wide", textContent: when(n.lastShownAt) }),
    el("td", { textContent: when(n.lastCalledAt) }),
    el("td", { className: "num wide", textContent: String(n.sessionsServed) }),
  );
}

export interface NumbersTable {
  /** Shows the first page of `pool`'s numbers (replacing what was shown). */
  show(pool: string): Promise<void>;
  /** Appends the next page. */
  more(): Promise<void>;
}

export function numbersTable(api: Api, body: HTMLTableSectionElement, moreButton: HTMLButtonElement): NumbersTable {
  let pool: string | null = null;
  let cursor: string | null = null;
  const load = async (replace: boolean) => {
    if (!pool) return;
    const shown = pool;
    const page = await api.numbers(shown, replace ? null : cursor, PAGE_SIZE);
    if (shown !== pool) return; // another pool was chosen meanwhile
    if (replace) body.textContent = "";
    body.append(...page.numbers.map(row));
    cursor = page.nextCursor;
    moreButton.hidden = !cursor;
  };
  return {
    show: (id) => {
      pool = id;
      cursor = null;
      return load(true);
    },
    more: () => load(false),
  };
}
