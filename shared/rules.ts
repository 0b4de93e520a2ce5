/**
 * Source rules: the marketer's language, written in the snippet's `data-sources` attribute, that
 * names a visitor's source and picks the pool(s) it draws from. Pure TS, no DOM: bundled into the
 * snippet and usable by the worker. Documented, with examples, in snippet/README.md.
 *
 *   rules := rule (";" rule)*                         ordered; the first that matches wins
 *   rule  := name ":" [or] ["->" pool ("," pool)*]    no conditions: always matches
 *   or    := and ("|" and)*                           "&" binds tighter than "|"
 *   and   := cond ("&" cond)*
 *   cond  := "*" | key | key "=" glob                 key: a URL parameter, or "referrer"
 *   name  := [A-Za-z0-9_.-]+ | "*"                    "*": let the snippet name it (direct/referral)
 */
import { MAX_POOLS_PER_ALLOCATION } from "./protocol";
import { parsedUrl } from "./url";

export interface Rule {
  /** Source name; "*" lets the snippet name the source ("direct" or "referral"). */
  n: string;
  /** Conditions, validated, without spaces around operators: an OR ("|") of ANDs ("&"); "*" if none. */
  c: string;
  /** Pools to draw from; none: the default pool. */
  p?: string[];
}

/** Anything with URLSearchParams' get(). */
export interface Params {
  get(name: string): string | null;
}

/**
 * A rule once the spaces around ":", "|", "&", "=", "," and "->" are removed: name ":" conditions
 * (each `*`, `key` or `key=glob`; no "=" in a glob) "->" pools.
 */
const RULE = /^([\w.-]+|\*):((\*|[\w.-]+(=[^|&=]+?)?)([|&](\*|[\w.-]+(=[^|&=]+?)?))*)?(->([\w.-]+(,[\w.-]+)*))?$/;

/**
 * `*` matches any run of characters; case-insensitive; the whole value. The text between stars is
 * found piece by piece: the first piece begins the value, the last ends it, and each one between is
 * taken at its leftmost place after the one before (leftmost is never wrong when `*` is the only
 * wildcard). Not a RegExp of `.*`s, nor a walk that steps back to the last `*`: both cost pattern ×
 * value steps, and a rule and a landing URL (both anyone can send to POST /v1/allocate, up to its
 * 24 KiB) held the worker for tens of milliseconds to seconds. indexOf is linear in practice.
 */
export const glob = (pattern: string, value: string): boolean => {
  const pieces = pattern.toLowerCase().split("*"),
    v = value.toLowerCase(),
    head = pieces[0]!,
    tail = pieces[pieces.length - 1]!;
  if (pieces.length == 1) return head == v;
  const end = v.length - tail.length;
  if (head.length > end || !v.startsWith(head) || !v.endsWith(tail)) return false;
  let at = head.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = v.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
};

/**
 * Parses rules (separated by ";"). A malformed rule is reported once through `warn`, naming it, and
 * skipped; the others still work. A rule naming more pools than one allocation may draw from
 * (MAX_POOLS_PER_ALLOCATION) is malformed: its answer's session token could not name them all, and
 * every later view would begin a new session.
 */
export const parseRules = (src: string, warn: (m: string) => void): Rule[] =>
  src
    .split(";")
    .map((s, m?: any): any =>
      (m = RULE.exec((s = s.trim()).replace(/\s*([:|&=,]|->)\s*/g, "$1")))
        ? m[9] && m[9].split(",").length > MAX_POOLS_PER_ALLOCATION
          ? warn(`bad rule: ${s} (more than ${MAX_POOLS_PER_ALLOCATION} pools)`)
          : { n: m[1], c: m[2] || "*", p: m[9] && m[9].split(",") }
        : s && warn("bad rule: " + s),
    )
    // Rules only (not what a warn callback returned).
    .filter((r) => r?.n);

/**
 * One condition, [key, glob], against the landing URL's parameters and the external referrer's
 * host h ("" when there is none or it is this site):
 * - `*`: always; `key`: the parameter is present and not empty; `key=glob`: its value matches
 *   (present, not empty); `key=none`: absent or empty; `key=any`: = `key`;
 * - `referrer=none`: no referrer; `referrer=any` (or bare `referrer`): any; otherwise the host
 *   contains the value (`referrer=google`: www.google.com, google.co.uk; `referrer=bing.com`:
 *   www.bing.com), which may hold `*` globs.
 */
export const test = ([k, g]: string[], q: Params, h: string): boolean => {
  const r = k == "referrer",
    v = r ? h : q.get(k!);
  return k == "*" || (g == "none" ? !v : !!v && (!g || g == "any" || glob(r ? "*" + g + "*" : g, v)));
};

/** The first rule whose conditions hold ("&" binds tighter than "|"), or undefined. */
export const pick = (rules: Rule[], q: Params, h: string): Rule | undefined =>
  rules.find((r) => r.c.split("|").some((a) => a.split("&").every((t) => test(t.split("="), q, h))));

/** What the source rules say about a session's first touch. */
export interface Classified {
  /** The rule's name; "referral" (another site referred) or "direct" for `*` and when none matched. */
  name: string;
  /** The rule's pools, else the default ones; null when rules exist, none matched and there is no default: nothing is tracked. */
  pools: string[] | null;
}

/**
 * The source rules (`data-sources`, sent with the allocation) applied to a session's first touch,
 * on the worker: the snippet sends the rules' text, the landing URL and the referrer and carries
 * none of this code. pools: the default pools (`data-pool`; [] is the account's default pool).
 * A referrer on the landing page's own host counts as none.
 */
export const classify = (
  src: string,
  landing: string | undefined,
  referrer: string | undefined,
  pools: string[] | undefined,
  warn: (m: string) => void,
): Classified => {
  const rules = parseRules(src, warn),
    page = parsedUrl(landing),
    host = (u: Readonly<URL> | null) => (u ? u.hostname : ""),
    params = page ? page.searchParams : new URLSearchParams();
  const from = host(parsedUrl(referrer)),
    h = from == host(page) ? "" : from,
    r = pick(rules, params, h);
  return {
    name: r && r.n != "*" ? r.n : h ? "referral" : "direct",
    pools: r ? r.p || pools || [] : rules[0] && !(pools && pools[0]) ? null : pools || [],
  };
};
