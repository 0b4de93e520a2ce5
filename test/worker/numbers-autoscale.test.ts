/**
 * Autoscaling driven through the account's alarm with simulated Poisson traffic (a seeded
 * generator, so a run is reproducible): new sessions arrive at random times each minute and hold
 * a number for the lease. Numbers are bought from a fake Twilio at the network edge.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decideScale } from "../../worker/domain/autoscale";
import { sizeFromObserved } from "../../worker/domain/sizing";
import { at, DEST, mockNetwork, T0 } from "./calls-helpers";
import { accountStub, allocate, api, type Created, createAccount, freshNumbers, sessionId, useTestClock } from "./helpers";
import { FakeTwilio, stock, TWILIO_SID, TWILIO_TOKEN } from "./numbers-fakes";

const HOOK = "https://alerts.example/dni";
const MIN = 60_000;

/** mulberry32: a small seeded generator. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function poisson(rand: () => number, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

async function scaledWorld(autoscale: Record<string, unknown>, inStock = 80) {
  const acct = await createAccount();
  await api("PATCH", "/v1/account/voice", {
    key: acct.adminKey,
    body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } },
  });
  await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: HOOK } } });
  const twilio = new FakeTwilio(stock("510", inStock));
  const net = mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
  const r = await api("POST", "/v1/pools", {
    key: acct.adminKey,
    body: {
      id: "web",
      name: "Web",
      destinations: [DEST],
      leaseSeconds: 60,
      graceSeconds: 60,
      isDefault: true,
      order: { country: "US", areaCode: "510", quantity: 1 },
    },
  });
  expect(r.status).toBe(201);
  await runDurableObjectAlarm(accountStub(acct.accountId));
  const put = await api("PUT", "/v1/pools/web/autoscale", { key: acct.adminKey, body: { numbers: { country: "US", areaCode: "510" }, ...autoscale } });
  expect(put.status).toBe(200);
  return { acct, twilio, net };
}

const size = async (acct: Created) => (await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.trackingNumbers.length as number;
const counters = async (acct: Created) => (await api("GET", "/v1/pools/web/health", { key: acct.adminKey })).json.counters;

/**
 * `minutes` of traffic from `start` at `perMinute` new sessions a minute (lease 60 s, so the mean
 * concurrency is `perMinute`); the account's alarm runs every 5 minutes. Answers the pool's size after each run.
 */
async function traffic(acct: Created, rand: () => number, start: number, minutes: number, perMinute: number): Promise<number[]> {
  const sizes: number[] = [];
  for (let m = 0; m < minutes; m++) {
    const t0 = start + m * MIN;
    const times = Array.from({ length: poisson(rand, perMinute) }, () => t0 + Math.floor(rand() * MIN)).sort((a, b) => a - b);
    for (const t of times) {
      at(t);
      const r = await allocate(acct.siteKey, sessionId());
      expect(r.status).toBe(200);
    }
    if ((m + 1) % 5 === 0) {
      at(t0 + MIN);
      await runDurableObjectAlarm(accountStub(acct.accountId));
      sizes.push(await size(acct));
    }
  }
  return sizes;
}

useTestClock(T0, { silence: ["warn"] });

