/**
 * What the snippet benchmarks share (bench/snippet.ts, bench/snippet-ab.ts): the destinations and
 * tracking numbers, the generated page, the functions run in the page, and the routes that serve
 * the pages and answer the snippet's request.
 */
import type { BrowserContext } from "playwright-core";
import { findings } from "../shared/pairs.ts";
import { pattern } from "../shared/pattern.ts";
import type { AllocateResponse, PhoneParts } from "../shared/protocol.ts";

export const KEY = "pk_bench";
export const ORIGIN = "http://localhost"; // a secure context: can be cross-origin isolated
export const API = "http://api.bench.invalid"; // every request to it is answered (or held) by a route

// The destinations and tracking numbers (parts as the worker's answer carries them).
export const US: PhoneParts = { e164: "+18005550199", cc: "1", nsn: "8005550199", trunk: "", national: "(800) 555-0199", groups: ["800", "555", "0199"] };
export const FLOWERS: PhoneParts = { e164: "+18003569377", cc: "1", nsn: "8003569377", trunk: "", national: "(800) 356-9377", groups: ["800", "356", "9377"] };
export const UK: PhoneParts = { e164: "+442079460958", cc: "44", nsn: "2079460958", trunk: "0", national: "020 7946 0958", groups: ["20", "7946", "0958"] };
export const US_T: PhoneParts = { e164: "+18885550123", cc: "1", nsn: "8885550123", trunk: "", national: "(888) 555-0123", groups: ["888", "555", "0123"] };
export const UK_T: PhoneParts = { e164: "+442079460111", cc: "44", nsn: "2079460111", trunk: "0", national: "020 7946 0111", groups: ["20", "7946", "0111"] };

// ---------------------------------------------------------------------------------------------
// The generated page.

/** mulberry32: the same page on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "fresh flowers delivered same day across the city our florists arrange seasonal bouquets roses tulips lilies orchids with care for birthdays weddings anniversaries and every occasion order online or visit the shop".split(
    " ",
  );
/** Destination forms a page may hold (text), and a tel: form. */
export const DEST_TEXT = [
  "(800) 555-0199",
  "800.555.0199",
  "+1 800 555 0199",
  "1-800-555-0199",
  "1-800-FLOWERS",
  "+44 20 7946 0958",
  "020 7946 0958",
  "+44 (0)20 7946 0958",
];
export const DEST_TEL = ["tel:+18005550199", "tel:1-800-555-0199", "tel:+442079460958"];

export interface Generated {
  html: string;
  /** Elements and text nodes under <body>. */
  nodes: number;
  /** Text nodes holding a destination, and tel: links to one. */
  destTexts: number;
  destLinks: number;
}

/** A page of about n nodes (no whitespace between tags: every text node is counted). */
export function generate(n: number, seed = 1): Generated {
  const r = prng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const words = (k: number) => Array.from({ length: k }, () => pick(WORDS)).join(" ");
  const price = () => `$${int(1, 2999).toLocaleString("en-US")}.${String(int(0, 99)).padStart(2, "0")}`;
  const date = () =>
    pick([`2026-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}`, `${int(1, 28)}/${int(1, 12)}/2026`, `Nov ${int(1, 30)}, 2026`]);
  // Not destinations: other numbers, ids, near misses of a destination's digits.
  const noise = () =>
    pick([
      `Free delivery on orders over ${price()}.`,
      `Posted on ${date()}.`,
      `Order #${int(1_000_000, 99_999_999)} shipped on ${date()}.`,
      `Our Manchester office: +44 161 496 0${int(100, 999)}.`,
      `Fax (212) 736-5${int(100, 999)}.`,
      `SKU 8005550${int(200, 999)}, ref 98005550199.`,
      `Open 9-5, ${int(2, 9)} stores, ${int(10, 99)} florists.`,
      `Tracking ${int(100_000_000, 999_999_999)}${int(100, 999)}.`,
    ]);
  let nodes = 0,
    destTexts = 0,
    destLinks = 0;
  const el = (tag: string, inner: string, attrs = "") => {
    nodes++;
    return `<${tag}${attrs}>${inner}</${tag}>`;
  };
  const txt = (s: string) => {
    nodes++;
    return s;
  };
  /** A sentence: mostly words, often a non-destination number, about 1 in 33 a destination. */
  const sentence = () => {
    const x = r();
    if (x < 0.03) {
      destTexts++;
      return `Call us on ${pick(DEST_TEXT)} today.`;
    }
    return x < 0.45 ? `${words(int(4, 10))} — ${noise()}` : `${words(int(6, 16))}.`;
  };
  const blocks: (() => string)[] = [
    // A paragraph with inline markup.
    () =>
      el(
        "p",
        txt(`${sentence()} `) + el("b", txt(words(2))) + txt(` ${sentence()} `) + el("a", txt(words(2)), ` href="/p/${int(1, 999)}"`) + txt(` ${sentence()}`),
      ),
    // A table row of a product list.
    () => el("tr", el("td", txt(`SKU ${int(100_000, 999_999)}`)) + el("td", txt(price())) + el("td", txt(date())) + el("td", txt(String(int(1, 20))))),
    // A list item with a link.
    () => el("li", el("a", txt(`${words(2)} ${int(1, 999)}`), ` href="/item/${int(1, 9999)}"`) + txt(` — ${price()}`)),
    // A contact line: a tel: link, to another business mostly, sometimes to a destination.
    () => {
      const dest = r() < 0.15;
      if (dest) destLinks++;
      return el("div", txt("Phone: ") + el("a", txt("call"), ` href="${dest ? pick(DEST_TEL) : `tel:+1212736${int(5000, 5999)}`}"`), ` class="contact"`);
    },
    // A heading.
    () => el("h3", txt(words(int(2, 5)))),
  ];
  const parts: string[] = [];
  while (nodes < n) {
    const b = pick(blocks)();
    parts.push(b.startsWith("<tr") ? el("table", b) : b);
  }
  return {
    html: `<!doctype html><html><head><meta charset="utf-8"><title>Bench</title></head><body>${parts.join("")}</body></html>`,
    nodes,
    destTexts,
    destLinks,
  };
}

