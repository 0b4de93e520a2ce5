/**
 * Side-by-side scan benchmark of two snippet bundles (`npm run bench:snippet-ab -- <git ref>`,
 * default HEAD): the working tree's snippet/dist/dni.js and the ref's, built from the ref's files in
 * a temporary directory (with this tree's node_modules). For changes of a few percent, which one
 * `npm run bench:snippet` cannot resolve: the spread between its runs is ±30 %.
 *
 * Each round loads each generated page (bench/page.ts) four times, the two bundles alternating and
 * the order turning round each round: on every fresh load, after its first frames and 100 ms
 * (settle), a bare TreeWalker pass (the baseline),
 * then the bundle, timed as bench/snippet.ts does. Repeat view (live cached lease: scan and swap)
 * and first view of the page with nothing phone-like (the whole pre-scan). Prints, per page and
 * view, each bundle's median scan / TreeWalker ratio and the median of the per-round ratios of the
 * two bundles' scan times (working tree ÷ ref) with their spread. An unchanged tree against HEAD
 * measures about 1.00. Asserts nothing. BENCH_ROUNDS (20).
 *
 * BENCH_PATTERN=1 compares the worker's pattern instead (shared/pattern.ts, which the snippet runs
 * over every run of text holding a digit): both sides run the working tree's bundle, the ref's
 * side with a cached answer whose pattern the ref's shared/pattern.ts made. Repeat views only (a
 * page with nothing phone-like is pre-scanned without the pattern).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AllocateResponse } from "../shared/protocol.ts";
import { launchChromium } from "../test/e2e/harness.ts";
import { API, generate, KEY, ORIGIN, quietPage, runSnippet, scanRoutes, type Tag, treeWalkerPass } from "./page.ts";
import { checkout, median, summary } from "./rounds.ts";

const ROOT = join(import.meta.dirname, "..");
const REF = process.argv[2] ?? "HEAD";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const SIZES = [10_000, 50_000];
const PATTERN = process.env.BENCH_PATTERN === "1";

/** The bench answer's pattern as the ref's shared/pattern.ts and shared/pairs.ts make it. */
async function refPattern(ref: string, answer: AllocateResponse): Promise<string> {
  const dir = checkout(ref, "dni-pattern-ab-");
  try {
    const { pattern } = (await import(join(dir, "shared/pattern.ts"))) as typeof import("../shared/pattern.ts");
    const { findings } = (await import(join(dir, "shared/pairs.ts"))) as typeof import("../shared/pairs.ts");
    return pattern(findings(answer.pools, answer.source).numbers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ref's dni.js, built from its files. */
function refBundle(ref: string): string {
  const dir = checkout(ref, "dni-snippet-ab-");
  try {
    execFileSync(process.execPath, ["scripts/build-snippet.mjs"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    return readFileSync(join(dir, "snippet/dist/dni.js"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits for the fresh page's first frames and a quiet moment (its layout, paint and the last page's garbage). */
function settle(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 100))));
}

async function main(): Promise<void> {
  const tree = readFileSync(join(ROOT, "snippet/dist/dni.js"), "utf8");
  const bundles = { ref: PATTERN ? tree : refBundle(REF), tree };
  console.log(`ref ${REF}: ${bundles.ref.length} B raw; working tree: ${bundles.tree.length} B raw`);
  const chrome = await launchChromium();
  try {
    const ctx = await chrome.newContext();
    const routes = await scanRoutes(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    // Prime the cache once, with the working tree's bundle (both read the same answer).
    routes.pages.set("/prime", "<!doctype html><body><p>Call (800) 555-0199</p></body>");
    await page.goto(`${ORIGIN}/prime`);
    await page.evaluate(runSnippet, [bundles.tree, { key: KEY, api: API }] as Tag);
    await page.waitForFunction(() => document.body.textContent!.includes("(888) 555-0123"));
    const primed = await page.evaluate(() => localStorage.getItem("dni:a"));
    if (!primed) throw new Error("the cache was not primed");
    // What each side's repeat view reads from the cache: the same answer, or (BENCH_PATTERN) with the ref's pattern.
    const cached = { tree: primed, ref: primed };
    if (PATTERN) {
      const answer = JSON.parse(primed) as AllocateResponse;
      cached.ref = JSON.stringify({ ...answer, pattern: await refPattern(REF, answer) });
      console.log(`patterns: ref ${JSON.parse(cached.ref).pattern.length} chars, tree ${answer.pattern.length} chars`);
    }
    routes.requests = 0;

    for (const target of SIZES) {
      const g = generate(target, target);
      routes.pages.set(`/page-${target}`, g.html);
      routes.pages.set(`/quiet-${target}`, quietPage(g.html));
      const views = { repeat: `/page-${target}`, quiet: `/quiet-${target}` } as const;
      for (const [view, path] of Object.entries(views)) {
        if (PATTERN && view !== "repeat") continue;
        const ratio: Record<keyof typeof bundles, number[]> = { ref: [], tree: [] };
        const paired: number[] = [];
        for (let round = 0; round <= ROUNDS; round++) {
          const order: (keyof typeof bundles)[] = round % 2 ? ["ref", "tree"] : ["tree", "ref"];
          const scan: Partial<Record<keyof typeof bundles, number>> = {};
          for (const which of order) {
            routes.mode = view === "repeat" ? "answer" : "hold";
            if (view === "repeat") await page.evaluate((x) => localStorage.setItem("dni:a", x), cached[which]);
            else await page.evaluate(() => localStorage.removeItem("dni:a"));
            await page.goto(`${ORIGIN}${path}`);
            await page.evaluate(settle);
            const base = await page.evaluate(treeWalkerPass);
            const t = await page.evaluate(runSnippet, [bundles[which], { key: KEY, api: API }] as Tag);
            if (round === 0) continue; // warm-up
            scan[which] = t.scan;
            ratio[which].push(t.scan / base.first);
          }
          if (round > 0) paired.push(scan.tree! / scan.ref!);
        }
        console.log(
          `${target.toLocaleString("en-US")} nodes, ${view === "repeat" ? "repeat view (scan + swap)" : "nothing phone-like (pre-scan)"}: ` +
            `scan / TreeWalker ref ${median(ratio.ref).toFixed(2)}×, tree ${median(ratio.tree).toFixed(2)}×; tree / ref per round ${summary(paired)}`,
        );
      }
    }
    if (routes.requests)
      console.warn(`note: ${routes.requests} requests during the rounds (expected none: cached repeat views, pages with nothing phone-like)`);
  } finally {
    await chrome.close();
  }
}

await main();