describe("autoscaling with Poisson traffic", () => {
  it("first fill, grows to the target size and stops there, meets the target, shrinks after cooldown to no less than min, releases what it removed before its month renews", async () => {
    const target = 0.05;
    const { acct, twilio, net } = await scaledWorld({ min: 3, max: 40, target, cooldownMinutes: 60 });
    const rand = rng(7);
    // Busy: 4 new sessions a minute holding 60 s.
    const busy = await traffic(acct, rand, T0, 35, 4);
    const view = (await api("GET", "/v1/pools/web/autoscale", { key: acct.adminKey })).json;
    const events = [...view.events].reverse();
    expect(events[0]).toMatchObject({ action: "first_fill", from: 1, to: 4, dryRun: false });
    expect(events.slice(1).every((e: { action: string }) => e.action === "grow")).toBe(true);
    const final = busy.at(-1)!;
    // It stopped: the size of the last 15 minutes did not change, and it is what the target asks at the peak it saw.
    expect(busy.slice(-3)).toEqual([final, final, final]);
    expect(final).toBeGreaterThanOrEqual(sizeFromObserved(events.at(-1).peak, target));
    expect(Math.max(...busy)).toBeLessThanOrEqual(40);
    // From the moment it stopped growing, new sessions found the pool full no more often than the target.
    const before = await counters(acct);
    const steady = await traffic(acct, rand, T0 + 35 * MIN, 25, 4);
    const after = await counters(acct);
    const share = (after.recycledEarly - before.recycledEarly) / (after.allocations - before.allocations);
    expect(after.allocations - before.allocations).toBeGreaterThan(80);
    expect(share).toBeLessThanOrEqual(target);
    // While busy it never gives numbers back; it only grows again for a higher peak, to that peak's size.
    const all = [...busy, ...steady];
    expect(all.every((n, i) => i === 0 || n >= all[i - 1]!)).toBe(true);
    const grown = ((await api("GET", "/v1/pools/web/autoscale", { key: acct.adminKey })).json.events as { action: string; to: number; peak: number }[]).filter(
      (e) => e.action === "grow",
    );
    for (const e of grown) expect(e.to).toBeLessThanOrEqual(Math.max(sizeFromObserved(e.peak, target), e.peak + Math.ceil(e.peak / 4)));
    const settled = steady.at(-1)!;

    // Quiet: one session a minute. Nothing shrinks before the cooldown; then it shrinks, never under min.
    const quiet = await traffic(acct, rand, T0 + 60 * MIN, 80, 1);
    expect(quiet.slice(0, 3).every((s) => s === settled)).toBe(true);
    expect(quiet.at(-1)!).toBeLessThan(settled);
    expect(Math.min(...quiet)).toBeGreaterThanOrEqual(3);
    const shrinks = ((await api("GET", "/v1/pools/web/autoscale", { key: acct.adminKey })).json.events as { action: string; removed: string[] }[]).filter(
      (e) => e.action === "shrink",
    );
    expect(shrinks.length).toBeGreaterThan(0);
    const removed = shrinks.flatMap((e) => e.removed);
    // Removed numbers are paid for the month (no proration): parked, not given back while it runs...
    at(T0 + 200 * MIN);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(twilio.released).toEqual([]);
    const states = async () =>
      Object.fromEntries(
        ((await api("GET", "/v1/orders?pool=web", { key: acct.adminKey })).json.orders as { numbers: { number: string; state: string }[] }[])
          .flatMap((o) => o.numbers)
          .map((n) => [n.number, n.state]),
      );
    const parked = await states();
    for (const n of removed) expect(parked[n]).toBe("parked");
    // ...and released two days before the month they were bought in renews (T0 is March 1st: April 1st; the alarm is set for it).
    at(T0 + (31 - 2) * 86_400_000 - MIN);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(twilio.released).toEqual([]);
    // (Each by its own purchase time: the last were bought an hour after the first.)
    at(T0 + (31 - 2) * 86_400_000 + 2 * 60 * MIN);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    // (The idle month also shrank the pool to min: those numbers, near their renewal, went at once too.)
    const allRemoved = ((await api("GET", "/v1/pools/web/autoscale", { key: acct.adminKey })).json.events as { removed: string[] }[]).flatMap((e) => e.removed);
    expect(allRemoved).toEqual(expect.arrayContaining(removed));
    expect(twilio.released.slice().sort()).toEqual(allRemoved.slice().sort());
    const released = await states();
    for (const n of removed) expect(released[n]).toBe("released");
    // Every step went out as a pool.scaled alert.
    const alerts = net.seen.filter((s) => s.url.href === HOOK).map((s) => JSON.parse(s.body));
    expect(alerts.length).toBeGreaterThanOrEqual(events.length);
    expect(alerts.every((a: { type: string }) => a.type === "pool.scaled")).toBe(true);
  });

  it("never past max (a hard budget, orders included); dryRun only recommends", async () => {
    const { acct, twilio } = await scaledWorld({ min: 1, max: 5, target: 0.01, cooldownMinutes: 20 });
    const sizes = await traffic(acct, rng(11), T0, 15, 5);
    expect(Math.max(...sizes)).toBe(5);
    expect(twilio.purchases).toHaveLength(5);
    const over = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { order: { country: "US", areaCode: "510", quantity: 1 } } });
    expect([over.status, over.json.error.code]).toEqual([400, "over_budget"]);

    const dry = await scaledWorld({ min: 1, max: 30, target: 0.01, cooldownMinutes: 20, dryRun: true });
    const drySizes = await traffic(dry.acct, rng(3), Date.now(), 10, 3);
    expect(drySizes.every((s) => s === 1)).toBe(true);
    // Checks go on (every 5 minutes) while the same recommendation stands.
    const after = Date.now();
    for (let i = 1; i <= 3; i++) {
      at(after + i * 5 * MIN);
      await runDurableObjectAlarm(accountStub(dry.acct.accountId));
    }
    expect(dry.twilio.purchases).toHaveLength(1);
    const events = (await api("GET", "/v1/pools/web/autoscale", { key: dry.acct.adminKey })).json.events;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e: { dryRun: boolean; orderId: string | null }) => e.dryRun && e.orderId === null)).toBe(true);
    // Each recommendation once, not again at every check while it stands (an alert each time).
    const said = events.map((e: { action: string; from: number; to: number }) => `${e.action} ${e.from}→${e.to}`);
    for (let i = 1; i < said.length; i++) expect(said[i]).not.toBe(said[i - 1]);
    const alerts = dry.net.seen.filter((s) => s.url.href === HOOK).map((s) => JSON.parse(s.body) as { type: string });
    expect(alerts.filter((a) => a.type === "pool.scaled").length).toBeLessThanOrEqual(events.length);
  });
});

