/**
 * The core: start(config) ties the session, cache, request, scanning and observer together.
 * (Over 300 lines: one closure whose parts share the page view's state — the allocation, the pairs,
 * the hidden elements, the retry — and whose locals the minifier shortens; split into modules, that
 * state would travel as properties, which it cannot shorten: bytes against the size budget.)
 */
import type { AllocateRequest, AllocateResponse, PhoneParts } from "../shared/protocol";
import { load, save } from "./cache";
import type { Config } from "./config";
import { report, trace } from "./debug";
import { DEBUG, FULL } from "./flags";
import { write } from "./format";
import { pending } from "./hydrate";
import { find, type Pair, phoneLike } from "./match";
import { doc, LINK_NUMBER, page, walk } from "./scan";
import { session, type Visit } from "./session";

/** Defined (true) by scripts/build-snippet.mjs: the bundle leaves out what only tests use. */
declare const DNI_BUILD: boolean | undefined;
/** api.stop() is there (tests, dni-full.js): dni.js keeps no handle for it (the renewal's timer). */
const STOPPABLE = typeof DNI_BUILD == "undefined" || FULL;

/**
 * The cached answer (localStorage "dni:a"): the worker's answer (with its session token), when it
 * came (the client's clock: the answer's `lease` and `renew` are lengths, so a skewed clock cancels
 * out) and the site key, pools and source rules it was asked with.
 */
export interface Cached extends AllocateResponse {
  at: number;
  asked: string;
}

/** window.dni: call it with a command (`dni("number", destination, callback)`) or use its methods. */
export interface Api {
  (command: "number", destination?: string, callback?: (n: PhoneParts | null) => void): Promise<void>;
  /** The tracking number shown in place of a destination (any format; none: the first), or null. */
  /** data-consent (consent.ts): the visitor granted (true) or denied (false) consent. */
  (command: "consent", granted: boolean): Promise<void>;
  number(destination?: string): Promise<PhoneParts | null>;
  /** Stops observing, listening and renewing (tests, and consent.ts: not in the default bundle). */
  stop?(): void;
}

/**
 * Most swaps one page view makes (a page of many numbers re-rendered many times stays far below;
 * a page script trading writes with the snippet reaches it in about a quarter of a second).
 */
export const SWAPS_MAX = 2e4;

/** The snippet's one way to report: a console warning, never an error thrown into the page. */
export const warn = (m: unknown) => console.warn("dni:", m);

/**
 * Starts the snippet on this page: the session token and this page view's touch, then either a
 * synchronous swap from a live cached answer of the same session (renewed in the background when
 * the worker said) unless the URL brings another campaign click, or, when the page shows a number
 * (a known destination, or anything phone-like before the first answer), one request. Content
 * added later is swapped by a MutationObserver.
 */
