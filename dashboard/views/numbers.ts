/**
 * The selected pool's numbers: state now, last shown, last called, sessions served; a page of
 * PAGE_SIZE at a time, "More numbers" fetching the next page after the last one shown.
 */
import type { Api, NumberFigures } from "../api";
import { el } from "../dom";
import { count, when } from "../format";

export const PAGE_SIZE = 200;

function row(n: NumberFigures): HTMLTableRowElement {
  return el(
    "tr",
    {},
    el("td", { textContent: n.number }),
    el("td", {}, el("span", { className: `st ${n.state}`, textContent: n.state })),
    el("td", { className: "wide", textContent: when(n.lastShownAt) }),
    el("td", { textContent: when(n.lastCalledAt) }),
    el("td", { className: "num wide", textContent: count(n.sessionsServed) }),
  );
}

export interface NumbersTable {
  /**
   * Shows the first page of `pool`'s numbers (replacing what was shown); `keepPlace` (the same pool
   * reloaded): as many rows as were shown, up to the API's 1,000 a request, so paging is not undone.
   */
  show(pool: string, keepPlace?: boolean): Promise<void>;
  /** Appends the next page. */
  more(): Promise<void>;
}

/** The most numbers the API answers in one request. */
const API_LIMIT = 1000;

/** The row a pool without numbers shows (its numbers' order not yet filled, say). */
function noNumbers(): HTMLTableRowElement {
  const td = el("td", { className: "muted", textContent: "No numbers in this pool yet." });
  td.colSpan = 5;
  return el("tr", {}, td);
}

export function numbersTable(api: Api, body: HTMLTableSectionElement, moreButton: HTMLButtonElement): NumbersTable {
  let pool: string | null = null;
  let cursor: string | null = null;
  /** Numbers shown. */
  let rows = 0;
  /** Counts show()s: a page asked for before the latest one (another pool, or the minute's reload) is dropped. */
  let shown = 0;
  /** The next page while it is on its way: More pressed again waits for it instead of appending it twice. */
  let paging: Promise<void> | null = null;
  const load = async (id: string, after: string | null, limit = PAGE_SIZE) => {
    const asked = shown;
    const page = await api.numbers(id, after, limit);
    if (asked !== shown) return;
    if (after === null) body.replaceChildren(...(page.numbers.length ? page.numbers.map(row) : [noNumbers()]));
    else body.append(...page.numbers.map(row));
    rows = (after === null ? 0 : rows) + page.numbers.length;
    cursor = page.nextCursor;
    moreButton.hidden = !cursor;
  };
  return {
    show: (id, keepPlace = false) => {
      const limit = keepPlace && id === pool ? Math.min(API_LIMIT, Math.max(PAGE_SIZE, rows)) : PAGE_SIZE;
      pool = id;
      cursor = null;
      shown++;
      paging = null;
      return load(id, null, limit);
    },
    more: () => {
      if (paging) return paging;
      if (!pool || !cursor) return Promise.resolve();
      const next = load(pool, cursor).finally(() => {
        if (paging === next) paging = null;
      });
      paging = next;
      return next;
    },
  };
}