describe("a pool with a shared overflow number", () => {
  it("grows until the numbers that can be leased meet the peak: the overflow number is not one of them", async () => {
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", {
      key,
      body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } },
    });
    const twilio = new FakeTwilio(stock("510", 80));
    mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const pool = { id: "web", name: "Web", destinations: [DEST], trackingNumbers: freshNumbers(3), exhaustionPolicy: "overflow", isDefault: true };
    expect((await api("POST", "/v1/pools", { key, body: { ...pool, leaseSeconds: 600, graceSeconds: 60 } })).status).toBe(201);
    const put = await api("PUT", "/v1/pools/web/autoscale", { key, body: { numbers: { country: "US", areaCode: "510" }, min: 1, max: 30 } });
    expect(put.status).toBe(200);
    // Two sessions lease the two numbers; the third is shown the overflow number.
    const shown = [];
    for (let i = 0; i < 3; i++) shown.push((await allocate(acct.siteKey, sessionId())).json.pools[0]);
    expect(shown.map((p: { overflow: boolean }) => p.overflow)).toEqual([false, false, true]);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const health = (await api("GET", "/v1/pools/web/health", { key })).json;
    expect([health.numbers.total, health.numbers.overflow]).toEqual([sizeFromObserved(2, 0.01), 1]);
    expect(await size(acct)).toBe(sizeFromObserved(2, 0.01) + 1);
  });
});

describe("an order placed by hand that waits for stock", () => {
  it("is the account's: autoscaling neither tells of it as its own, nor cancels it", async () => {
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", { key, body: { credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } } });
    await api("PATCH", "/v1/account/integrations", { key, body: { alertWebhook: { url: HOOK } } });
    const twilio = new FakeTwilio(stock("510", 2));
    const net = mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const order = { country: "US", areaCode: "510", quantity: 5, provider: "twilio" };
    const r = await api("POST", "/v1/pools", { key, body: { id: "web", name: "Web", destinations: [DEST], isDefault: true, order } });
    expect(r.status).toBe(201);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const put = { numbers: { country: "US", areaCode: "510", provider: "twilio" }, min: 1, max: 20, cooldownMinutes: 5 };
    expect((await api("PUT", "/v1/pools/web/autoscale", { key, body: put })).status).toBe(200);
    for (let m = 0; m <= 30; m += 5) {
      at(T0 + m * MIN + 1);
      await runDurableObjectAlarm(accountStub(acct.accountId));
    }
    expect((await api("GET", `/v1/orders/${r.json.order.id}`, { key })).json.status).toBe("waiting");
    const told = net.seen.filter((s) => s.url.href === HOOK).map((s) => JSON.parse(s.body) as { type: string; orderId?: string });
    expect(told.filter((a) => a.type === "pool.scale_failed" && a.orderId === r.json.order.id)).toEqual([]);
  });
});

