/**
 * Snippet benchmark in headless Debian Chromium (`node bench/snippet.ts`, Node 24; `npm run
 * bench:snippet` builds the bundle first). Prints figures; asserts no timing. BENCH_RUNS (default
 * 15) page loads per figure, after one warm-up load; medians (the spread between loads is wide).
 *
 * 1. Scan and swap: generated pages of about 1,000, 10,000 and 50,000 DOM nodes (elements and text
 *    nodes under <body>): realistic text with prices, dates, order ids, SKUs, other businesses'
 *    numbers and near misses of a destination's digits, a few destinations in several written
 *    forms, tel: links (mostly to other numbers). On each freshly loaded page, in the same run:
 *    - baseline: a bare TreeWalker pass over the body (elements and text, reading each text), the
 *      least any scanner must do. Its first pass on the fresh page is the baseline (the snippet's
 *      one pass is cold too); the later, warm passes are printed beside it;
 *    - the snippet, repeat view: the built bundle (snippet/dist/dni.js) with a live cached lease in
 *      localStorage, so it swaps synchronously and makes no request. It is inserted as an inline
 *      <script>, which runs synchronously, and timed from just before the insertion to just after:
 *      script execution with no network and no waiting. That time is split where the snippet
 *      starts walking the page (document.createTreeWalker, wrapped for the run, notes its first
 *      call): start-up (parse, storage, session, rules, observer), then scan and swap. The cache is
 *      primed by the snippet itself from one answer given by a route (typed as the protocol's
 *      answer), not by writing its storage format here;
 *    - the snippet, first view before the answer: no cache, the request held open; the same timing
 *      covers the pre-scan (the phone-like test on every text) and sending the request.
 *    Pages are served through a route (no server) from http://localhost with COOP/COEP headers, so
 *    they are cross-origin isolated and performance.now() has 5 µs resolution instead of 100 µs.
 *    The swap is checked on the warm-up load (every destination swapped, nothing else changed):
 *    a wrong swap is not timed.
 * 2. Script execution to numbers swapped, against a real local `wrangler dev`, on a ~1,000-node page
 *    of a customer's site (another origin), two pools: the repeat view (cache, no request) and the
 *    first view (one request: worker, account and pool objects). Same insertion of the bundle; the
 *    end is the first text change (a MutationObserver on characterData: a page's swaps are all
 *    written in one synchronous pass, and inserting the script is no text change).
 * 3. Size of the bundle: raw, gzip (level 9) and brotli (quality 11), as scripts/check-size.mjs.
 *
 * Wall-clock figures on a shared machine: compare ratios within one run, not runs with each other.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { BrowserContext } from "playwright-core";
import { adminCall, createAccountWithPool, DESKTOP_UA, launchChromium, startSite, startWorker } from "../test/e2e/harness.ts";
import {
  API,
  checkSwap,
  FLOWERS,
  generate,
  KEY,
  ORIGIN,
  quietPage,
  runSnippet,
  scanRoutes,
  snapshot,
  type Tag,
  type Timed,
  timeToSwap,
  treeWalkerPass,
  UK,
  US,
} from "./page.ts";

const ROOT = join(import.meta.dirname, "..");
const BUNDLE = readFileSync(join(ROOT, "snippet/dist/dni.js"), "utf8");
const SIZES = [1_000, 10_000, 50_000];
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

/** The scan bench's tag: no data-pool (the account's default), requests to the routed API. */
const TAG: Tag = [BUNDLE, { key: KEY, api: API }];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

interface ScanRow {
  target: number;
  nodes: number;
  dests: string;
  walkerFirst: number;
  walkerWarm: number;
  cached: Timed;
  prescan: Timed;
  /** First view of the same page with nothing phone-like (no tel: links; dates, prices and ids kept): a full pre-scan, no request. */
  quiet: Timed;
  quietWalker: number;
}

