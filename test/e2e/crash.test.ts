/**
 * Crash safety: kill the local runtime (SIGKILL to wrangler dev's process group) in the middle of
 * a load run, start it again on the same storage, and check through the API that every allocation
 * acknowledged before the kill is still leased, to the same session, after it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, createAccountWithPool, DESKTOP_UA, type RunningWorker, startWorker } from "./harness";

const ORIGIN = "http://shop.crash.test";
let worker: RunningWorker;

beforeAll(async () => {
  // One address makes all the load here: the per-client limit would refuse most of it.
  worker = await startWorker({ vars: { ALLOCATE_RATE_LIMIT: "off" } });
});
afterAll(async () => worker?.stop());

describe("a restart in the middle of a load run", () => {
  it("keeps every acknowledged lease", async () => {
    const numbers = Array.from({ length: 2000 }, (_, i) => `+1${8883000000 + i}`);
    const { adminKey, siteKey } = await createAccountWithPool(worker.url, ORIGIN, {
      id: "load",
      name: "Load",
      trackingNumbers: numbers,
      destinations: ["+12127365000"],
      isDefault: true,
      leaseSeconds: 3600,
    });
    const acked = new Map<string, string>();
    let seq = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const session = `crash${String(seq++).padStart(12, "0")}`;
        try {
          const r = await fetch(`${worker.url}/v1/allocate`, {
            method: "POST",
            headers: { "Content-Type": "text/plain", Origin: ORIGIN, "User-Agent": DESKTOP_UA, "Accept-Language": "en", "Sec-Fetch-Mode": "cors" },
            body: JSON.stringify({ key: siteKey, session }),
          });
          if (r.status === 200) {
            const body = await r.json();
            acked.set(session, body.pools[0].number.e164);
          }
        } catch {
          /* the runtime is down: unacknowledged, may or may not have been stored */
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // Let the load run, then kill the runtime while requests are in flight.
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 20));
    await worker.restart();
    stop = true;
    await Promise.all(clients);
    expect(acked.size).toBeGreaterThanOrEqual(150);
    const leases = await adminCall(worker.url, "GET", "/v1/pools/load/leases", adminKey);
    expect(leases.status).toBe(200);
    const held = new Map<string, string>(leases.json.leases.map((l: { session: string; number: string }) => [l.session, l.number]));
    const lost = [...acked].filter(([s, n]) => held.get(s) !== n);
    expect(lost).toEqual([]);
    // And no number is held twice after the restart.
    expect(new Set(held.values()).size).toBe(held.size);
  });
});
