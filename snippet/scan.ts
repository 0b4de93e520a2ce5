/** The DOM side: which nodes to look at, walked as fast as a bare TreeWalker pass allows. */

/**
 * Never looked into, with everything inside: the head, code, form fields (an <input> has no text),
 * editable content, opt-outs, numbers not revealed yet (click-to-reveal, main.ts: the attribute goes
 * on the first click). A text run ends at any of them, and at a <br>. Not <template>: its content
 * is a fragment of its own, outside the page's tree (and every selector here is tried on every
 * element). (Written out, not built from a shared name: gzip takes a repeated string for less than
 * the concatenation.)
 */
const SKIP = "head,script,style,noscript,textarea,select,[contenteditable],[data-dni-ignore],[data-dni-reveal],br";
/** Links to a number: `tel:` and `sms:` (any case). */
const LINK = '[href^="tel:"i],[href^="sms:"i]';
/**
 * A link's number, after its scheme (and any slashes), up to an sms: body or a tel: extension
 * (`;ext=12`, a pause or wait and digits: `,,123`, `#204`, `p45`, `w45`, `x7`; a p, w or x before a
 * letter, as in `ext. 204` or 1-800-PLUMBER, is read on): read here, replaced by main.ts. The
 * number is the first group (the one inside it captures too: fewer bytes than `(?:`).
 */
export const LINK_NUMBER = /:\/*(([^?;&,#pwx]|[pwx](?!\d))*)/i;
/**
 * Inline elements, by tag name: a text run goes on across them (`<b>(800)</b> 555-0199`). A tag
 * list: getComputedStyle is slow, and so is Element.matches() on every text's parent. Not a link:
 * its text is a run of its own (so a number in it is found when glued to a digit outside it,
 * `<a href="tel:…">(415) 555-0132</a><a href="tel:…">(800) 555-0199</a>` as JSX writes two links:
 * its href is swapped, and so must be the number it shows). Nor `<sup>` and `<sub>`: no number is
 * written half raised, and a footnote's mark glued to one (`020 7946 0958<sup>1</sup>`) is no digit of it.
 */
const INLINE = /^(abbr|b|em|font|i|mark|small|span|strong|u)$/;

/**
 * Called with each run of text that holds a digit (its nodes, their texts joined by "\0"), and with
 * each `tel:`/`sms:` link (no texts, its number, the link). A truthy return ends the walk.
 */
export type Found = (texts: Text[], value: string, link?: Element) => unknown;

/**
 * Walks root (an element, or an open shadow root) unless it is (inside) something never looked
 * into, and the open shadow roots inside (nested ones too: each is handed to observe, then walked as
 * a root of its own). Returns true when found asked to stop.
 *
 * Links as the walk meets them: root itself and the links inside it (a link added on its own, a
 * revealed link, an href set later), not inside a skipped element (the walk passes over those), each
 * with its number percent-decoded (`tel:+1%20800%20555%200199`, as URIs write spaces, and `%2B` from
 * encodeURIComponent; unescape() never throws) without what follows it (an `sms:` body after "?" or
 * "&", a `tel:` extension: LINK_NUMBER) and without the slashes of `tel://`. A link does not end a run of text.
 *
 * The runs of text. A run is the text nodes (not empty) that follow each other under the same
 * block, their nearest ancestor that is not INLINE, or root (`Call <strong>800</strong>.<strong>555</strong>.0199`):
 * it ends at a text of another block (an outer one, or one inside), and at a skipped element or a
 * <br>. An element without text between two texts (an <img>, an empty <div>) does not end it. Its
 * texts are joined by "\0", which the HTML parser never leaves in a text: find() reads it as the
 * border between two nodes. Most runs are one node. A run without a digit is not handed on: every
 * way of writing a number has one. Its test is a quick superset: ASCII digits, full-width ones and
 * everything from U+0660 to U+17E9, which holds the other scripts' digits a number may be written
 * in (shared/pairs.ts NATIVE_DIGITS: Arabic-Indic to Khmer) but also letters of those scripts (a
 * Persian or Hindi page's runs are all handed on; the test after it is exact). Not `\p{Nd}`: V8
 * tries a class of more than ~16 ranges at every character of a two-byte text (a curly quote, a
 * dash, any non-Latin script), ten times slower than this one, and its first use on a page is
 * slower still; on the 50,000-node bench page the walk took 0.9× the time warm and half cold.
 *
 * Speed: one TreeWalker without a NodeFilter (a JS filter is called back from native code for every
 * node: many times slower); the skipped elements and the links are found by the browser's selector
 * engine (one querySelectorAll each), not by testing every element, and looked up in a Set as the
 * walk meets them (a closest() per link to tell whether it is inside a skipped element cost more).
 */
/** The page's document (one name for it: fewer bytes than `document` written at each use). */
export const doc = document;
/** The window (one name for it, as for the document; `self`: fewer bytes than `window`). */
export const page: any = self;

export const walk = (root: Element | ShadowRoot, found: Found, observe: (r: ShadowRoot) => void): unknown => {
  const walker = doc.createTreeWalker(root, 5),
    skipped = new Set(root.querySelectorAll(SKIP)),
    links = new Set(root.querySelectorAll(LINK)),
    /** Hands on the run, if it holds a digit, and starts a new one. */
    end = (r = run, v = value) => {
      run = [];
      value = "";
      // A digit, or a letter of a script with its own digits (inline: 7 B fewer than a const).
      return /[\d\u0660-\u17e9\uff10-\uff19]/.test(v) && found(r, v);
    };
  let node: any = root,
    run: Text[] = [],
    value = "",
    /** A skipped element being passed over, the run's block (or the skipped element that ended it), a text's block. */
    skipping: any,
    block: any,
    parent: any,
    shadow: ShadowRoot | null;
  // Inside a skipped element: nothing to do, also one above the shadow hosts it is in (closest()
  // stops at a shadow root: each host's own tree is asked in turn; a web component attaches its root
  // before it is in the page, so only a walk of what goes into it can tell). A root may also be a
  // fragment or the document (the parent of a node an observer's record names, moved off the page
  // since): no closest(), no host, walked.
  for (let outer: any = root; outer; outer = outer.getRootNode().host) if ((outer = outer.host || outer).closest?.(SKIP)) return;
  (root as any).matches?.(LINK) && links.add(root as Element);
  do
    if (!(skipping && skipping.contains(node)))
      if (((skipping = 0), !node.splitText)) {
        // An element (of the walker's elements and texts, only a text has splitText: fewer bytes than nodeType).
        // A skipped element ends the run: the next text's block is not it.
        if (skipped.has(node)) {
          if (end()) return 1;
          skipping = block = node;
        } else if (
          (links.has(node) && found([], unescape(LINK_NUMBER.exec(node.getAttribute("href"))![1]!), node)) ||
          ((shadow = node.shadowRoot) && (observe(shadow), walk(shadow, found, observe)))
        )
          return 1;
      } else if (node.data) {
        for (parent = node.parentNode; parent != root && INLINE.test(parent.localName); ) parent = parent.parentNode;
        if (parent != block && end()) return 1;
        run.push(node);
        // Its texts joined by "\0" (the run's value is empty only while it has no text).
        value += (value && "\0") + node.data;
        block = parent;
      }
  while ((node = walker.nextNode()));
  return end();
};
