/**
 * Server-rendered React pages (Next.js, Remix, Gatsby… with hydrateRoot): the snippet must not
 * change server-rendered DOM that React has not hydrated yet. React compares that DOM with its first
 * render; a changed text is a hydration error (#418/#423/#425) and React throws the server DOM away
 * and renders the whole root again. Once a node is hydrated, writing into it is safe (React
 * compares props with props after that, not with the DOM), and the observer catches re-renders.
 */

/**
 * True while node may still be hydrated: an ancestor (or node) is React's root container (hydrateRoot has
 * been called: `__reactContainer$…`) and none between is hydrated yet (`__reactFiber$…`, set on a
 * node once it and everything inside it are hydrated); or no root is found, the page is not loaded
 * yet (the app's scripts have not all run) and it looks server-rendered by React (data-hydrate on
 * the script tag, Next.js' `#__next` root (pages router) or `self.__next_f` (app router)).
 */
import { doc, page } from "./scan";

export const pending = (node: Node | null, hydrate: boolean, react?: RegExpExecArray | null /* a local (fewer bytes than a let) */): unknown => {
  // Truthy or falsy (the caller only tests it): no !! (bytes). The container's group: "C"; a fiber's:
  // none. exec() reads the keys as one string, joined by commas.
  for (; node; node = node.parentNode) if ((react = /__react(C)|__reactF/.exec(Object.keys(node) as any))) return react[1];
  // `self.__next`: the element with id="__next", by the window's named access to ids (fewer bytes than getElementById).
  return doc.readyState != "complete" && (hydrate || page.__next_f || page.__next);
};
