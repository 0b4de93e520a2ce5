/** The DOM side: which nodes to look at. */

/** Click-to-reveal elements not clicked yet (the attribute goes on the first click). */
export const REVEAL = "data-dni-reveal";
/**
 * Never looked into, with everything inside: the head, code, form fields (an <input> has no text),
 * editable content, opt-outs, numbers not revealed yet.
 */
const SKIP = "head,script,style,noscript,textarea,select,template,[contenteditable],[data-dni-ignore],[" + REVEAL + "]";

/**
 * Walks root and its subtree unless root is (inside) something never looked into. Calls f with each
 * text node and its text, and with each `tel:` link (root itself included: a link added on its own,
 * a revealed link): no node, its number percent-decoded (`tel:+1%20800%20555%200199`, as URIs write
 * spaces, and `%2B` from encodeURIComponent; unescape() never throws), the link. A number split over
 * several elements (`<b>(800)</b> 555-0199`) is not seen (its tel: link is).
 */
export const walk = (root: Element, f: (t: Text | 0, v: string, a?: Element) => void) => {
  // No NodeFilter: a JS filter is called back from native code for every node, which makes a walk
  // many times slower in Chromium. Inside a subtree never looked into (s), nodes are passed over.
  const w = document.createTreeWalker(root, 5);
  let n: any = root,
    s: any,
    h: string | null;
  if (!root.closest(SKIP))
    do
      (s && s.contains(n)) ||
        ((s = 0),
        // An element (a text node has no matches()).
        n.matches
          ? n.matches(SKIP)
            ? (s = n)
            : (h = n.getAttribute("href")) && /^tel:/i.test(h) && f(0, unescape(h.slice(4)), n)
          : f(n, n.data));
    while ((n = w.nextNode()));
};