export const start = (config: Config, visit?: Visit): Api => {
  // Not a default parameter: dni.js then makes the visit in place (fewer bytes).
  visit ||= session();
  const { key, pool, sources } = config,
    hydrate = "hydrate" in config,
    asked = [key, pool, sources] + "",
    hidden: CSSStyleDeclaration[] = [],
    /** Destinations whose swap was told on this page view (a timer id: never 0). */
    seen: Record<string, number> = {},
    cached: Cached | undefined = load("dni:a"),
    /** Takes an answer's destinations (with their numbers) and pattern as what to find. */
    learn = (answer: AllocateResponse) => {
      pattern = RegExp(answer.pattern, "g");
      pairs = answer.pairs;
    },
    // Only what is still as it hid it: a page's own script may have shown an element since (a
    // scroll-reveal effect setting visibility inline), which clearing it would hide again. Hiding
    // stays on (data-hide) for what later waits for hydration: a repeat view's swap runs before the
    // page's body may be parsed, and the nodes it then finds must be hidden until React hydrates.
    unhide = () => hidden.splice(0).forEach((style) => style.visibility == "hidden" && (style.visibility = "")),
    /** data-hide: hides the elements of these texts (unless styled inline): a text's parent, or the host of the shadow root it is in. */
    conceal = (texts: Text[], style?: any) =>
      hide &&
      texts.forEach(
        (node: any) => !(style = (node = node.parentNode).style || node.host.style).visibility && hidden.push(style) && (style.visibility = "hidden"),
      ),
    /** Scans again what waited for hydration; shows what was hidden once nothing waits. */
    retry = () => {
      DEBUG && !tries && trace("waiting for the page's framework (React) to hydrate before writing into its nodes");
      waiting = 0;
      tries++;
      scan([doc.body]);
      waiting || unhide();
    },
    /**
     * A run of text or a link found by the walk. Once there is an allocation, each destination in it
     * whose pool has a number is written in its place — in the text (its nodes each get their part
     * back) or the link's href (before what follows the number: an sms: body, an extension) — unless
     * a framework has yet to hydrate these nodes (then tried again in 50 ms, 10 s at most, hidden
     * meanwhile with data-hide). Before an answer: asks for one if it shows a known destination (from
     * an expired lease) or, with none known, anything phone-like; then the walk may stop (data-hide
     * needs them all).
     */
    found = (texts: Text[], value: string, link?: Element) => {
      // hit, swapped, wait: only their truthiness is read (undefined at first: no `= 0`, bytes).
      let hit: unknown, swapped: unknown, wait: unknown, parts: string[], swap: (written: string, pair: Pair) => string;
      // The pattern is tried first: most texts with a digit hold no destination, and a test is
      // cheaper than a replace (profiled); swap is made only then.
      if (pattern.test(value))
        /**
         * Writes the number of a destination found (`written`) in its place, unless its pool has
         * none, it is the number already, or a framework has yet to hydrate the nodes; a link's
         * href too. (In one expression with what follows: as a block, 4 B more gzip.)
         */
        (swap = (written: string, [destination, number, mode, detail]: Pair) => {
          hit = 1;
          // A replaceAll pool's "every number" also finds the numbers an earlier pass wrote (a
          // renewal scans again): the session's number stays as it was written. (A destination
          // never ends in its tracking number's digits.)
          if (!(allocation && number) || written.replace(/\D/g, "").endsWith(number.nsn) || (wait ||= 200 > tries && pending(texts[0] || link!, hydrate)))
            return written;
          swapped = ++swaps;
          // The first swap of each destination on this page view is told: a `dni:swap` event on
          // document and a dataLayer push (GTM), after the writes (a listener then sees the page
          // swapped). (Written here, not as a function: fewer bytes.)
          seen[destination.e164] ||= setTimeout(() => {
            doc.dispatchEvent(new CustomEvent("dni:swap", { detail }));
            (page.dataLayer ||= []).push({ event: "dni:swap", dni: detail });
          });
          link?.setAttribute("href", link.getAttribute("href")!.replace(LINK_NUMBER, ":" + number.e164));
          return write(written, destination, number, mode);
        }),
          // What a screen reader (aria-label) and a tooltip (title) say of a link: the number it
          // dials. The properties reflect the attributes (ariaLabel: Chrome 81, Safari 12.1, Firefox
          // 119; older ones keep the label); an SVG <a> has no title property and keeps its own.
          // Before the href's own number: a swap rewrites the href, and the last one written is the
          // one it dials (a label may name another pool's destination: "or call London …").
          link &&
            (["ariaLabel", "title"] as const).forEach(
              (name) => (link as HTMLElement)[name] && ((link as HTMLElement)[name] = find((link as HTMLElement)[name]!, pattern, pairs, swap)),
            ),
          (value = find(value, pattern, pairs, swap));
      if (allocation) {
        if (wait) conceal(texts), (waiting ||= setTimeout(retry, 50));
        // Each text node of the run gets its part back, only if no text held a "\0" of its own (it
        // would shift the parts). A link has no texts.
        else if (swapped) (parts = value.split("\0")).length == texts.length && texts.forEach((text, i) => (text.data = parts[i]!));
      } else if (pairs[0] ? hit : link || phoneLike(value)) return (request(), conceal(texts), !hide);
    },
    /**
     * Scans the roots and what was added (records, and those still queued): swaps what it finds, or
     * before an answer asks for one; then drops the records of its own writes.
     */
    scan = (roots: (Node | null)[], records: MutationRecord[] = []) => {
      try {
        roots
          .concat(...records.concat(observer.takeRecords()).map((record) => (record.type == "childList" ? [...record.addedNodes] : [record.target])))
          // A text (or comment) node: its parent, an element or a shadow root. Only elements have
          // matches(), only shadow roots a host.
          .forEach((node: any) => node && (node.matches || node.host || (node = node.parentNode)) && walk(node, found, watch));
      } catch (e) {
        warn(e);
      }
      observer.takeRecords();
    },
    /**
     * Content changed later is scanned, until the page view has had SWAPS_MAX swaps: a page script
     * that writes the original back whenever it changes (an A/B testing tool re-applying its
     * variation) would otherwise trade writes with the snippet for ever, and freeze the page.
     */
    observer = new MutationObserver((records) => (SWAPS_MAX > swaps ? scan([], records) : observer.disconnect())),
    /** Observes a root (the document, an open shadow root): added content, changed text, an href set later. */
    watch = (root: Node) => observer.observe(root, { childList: true, subtree: true, characterData: true, attributeFilter: ["href"] }),
    /** Takes an allocation into use, swaps the page, and renews when the worker said (at once if that is past). */
    use = (answer: Cached) => {
      // An answer to a request made before stop() (consent withdrawn): nothing is swapped or renewed.
      if (STOPPABLE && !live) return;
      learn((allocation = answer));
      scan([doc.body]);
      DEBUG && report(answer, pairs, seen);
      waiting || unhide();
      const timer = setTimeout(request, answer.at + answer.renew - Date.now());
      if (STOPPABLE) renewal = timer;
    },
    /**
     * The one request (or a renewal): POST {api}/v1/allocate with a JSON body as text/plain (a CORS
     * simple request), aborted after 2 s. On any failure or refusal the original numbers stay.
     * Called for every phone-like text of a first view: only the first call makes anything (its
     * signal made on every call was about a fifth of a first view's scan, profiled).
     */
    request = (): Promise<void> =>
      (inFlight ||=
        (DEBUG &&
          trace(
            "asking",
            config.api + "/v1/allocate",
            "for pools",
            pool || "(the source rules', else the account's default)",
            "with rules",
            sources || "(none)",
          ),
        fetch(config.api + "/v1/allocate", {
          method: "POST",
          // The visit is its token and touch (session.ts), as the request names them.
          body: JSON.stringify({ ...visit, key, pool, sources } satisfies AllocateRequest),
          // Aborted after 2 s where the browser has AbortSignal.timeout (Safari 16, Chrome 103,
          // Firefox 100); before those, a late answer still swaps (an AbortController and a timer for
          // them cost 11 B).
          signal: AbortSignal.timeout?.(2e3),
        })
          .then((r) => r.json())
          .then((answer: Cached) => {
            // A refusal's ErrorBody (anything without a lease) fails here, and is warned.
            if (!answer.lease) throw answer;
            // The session the worker decided on (its token changes with the numbers it names), kept
            // only while storage holds the token this page view sent: a renewal of an older page view
            // does not replace the session another tab began since. This page view goes on with its
            // own. The cache is checked against the stored token.
            load("dni:t") == visit.token && save("dni:t", answer.token), (visit.token = answer.token);
            (answer.at = Date.now()), (answer.asked = asked), save("dni:a", answer);
            inFlight = 0;
            use(answer);
          })
          .catch((e) => {
            DEBUG && trace("the request failed or was refused: the original numbers stay", e);
            // A renewal that failed (offline, asleep, a 5xx) is asked again until it is answered:
            // the lease ends otherwise and the number shown goes to another visitor. A first view's
            // failure leaves the originals (allocation [], truthy: nothing asks again) and forgets what an
            // expired cache taught (its numbers may be other visitors' by now): nothing found, none answered.
            inFlight = 0;
            // Not after stop() (consent withdrawn while it was in flight): that request would carry the visit.
            if (allocation && (!STOPPABLE || live)) {
              const timer = setTimeout(request, 2e4);
              if (STOPPABLE) renewal = timer;
            } else (allocation = pairs = []), (pattern = /(?!)/g);
            unhide();
            warn(e);
          }))),
    /** Settles once there is an allocation (or a failure): asks for one if none was asked. */
    ready = async () => allocation || request(),
    /** Click-to-reveal: the first click on a [data-dni-reveal] element allocates and swaps inside it. */
    click = (event: Event, target?: any /* a local (fewer bytes than a let) */) =>
      (target = (event.target as any).closest?.("[data-dni-reveal]")) &&
      (event.preventDefault(), target.removeAttribute("data-dni-reveal"), ready().then(() => scan([target])));
  /**
   * What to find: the destinations (of an answer or the cache) with their numbers, and their pattern
   * (before any: one that matches nothing).
   */
  let pairs: Pair[] = [],
    pattern = /(?!)/g,
    // allocation, inFlight, waiting: only their truthiness is read (undefined at first: no `= 0`, bytes).
    /** The allocation in use; [] after a first view's failure (nothing written); none before. */
    allocation: Cached | Pair[] | undefined,
    /** The request in flight (0 or undefined: none; after a first view's failure allocation [] keeps it from asking again). */
    inFlight: Promise<void> | 0 | undefined,
    /** Anti-flicker (data-hide): on until the answer, or for at most a second. */
    hide: any = "hide" in config,
    renewal: any,
    /** The retry of what waits for hydration (hydrate.ts), and how many were made. */
    waiting: any,
    tries = 0,
    /** Swaps written on this page view (each destination found and written, each link). */
    swaps = 0;

  watch(doc.documentElement);
  // A shadow root attached later to an element already in the page makes no mutation record: each
  // open one is observed as it is attached, so what goes into it is (closed ones are left alone; what
  // goes into one whose host is inside something never looked into is left by the walk: scan.ts).
  // After stop() the wrapper may stay in the chain (another script wrapped it since): it then
  // observes nothing (observe() would wake the disconnected observer).
  const element = Element.prototype,
    attach = element.attachShadow;
  let live = 1;
  const wrapped = (element.attachShadow = function (this: Element, root: any /* the init, then the root: one name, fewer bytes */) {
    root = attach.call(this, root);
    live && this.shadowRoot && watch(root);
    return root;
  });
  doc.addEventListener("click", click, true);
  // A live answer of this session is used at once, unless this URL brings another campaign click
  // (the worker may begin a new session: asked first). Then the cache teaches nothing: the page is a
  // first view, which asks for anything phone-like (the new source's rules may pick a pool whose
  // destinations the cached answer does not name, and the click must reach the worker). An answer
  // over a week old (6e8 ms) teaches nothing either: a business whose number changed since would
  // never be asked for again by its returning visitors (only the old destinations ask).
  // (`cached.at + 6e8 > Date.now()`: written as the lease check below is, 4 B less gzip.)
  if (cached?.asked == asked && cached.at + 6e8 > Date.now() && !RegExp(cached.campaign).test(visit.source.landing!))
    learn(cached), cached.token == visit.token && cached.at + cached.lease > Date.now() && use(cached);
  if (!allocation) {
    // Before the first answer, a second at most: then what was hidden is shown, and nothing more
    // is hidden before an answer.
    if (hide)
      setTimeout(() => {
        hide = 0;
        unhide();
      }, 1e3);
    scan([doc.body]);
  }
  if (DEBUG) {
    trace(
      "session",
      cached && cached.token == visit.token ? cached.session : "(the answer names it)",
      "this page view's touch",
      visit.source,
      cached
        ? cached.asked != asked
          ? "cached allocation for other settings"
          : allocation
            ? "live cached allocation used"
            : pairs[0]
              ? "cached allocation expired"
              : "cached allocation not used: the URL brings another campaign click"
        : "no cached allocation",
    );
    if (!allocation && !inFlight) trace("nothing phone-like on the page (7 digits, or a tel: link): no request; content added later is still looked at");
  }

  // A command this bundle has not (`consent` without data-consent, a typo) does nothing: a page's
  // callback calling it goes on (a TypeError thrown into it would break the page's script).
  const api: Api = ((command: "number", destination?: string, callback?: any) => api[command]?.(destination).then(callback)) as Api;
  api.number = (destination, pair?: any) =>
    ready().then(() => (destination ? (find(destination, pattern, pairs, (_, found) => (pair ||= found)), pair) : pairs[0])?.[1] || null);
  if (STOPPABLE)
    api.stop = () => {
      live = 0;
      // Unless another script wrapped it since.
      if (element.attachShadow == wrapped) element.attachShadow = attach;
      observer.disconnect();
      doc.removeEventListener("click", click, true);
      clearTimeout(renewal);
    };
  return api;
};