describe("the autoscale budget and a request that adds or removes numbers beside its order", () => {
  it("counts the numbers the same request adds or removes: added past max is refused (nothing stored), removed makes room", async () => {
    const acct = await createAccount();
    const key = acct.adminKey;
    await api("PATCH", "/v1/account/voice", { key, body: { credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } } });
    const twilio = new FakeTwilio(stock("510", 10));
    mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const eight = freshNumbers(8);
    expect((await api("POST", "/v1/pools", { key, body: { id: "web", name: "Web", destinations: [DEST], trackingNumbers: eight } })).status).toBe(201);
    const put = { numbers: { country: "US", areaCode: "510", provider: "twilio" }, min: 1, max: 10, dryRun: true };
    expect((await api("PUT", "/v1/pools/web/autoscale", { key, body: put })).status).toBe(200);
    const order = { country: "US", areaCode: "510", quantity: 2, provider: "twilio" };
    const over = await api("POST", "/v1/pools/web/numbers", { key, body: { add: freshNumbers(2), order } });
    expect([over.status, over.json.error.code]).toEqual([400, "over_budget"]);
    expect((await api("GET", "/v1/pools/web", { key })).json.trackingNumbers).toHaveLength(8);
    expect((await api("GET", "/v1/orders?pool=web", { key })).json.orders).toEqual([]);
    // Full (10 with two added by hand): two removed beside an order of two stay within max.
    const two = freshNumbers(2);
    expect((await api("POST", "/v1/pools/web/numbers", { key, body: { add: two } })).status).toBe(200);
    const swap = await api("POST", "/v1/pools/web/numbers", { key, body: { remove: two, order } });
    expect(swap.status).toBe(202);
  });
});

describe("every autoscaled pool in one list", () => {
  it("GET /v1/autoscale answers each autoscaled pool as its own GET does, and with ?pool= that pool's or none (no 404 to probe with)", async () => {
    const { acct } = await scaledWorld({ min: 1, max: 5, dryRun: true });
    const key = acct.adminKey;
    const manual = await api("POST", "/v1/pools", { key, body: { id: "manual", name: "By hand", trackingNumbers: freshNumbers(2), destinations: [DEST] } });
    expect(manual.status).toBe(201);
    const web = (await api("GET", "/v1/pools/web/autoscale", { key })).json;
    expect(web.pool).toBe("web");
    expect((await api("GET", "/v1/autoscale", { key })).json).toEqual({ pools: [web] });
    expect((await api("GET", "/v1/autoscale?pool=web", { key })).json).toEqual({ pools: [web] });
    for (const pool of ["manual", "no-such-pool"]) {
      const r = await api("GET", `/v1/autoscale?pool=${pool}`, { key });
      expect({ pool, status: r.status, json: r.json }).toEqual({ pool, status: 200, json: { pools: [] } });
    }
    const bad = await api("GET", "/v1/autoscale?pool=%20bad", { key });
    expect([bad.status, bad.json.error.code]).toEqual([400, "invalid_request"]);
    expect((await api("GET", "/v1/autoscale")).status).toBe(401);
    // Stopped: out of the list.
    expect((await api("DELETE", "/v1/pools/web/autoscale", { key })).status).toBe(204);
    expect((await api("GET", "/v1/autoscale", { key })).json).toEqual({ pools: [] });
  });
});

describe("numbers are paid by the month", () => {
  it("busy, quiet, busy again within a day: the second busy period takes back the parked numbers and buys none", async () => {
    const { acct, twilio } = await scaledWorld({ min: 2, max: 30, target: 0.01, cooldownMinutes: 30 });
    const rand = rng(5);
    const busy = await traffic(acct, rand, T0, 30, 6);
    const bought = twilio.purchases.length;
    const quiet = await traffic(acct, rand, T0 + 30 * MIN, 90, 0);
    expect(quiet.at(-1)!).toBeLessThan(busy.at(-1)!);
    const again = await traffic(acct, rand, T0 + 120 * MIN, 30, 6);
    expect(Math.max(...again)).toBeGreaterThanOrEqual(busy.at(-1)! - 1);
    // Every number of the second busy period was one already paid for.
    expect(twilio.purchases.length).toBe(Math.max(bought, Math.max(...again)));
    expect(twilio.released).toEqual([]);
    const events = (await api("GET", "/v1/pools/web/autoscale", { key: acct.adminKey })).json.events as {
      action: string;
      reused: string[];
      orderId: string | null;
    }[];
    const regrow = events.filter((e) => e.action === "grow" && e.reused.length);
    expect(regrow.length).toBeGreaterThan(0);
    expect(regrow.every((e) => e.orderId === null || e.reused.length > 0)).toBe(true);
  });
});

