/**
 * Pools at a glance: one card per pool with its health state, how full it is now, the 7-day peak,
 * the counters, and the open warning episode. A click selects the pool.
 */
import type { HealthView, Pool } from "../api";
import { el, keepingFocus, markOn } from "../dom";
import { count, pct, when } from "../format";
import { routeWords } from "../route-words";

/** The width of a card's fill bar, in %: utilization, capped at 100. */
export const barPercent = (utilization: number): number => Math.min(100, Math.max(0, Math.round(utilization * 100)));

/**
 * The pool's alert setting (its `status`), which is what the owner chose, in words distinct from its
 * health (what is happening now): "Alerts on at 80 % full" beside "Healthy" does not contradict.
 */
export const alertSetting = (status: Pool["status"], threshold: number): string =>
  status === "warning" ? `Alerts on, at ${pct(threshold)} full` : "Alerts off (status recycle)";

/** The health state now, as the card's tag says it. */
export const HEALTH_WORDS: Record<HealthView["state"], string> = { ok: "Healthy", warning: "Near full", exhausted: "Full" };

/** The card's tag: the health words, or that the pool has no numbers yet (the API counts that as exhausted). */
export const healthTag = (h: HealthView): string => (h.numbers.total === 0 && h.numbers.leased === 0 ? "No numbers yet" : HEALTH_WORDS[h.state]);

/** The card's summary lines, in order. */
export function cardLines(p: Pool, h: HealthView): { ids: string; fill: string; counters: string; episode: string | null } {
  const n = h.numbers;
  const c = h.counters;
  const e = h.episode;
  return {
    ids: `${p.id} · ${alertSetting(p.status, h.alertThreshold)}${p.replaceAll ? " · replaces every number" : ""}`,
    fill: `${count(n.leased)} of ${count(n.total)} leased (${pct(h.utilization)}) · ${count(n.free)} free · 7-day peak ${count(h.peak7d)}`,
    counters: `${count(c.allocations)} allocations · ${count(c.recycledEarly)} recycled early · ${count(c.overflow)} overflow · ${count(c.refused)} refused`,
    episode: e ? `Alert open since ${when(e.openedAt)}${e.exhaustedAt ? ` · ran dry ${when(e.exhaustedAt)}` : ""}` : null,
  };
}

/**
 * A pool's card: a button named by the pool alone (its heading), its figures its description, so a
 * screen reader says "Website visitors, button" and then the details, not one paragraph per card.
 * `key` makes the parts' ids unique on the page.
 */
function card(p: Pool, h: HealthView, key: string, onSelect: (id: string) => void): HTMLButtonElement {
  const lines = cardLines(p, h);
  const fill = el("i");
  fill.style.width = `${barPercent(h.utilization)}%`;
  const id = (part: string) => `${key}-${part}`;
  const c = el(
    "button",
    // A pool with no numbers yet is not styled as a full one (the API counts it as exhausted).
    { className: `card pool ${healthTag(h) === "No numbers yet" ? "empty" : h.state}`, type: "button", dataset: { id: p.id } },
    el(
      "span",
      { className: "row" },
      el("strong", { id: id("name"), textContent: p.name }),
      el("span", { id: id("tag"), className: "tag", textContent: healthTag(h), title: `Health now: ${h.state}` }),
    ),
    el("span", { id: id("ids"), className: "muted", textContent: lines.ids }),
    el("span", { className: "bar" }, fill),
    el("span", { id: id("fill"), textContent: lines.fill }),
    el("span", { id: id("counters"), className: "muted", textContent: lines.counters }),
  );
  const described = ["tag", "ids", "fill", "counters"];
  if (lines.episode) {
    c.append(el("span", { id: id("episode"), className: "warnline", textContent: lines.episode }));
    described.push("episode");
  }
  // The route in words (docs/routing.md): one line per rule.
  const route = el("span", { id: id("route"), className: "route muted" });
  for (const line of routeWords(p)) route.append(el("span", { textContent: line }));
  c.append(route);
  described.push("route");
  c.setAttribute("aria-labelledby", id("name"));
  c.setAttribute("aria-describedby", described.map(id).join(" "));
  c.addEventListener("click", () => onSelect(p.id));
  return c;
}

/** Fills `grid` with a card per pool (`health[i]` is `pools[i]`'s). */
export function renderPools(grid: HTMLElement, pools: Pool[], health: HealthView[], onSelect: (id: string) => void): void {
  keepingFocus(grid, () => {
    grid.textContent = "";
    if (!pools.length) grid.append(el("p", { className: "muted", textContent: "No pools yet: create one with POST /v1/pools." }));
    pools.forEach((p, i) => {
      const h = health[i];
      if (h) grid.append(card(p, h, `pool-${i}`, onSelect));
    });
  });
}

/** Outlines the selected pool's card (and says it is pressed). */
export function markSelected(grid: HTMLElement, id: string | null): void {
  markOn([...grid.querySelectorAll<HTMLElement>(".pool")], (node) => node.dataset.id === id, "sel");
}
