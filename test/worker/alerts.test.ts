/**
 * Pool alerts: a `warning` pool calls the account's alert webhook once when utilization crosses
 * its threshold, once when it runs dry, once on recovery — not per request, not while an episode
 * lasts, never for status `recycle` — through the outbox (signed, retried).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jitteredDelayMs } from "../../worker/account/outbox";
import { shardName } from "../../worker/domain/shards";
import { at, mockNetwork, type Seen, T0 } from "./calls-helpers";
import { accountStub, allocate, api, type Created, createAccount, createPool, dump, freshNumbers, poolStub, sessionId, useTestClock } from "./helpers";
import { receive } from "./receiver";

const HOOK = "https://hooks.example/alerts";
const CALLS_HOOK = "https://hooks.example/calls";
const DEST = "+12127365000";
const S = 1000;

async function world(size: number, pool: Record<string, unknown> = {}, hook = true) {
  const acct = await createAccount();
  await createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: freshNumbers(size),
    destinations: [DEST],
    leaseSeconds: 120,
    graceSeconds: 0,
    status: "warning",
    isDefault: true,
    ...pool,
  });
  let secret = "";
  if (hook) {
    const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: HOOK }, webhook: { url: CALLS_HOOK } } });
    expect(r.status).toBe(200);
    expect(r.json.alertWebhook.url).toBe(HOOK);
    expect(r.json.alertWebhook.secret).toMatch(/^whsec_/);
    expect(r.json.alertWebhook.secret).not.toBe(r.json.webhook.secret);
    secret = r.json.alertWebhook.secret;
  }
  return { acct, secret };
}

async function newSessions(acct: Created, n: number) {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = sessionId();
    const r = await allocate(acct.siteKey, s);
    expect(r.status).toBe(200);
    out.push(s);
  }
  return out;
}

/** What the pool's alarm hands over and the account's alarm sends: the alert bodies received. */
async function flush(acct: Created, net: { seen: Seen[] }) {
  await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
  await runDurableObjectAlarm(accountStub(acct.accountId));
  return net.seen.filter((s) => s.url.href === HOOK).map((s) => JSON.parse(s.body));
}

const types = (bodies: { type: string }[]) => bodies.map((b) => b.type);

/**
 * One episode as a story: each step goes on from the one before (one account, one clock, one mocked
 * network), so they run in order and only together. Hysteresis keeps a hovering pool quiet.
 */
