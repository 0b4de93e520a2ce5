/**
 * Where the selected pool's numbers come from: its autoscaling (the bounds, the size now and on
 * order, the latest step) and its number orders, newest first (what each asked for, how far it
 * got, and the provider's reason when it is stuck). A business that buys numbers by order sees
 * here that an order waits on a regulatory document or a refused purchase, without the API.
 */
import type { AutoscaleView, Order, ScaleEvent } from "../api";
import { el } from "../dom";
import { count, when } from "../format";

/** Orders listed (the API answers the last 100). */
export const ORDERS_SHOWN = 10;

const PROVIDERS: Record<Order["provider"], string> = { twilio: "Twilio", telnyx: "Telnyx", signalwire: "SignalWire", plivo: "Plivo", vonage: "Vonage" };
const TYPES: Record<Order["request"]["type"], string> = { local: "local", national: "national", tollfree: "toll-free", mobile: "mobile" };

const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** What an order asked for: "5 local numbers in US, area code 510, from Twilio". */
export function orderWhat(o: Order): string {
  const r = o.request;
  const where = [r.country, r.areaCode ? `area code ${r.areaCode}` : null, r.city, r.region, r.near ? `within ${r.near.radiusMiles} mi of a point` : null]
    .filter(Boolean)
    .join(", ");
  return `${plural(r.quantity, `${TYPES[r.type]} number`)} in ${where}, from ${PROVIDERS[o.provider]}`;
}

/** How far an order got: "3 of 5 in the pool (4 bought, 2 taken by others)". */
export function orderProgress(o: Order): string {
  const p = o.progress;
  const details = [p.bought !== p.added ? `${count(p.bought)} bought` : null, p.skipped ? `${count(p.skipped)} taken by others first` : null].filter(Boolean);
  return `${count(p.added)} of ${count(o.request.quantity)} in the pool${details.length ? ` (${details.join(", ")})` : ""}`;
}

/** Why an order is where it is: the provider's last reason and, while it retries, when it tries next; "" when nothing is wrong. */
export function orderWhy(o: Order): string {
  const open = o.status === "pending" || o.status === "running" || o.status === "waiting";
  const next = open && o.nextAttemptAt ? `next try ${when(o.nextAttemptAt)}` : null;
  return [o.lastError, next].filter(Boolean).join(" · ");
}

/** One step of autoscaling in words: "grow 4 → 6 (peak 5) on …: <reason>", with "recommended only" for a dry run. */
export function scaleStep(e: ScaleEvent): string {
  const action = { first_fill: "first fill", grow: "grow", shrink: "shrink" }[e.action];
  return `${action} ${count(e.from)} → ${count(e.to)} (peak ${count(e.peak)}) on ${when(e.at)}${e.dryRun ? ", recommended only" : ""}: ${e.reason}`;
}

/** The pool's autoscaling in one line, or that it has none (`null`: GET …/autoscale answered autoscale_not_set). */
export function autoscaleLine(a: AutoscaleView | null): string {
  if (!a) return "Autoscaling: off. The pool keeps the numbers it has; PUT /v1/pools/{id}/autoscale sizes it from its traffic.";
  const c = a.config;
  const now = `${plural(a.size, "number")} now${a.onOrder ? `, ${count(a.onOrder)} on order` : ""}`;
  const last = a.events[0] ? ` Last step: ${scaleStep(a.events[0])}.` : " No step yet.";
  return `Autoscaling${c.dryRun ? " (dry run: recommends, buys nothing)" : ""}: ${count(c.min)}–${count(c.max)} numbers; ${now}.${last}`;
}

function orderRow(o: Order): HTMLTableRowElement {
  return el(
    "tr",
    {},
    el("td", { textContent: when(o.createdAt) }),
    el("td", { className: "wide", textContent: orderWhat(o) }),
    el("td", {}, el("span", { className: `st ${o.status}`, textContent: o.status })),
    el("td", { textContent: orderProgress(o) }),
    el("td", { className: "why", textContent: orderWhy(o) }),
  );
}

/** The autoscaling line and the latest orders of a pool (none: the table hidden, a sentence instead). */
export function renderSupply(
  nodes: { autoscale: HTMLElement; body: HTMLTableSectionElement; empty: HTMLElement },
  orders: Order[],
  autoscale: AutoscaleView | null,
): void {
  nodes.autoscale.textContent = autoscaleLine(autoscale);
  const shown = [...orders].sort((a, b) => b.createdAt - a.createdAt).slice(0, ORDERS_SHOWN);
  nodes.body.replaceChildren(...shown.map(orderRow));
  const table = nodes.body.closest("table");
  if (table) table.hidden = !shown.length;
  nodes.empty.hidden = shown.length > 0;
}
