/**
 * Side-by-side allocation benchmark of two versions of the worker (`npm run bench:ab -- <git ref>`,
 * default HEAD): the working tree and the ref (checked out into a temporary directory with this
 * tree's node_modules and build output), each under its own `wrangler dev`, with the trivial Durable
 * Object of bench/allocate.ts as the baseline. First allocations (an ad click's first view, no
 * token) on a pool large enough that none recycles; the three run interleaved, round after round,
 * the order alternating, so a noisy phase of the machine hits all alike. Prints each round and the
 * medians of the per-round ratios with their spread. Asserts nothing.
 *
 * For changes of a few percent, which one `npm run bench` cannot resolve: an unchanged tree against
 * HEAD measures about 1.00 with a spread of a few percent over 12–16 rounds. BENCH_ROUNDS (12),
 * BENCH_REQUESTS (800 a round), BENCH_CONNECTIONS (16).
 */
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { createAccountWithPool, type RunningWorker, startWorker } from "../test/e2e/harness.ts";
import { BROWSER_HEADERS, firstView, ORIGIN } from "./requests.ts";
import { checkout, summary } from "./rounds.ts";

const ROOT = join(import.meta.dirname, "..");
const REF = process.argv[2] ?? "HEAD";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AMOUNT = Number(process.env.BENCH_REQUESTS ?? 800);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const WARM_UP = 300;

/** The ref's tree, runnable: its files, this tree's node_modules and generated build output. */
function runnable(ref: string): string {
  const dir = checkout(ref, "dni-ab-");
  cpSync(join(ROOT, "worker/generated"), join(dir, "worker/generated"), { recursive: true });
  return dir;
}

/** Throughput from latency (connections ÷ mean latency): autocannon's per-second buckets quantize short runs. */
async function load(url: string, body: (() => string) | undefined, headers: Record<string, string>, amount: number): Promise<number> {
  const r = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    amount,
    headers,
    requests: [{ setupRequest: (x) => ({ ...x, body: body?.() }) }],
  });
  if (r.errors || r.non2xx) throw new Error(`${url}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return (CONNECTIONS / r.latency.mean) * 1000;
}

async function main(): Promise<void> {
  const refDir = runnable(REF);
  const workers: RunningWorker[] = [];
  try {
    const trivial = await startWorker({ config: "bench/trivial/wrangler.toml" });
    workers.push(trivial);
    // One address sends everything: the per-client limit off, and a pool that never runs dry.
    const vars = { ALLOCATE_RATE_LIMIT: "off" };
    const tree = await startWorker({ vars });
    workers.push(tree);
    const ref = await startWorker({ config: join(refDir, "wrangler.toml"), vars });
    workers.push(ref);
    const size = WARM_UP + ROUNDS * AMOUNT;
    const pool = { id: "p", name: "p", destinations: ["+12127365000"], exhaustionPolicy: "recycle", isDefault: true, maxNewLeasesPerMinute: 1_000_000 };
    const numbers = Array.from({ length: size }, (_, k) => `+1${8882200000 + k}`);
    const keys = await Promise.all([tree, ref].map(async (w) => (await createAccountWithPool(w.url, ORIGIN, { ...pool, trackingNumbers: numbers })).siteKey));
    const runs = {
      trivial: (n: number) => load(`${trivial.url}/`, undefined, {}, n),
      tree: (n: number) => load(`${tree.url}/v1/allocate`, firstView(keys[0]!), BROWSER_HEADERS, n),
      ref: (n: number) => load(`${ref.url}/v1/allocate`, firstView(keys[1]!), BROWSER_HEADERS, n),
    };
    for (const run of Object.values(runs)) await run(WARM_UP);
    const treeRatio: number[] = [];
    const refRatio: number[] = [];
    const treeOverRef: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (["trivial", "tree", "ref"] as const) : (["ref", "tree", "trivial"] as const);
      const got: Partial<Record<keyof typeof runs, number>> = {};
      for (const name of order) got[name] = await runs[name](AMOUNT);
      const { trivial: t, tree: a, ref: b } = got as Record<keyof typeof runs, number>;
      treeRatio.push(a / t);
      refRatio.push(b / t);
      treeOverRef.push(a / b);
      console.log(`round ${round + 1}/${ROUNDS}: req/s trivial ${t.toFixed(0)}, tree ${a.toFixed(0)}, ${REF} ${b.toFixed(0)}`);
    }
    console.log(
      `\nfirst allocations, ${ROUNDS} interleaved rounds of ${AMOUNT} requests, ${CONNECTIONS} connections; median (min–max) of the per-round ratios`,
    );
    console.log(`  working tree / trivial: ${summary(treeRatio)}`);
    console.log(`  ${REF} / trivial:${" ".repeat(Math.max(1, 14 - REF.length))}${summary(refRatio)}`);
    console.log(`  working tree / ${REF}: ${summary(treeOverRef)}`);
  } finally {
    for (const w of workers) await w.stop();
    rmSync(refDir, { recursive: true, force: true });
  }
}

await main();