describe("parked numbers put back by hand", () => {
  it("are in use again: a later grow does not count them as taken back, and buys what it needs", async () => {
    const { acct, twilio } = await scaledWorld({ min: 2, max: 40, target: 0.01, cooldownMinutes: 30 });
    const key = acct.adminKey;
    const rand = rng(5);
    await traffic(acct, rand, T0, 30, 6);
    await traffic(acct, rand, T0 + 30 * MIN, 90, 0);
    type Step = { action: string; to: number; removed: string[]; reused: string[] };
    const steps = async () => (await api("GET", "/v1/pools/web/autoscale", { key })).json.events as Step[];
    const parked = (await steps()).flatMap((e) => e.removed);
    expect(parked.length).toBeGreaterThan(0);
    expect((await api("POST", "/v1/pools/web/numbers", { key, body: { add: parked } })).status).toBe(200);
    const states = async () =>
      Object.fromEntries(
        ((await api("GET", "/v1/orders?pool=web", { key })).json.orders as { numbers: { number: string; state: string }[] }[])
          .flatMap((o) => o.numbers)
          .map((n) => [n.number, n.state]),
      );
    const now = await states();
    expect(parked.map((n) => now[n])).toEqual(parked.map(() => "added"));
    const bought = twilio.purchases.length;
    const before = (await steps()).length;
    // Busier than before: the pool must grow past what it had.
    const sizes = await traffic(acct, rand, T0 + 120 * MIN, 20, 12);
    const grows = (await steps()).slice(0, -before || undefined).filter((e) => e.action === "grow");
    expect(grows.length).toBeGreaterThan(0);
    for (const g of grows) expect(g.reused.filter((n) => parked.includes(n))).toEqual([]);
    expect(twilio.purchases.length).toBeGreaterThan(bought);
    expect(sizes.at(-1)).toBe(grows[0]!.to);
  });
});

describe("a grow the provider has too few numbers for", () => {
  it("waits for stock without holding the pool's scaling: told once, and canceled when the pool shrinks", async () => {
    const { acct, twilio, net } = await scaledWorld({ min: 2, max: 40, target: 0.01, cooldownMinutes: 30 }, 6);
    const key = acct.adminKey;
    const rand = rng(5);
    const busy = await traffic(acct, rand, T0, 30, 6);
    expect(twilio.purchases).toHaveLength(6);
    const orders = async () => (await api("GET", "/v1/orders?pool=web", { key })).json.orders as { id: string; status: string }[];
    const waiting = (await orders()).filter((o) => o.status === "waiting");
    expect(waiting).toHaveLength(1);
    const alerts = () => net.seen.filter((r) => r.url.href === HOOK).map((r) => JSON.parse(r.body) as { type: string; orderId?: string; waiting?: boolean });
    const told = alerts().filter((a) => a.type === "pool.scale_failed");
    expect(told).toEqual([expect.objectContaining({ orderId: waiting[0]!.id, waiting: true })]);
    // Quiet: the pool shrinks after the cooldown all the same, and the order it no longer needs stops.
    const quiet = await traffic(acct, rand, T0 + 30 * MIN, 90, 0);
    expect(quiet.at(-1)!).toBeLessThan(busy.at(-1)!);
    expect((await orders()).find((o) => o.id === waiting[0]!.id)!.status).toBe("canceled");
    expect(alerts().filter((a) => a.type === "pool.scale_failed")).toHaveLength(1);
  });
});

describe("a grow the provider refuses", () => {
  it("is told once per failed order with the provider's reason, and tried again after a backoff that doubles, not at every check", async () => {
    const { acct, twilio, net } = await scaledWorld({ min: 3, max: 10, target: 0.01, cooldownMinutes: 20 });
    // Twilio's 21631: the country's numbers need an address (the numbers request gave no regulatory.addressSid).
    const refusal = { code: 21631, message: "Phone Number Requires an Address but the 'AddressSid' parameter was empty.", status: 400 };
    twilio.faults.push(
      ...Array.from({ length: 100 }, () => ({
        match: (req: { method: string; url: URL }) => req.method === "POST" && req.url.pathname.endsWith("IncomingPhoneNumbers.json"),
        answer: () => Response.json(refusal, { status: 400 }),
      })),
    );
    const start = Date.now();
    for (let m = 0; m <= 120; m += 5) {
      at(start + m * MIN);
      await runDurableObjectAlarm(accountStub(acct.accountId));
    }
    const orders = (await api("GET", "/v1/orders?pool=web", { key: acct.adminKey })).json.orders as {
      id: string;
      status: string;
      lastError: string;
      createdAt: number;
    }[];
    // The pool's own first order (before the refusals) completed; the autoscaler's grows:
    const grows = orders.filter((o) => o.status !== "completed").reverse();
    // Placed at once (failed in the same alarm), then 30 min after, then 60 min after that: three orders in two hours, not 25.
    expect(grows.map((o) => (o.createdAt - start) / MIN)).toEqual([0, 30, 90]);
    expect(grows.every((o) => o.status === "failed" && o.lastError.includes("21631"))).toBe(true);
    const alerts = net.seen.filter((r) => r.url.href === HOOK).map((r) => JSON.parse(r.body) as { type: string; orderId?: string; reason?: string });
    const failed = alerts.filter((a) => a.type === "pool.scale_failed");
    expect(failed.map((a) => a.orderId)).toEqual(grows.map((o) => o.id));
    expect(failed[0]!.reason).toContain("AddressSid");
    expect(await size(acct)).toBe(1);
  });
});

