/**
 * Pool health: a scripted sequence of allocations, a renewal, a recycle, a call and expiries,
 * checked against figures worked out by hand; bounded minute storage; the queries use indexes.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HEALTH_QUERIES, MINUTES_KEEP_MS } from "../../worker/pool/health";
import { at, callBody, callId, ring, T0, voiceOf } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, poolStub, sessionId, useTestClock } from "./helpers";

const DEST = "+12127365000";
const S = 1000;
const DAY = 86_400_000;

useTestClock(T0);

async function lease(acct: Created, session: string): Promise<string> {
  const r = await allocate(acct.siteKey, session);
  expect(r.status).toBe(200);
  return r.json.pools[0].number.e164;
}

const health = (acct: Created, query = "") => api("GET", `/v1/pools/web/health${query}`, { key: acct.adminKey });

describe("pool health figures", () => {
  it("match a scripted sequence of allocations, a renewal, a recycle, a call and expiries", async () => {
    const acct = await createAccount();
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: freshNumbers(4),
      destinations: [DEST],
      leaseSeconds: 120,
      graceSeconds: 0,
      isDefault: true,
    });
    // T0 is a minute boundary. Lease 120 s. Level after each change, in brackets.
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((l) => sessionId(l)) as [string, string, string, string, string];
    const nA = await lease(acct, a); //                      0 s  [1]  A until 120 s
    at(T0 + 10 * S);
    const nB = await lease(acct, b); //                     10 s  [2]  B until 130 s
    at(T0 + 70 * S);
    const nC = await lease(acct, c); //                     70 s  [3]  C until 190 s
    at(T0 + 80 * S);
    expect(await lease(acct, a)).toBe(nA); //               80 s  renewal: A until 200 s
    at(T0 + 90 * S);
    const voice = await voiceOf(acct);
    expect((await ring(voice.callbackUrl, callBody(callId(), nC, T0 + 90 * S))).status).toBe(200);
    at(T0 + 125 * S);
    const nD = await lease(acct, d); //                    125 s  [4]  D until 245 s: the pool is full
    const full = (await health(acct, "?minutes=0")).json;
    expect(full).toMatchObject({ state: "exhausted", utilization: 1, numbers: { total: 4, leased: 4, free: 0, retiring: 0, overflow: 0 } });
    at(T0 + 126 * S);
    expect(await lease(acct, e)).toBe(nB); //              126 s  [4]  B recycled early (soonest expiry), E until 246 s
    // Expiries: C 190 s [3], A 200 s [2], D 245 s [1], E 246 s [0] — ended by the alarm at 300 s.
    at(T0 + 300 * S);
    expect(await runDurableObjectAlarm(poolStub(acct.accountId, "web"))).toBe(true);
    at(T0 + 330 * S);

    const h = (await health(acct, "?minutes=6")).json;
    expect(h).toMatchObject({
      pool: "web",
      name: "Web",
      status: "recycle",
      alertThreshold: 0.8,
      recoveryThreshold: 0.7,
      at: T0 + 330 * S,
      state: "ok",
      numbers: { total: 4, leased: 0, free: 4, retiring: 0, overflow: 0 },
      utilization: 0,
      peak7d: 4,
      peakUtilization7d: 1,
      counters: { allocations: 5, renewals: 1, recycledEarly: 1, overflow: 0, refused: 0, rateLimited: 0, callsAttributed: 1, callsUnattributed: 0 },
      step: 1,
      episode: null,
    });
    // Per minute: the highest level in it, the level carried in from before included.
    expect(h.minutes).toEqual([
      { t: T0, peak: 2, total: 4, utilization: 0.5 }, //               0→1→2
      { t: T0 + 60 * S, peak: 3, total: 4, utilization: 0.75 }, //     2→3
      { t: T0 + 120 * S, peak: 4, total: 4, utilization: 1 }, //       3→4, recycle 4→3→4
      { t: T0 + 180 * S, peak: 4, total: 4, utilization: 1 }, //       4 carried in, →3→2
      { t: T0 + 240 * S, peak: 2, total: 4, utilization: 0.5 }, //     2 carried in, →1→0
      { t: T0 + 300 * S, peak: 0, total: 4, utilization: 0 }, //       no change: 0 carried forward
    ]);
    // Buckets of 2 minutes take the highest minute.
    expect((await health(acct, "?minutes=6&step=2")).json.minutes.map((m: { peak: number }) => m.peak)).toEqual([3, 4, 2]);

    // Per number: last shown (allocated or renewed), last called, sessions served; paged in E.164 order.
    const first = await api("GET", "/v1/pools/web/numbers?limit=2", { key: acct.adminKey });
    expect(first.status).toBe(200);
    expect(first.json.numbers).toHaveLength(2);
    expect(first.json.nextCursor).toBe(first.json.numbers[1].number);
    const rest = await api("GET", `/v1/pools/web/numbers?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`, { key: acct.adminKey });
    expect(rest.json.nextCursor).toBeNull();
    const byNumber = Object.fromEntries([...first.json.numbers, ...rest.json.numbers].map((n: { number: string }) => [n.number, n]));
    expect(Object.keys(byNumber)).toEqual([nA, nB, nC, nD].sort());
    expect(byNumber).toEqual({
      [nA]: { number: nA, state: "free", expiresAt: null, lastShownAt: T0 + 80 * S, lastCalledAt: null, sessionsServed: 1 },
      [nB]: { number: nB, state: "free", expiresAt: null, lastShownAt: T0 + 126 * S, lastCalledAt: null, sessionsServed: 2 },
      [nC]: { number: nC, state: "free", expiresAt: null, lastShownAt: T0 + 70 * S, lastCalledAt: T0 + 90 * S, sessionsServed: 1 },
      [nD]: { number: nD, state: "free", expiresAt: null, lastShownAt: T0 + 125 * S, lastCalledAt: null, sessionsServed: 1 },
    });
  });

  it("a leased number shows its expiry; removed numbers retire; counts stay right through config changes", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(3);
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: tracking,
      destinations: [DEST],
      leaseSeconds: 120,
      exhaustionPolicy: "overflow",
      overflowNumber: tracking[2],
      isDefault: true,
    });
    const n = await lease(acct, sessionId());
    expect((await health(acct, "?minutes=0")).json.numbers).toEqual({ total: 2, leased: 1, free: 1, held: 0, retiring: 0, overflow: 1 });
    const leased = (await api("GET", "/v1/pools/web/numbers", { key: acct.adminKey })).json.numbers.find((x: { number: string }) => x.number === n);
    expect(leased).toMatchObject({ state: "leased", expiresAt: T0 + 120 * S, lastShownAt: T0 });
    // Remove the leased number: it retires (no longer counted as leasable) until its lease ends.
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [n] } })).status).toBe(200);
    expect((await health(acct, "?minutes=0")).json.numbers).toEqual({ total: 1, leased: 0, free: 1, held: 0, retiring: 1, overflow: 1 });
    at(T0 + 121 * S);
    expect((await health(acct, "?minutes=0")).json.numbers).toEqual({ total: 1, leased: 0, free: 1, held: 0, retiring: 0, overflow: 1 });
    // Two new sessions: one leases the last free number, the next gets the overflow number.
    await lease(acct, sessionId());
    const over = await allocate(acct.siteKey, sessionId());
    expect(over.json.pools[0].overflow).toBe(true);
    expect((await health(acct, "?minutes=0")).json).toMatchObject({
      state: "exhausted",
      numbers: { total: 1, leased: 1, free: 0 },
      counters: { allocations: 2, overflow: 1 },
    });
  });

  it("a quiet pool carries its level forward; minutes older than 8 days are pruned by the one alarm, keeping the row that carries in", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(5), destinations: [DEST], leaseSeconds: 10 * 86_400, isDefault: true });
    const stub = poolStub(acct.accountId, "web");
    const minutes = () =>
      runInDurableObject(stub, (_i, s) =>
        s.storage.sql
          .exec<{ t: number }>("SELECT t FROM minutes ORDER BY t")
          .toArray()
          .map((r) => r.t),
      );
    // One long lease at T0, then a lease a day for 9 days.
    await lease(acct, sessionId());
    for (let day = 1; day <= 9; day++) {
      at(T0 + day * DAY);
      await lease(acct, sessionId());
    }
    // Every lease holds 10 days, so at 9 days the level is 10 — and 9 days back, one.
    at(T0 + 9 * DAY + 30 * S);
    const h = (await health(acct, "?minutes=60&step=60")).json;
    expect(h.numbers.leased).toBe(5); // only 5 numbers: days 5-9 recycled the oldest leases early
    expect(h.counters.recycledEarly).toBe(5);
    expect(h.minutes).toEqual([{ t: T0 + 9 * DAY - 59 * 60 * S, peak: 5, total: 5, utilization: 1 }]);
    // The alarm is set for the earliest deadline: the minutes prune (a day after the second-oldest row is 8 days old).
    const rowsBefore = await minutes();
    expect(rowsBefore[0]).toBe(T0);
    const alarm = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    expect(alarm).toBe(rowsBefore[1]! + MINUTES_KEEP_MS + DAY);
    at(alarm!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rowsAfter = await minutes();
    const cutoff = alarm! - MINUTES_KEEP_MS;
    // Everything older than the cutoff is gone but the newest such row (it carries into the window).
    expect(rowsAfter.filter((t) => t < cutoff)).toHaveLength(1);
    expect(rowsAfter.filter((t) => t >= cutoff)).toEqual(rowsBefore.filter((t) => t >= cutoff));
    // Still the level carried in: 7 days back the pool was full.
    expect((await health(acct, "?minutes=0")).json.peak7d).toBe(5);
    // Storage stays bounded: the next prune is about a day away, never every minute.
    const next = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    expect(next! - alarm!).toBeGreaterThan(DAY / 2);
  });

  it("an allocation writes only its lease; the minute's figures are written when the minute ends, by the alarm", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(3), destinations: [DEST], leaseSeconds: 3600, isDefault: true });
    const stub = poolStub(acct.accountId, "web");
    const stored = () =>
      runInDurableObject(stub, (_i, s) => ({
        minutes: s.storage.sql.exec<{ t: number; peak: number }>("SELECT t, peak FROM minutes ORDER BY t").toArray(),
        counters: s.storage.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters ORDER BY name").toArray(),
      }));
    at(T0 + 10 * S);
    await lease(acct, sessionId());
    await lease(acct, sessionId());
    // The minute's peak and the counters are held until the minute ends: nothing written yet.
    expect(await stored()).toEqual({ minutes: [], counters: [] });
    const alarm = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    expect(alarm).toBe(T0 + 60 * S);
    at(alarm!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ minutes: [{ t: T0, peak: 2 }], counters: [{ name: "allocations", value: 2 }] });
    // A read never misses what is held: it writes first.
    await lease(acct, sessionId());
    expect((await health(acct, "?minutes=2")).json).toMatchObject({
      counters: { allocations: 3 },
      minutes: [
        { t: T0, peak: 2 },
        { t: T0 + 60 * S, peak: 3 },
      ],
    });
  });

  it("health reads use indexes", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST], isDefault: true });
    const plans = await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) =>
      Object.fromEntries(
        Object.entries(HEALTH_QUERIES).map(([name, q]) => [
          name,
          s.storage.sql
            .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`, ...(name === "range" ? [0, 1] : name === "numbers" ? ["", 10] : [0]))
            .toArray()
            .map((r) => r.detail)
            .join(" | "),
        ]),
      ),
    );
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toMatch(/^SEARCH (minutes|numbers) USING/);
      expect(plan, name).not.toContain("TEMP B-TREE");
    }
  });

  it("validates its query and needs the admin key", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST], isDefault: true });
    for (const q of ["?minutes=-1", "?minutes=20000", "?minutes=10080", "?step=0", "?minutes=abc"]) {
      const r = await health(acct, q);
      expect({ q, status: r.status, code: r.json.error?.code }).toEqual({ q, status: 400, code: "invalid_request" });
    }
    expect((await health(acct, "?minutes=10080&step=60")).json.minutes).toHaveLength(168);
    expect((await api("GET", "/v1/pools/web/numbers?cursor=12345", { key: acct.adminKey })).status).toBe(400);
    expect((await api("GET", "/v1/pools/nope/health", { key: acct.adminKey })).status).toBe(404);
    expect((await api("GET", "/v1/pools/web/health")).status).toBe(401);
    expect((await api("GET", "/v1/pools/web/numbers", { key: acct.siteKey })).status).toBe(403);
  });
});
