/**
 * Building the page: elements are created and filled with textContent only (never innerHTML), so
 * any text from the API is shown as text.
 */
/** An element the page's HTML is known to have (throws at start-up if index.html lost it). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: #${id} is missing from the page`);
  return node as T;
}

/** What `el` may set: id, text, class, hidden, a button's type, a link's href, data-* attributes. */
interface Props {
  id?: string;
  className?: string;
  textContent?: string;
  hidden?: boolean;
  type?: "button" | "submit";
  href?: string;
  /** A link's: "_blank" with rel "noopener noreferrer" for another site's. */
  target?: string;
  rel?: string;
  title?: string;
  disabled?: boolean;
  dataset?: Record<string, string>;
}

/** Marks which of `buttons` are on: class "on" for the eye, aria-pressed for a screen reader. */
export function markOn(buttons: readonly HTMLElement[], isOn: (b: HTMLElement) => boolean, className = "on"): void {
  for (const b of buttons) {
    b.classList.toggle(className, isOn(b));
    b.setAttribute("aria-pressed", String(isOn(b)));
  }
}

/** `<tag class=… >text or children</tag>`. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

/**
 * Redraws what `container` holds (`redraw`) and gives the keyboard's focus back to the same control
 * when it was on one inside (a pool card, a call's link, a Redeliver button: found again by its
 * `data-id` or `href`): the minute's reload redraws them, and focus dropped to the page's start.
 */
export function keepingFocus(container: HTMLElement, redraw: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? focusKey(active) : null;
  redraw();
  if (key) container.querySelector<HTMLElement>(key)?.focus();
}

function focusKey(e: HTMLElement): string | null {
  if (e.dataset.id) return `[data-id="${CSS.escape(e.dataset.id)}"]`;
  const href = e.getAttribute("href");
  return href ? `a[href="${CSS.escape(href)}"]` : null;
}