async function scanBench(ctx: BrowserContext): Promise<ScanRow[]> {
  const routes = await scanRoutes(ctx);
  const { pages } = routes;
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));

  // Prime the cache: one first view on a small page, answered by the route above.
  pages.set("/prime", "<!doctype html><body><p>Call (800) 555-0199</p></body>");
  await page.goto(`${ORIGIN}/prime`);
  if (!(await page.evaluate(() => self.crossOriginIsolated)))
    console.warn("note: the page is not cross-origin isolated; performance.now() is coarser (100 µs)");
  await page.evaluate(runSnippet, TAG);
  await page.waitForFunction(() => document.body.textContent!.includes("(888) 555-0123"));
  const primed = await page.evaluate(() => localStorage.getItem("dni:a"));
  if (!primed) throw new Error("the cache was not primed");
  routes.requests = 0;

  const rows: ScanRow[] = [];
  for (const target of SIZES) {
    const g = generate(target, target);
    pages.set(`/page-${target}`, g.html);
    const walkerFirst: number[] = [];
    const walkerWarm: number[] = [];
    const cached: Timed[] = [];
    const prescan: Timed[] = [];
    const quiet: Timed[] = [];
    const quietWalker: number[] = [];
    pages.set(`/quiet-${target}`, quietPage(g.html));
    let nodes = 0;
    // Run 0 warms the renderer up and checks the swap; it is not counted.
    for (let i = 0; i <= RUNS; i++) {
      // Repeat view (cache): baseline passes first, then the snippet, on the same fresh page.
      await page.goto(`${ORIGIN}/page-${target}`);
      const before = i === 0 ? await page.evaluate(snapshot) : [];
      const base = await page.evaluate(treeWalkerPass);
      nodes = base.nodes;
      const c = await page.evaluate(runSnippet, TAG);
      if (i === 0) checkSwap(before, await page.evaluate(snapshot), g);
      else {
        walkerFirst.push(base.first);
        walkerWarm.push(base.warm);
        cached.push(c);
      }

      // First view before the answer: no cache, the request held.
      routes.mode = "hold";
      await page.evaluate(() => localStorage.removeItem("dni:a"));
      await page.goto(`${ORIGIN}/page-${target}`);
      const p = await page.evaluate(runSnippet, TAG);
      if (i > 0) prescan.push(p);
      // First view of a page with nothing phone-like: the whole pre-scan, and no request.
      await page.goto(`${ORIGIN}/quiet-${target}`);
      const qb = await page.evaluate(treeWalkerPass);
      const q = await page.evaluate(runSnippet, TAG);
      if (i > 0) {
        quiet.push(q);
        quietWalker.push(qb.first);
      }
      await page.goto(`${ORIGIN}/prime`); // leave the held request behind
      await page.evaluate((x) => localStorage.setItem("dni:a", x), primed);
      routes.mode = "answer";
    }
    if (routes.requests !== RUNS + 1) console.warn(`note: ${routes.requests} requests during the runs (expected ${RUNS + 1}: the held first views)`);
    routes.requests = 0;
    const m = (t: Timed[], k: keyof Timed) => median(t.map((x) => x[k]));
    rows.push({
      target,
      nodes,
      dests: `${g.destTexts} + ${g.destLinks} tel:`,
      walkerFirst: median(walkerFirst),
      walkerWarm: median(walkerWarm),
      cached: { total: m(cached, "total"), startup: m(cached, "startup"), scan: m(cached, "scan") },
      prescan: { total: m(prescan, "total"), startup: m(prescan, "startup"), scan: m(prescan, "scan") },
      quiet: { total: m(quiet, "total"), startup: m(quiet, "startup"), scan: m(quiet, "scan") },
      quietWalker: median(quietWalker),
    });
  }
  await page.close();
  return rows;
}

interface ViewRow {
  name: string;
  runs: number[];
  requests: number[];
}

async function viewBench(ctx: BrowserContext): Promise<ViewRow[]> {
  const worker = await startWorker({ vars: { ALLOCATE_RATE_LIMIT: "off" } });
  const pages: Record<string, string> = {};
  const site = await startSite(pages);
  try {
    const { adminKey, siteKey } = await createAccountWithPool(worker.url, site.url, {
      id: "web",
      name: "Web",
      trackingNumbers: Array.from({ length: 50 }, (_, i) => `+1${8885550100 + i}`),
      destinations: [US.e164, FLOWERS.e164],
      isDefault: true,
      exhaustionPolicy: "recycle",
    });
    const uk = await adminCall(worker.url, "POST", "/v1/pools", adminKey, {
      id: "uk",
      name: "UK",
      trackingNumbers: ["+442079460111", "+442079460112"],
      destinations: [UK.e164],
    });
    if (uk.status !== 201) throw new Error(JSON.stringify(uk.json));
    // A ~1,000-node page of the customer's site; the snippet asks for both pools.
    pages["/"] = generate(1_000, 7).html;
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    const tag: Tag = [BUNDLE, { key: siteKey, api: worker.url, pool: "web,uk" }];
    const first: number[] = [];
    const firstReq: number[] = [];
    const repeat: number[] = [];
    const insert = async () => {
      await page.goto(`${site.url}/`);
      return page.evaluate(timeToSwap, tag);
    };
    // Warm-up, not counted: the worker's first requests start its isolate and objects (seconds
    // on a cold wrangler dev, beyond the snippet's 2 s timeout), then one first view in the page.
    for (let i = 0; i < 3; i++)
      await fetch(`${worker.url}/v1/allocate`, {
        method: "POST",
        headers: { "Content-Type": "text/plain", Origin: site.url, "User-Agent": DESKTOP_UA, "Accept-Language": "en", "Sec-Fetch-Mode": "cors" },
        body: JSON.stringify({ key: siteKey, session: `warmup-session-${i}-0000000`, pools: ["web", "uk"] }),
      });
    await insert().catch(() => {});
    let failed = 0;
    for (let i = 0; i < RUNS * 2; i++) {
      await page.evaluate(() => localStorage.clear()); // a new visitor: new session, one request
      const f = await insert().catch(() => null); // null: no swap (the request failed or timed out)
      if (!f) {
        failed++;
        continue;
      }
      first.push(f.ms);
      if (f.request !== null) firstReq.push(f.request);
      const r = await insert(); // the same visitor again: from the cache
      if (r.request !== null) throw new Error("a repeat view made a request");
      repeat.push(r.ms);
    }
    if (failed) console.warn(`note: ${failed} first views got no number (request failed or over 2 s); not counted`);
    await page.close();
    return [
      { name: "repeat view (cache, no request)", runs: repeat, requests: [] },
      { name: "first view (one request to wrangler dev)", runs: first, requests: firstReq },
    ];
  } finally {
    await site.stop();
    await worker.stop();
  }
}