// ---------------------------------------------------------------------------------------------
// In the page (functions serialized by playwright: no closures over this module).

/**
 * Bare TreeWalker passes over the body (elements and text, reading each text): the first pass on
 * the fresh page (cold, as the snippet's one pass is) and the median of the next four (warm).
 */
export function treeWalkerPass(): { first: number; warm: number; nodes: number } {
  const times: number[] = [];
  let nodes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let count = 0;
    let chars = 0;
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      count++;
      if (n.nodeType === 3) chars += (n as Text).data.length;
    }
    times.push(performance.now() - t0);
    nodes = count + (chars < 0 ? 1 : 0); // keeps the read of .data
  }
  const warm = times.slice(1).sort((x, y) => x - y);
  return { first: times[0]!, warm: (warm[1]! + warm[2]!) / 2, nodes };
}

/** The bundle and its tag's data attributes (data-key, data-api, data-pool…). */
export type Tag = [code: string, data: Record<string, string>];

/** Snippet timings, ms: insertion to return, and its split at the start of the page scan. */
export interface Timed {
  total: number;
  /** Parse, storage, session, rules, observer: up to the first document.createTreeWalker call. */
  startup: number;
  /** The page scan and every write (and, before an answer, sending the request). */
  scan: number;
}

/**
 * Inserts the bundle as an inline <script> (which runs synchronously) and times the insertion,
 * split where the snippet starts walking the page: document.createTreeWalker is wrapped, for this
 * one run, to note when it is first called (the snippet walks the body with one walker).
 */
export function runSnippet([code, data]: Tag): Timed {
  const s = document.createElement("script");
  Object.assign(s.dataset, data);
  s.textContent = code;
  const create = document.createTreeWalker;
  let tw = 0;
  document.createTreeWalker = function (this: Document, ...a: Parameters<Document["createTreeWalker"]>) {
    tw ||= performance.now();
    return create.apply(this, a);
  };
  const t0 = performance.now();
  document.head.appendChild(s);
  const t1 = performance.now();
  delete (document as { createTreeWalker?: unknown }).createTreeWalker; // the prototype's again
  return { total: t1 - t0, startup: (tw || t1) - t0, scan: tw ? t1 - tw : 0 };
}

/** Every text node's data and every link's href, in document order. */
export function snapshot(): string[] {
  const out: string[] = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) out.push(n.nodeType === 3 ? (n as Text).data : ((n as Element).getAttribute("href") ?? ""));
  return out;
}

/**
 * Inserts the bundle and resolves with the time from just before the insertion to the first text
 * change (the swap), and the duration of the allocation request if this page view made one.
 */