describe("a pool's alert episode: once on crossing the threshold, once on running dry, once on recovery", () => {
  let acct: Created;
  let secret: string;
  let net: ReturnType<typeof mockNetwork>;
  /** The 16th session, the one that crossed the threshold. */
  let last: string;

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(T0);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    ({ acct, secret } = await world(20));
    net = mockNetwork();
  });
  afterAll(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("15 of 20 numbers leased (75 %) is under the 80 % threshold: no alert", async () => {
    await newSessions(acct, 1); // the first one 10 s before the others
    at(T0 + 10 * S);
    await newSessions(acct, 14);
    expect(await flush(acct, net)).toEqual([]);
  });

  it("the 16th session crosses it: one pool.warning with the figures, the episode and both remedies", async () => {
    last = (await newSessions(acct, 1))[0]!;
    const got = await flush(acct, net);
    expect(types(got)).toEqual(["pool.warning"]);
    const warning = got[0];
    expect(warning).toMatchObject({
      type: "pool.warning",
      accountId: acct.accountId,
      pool: { id: "web", name: "Web", status: "warning" },
      at: T0 + 10 * S,
      figures: {
        numbers: { total: 20, leased: 16, free: 4, retiring: 0 },
        utilization: 0.8,
        alertThreshold: 0.8,
        recoveryThreshold: 0.7,
        peak7d: 16,
        leaseSeconds: 120,
        counters: { allocations: 16, recycledEarly: 0 },
      },
      episode: { openedAt: T0 + 10 * S, cause: "threshold", exhaustedAt: null, endedAt: null },
    });
    expect(warning.message).toContain("80 % leased (16 of 20 numbers)");
    // Both remedies, with figures: more numbers for the observed peak, or a lease short enough for 20.
    expect(warning.remedies.map((r: { action: string }) => r.action)).toEqual(["add_numbers", "shorten_lease"]);
    expect(warning.remedies[0].suggestedNumbers).toBeGreaterThan(20);
    expect(warning.remedies[1].suggestedLeaseSeconds).toBe(Math.floor((120 * 20) / warning.remedies[0].suggestedNumbers));
  });

  it("the warning is signed with the alert webhook's own secret (Standard Webhooks), and nothing goes to the calls webhook", () => {
    const req = net.seen.find((s) => s.url.href === HOOK)!;
    expect(req.headers.get("X-DNI-Event")).toBe("pool.warning");
    // Verified by the spec's reference library.
    expect(receive(secret, req)).toEqual({ ok: true, payload: JSON.parse(req.body) });
    expect(net.seen.filter((s) => s.url.href === CALLS_HOOK)).toEqual([]);
  });

  it("renewals, and hovering between the 70 % recovery line and the threshold, keep the episode quiet", async () => {
    for (let i = 0; i < 3; i++) expect((await allocate(acct.siteKey, last)).status).toBe(200);
    // The first session's lease ends: 15 of 20 = 75 %, above the 70 % recovery line — still the same episode.
    at(T0 + 120 * S + 500);
    await flush(acct, net); // the alarm ends it
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json).toMatchObject({
      state: "warning",
      numbers: { leased: 15 },
      episode: { cause: "threshold" },
    });
    await newSessions(acct, 1); // back to 80 %: no second warning
    expect(await flush(acct, net)).toHaveLength(1);
  });

  it("filled (20 of 20), then a session finds it dry: one pool.exhausted; the next dry sessions, none", async () => {
    await newSessions(acct, 4);
    expect(await flush(acct, net)).toHaveLength(1);
    await newSessions(acct, 1);
    const got = await flush(acct, net);
    expect(types(got)).toEqual(["pool.warning", "pool.exhausted"]);
    expect(got[1]).toMatchObject({
      type: "pool.exhausted",
      figures: { numbers: { leased: 20, free: 0 } },
      episode: { openedAt: T0 + 10 * S, cause: "threshold", exhaustedAt: T0 + 120 * S + 500 },
    });
    expect(got[1].message).toContain("recycled early");
    expect(got[1].remedies).toHaveLength(2);
    await newSessions(acct, 2);
    expect(await flush(acct, net)).toHaveLength(2);
  });

  it("every lease ends: one pool.recovered, with what the episode cost", async () => {
    at(T0 + 400 * S);
    const got = await flush(acct, net);
    expect(types(got)).toEqual(["pool.warning", "pool.exhausted", "pool.recovered"]);
    expect(got[2]).toMatchObject({
      type: "pool.recovered",
      at: T0 + 400 * S,
      figures: { numbers: { leased: 0, free: 20 }, utilization: 0 },
      episode: {
        openedAt: T0 + 10 * S,
        exhaustedAt: T0 + 120 * S + 500,
        endedAt: T0 + 400 * S,
        sinceOpened: { recycledEarly: 3, refused: 0, overflow: 0, allocations: 8 },
      },
      remedies: [],
    });
    expect(await flush(acct, net)).toHaveLength(3);
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json).toMatchObject({ state: "ok", episode: null });
  });

  it("a new episode alerts again", async () => {
    await newSessions(acct, 16);
    expect(types(await flush(acct, net))).toEqual(["pool.warning", "pool.exhausted", "pool.recovered", "pool.warning"]);
  });
});

