/** Calls by source, campaign, landing page or pool over the range: a row per group with a share bar. */
import type { CallGroup, CallGrouping } from "../api";
import { el } from "../dom";
import { count, pct, rate } from "../format";

export const GROUPINGS: Record<CallGrouping, { label: string; none: string }> = {
  source: { label: "Source", none: "(unattributed)" },
  campaign: { label: "Campaign", none: "(no campaign)" },
  landing: { label: "Landing page", none: "(no landing page)" },
  pool: { label: "Pool", none: "(not a pool's number)" },
};
export const isGrouping = (v: string | undefined): v is CallGrouping => v !== undefined && Object.hasOwn(GROUPINGS, v);

export interface GroupRow {
  name: string;
  calls: number;
  /** Of all calls in the range, 0..1. */
  share: number;
  attributed: string;
  answered: string;
}

/** Groups shown one a row, most calls first (the API's order); the rest are summed in one row. */
export const GROUPS_SHOWN = 50;

/**
 * The groups as they read: a null key named for the grouping, each group's share of `total` calls;
 * past the first `shown`, one row for the rest ("312 more"): a site with thousands of landing
 * pages drew thousands of rows at every minute's reload.
 */
export function groupRows(groups: CallGroup[], by: CallGrouping, total: number, shown = GROUPS_SHOWN): GroupRow[] {
  const row = (name: string, g: Pick<CallGroup, "calls" | "attributed" | "answered">): GroupRow => ({
    name,
    calls: g.calls,
    share: total > 0 ? g.calls / total : 0,
    attributed: rate(g.attributed, g.calls),
    answered: rate(g.answered, g.calls),
  });
  const rows = groups.slice(0, shown).map((g) => row(g.key ?? GROUPINGS[by].none, g));
  const rest = groups.slice(shown);
  if (!rest.length) return rows;
  const sum = (k: "calls" | "attributed" | "answered") => rest.reduce((t, g) => t + g[k], 0);
  return [...rows, row(`${count(rest.length)} more`, { calls: sum("calls"), attributed: sum("attributed"), answered: sum("answered") })];
}

export function renderGroups(body: HTMLTableSectionElement, head: HTMLElement, groups: CallGroup[], by: CallGrouping, total: number): void {
  head.textContent = GROUPINGS[by].label;
  const rows = groupRows(groups, by, total);
  if (!rows.length) {
    const td = el("td", { className: "muted", textContent: "No calls in this range." });
    td.colSpan = 4;
    body.replaceChildren(el("tr", {}, td));
    return;
  }
  body.replaceChildren(
    ...rows.map((r) => {
      const fill = el("i");
      fill.style.width = pct(r.share).replace(" ", "");
      // The bar's share in words too, for a screen reader (the bar alone says nothing to one).
      const bar = el("span", { className: "bar thin" }, fill);
      bar.setAttribute("role", "img");
      bar.setAttribute("aria-label", `${pct(r.share)} of the calls`);
      return el(
        "tr",
        {},
        el("td", { className: "name" }, el("span", { className: "key", textContent: r.name, title: r.name }), bar),
        el("td", { className: "num", textContent: count(r.calls) }),
        el("td", { className: "num", textContent: r.attributed }),
        el("td", { className: "num", textContent: r.answered }),
      );
    }),
  );
}