export function timeToSwap([code, data]: Tag): Promise<{ ms: number; request: number | null }> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const mo = new MutationObserver(() => {
      const t1 = performance.now();
      mo.disconnect();
      const req = performance
        .getEntriesByType("resource")
        .filter((e) => e.name.endsWith("/v1/allocate"))
        .pop() as PerformanceResourceTiming | undefined;
      resolve({ ms: t1 - t0, request: req ? req.duration : null });
    });
    mo.observe(document.body, { characterData: true, subtree: true });
    setTimeout(() => reject(new Error("no swap within 3 s")), 3_000);
    const s = document.createElement("script");
    Object.assign(s.dataset, data);
    s.textContent = code;
    t0 = performance.now();
    document.head.appendChild(s);
  });
}

/**
 * The same page with every phone-like number's digits made letters and no tel: links: its prices,
 * dates, SKUs and order ids stay (the snippet's own phone-like test decides what goes: snippet/match.ts
 * phoneLike's second expression, with the "g" flag).
 */
export function quietPage(html: string): string {
  const phoneLike =
    /(\+|(^|[^\w#$.,/+-]|\p{L}\.)(?!(19|20)\d\d([-./\u5e74-\uc6d4]\s?\d\d?[-./\u5e74-\uc6d4]\s?\d|\D{1,3}(19|20)\d\d)|\d\d?[-./]\d\d?[-./](19|20)\d\d))\p{Nd}(\)?[^\w,:']{0,3}\p{Nd}){6}/gu;
  return html.replace(phoneLike, (m) => m.replace(/\p{Nd}/gu, "x")).replace(/"tel:/g, '"/tel');
}

/** The routes of the scan bench: its pages (by path) and the API, which answers or holds the snippet's request. */
export interface ScanRoutes {
  pages: Map<string, string>;
  mode: "answer" | "hold";
  /** Requests to the API so far. */
  requests: number;
}

/** Serves the pages from ORIGIN (cross-origin isolated) and answers (or holds) requests to API. */
export async function scanRoutes(ctx: BrowserContext): Promise<ScanRoutes> {
  const routes: ScanRoutes = { pages: new Map(), mode: "answer", requests: 0 };
  await ctx.route(`${ORIGIN}/**`, (route) => {
    const body = routes.pages.get(new URL(route.request().url()).pathname) ?? "<!doctype html><title>blank</title><body></body>";
    return route.fulfill({
      status: 200,
      contentType: "text/html; charset=utf-8",
      headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cache-Control": "no-store" },
      body,
    });
  });
  await ctx.route(`${API}/**`, async (route) => {
    routes.requests++;
    if (routes.mode === "hold") return; // never answered: the snippet gives up after 2 s, on a page already left
    const now = Date.now();
    const pools: AllocateResponse["pools"] = [
      { pool: "web", destinations: [US, FLOWERS], number: US_T, expiresAt: now + 3_600_000, overflow: false },
      { pool: "uk", destinations: [UK], number: UK_T, expiresAt: now + 3_600_000, overflow: false },
    ];
    const answer: AllocateResponse = {
      // The worker keeps the session of the token sent; the cache is checked against it.
      session: "primed",
      token: (JSON.parse(route.request().postData() ?? "{}") as { token?: string }).token ?? "primed",
      campaign: "(?!)",
      renew: 2_700_000,
      now,
      source: "direct",
      pattern: pattern(findings(pools, "direct").numbers),
      pools,
      pairs: findings(pools, "direct").pairs,
      lease: 3_600_000,
    };
    return route.fulfill({ status: 200, contentType: "application/json", headers: { "Access-Control-Allow-Origin": "*" }, body: JSON.stringify(answer) });
  });
  return routes;
}

/** Every text with a destination and every tel: link to one changed, and nothing else. */
export function checkSwap(before: string[], after: string[], g: Generated): void {
  if (before.length !== after.length) throw new Error("the snippet changed the page's structure");
  const changed = before.map((b, i) => [b, after[i]!] as const).filter(([b, a]) => b !== a);
  const tel = changed.filter(([b]) => b.startsWith("tel:"));
  const wrongTel = tel.filter(([, a]) => a !== `tel:${US_T.e164}` && a !== `tel:${UK_T.e164}`);
  const text = changed.filter(([b]) => !b.startsWith("tel:"));
  const leftovers = after.filter((a) => DEST_TEXT.some((d) => a.includes(d)) || DEST_TEL.includes(a));
  const odd = text.filter(([b]) => !DEST_TEXT.some((d) => b.includes(d)));
  if (odd.length) console.error("changed without a destination:", odd);
  if (text.length !== g.destTexts || tel.length !== g.destLinks || wrongTel.length || leftovers.length)
    throw new Error(
      `wrong swap: ${text.length}/${g.destTexts} texts, ${tel.length}/${g.destLinks} links, ${wrongTel.length} wrong links, ${leftovers.length} destinations left`,
    );
}