describe("pool alerts", () => {
  useTestClock(T0, { silence: ["warn"] });

  it("a pool with status recycle never alerts, even when it runs dry", async () => {
    const { acct } = await world(4, { status: "recycle" });
    const net = mockNetwork();
    await newSessions(acct, 8);
    expect(await flush(acct, net)).toEqual([]);
    expect(await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) => s.storage.sql.exec("SELECT * FROM alerts").toArray())).toEqual([]);
    expect(await dump(accountStub(acct.accountId))).not.toContain("pool-alert/");
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json).toMatchObject({
      state: "exhausted",
      episode: null,
      counters: { recycledEarly: 4 },
    });
  });

  it("the remedy works: adding numbers ends the episode (recovered), and switching to recycle ends one quietly", async () => {
    const { acct } = await world(5);
    const net = mockNetwork();
    await newSessions(acct, 4); // 80 %
    expect(types(await flush(acct, net))).toEqual(["pool.warning"]);
    const more = freshNumbers(5);
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { add: more } })).status).toBe(200);
    const got = await flush(acct, net);
    expect(types(got)).toEqual(["pool.warning", "pool.recovered"]);
    expect(got[1].figures.numbers).toEqual({ total: 10, leased: 4, free: 6, retiring: 0 });
    // Over the threshold again, then status recycle: the episode ends without an alert.
    await newSessions(acct, 4);
    expect(types(await flush(acct, net))).toEqual(["pool.warning", "pool.recovered", "pool.warning"]);
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { status: "recycle" } })).status).toBe(200);
    expect(await flush(acct, net)).toHaveLength(3);
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json.episode).toBeNull();
  });

  it("a small pool hovering a number below its threshold does not flap: recovery is at least two numbers under where it opened", async () => {
    const { acct } = await world(5); // 80 %: opens at 4 leased
    const net = mockNetwork();
    for (let i = 0; i < 4; i++) {
      at(T0 + i * 10 * S);
      await newSessions(acct, 1);
    }
    expect(types(await flush(acct, net))).toEqual(["pool.warning"]);
    // Leases end one by one and new visitors come: 3 of 5 (60 %, under the 70 % line but one number
    // from where it opened) and 4 again, twice, without a word.
    for (const t of [120, 130]) {
      at(T0 + t * S + 500);
      await flush(acct, net);
      await newSessions(acct, 1);
    }
    expect(types(await flush(acct, net))).toEqual(["pool.warning"]);
    // Every lease over: recovered.
    at(T0 + 400 * S);
    expect(types(await flush(acct, net))).toEqual(["pool.warning", "pool.recovered"]);
  });

  it("with a 100 % threshold: warning when the last number goes, exhausted when a session finds none (policy none)", async () => {
    const { acct } = await world(2, { alertThreshold: 1, exhaustionPolicy: "none" });
    const net = mockNetwork();
    await newSessions(acct, 1);
    expect(await flush(acct, net)).toEqual([]);
    await newSessions(acct, 1); // 2 of 2: the threshold
    await newSessions(acct, 3); // refused: dry
    const got = await flush(acct, net);
    expect(types(got)).toEqual(["pool.warning", "pool.exhausted"]);
    expect(got[1].message).toContain("kept the original number");
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json.counters.refused).toBe(3);
  });

  it("delivery goes through the outbox: a failing receiver is retried; a repeated hand-over is sent once", async () => {
    const { acct } = await world(5);
    let status = 503;
    const net = mockNetwork((req) => new Response(null, { status: req.url.href === HOOK ? status : 204 }));
    await newSessions(acct, 4);
    expect(await flush(acct, net)).toHaveLength(1); // attempted, 503
    // The pool has handed it over (nothing left there), the account will retry.
    expect(await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) => s.storage.sql.exec("SELECT * FROM alerts").toArray())).toEqual([]);
    status = 200;
    at(T0 + jitteredDelayMs(1, 1)); // the longest the jittered wait can be
    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    const sent = net.seen.filter((s) => s.url.href === HOOK);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toBe(sent[0]!.body);
    expect(sent[1]!.headers.get("webhook-id")).toBe(sent[0]!.headers.get("webhook-id"));
    expect(sent[1]!.headers.get("webhook-id")).toMatch(/^msg_/);
    // The same alert handed over twice (an answer lost on the way back): queued once.
    const alert = { id: 999, type: "pool.warning" as const, payload: JSON.stringify({ type: "pool.warning", test: true }), createdAt: Date.now() };
    const account = accountStub(acct.accountId);
    expect(await account.takePoolAlerts("web", [alert], Date.now())).toEqual([999]);
    expect(await account.takePoolAlerts("web", [alert], Date.now())).toEqual([999]);
    await runDurableObjectAlarm(account);
    expect(net.seen.filter((s) => s.url.href === HOOK && s.body.includes('"test":true'))).toHaveLength(1);
    // Alert deliveries never show up among a call's deliveries.
    expect((await api("GET", "/v1/calls", { key: acct.adminKey })).json.calls).toEqual([]);
  });

  it("without an alert webhook the pool's alerts are taken and dropped", async () => {
    const { acct } = await world(5, {}, false);
    const net = mockNetwork();
    await newSessions(acct, 5);
    expect(await flush(acct, net)).toEqual([]);
    expect(await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) => s.storage.sql.exec("SELECT * FROM alerts").toArray())).toEqual([]);
    expect((await api("GET", "/v1/pools/web/health?minutes=0", { key: acct.adminKey })).json.episode).toMatchObject({ cause: "threshold" });
  });

  it("the threshold is a validated pool setting, default 0.8", async () => {
    const acct = await createAccount();
    const pool = await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST] });
    expect(pool.alertThreshold).toBe(0.8);
    for (const alertThreshold of [0, 0.1, 1.5, "high"]) {
      expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { alertThreshold } })).status).toBe(400);
    }
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { alertThreshold: 0.9 } })).json.alertThreshold).toBe(0.9);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: "http://hooks.example/x" } } })).status).toBe(
      400,
    );
  });

  it("each shard of a sharded pool reports its own episode, and their alerts never collide", async () => {
    const { acct } = await world(40, { shards: 2, leaseSeconds: 600, maxNewLeasesPerMinute: 10_000 });
    const net = mockNetwork();
    // 80 new sessions on 40 numbers: both shards run past the threshold and dry.
    await newSessions(acct, 80);
    for (const shard of [0, 1]) await runDurableObjectAlarm(env.POOLS.get(env.POOLS.idFromName(shardName(acct.accountId, "web", shard))));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const got = net.seen.filter((x) => x.url.href === HOOK).map((x) => JSON.parse(x.body) as { type: string });
    // One warning and one exhaustion per shard: four alerts, none lost to the other's alert ids.
    expect(types(got).sort()).toEqual(["pool.exhausted", "pool.exhausted", "pool.warning", "pool.warning"]);
  });
});