function sizes() {
  const buf = Buffer.from(BUNDLE);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

async function main(): Promise<void> {
  const chrome = await launchChromium();
  const version = chrome.browser.version();
  try {
    const ctx = await chrome.newContext();
    const scan = await scanBench(ctx);
    await ctx.close();
    const ctx2 = await chrome.newContext();
    const views = await viewBench(ctx2);
    await ctx2.close();

    const f = (x: number) => x.toLocaleString("en-US");
    console.log(`\nSnippet benchmark — headless Chromium ${version}; medians of ${RUNS} page loads after one warm-up`);
    console.log("\nScan and swap, repeat view (live cached lease: no network). The snippet's time is split where it starts");
    console.log("walking the page: start-up (parse, storage, session, rules, observer) | scan and swap (walk, match, write).");
    console.log("Ratio: the snippet's scan and swap / a bare TreeWalker pass on the same fresh page (first pass; warm = later passes).\n");
    console.log(
      "| page | nodes | destinations | TreeWalker ms (warm) | snippet total ms | start-up ms | scan + swap ms | scan / TreeWalker | total / TreeWalker | µs/node (scan) |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of scan)
      console.log(
        `| ${f(r.target)} nodes | ${f(r.nodes)} | ${r.dests} | ${ms(r.walkerFirst)} (${ms(r.walkerWarm)}) | ${ms(r.cached.total)} | ${ms(r.cached.startup)} | ${ms(r.cached.scan)} | ${(r.cached.scan / r.walkerFirst).toFixed(1)}× | ${(r.cached.total / r.walkerFirst).toFixed(1)}× | ${((r.cached.scan * 1000) / r.nodes).toFixed(2)} |`,
      );
    console.log("\nFirst view before the answer (no cache; the request is sent from within the pre-scan and held)\n");
    console.log("| page | snippet total ms | start-up ms | pre-scan ms | pre-scan / TreeWalker |");
    console.log("|---|---:|---:|---:|---:|");
    for (const r of scan)
      console.log(
        `| ${f(r.target)} nodes | ${ms(r.prescan.total)} | ${ms(r.prescan.startup)} | ${ms(r.prescan.scan)} | ${(r.prescan.scan / r.walkerFirst).toFixed(1)}× |`,
      );
    console.log(
      "\nFirst view of the same page with nothing phone-like (the phone numbers' digits made letters, no tel: links; dates, prices and ids kept): the whole page pre-scanned, no request\n",
    );
    console.log("| page | TreeWalker ms | snippet total ms | pre-scan ms | pre-scan / TreeWalker |");
    console.log("|---|---:|---:|---:|---:|");
    for (const r of scan)
      console.log(
        `| ${f(r.target)} nodes | ${ms(r.quietWalker)} | ${ms(r.quiet.total)} | ${ms(r.quiet.scan)} | ${(r.quiet.scan / r.quietWalker).toFixed(1)}× |`,
      );
    console.log("\nScript execution to numbers swapped (~1,000-node page, worker on loopback)\n");
    console.log("| view | runs | median ms | min ms | max ms | request ms (median) |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const v of views)
      console.log(
        `| ${v.name} | ${v.runs.length} | ${ms(median(v.runs))} | ${ms(Math.min(...v.runs))} | ${ms(Math.max(...v.runs))} | ${v.requests.length ? ms(median(v.requests)) : "—"} |`,
      );
    const s = sizes();
    console.log("\nBundle snippet/dist/dni.js\n");
    console.log("| raw B | gzip B | brotli B | budget (gzip) |\n|---:|---:|---:|---:|");
    console.log(`| ${s.raw} | ${s.gzip} | ${s.brotli} | 2560 |`);
  } finally {
    await chrome.close();
  }
}

await main();
