/** The DOM side: which nodes to look at. */

/** Click-to-reveal elements not clicked yet (the attribute goes on the first click). */
export const REVEAL = "data-dni-reveal";
/**
 * Never looked into, with everything inside: the head, code, form fields (an <input> has no text),
 * editable content, opt-outs, numbers not revealed yet. A text run ends at any of them, and at a
 * <br>.
 */
const SKIP = "head,script,style,noscript,textarea,select,template,[contenteditable],[data-dni-ignore],[" + REVEAL + "],br";
/**
 * Inline elements: a text run goes on across them (`<b>(800)</b> 555-0199`). A tag list:
 * getComputedStyle is slow.
 */
const INLINE = "a,abbr,b,em,font,i,mark,small,span,strong,sub,sup,u";

/**
 * Walks root (an element, or an open shadow root) and its subtree unless root is (inside) something
 * never looked into, and the open shadow roots inside (nested ones too: each is walked as a root of
 * its own, and handed to o first, to be observed). Calls f with each run of text, and with each
 * `tel:` or `sms:` link (root itself included: a link added on its own, a revealed link, an href set
 * later): no texts ([]), its number percent-decoded (`tel:+1%20800%20555%200199`, as URIs write
 * spaces, and `%2B` from encodeURIComponent; unescape() never throws) without what follows it (an
 * `sms:` body, a `tel:` extension), the link.
 *
 * A run is the text nodes (not empty) inside root that follow each other under the same block,
 * their nearest ancestor that is not INLINE, or root (`Call <strong>800</strong>.<strong>555</strong>.0199`):
 * it ends at a text of another block (an outer one, or one inside), and at a skipped element or a
 * <br>. An element without text between two texts (an <img>, an empty <div>) does not end it. f
 * gets the nodes and their texts joined by "\0", which the HTML parser never leaves in a text:
 * find() reads it as the border between two nodes. Most runs are one node.
 */
export const walk = (root: Element | ShadowRoot, f: (t: Text[], v: string, a?: Element) => void, o: (r: ShadowRoot) => void) => {
  // No NodeFilter: a JS filter is called back from native code for every node, which makes a walk
  // many times slower in Chromium. Inside a subtree never looked into (s), nodes are passed over.
  const w = document.createTreeWalker(root, 5),
    /** Ends the run r (also called with none: f finds nothing in "", and it is rare). */
    end = () => {
      f(r, r.map((t) => t.data).join("\0"));
      r = [];
    };
  let n: any = root,
    s: any,
    h: any,
    /** The run, its block (or the skipped element that ends it), a text's block. */
    r: Text[] = [],
    B: any,
    b: any;
  if (!((root as ShadowRoot).host || (root as Element)).closest(SKIP))
    do
      if (!(s && s.contains(n)))
        if (((s = 0), n.matches))
          // An element (a text node has no matches()). A skipped one (or <br>) ends the run: the
          // next text's block is not it.
          n.matches(SKIP)
            ? (s = B = n)
            : (n.shadowRoot && (o(n.shadowRoot), walk(n.shadowRoot, f, o)),
              (h = n.getAttribute("href")) && (h = /^(tel|sms):([^?;]*)/i.exec(h)) && f([], unescape(h[2]), n));
        else if (n.data) {
          // A text: its block (b), the run's (B).
          for (b = n; (b = b.parentNode) != root && b.matches(INLINE); );
          b != B && end();
          r.push(n);
          B = b;
        }
    while ((n = w.nextNode()));
  end();
};
