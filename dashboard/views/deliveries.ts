/**
 * Deliveries that are failing (retrying after a failed attempt) or dead (retries ran out): what, to
 * where, how often it was tried and why it failed, with a Redeliver button (one more copy, same id).
 */
import type { DeliveryItem } from "../api";
import { el, keepingFocus } from "../dom";
import { when } from "../format";
import { callHref } from "./recent-calls";

/** A delivery's kind in words (the table's and the call detail's). */
const KINDS: Record<string, string> = {
  ga4: "GA4",
  webhook: "Call webhook",
  alert: "Alert webhook",
  alert_email: "Alert email",
  google_ads: "Google Ads",
  microsoft_ads: "Microsoft Ads",
};

/** A delivery in words: its kind and event ("Call webhook · call"). */
export const deliveryWhat = (d: { kind: string; event: string }) => `${KINDS[d.kind] ?? d.kind} · ${d.event}`;

export interface DeliveryLine {
  id: string;
  what: string;
  callId: string | null;
  state: "failing" | "dead";
  tries: string;
  why: string;
}

/** Failing and dead deliveries in one list, newest first (by id), each once. */
export function failingDeliveries(failing: DeliveryItem[], dead: DeliveryItem[]): DeliveryItem[] {
  const byId = new Map<string, DeliveryItem>();
  for (const d of [...failing, ...dead]) byId.set(d.id, d);
  return [...byId.values()].sort((a, b) => Number(b.id) - Number(a.id));
}

/** How a delivery reads: "Call webhook · call.completed", "retrying: 3 attempts, next 14:05", the last error. */
export function deliveryLine(d: DeliveryItem): DeliveryLine {
  const attempts = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
  const dead = d.status === "dead";
  return {
    id: d.id,
    what: deliveryWhat(d),
    callId: d.callId,
    state: dead ? "dead" : "failing",
    tries: dead ? `gave up after ${attempts}` : `retrying: ${attempts}, next ${when(d.nextAttemptAt)}`,
    why: d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "no answer"),
  };
}

/** Fills the table; `onRedeliver` is called with a row's id and button when it is clicked. */
export function renderDeliveries(
  body: HTMLTableSectionElement,
  empty: HTMLElement,
  items: DeliveryItem[],
  onRedeliver: (id: string, button: HTMLButtonElement, note: HTMLElement) => void,
): void {
  empty.hidden = items.length > 0;
  keepingFocus(body, () => redrawDeliveries(body, items, onRedeliver));
}

function redrawDeliveries(
  body: HTMLTableSectionElement,
  items: DeliveryItem[],
  onRedeliver: (id: string, button: HTMLButtonElement, note: HTMLElement) => void,
): void {
  body.replaceChildren(
    ...items.map(deliveryLine).map((l) => {
      const button = el("button", { type: "button", className: "redeliver", textContent: "Redeliver", dataset: { id: l.id } });
      // Told apart from the other rows' buttons: "Redeliver Call webhook · call of call CA1".
      button.setAttribute("aria-label", `Redeliver ${l.what}${l.callId ? ` of call ${l.callId}` : ` ${l.id}`}`);
      const note = el("span", { className: "muted small note" });
      // What Redeliver did is said to a screen reader too.
      note.setAttribute("role", "status");
      button.addEventListener("click", () => onRedeliver(l.id, button, note));
      return el(
        "tr",
        { dataset: { delivery: l.id } },
        el(
          "td",
          {},
          el("span", { textContent: l.what }),
          l.callId ? el("a", { className: "small block", href: callHref(l.callId), textContent: l.callId }) : "",
        ),
        el("td", {}, el("span", { className: `st ${l.state}`, textContent: l.state }), el("span", { className: "small block muted", textContent: l.tries })),
        el("td", { className: "why", textContent: l.why }),
        el("td", {}, button, note),
      );
    }),
  );
}
