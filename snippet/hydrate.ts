/**
 * Server-rendered React pages (Next.js, Remix, Gatsby… with hydrateRoot): the snippet must not
 * change server-rendered DOM that React has not hydrated yet. React compares that DOM with its first
 * render; a changed text is a hydration error (#418/#423/#425) and React throws the server DOM away
 * and renders the whole root again. Once a node is hydrated, writing into it is safe (React
 * compares props with props after that, not with the DOM), and the observer catches re-renders.
 */

/** Marks of a React server-rendered page whose root may not exist yet (Next.js pages, Gatsby, React ≤ 17). */
const SSR = "#__next,#___gatsby,[data-reactroot]";

/**
 * True while n may still be hydrated: an ancestor (or n) is React's root container (hydrateRoot has
 * been called: `__reactContainer$…`) and none between is hydrated yet (`__reactFiber$…`, set on a
 * node once it and everything inside it are hydrated); or no root is found, the page is not loaded
 * yet (the app's scripts have not all run) and it looks server-rendered by React (data-hydrate on
 * the script tag, the marks above, Next.js' app router's `self.__next_f`).
 */
export const pending = (n: Node | null, hydrate: boolean): boolean => {
  for (let k: string; n; n = n.parentNode) {
    if ((k = Object.keys(n) + "").includes("__reactFiber")) return false;
    if (k.includes("__reactContainer")) return true;
  }
  return document.readyState != "complete" && (hydrate || !!(self as any).__next_f || !!document.querySelector(SSR));
};
