/**
 * Allocation benchmark under `wrangler dev` on loopback (bounded closed-loop load with autocannon):
 * POST /v1/allocate beside a trivial Durable Object that only increments a SQLite counter, on a
 * 10-number and a 10,000-number pool, first allocations (a new visit landing from an ad click:
 * no token, a new session each request) and sticky re-allocations (a known visit's later page
 * view: its token and this page's touch), with the bodies the snippet sends. The trivial object is
 * also sent a first view's request, which it ignores: what of a ratio is the request itself.
 *
 * Honest figures: the scenarios run interleaved, round after round (the order alternating), so a
 * noisy phase of the machine hits every scenario alike; each ratio is taken within a round and the median over rounds is
 * printed with its spread. Throughput comes from latency (Little's law: connections / mean latency),
 * not from autocannon's per-second buckets, which a short run quantizes. wrangler dev runs with its
 * local trace store off (test/e2e/harness.ts): its work per request, on both sides, diluted the
 * ratios. Asserts nothing.
 */
import autocannon from "autocannon";
import { createAccountWithPool, startWorker } from "../test/e2e/harness.ts";
import { BROWSER_HEADERS, firstView, GA, ORIGIN } from "./requests.ts";
import { median, spread } from "./rounds.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AMOUNT = Number(process.env.BENCH_REQUESTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** The big pool's size, the visits the sticky scenario renews, and the warm-up's requests per scenario. */
const BIG = 10_000;
const KNOWN = 200;
const WARM_UP = 300;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Scenario {
  name: string;
  url: string;
  body: () => string | undefined;
  headers: Record<string, string>;
}

async function run(s: Scenario, amount: number): Promise<Run> {
  const result = await autocannon({
    url: s.url,
    method: "POST",
    connections: CONNECTIONS,
    amount,
    headers: s.headers,
    requests: [{ setupRequest: (r) => ({ ...r, body: s.body() }) }],
  });
  return { rps: (CONNECTIONS / result.latency.mean) * 1000, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  const trivial = await startWorker({ config: "bench/trivial/wrangler.toml" });
  // The load comes from one address: switch the per-client limit off (and pools below lift the
  // per-pool backstop), so the figures measure allocation itself.
  const ours = await startWorker({ vars: { ALLOCATE_RATE_LIMIT: "off" } });
  try {
    const small = await createAccountWithPool(ours.url, ORIGIN, pool("p10", 10, 8882100000));
    // Every first allocation on the big pool must find a free number (none recycles, or the scenario
    // would measure the 10-number pool's work): the sticky visits, the warm-up and every round.
    const bigFirsts = KNOWN + WARM_UP + ROUNDS * AMOUNT;
    if (bigFirsts > BIG) throw new Error(`${bigFirsts} first allocations would exhaust the ${BIG}-number pool: lower BENCH_REQUESTS or BENCH_ROUNDS`);
    const big = await createAccountWithPool(ours.url, ORIGIN, pool("p10k", BIG, 8882200000));
    const headers = BROWSER_HEADERS;
    const url = `${ours.url}/v1/allocate`;
    // Bodies as the snippet sends them (snippet/main.ts): a first view lands from an ad click with no
    // token; a later view of the same visit sends the token of its answer with this page's touch.
    const later = { landing: `${ORIGIN}/contact`, referrer: `${ORIGIN}/plumbing`, gaClientId: GA };
    const known: string[] = [];
    for (let k = 0; k < KNOWN; k++) {
      const res = await fetch(url, { method: "POST", headers, body: firstView(big.siteKey)() });
      known.push(((await res.json()) as { token: string }).token);
    }
    let i = 0;
    const scenarios: Scenario[] = [
      { name: "trivial DO counter (baseline)", url: `${trivial.url}/`, body: () => undefined, headers: {} },
      { name: "first allocation, 10-number pool", url, body: firstView(small.siteKey), headers },
      { name: "first allocation, 10,000-number pool", url, body: firstView(big.siteKey), headers },
      {
        name: "sticky re-allocation, 10,000-number pool",
        url,
        body: () => JSON.stringify({ key: big.siteKey, token: known[i++ % known.length], pools: [], source: later }),
        headers,
      },
      // The baseline again, sent the first allocation's request (the snippet's body and a browser's
      // headers), which it ignores: how much of a ratio is the request itself, not our work.
      { name: "trivial DO counter, sent a first view's request (ignored)", url: `${trivial.url}/`, body: firstView(big.siteKey), headers },
    ];
    // Warm-up: isolates and objects loaded before anything is measured.
    for (const s of scenarios) await run(s, WARM_UP);
    const runs: Run[][] = scenarios.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      // The order alternates round by round: no scenario always follows the same one (the
      // 10-number pool's recycling writes history rows; the first-allocation scenarios share a process).
      const order = [...scenarios.keys()];
      if (round % 2) order.reverse();
      const got: Run[] = [];
      for (const k of order) got[k] = await run(scenarios[k]!, AMOUNT);
      for (const [k, r] of got.entries()) runs[k]!.push(r);
      process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
    }

    console.log(`\n${ROUNDS} interleaved rounds of ${AMOUNT} requests, ${CONNECTIONS} connections; median (min–max over rounds)\n`);
    console.log("| scenario | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|");
    for (const [k, s] of scenarios.entries()) {
      const r = runs[k]!;
      const rps = r.map((x) => x.rps);
      const p50 = r.map((x) => x.p50);
      const p99 = r.map((x) => x.p99);
      console.log(
        `| ${s.name} | ${median(rps).toFixed(0)} (${spread(rps, 0)}) | ${median(p50)} (${spread(p50, 0)}) | ${median(p99)} (${spread(p99, 0)}) | ${r.reduce((t, x) => t + x.errors, 0)} |`,
      );
    }
    const ratio = (a: number, b: number, f: (x: Run) => number) => runs[a]!.map((x, round) => f(x) / f(runs[b]![round]!));
    const line = (label: string, a: number, b: number) => {
      const t = ratio(a, b, (x) => x.rps);
      const l = ratio(a, b, (x) => x.p50);
      console.log(`  ${label} throughput ${median(t).toFixed(2)} (${spread(t, 2)}), p50 latency ${median(l).toFixed(2)} (${spread(l, 2)})`);
    };
    console.log("\nratios (per round, then the median over rounds)");
    line("first allocation, 10k pool / trivial:   ", 2, 0);
    line("first allocation, 10 pool / trivial:    ", 1, 0);
    line("sticky re-allocation / trivial:         ", 3, 0);
    line("10,000-number pool / 10-number pool:    ", 2, 1);
    line("first allocation, 10k pool / trivial sent the same request:", 2, 4);
    line("trivial sent the request / trivial:     ", 4, 0);
  } finally {
    await trivial.stop();
    await ours.stop();
  }
}

function pool(id: string, n: number, base: number) {
  return {
    id,
    name: id,
    trackingNumbers: Array.from({ length: n }, (_, k) => `+1${base + k}`),
    destinations: ["+12127365000"],
    exhaustionPolicy: "recycle",
    isDefault: true,
    maxNewLeasesPerMinute: 1_000_000,
  };
}

await main();
