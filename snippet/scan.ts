/** The DOM side: which nodes to look at. */

/** Click-to-reveal elements not clicked yet (the attribute goes on the first click). */
export const REVEAL = "data-dni-reveal";
/**
 * Never looked into, with everything inside: the head, code, form fields (an <input> has no text),
 * editable content, opt-outs, numbers not revealed yet.
 */
const SKIP = "head,script,style,noscript,textarea,select,template,[contenteditable],[data-dni-ignore],[" + REVEAL + "]";

/**
 * Walks root's subtree unless root is (inside) something never looked into. Calls f with each text
 * node and its text, and with each `tel:` link: no node, its number, the link. A number split over
 * several elements (`<b>(800)</b> 555-0199`) is not seen (its tel: link is).
 */
export const walk = (root: Element, f: (t: Text | 0, v: string, a?: Element) => void) => {
  const w = document.createTreeWalker(root, 5, (n) => (n.nodeType == 1 && (n as Element).matches(SKIP) ? 2 : 1));
  let n: any, h: string | null;
  if (!root.closest(SKIP))
    while ((n = w.nextNode()))
      n.nodeType == 1 ? (h = n.getAttribute("href")) && /^tel:/i.test(h) && f(0, h.slice(4), n) : f(n, n.data);
};
