/** The core: start(config) ties the session, cache, request, scanning and observer together. */
import type { AllocateRequest, AllocateResponse, PhoneParts, PoolAllocation } from "../shared/protocol";
import { load, save } from "./cache";
import type { Config } from "./config";
import { report, trace } from "./debug";
import { DEBUG, FULL } from "./flags";
import { write } from "./format";
import { pending } from "./hydrate";
import { find, type Pair, phoneLike } from "./match";
import { REVEAL, walk } from "./scan";
import { type Session, session } from "./session";

/** Defined (true) by scripts/build-snippet.mjs: the bundle leaves out what only tests use. */
declare const DNI_BUILD: boolean | undefined;

/** The cached answer (localStorage "dni:a"). */
export interface Cached {
  /** Session the numbers are leased to. */
  s: string;
  /** Site key, pools and source rules asked with. */
  q: string;
  /** The session's source name (the worker's). */
  n: string;
  /** The destinations' pattern (the worker's, shared/pattern.ts). */
  p: string;
  /** The allocations. */
  a: PoolAllocation[];
  /**
   * Expiry in client ms: the client's time at the answer plus the earliest lease's time left by the
   * server's clock (expiresAt − now; 5 min for a pool without a number): the skew cancels out.
   */
  x: number;
  /** Lease length at the answer, ms. */
  l: number;
}

/** window.dni: call it with a command (`dni("number", destination, callback)`) or use its methods. */
export interface Api {
  (command: "number", destination?: string, callback?: (n: PhoneParts | null) => void): Promise<void>;
  /** data-consent (consent.ts): the visitor granted (true) or denied (false) consent. */
  (command: "consent", granted: boolean): Promise<void>;
  /** The tracking number shown in place of a destination (any format; none: the first), or null. */
  number(destination?: string): Promise<PhoneParts | null>;
  /** Stops observing, listening and renewing (tests, and consent.ts: not in the default bundle). */
  stop?(): void;
}

/** The snippet's one way to report: a console warning, never an error thrown into the page. */
export const warn = (m: unknown) => console.warn("dni:", m);

/**
 * Starts the snippet on this page: session and first touch, then either a synchronous swap from a
 * live cached lease (renewed in the background when a quarter of it is left) or, when the page shows
 * a number (a known destination, or anything phone-like before the first answer), one request.
 * Content added later is swapped by a MutationObserver.
 */
