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
