/**
 * Allocation benchmark under `wrangler dev` on loopback (bounded load with autocannon):
 * our POST /v1/allocate beside a trivial Durable Object that only increments a SQLite counter,
 * measured in the same run, on a 10-number and a 10,000-number pool, first allocations
 * (a new session each request) and sticky re-allocations (known sessions) separately.
 * Prints figures and ratios; asserts nothing.
 */
import autocannon from "autocannon";
import { createAccountWithPool, startWorker } from "../test/e2e/harness.ts";

const ORIGIN = "http://bench.local";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AMOUNT = Number(process.env.BENCH_REQUESTS ?? 4000);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

let seq = 0;
const newSession = () => `bench${process.pid}x${(seq++).toString(36).padStart(12, "0")}`;

async function load(name: string, url: string, body: () => string | undefined, headers: Record<string, string> = {}): Promise<Figures> {
  // Warm-up so isolates and objects are loaded before measuring.
  await autocannon({ url, method: "POST", connections: 4, amount: 200, headers, requests: [{ setupRequest: (r) => ({ ...r, body: body() }) }] });
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    amount: AMOUNT,
    headers,
    requests: [{ setupRequest: (r) => ({ ...r, body: body() }) }],
  });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

function table(rows: Figures[]): void {
  console.log("\n| scenario | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
}

async function main(): Promise<void> {
  const trivial = await startWorker({ config: "bench/trivial/wrangler.toml" });
  // The load comes from one address: switch the per-client limit off (and pools below lift the
  // per-pool backstop), so the figures measure allocation itself.
  const ours = await startWorker({ vars: { ALLOCATE_RATE_LIMIT: "off" } });
  try {
    const rows: Figures[] = [];
    rows.push(await load("trivial DO counter (baseline)", `${trivial.url}/`, () => undefined));

    const small = await createAccountWithPool(ours.url, ORIGIN, pool("p10", 10, 8882100000));
    const big = await createAccountWithPool(ours.url, ORIGIN, pool("p10k", 10_000, 8882200000));
    const headers = {
      "Content-Type": "text/plain",
      Origin: ORIGIN,
      "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
      "Accept-Language": "en",
      "Sec-Fetch-Mode": "cors",
    };
    const url = `${ours.url}/v1/allocate`;
    const first = (key: string) => () => JSON.stringify({ key, session: newSession() });
    rows.push(await load("first allocation, 10-number pool", url, first(small.siteKey), headers));
    rows.push(await load("first allocation, 10,000-number pool", url, first(big.siteKey), headers));
    const known = Array.from({ length: 200 }, newSession);
    for (const s of known) await fetch(url, { method: "POST", headers, body: JSON.stringify({ key: big.siteKey, session: s }) });
    let i = 0;
    rows.push(
      await load("sticky re-allocation, 10,000-number pool", url, () => JSON.stringify({ key: big.siteKey, session: known[i++ % known.length] }), headers),
    );
    table(rows);
    const [base, f10, f10k, sticky] = rows as [Figures, Figures, Figures, Figures];
    console.log("\nratios");
    console.log(`  first allocation (10k pool) / trivial: throughput ${(f10k.rps / base.rps).toFixed(2)}, p50 latency ${(f10k.p50 / base.p50).toFixed(2)}`);
    console.log(`  sticky re-allocation / trivial:       throughput ${(sticky.rps / base.rps).toFixed(2)}, p50 latency ${(sticky.p50 / base.p50).toFixed(2)}`);
    console.log(`  10,000-number pool / 10-number pool:  throughput ${(f10k.rps / f10.rps).toFixed(2)}, p50 latency ${(f10k.p50 / f10.p50).toFixed(2)}`);
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