export const start = (c: Config, S: Session = session()): Api => {
  const d = document,
    hydrate = c.hydrate != null,
    q = [c.key, c.pool, c.sources] + "",
    seen: Record<string, 1> = {},
    hid: CSSStyleDeclaration[] = [],
    C: Cached | undefined = load("dni:a"),
    /** An answer's pairs: each destination with its pool's number. */
    of = (r: Cached) => ((R = RegExp(r.p, "g")), r.a.flatMap((a) => a.destinations.map((x): Pair => [x, a.number]))),
    unhide = () => hid.splice((hide = 0)).forEach((s) => (s.visibility = "")),
    /** data-hide: hides the elements of these texts (unless styled inline). */
    conceal = (T: Text[], s?: any) =>
      hide && T.forEach((t: any) => !(s = (t.parentElement || t.parentNode.host).style).visibility && hid.push(s) && (s.visibility = "hidden")),
    /** Scans again what waited for hydration; shows what was hidden once nothing waits. */
    retry = () => {
      DEBUG && !tries && trace("waiting for the page's framework (React) to hydrate before writing into its nodes");
      wait = 0;
      tries++;
      run([d.body]);
      wait || unhide();
    },
    /** The first swap of each destination: a `dni:swap` event and a dataLayer push, after the writes. */
    swapped = ([x, t]: Pair) =>
      seen[x.e164] ||
      ((seen[x.e164] = 1),
      setTimeout(
        (detail: any, w: any = self) => {
          d.dispatchEvent(new CustomEvent("dni:swap", { detail }));
          (w.dataLayer = w.dataLayer || []).push({ event: "dni:swap", dni: detail });
        },
        0,
        { destination: x.e164, number: t!.e164, source: (L as Cached).n },
      )),
    /**
     * Scans the roots and what was added (records, and those still queued): swaps what it finds, or
     * before an answer asks for one; then drops the records of its own writes.
     */
    run = (ns: (Node | null)[], rs: MutationRecord[] = []) => {
      try {
        ns.concat(...rs.concat(mo.takeRecords()).map((r) => (r.type == "childList" ? [...r.addedNodes] : [r.target])))
          // A text (or comment) node: its parent, an element or a shadow root. Only elements have
          // matches(), only shadow roots a host.
          .map((n: any) => (n && !n.matches && !n.host ? n.parentNode : n))
          .forEach(
            (n) =>
              n &&
              walk(
                n,
                (T, v, e, H?: any, P?: any, W?: any) =>
                  (
                    // Each destination found (H: one was): once there is an allocation (L), its
                    // number (if its pool has one) is written in its place in v, or in the tel: or
                    // sms: link, before what follows the number (v, not used after for a link, is
                    // then spoiled) — unless a framework has yet to hydrate these nodes (W).
                    (v = find(v, R, K, (x, p) =>
                      L && p[1] && !(W = W || (tries < 200 && pending(T[0] || e!, hydrate)))
                        ? ((H = 1), swapped(p), e ? e.setAttribute("href", e.getAttribute("href")!.replace(/:[^?;]*/, ":" + p[1].e164)) : write(x, p[0], p[1]))
                        : (H = x),
                    )),
                    L
                      ? W
                        ? // Tried again in 50 ms (10 s at most), hidden meanwhile with data-hide.
                          (conceal(T), wait || (wait = setTimeout(retry, 50)))
                        : // Each text node of the run gets its part of v back: after a hit, and only
                          // if no text held a "\0" of its own (it would shift the parts).
                          H == 1 && (P = v.split("\0")).length == T.length && T.map((t, i) => (t.data = P[i]))
                      : (K[0] ? H : e || phoneLike(v)) &&
                        // Anti-flicker: hidden until the answer, a failure or the cap.
                        (req(), conceal(T))
                  ),
                watch,
              ),
          );
      } catch (e) {
        warn(e);
      }
      mo.takeRecords();
    },
    mo = new MutationObserver((rs) => run([], rs)),
    /** Observes a root (the document, an open shadow root): added content, changed text, an href set later. */
    watch = (r: Node) => mo.observe(r, { childList: true, subtree: true, characterData: true, attributeFilter: ["href"] }),
    /**
     * Takes an allocation into use, swaps the page, and renews when a quarter of the lease is left
     * (at once if less is left).
     */
    use = (r: Cached) => {
      K = of((L = r));
      run([d.body]);
      DEBUG && report(r, K, seen);
      wait || unhide();
      timer = setTimeout(req, r.x - Date.now() - r.l / 4);
    },
    /**
     * The one request (or a renewal): POST {api}/v1/allocate with a JSON body as text/plain (a CORS
     * simple request), aborted after 2 s. On any failure or refusal the original numbers stay.
     * Called for every phone-like text of a first view: only the first call makes anything (an
     * AbortController made on every call was about a fifth of a first view's scan, profiled).
     */
    req = (a?: any): Promise<void> =>
      busy ||
      ((a = new AbortController()),
      setTimeout(() => a.abort(), 2e3),
      DEBUG &&
        trace("asking", c.api + "/v1/allocate", "for pools", c.pool || "(the source rules', else the account's default)", "with rules", c.sources || "(none)"),
      (busy = fetch(c.api + "/v1/allocate", {
        method: "POST",
        body: JSON.stringify({ key: c.key, session: S.i, pools: c.pool ? c.pool.split(",") : [], sources: c.sources, source: S.s } satisfies AllocateRequest),
        signal: a.signal,
      })
        .then((r) => r.json())
        .then((r: AllocateResponse, l?: any, o?: any) => {
          // The lease length: the earliest lease's (5 min for a pool without a number; at most a
          // day). A refusal's ErrorBody (anything without a time) fails here, and is warned.
          l = Math.min(864e5, ...r.pools.map((a) => (a.expiresAt || r.now + 3e5) - r.now));
          if (!(l > 0)) throw r;
          save("dni:a", (o = { s: S.i, q, n: r.source, p: r.pattern, a: r.pools, x: Date.now() + l, l }));
          busy = 0;
          use(o);
        })
        .catch((e) => {
          DEBUG && trace("the request failed or was refused: the original numbers stay", e);
          L = 1;
          unhide();
          warn(e);
        }))),
    need = () => Promise.resolve(L || req()),
    /** Click-to-reveal: the first click on a [data-dni-reveal] element allocates and swaps inside it. */
    click = (e: Event, t: any = e.target) =>
      t.closest && (t = t.closest("[" + REVEAL + "]")) && (e.preventDefault(), t.removeAttribute(REVEAL), need().then(() => run([t])));
  /** What to find: the destinations (of an answer or the cache) with their numbers. */
  let K: Pair[] = [],
    /** Their pattern. */
    R: RegExp,
    /** The allocation in use; 1 after a failure (nothing written) or when nothing is tracked; 0 before. */
    L: Cached | 0 | 1 = 0,
    /** The request in flight; after a failure it stays, settled: no second request. */
    busy: Promise<void> | 0 = 0,
    /** Anti-flicker (data-hide): on until the answer, or for at most a second. */
    hide: any = c.hide != null,
    timer: any,
    /** The retry of what waits for hydration (hydrate.ts), and how many were made. */
    wait: any = 0,
    tries = 0;

  watch(d.documentElement);
  // Open shadow roots attached later (web components): observed from the start, and walked.
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (this: Element, i: ShadowRootInit) {
    const r = attach.call(this, i);
    if (i.mode == "open") watch(r);
    return r;
  };
  d.addEventListener("click", click, true);
  if (C && C.q == q) (K = of(C)), C.s == S.i && C.x > Date.now() && use(C);
  if (!L) hide && setTimeout(unhide, 1e3), run([d.body]);
  if (DEBUG) {
    trace(
      "session",
      S.i,
      "first touch",
      S.s,
      C ? (C.q != q ? "cached allocation for other settings" : L ? "live cached allocation used" : "cached allocation expired") : "no cached allocation",
    );
    if (!L && !busy) trace("nothing phone-like on the page (7 digits, or a tel: link): no request; content added later is still looked at");
  }

  const api: Api = ((m: "number", x?: string, cb?: any) => api[m](x).then(cb)) as Api;
  api.number = (x, p?: any) => need().then(() => ((x ? (find(x, R, K, (_, q) => (p = p || q)), p) : K[0]) || [])[1] || null);
  if (typeof DNI_BUILD == "undefined" || FULL)
    api.stop = () => {
      mo.disconnect();
      Element.prototype.attachShadow = attach;
      d.removeEventListener("click", click, true);
      clearTimeout(timer);
    };
  return api;
};