describe("the autoscaler's decision", () => {
  const s = { min: 2, max: 20, target: 0.01, cooldownMinutes: 60 };
  const base = { size: 10, shared: 0, onOrder: 0, recentPeak: 3, windowPeak: 3, since: 0, scaledBefore: true, now: 3_600_000 };
  it("waits for an open order, first-fills, grows in steps to the target, shrinks only after the cooldown", () => {
    expect(decideScale(s, { ...base, onOrder: 2, recentPeak: 50 })).toBeNull();
    expect(decideScale(s, { ...base, size: 0, scaledBefore: false })).toMatchObject({ action: "first_fill", to: 2 });
    expect(decideScale({ ...s, max: 100 }, { ...base, size: 1, scaledBefore: false })).toMatchObject({ action: "first_fill", to: 10 });
    // Peak 9 wants sizeFromObserved(9, 0.01) = 18 (P(N ≥ 18) ≤ 1 % for N ~ Poisson(9)): steps of at most max(5, half the pool).
    expect(sizeFromObserved(9, 0.01)).toBe(18);
    expect(decideScale(s, { ...base, recentPeak: 9 })).toMatchObject({ action: "grow", to: 15 });
    expect(decideScale(s, { ...base, size: 15, recentPeak: 9 })).toMatchObject({ action: "grow", to: 18 });
    expect(decideScale(s, { ...base, size: 18, recentPeak: 9, windowPeak: 9 })).toBeNull();
    // Full at its peak: demand was higher than it could show; never past max.
    expect(decideScale(s, { ...base, size: 18, recentPeak: 18, windowPeak: 18 })).toMatchObject({ action: "grow", to: 20 });
    expect(decideScale(s, { ...base, size: 20, recentPeak: 20, windowPeak: 20 })).toBeNull();
    // Shrink: not before the cooldown since the last step, not for a number or two of noise, never below min.
    expect(decideScale(s, { ...base, size: 18, recentPeak: 0, windowPeak: 0, since: base.now - 59 * MIN })).toBeNull();
    expect(decideScale(s, { ...base, size: 18, recentPeak: 8, windowPeak: 8, since: 0 })).toMatchObject({ action: "shrink", to: sizeFromObserved(8, 0.01) });
    expect(decideScale(s, { ...base, size: 18, recentPeak: 0, windowPeak: 0, since: base.now - 60 * MIN })).toMatchObject({ action: "shrink", to: 2 });
  });

  it("counts a shared overflow number toward min and max but not toward the numbers that meet the peak", () => {
    const overflow = { ...base, shared: 1 };
    // 18 numbers of which one is the overflow number: 17 leasable, one short of the 18 a peak of 9 wants.
    expect(decideScale(s, { ...overflow, size: 18, recentPeak: 9, windowPeak: 9 })).toMatchObject({ action: "grow", to: 19 });
    expect(decideScale(s, { ...overflow, size: 19, recentPeak: 9, windowPeak: 9 })).toBeNull();
    expect(decideScale(s, { ...overflow, size: 19, recentPeak: 8, windowPeak: 8, since: 0 })).toMatchObject({
      action: "shrink",
      to: sizeFromObserved(8, 0.01) + 1,
    });
    // Every leasable number taken (the overflow number shown): full, though one number is not leased.
    expect(decideScale({ ...s, target: 0.5 }, { ...overflow, size: 5, recentPeak: 4, windowPeak: 4 })).toMatchObject({ action: "grow" });
    expect(decideScale({ ...s, target: 0.5 }, { ...base, size: 5, recentPeak: 4, windowPeak: 4 })).toBeNull();
    // The budget is every number bought, the overflow number too.
    expect(decideScale(s, { ...overflow, size: 20, recentPeak: 19, windowPeak: 19 })).toBeNull();
  });
});
