/**
 * The selected pool's numbers: state now, last shown, last called, sessions served; a page of
 * PAGE_SIZE at a time, "More numbers" fetching the next page after the last one shown.
 */
import { type Api, ApiError, type NumberFigures } from "../api";
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
   * reloaded): as many rows as were shown, in requests of up to the API's 1,000, so paging is not undone.
   */
  show(pool: string, keepPlace?: boolean): Promise<void>;
  /** Appends the next page (asked during a reload of the same pool: the page after the reloaded rows). */
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
  /** The latest show() while it loads (its rows replace the table's): a next page is asked after it. */
  let showing: Promise<void> | null = null;
  /**
   * `want` numbers (or all there are) after `after` (null: from the first), a page after the other
   * (each from the cursor the last answered: none twice); shown in one go, replacing the rows when
   * `after` is null, else appended.
   */
  const load = async (id: string, after: string | null, want = PAGE_SIZE) => {
    const asked = shown;
    const numbers: NumberFigures[] = [];
    let next = after;
    do {
      let page: Awaited<ReturnType<Api["numbers"]>>;
      try {
        page = await api.numbers(id, next, Math.min(API_LIMIT, want - numbers.length));
      } catch (e) {
        // A page nobody waits for any more (another pool chosen since): its failure is not said over
        // what is shown; a refused key still signs out.
        if (asked !== shown && !(e instanceof ApiError && e.unauthorized)) return;
        throw e;
      }
      if (asked !== shown) return;
      numbers.push(...page.numbers);
      next = page.nextCursor;
      if (!page.numbers.length) break; // a cursor without numbers: More asks again, not this loop
    } while (next && numbers.length < want);
    if (after === null) body.replaceChildren(...(numbers.length ? numbers.map(row) : [noNumbers()]));
    else body.append(...numbers.map(row));
    rows = (after === null ? 0 : rows) + numbers.length;
    cursor = next;
    // The last page: More goes, and the keyboard's focus on it goes to the table's last row (not the page's start).
    const hadFocus = document.activeElement === moreButton;
    moreButton.hidden = !cursor;
    if (hadFocus && !cursor) {
      const last = body.lastElementChild as HTMLElement | null;
      if (last) {
        last.tabIndex = -1;
        last.focus();
      }
    }
  };
  return {
    show: (id, keepPlace = false) => {
      const want = keepPlace && id === pool ? Math.max(PAGE_SIZE, rows) : PAGE_SIZE;
      // A next page asked for this pool stays asked (more() asks it after these rows); another pool's is dropped.
      if (id !== pool) paging = null;
      pool = id;
      cursor = null;
      shown++;
      const loading = load(id, null, want).finally(() => {
        if (showing === loading) showing = null;
      });
      showing = loading;
      return loading;
    },
    more: () => {
      if (paging) return paging;
      const id = pool;
      // Pressed while the table reloads (the minute's reload, the pool chosen again), or answered
      // after a reload began (that answer is dropped): the page after the reloaded rows, once they
      // are in (its cursor is known only then). Not once another pool is shown.
      const next = (async () => {
        for (let asked = -1; asked !== shown && id === pool; ) {
          // A reload that failed leaves no cursor (its failure is told where it was asked).
          while (showing) await showing.catch(() => {});
          if (id === null || id !== pool || !cursor) return;
          asked = shown;
          await load(id, cursor);
        }
      })().finally(() => {
        if (paging === next) paging = null;
      });
      paging = next;
      return next;
    },
  };
}
