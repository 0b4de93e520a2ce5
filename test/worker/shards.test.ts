/**
 * A pool split across several Durable Objects: numbers partitioned by shard, sessions routed by a
 * stable hash, attribution finding the right lease, and no number ever leased twice across shards
 * — also while the shard count changes under live leases.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardName, shardOf } from "../../worker/domain/shards";
import type { PoolPush, PushResult } from "../../worker/pool/protocol";
import { at, callBody, callId, ring, T0, voiceOf } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, sessionId, useTestClock } from "./helpers";

const DEST = "+12127365000";

function shardStub(acct: Created, pool: string, shard: number) {
  return env.POOLS.get(env.POOLS.idFromName(shardName(acct.accountId, pool, shard)));
}

/** Live leases in every shard object, read from each object itself (not through the merged API). */
async function liveEverywhere(acct: Created, pool: string, objects: number) {
  const all: { shard: number; number: string; session: string }[] = [];
  for (let s = 0; s < objects; s++)
    for (const l of await shardStub(acct, pool, s).liveLeases(Date.now())) all.push({ shard: s, number: l.number, session: l.session });
  return all;
}

async function numbersIn(acct: Created, pool: string, shard: number): Promise<string[]> {
  return runInDurableObject(shardStub(acct, pool, shard), (_i, state) =>
    state.storage.sql
      .exec<{ number: string }>("SELECT number FROM numbers WHERE retiring = 0")
      .toArray()
      .map((r) => r.number),
  );
}

function expectNoDoubleLease(live: { number: string; session: string }[]) {
  expect(new Set(live.map((l) => l.number)).size).toBe(live.length);
  expect(new Set(live.map((l) => l.session)).size).toBe(live.length);
}

describe("a pool split across shards", () => {
  useTestClock(T0);

  it("partitions numbers by shard, routes sessions by hash, and never leases a number twice", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(120);
    await createPool(acct, {
      id: "big",
      name: "Big",
      trackingNumbers: tracking,
      destinations: [DEST],
      isDefault: true,
      shards: 4,
      exhaustionPolicy: "none",
      maxNewLeasesPerMinute: 100_000,
    });
    for (let s = 0; s < 4; s++) {
      const mine = await numbersIn(acct, "big", s);
      expect(mine.sort()).toEqual(tracking.filter((n) => shardOf(n, 4) === s).sort());
    }
    const sessions = Array.from({ length: 300 }, () => sessionId());
    const answers = await Promise.all(sessions.map((s) => allocate(acct.siteKey, s)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const live = await liveEverywhere(acct, "big", 4);
    expectNoDoubleLease(live);
    // Every lease sits in the shard its session hashes to, on a number of that shard.
    for (const l of live) {
      expect(shardOf(l.session, 4)).toBe(l.shard);
      expect(shardOf(l.number, 4)).toBe(l.shard);
    }
    // With policy none each shard leases min(sessions routed to it, its numbers).
    let expected = 0;
    for (let s = 0; s < 4; s++) expected += Math.min(sessions.filter((x) => shardOf(x, 4) === s).length, tracking.filter((n) => shardOf(n, 4) === s).length);
    expect(live).toHaveLength(expected);
    expect(answers.filter((a) => a.json.pools[0].number).length).toBe(expected);
    // Sticky: each session gets its number back.
    const some = live.slice(0, 20);
    for (const l of some) expect((await allocate(acct.siteKey, l.session)).json.pools[0].number.e164).toBe(l.number);
    // The API merges the shards.
    const leases = await api("GET", "/v1/pools/big/leases", { key: acct.adminKey });
    expect(leases.json.leases).toHaveLength(expected);
    const health = await api("GET", "/v1/pools/big/health?minutes=0", { key: acct.adminKey });
    expect(health.json.numbers.total).toBe(120);
    expect(health.json.numbers.leased).toBe(expected);
  });

  it("changing the shard count under live leases never hands a number to two sessions", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(60);
    await createPool(acct, {
      id: "p",
      name: "P",
      trackingNumbers: tracking,
      destinations: [DEST],
      isDefault: true,
      shards: 4,
      leaseSeconds: 600,
      exhaustionPolicy: "none",
      maxNewLeasesPerMinute: 100_000,
    });
    const first = Array.from({ length: 80 }, () => sessionId("a"));
    await Promise.all(first.map((s) => allocate(acct.siteKey, s)));
    const before = await liveEverywhere(acct, "p", 4);
    expectNoDoubleLease(before);
    expect(before.length).toBeGreaterThan(30);

    const r = await api("PATCH", "/v1/pools/p", { key: acct.adminKey, body: { shards: 3 } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ shards: 3, previousShards: 4, reshardedAt: T0 });

    // A flood of new sessions right after: moved numbers still leased in their old shard stay out.
    at(T0 + 1_000);
    const second = Array.from({ length: 120 }, () => sessionId("b"));
    await Promise.all(second.map((s) => allocate(acct.siteKey, s)));
    const during = await liveEverywhere(acct, "p", 4);
    expectNoDoubleLease(during);
    // Old leases are kept (not recycled by the change).
    for (const l of before) expect(during.some((d) => d.session === l.session && d.number === l.number)).toBe(true);
    // No shard beyond the new count takes new sessions; shard 3 only has its old leases.
    expect(during.filter((d) => d.shard === 3).every((d) => before.some((b) => b.session === d.session))).toBe(true);

    // Once every old lease has ended and its grace passed (lease + default grace 1 h), the moved numbers are handed out again.
    at(T0 + 600_000 + 3_600_000 + 1_000);
    const third = Array.from({ length: 120 }, () => sessionId("c"));
    await Promise.all(third.map((s) => allocate(acct.siteKey, s)));
    const after = await liveEverywhere(acct, "p", 4);
    expectNoDoubleLease(after);
    expect(after.filter((l) => l.shard < 3)).toHaveLength(60);
    for (const l of after) expect(shardOf(l.number, 3)).toBe(l.shard);
  });

  it("attributes a call to the session that held the number, in whichever shard", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(40);
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: tracking,
      destinations: [DEST],
      isDefault: true,
      shards: 3,
      leaseSeconds: 600,
      graceSeconds: 300,
      maxNewLeasesPerMinute: 100_000,
    });
    const voice = await voiceOf(acct);
    const visits = [];
    for (let i = 0; i < 12; i++) {
      const s = sessionId();
      const r = await allocate(acct.siteKey, s, { source: { name: `src${i}` } });
      visits.push({ session: s, number: r.json.pools[0].number.e164 as string, source: `src${i}` });
    }
    for (const v of visits) {
      const id = callId();
      const res = await ring(voice.callbackUrl, callBody(id, v.number, Date.now()));
      expect(res.status).toBe(200);
      const call = await api("GET", `/v1/calls/${id}`, { key: acct.adminKey });
      expect(call.json).toMatchObject({ attributed: true, session: v.session, pool: "web" });
    }
    // After a change to 2 shards, a call on a number whose lease lives in its old shard still finds it.
    await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { shards: 2 } });
    const moved = visits.find((v) => shardOf(v.number, 3) !== shardOf(v.number, 2));
    expect(moved).toBeDefined();
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, moved!.number, Date.now()));
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json).toMatchObject({ attributed: true, session: moved!.session });
  });

  it("a deleted sharded pool's numbers still attribute to the right shard while they route", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(30);
    await createPool(acct, {
      id: "gone",
      name: "Gone",
      trackingNumbers: tracking,
      destinations: [DEST],
      isDefault: true,
      shards: 3,
      leaseSeconds: 600,
      graceSeconds: 300,
      maxNewLeasesPerMinute: 100_000,
    });
    const voice = await voiceOf(acct);
    const visits = [];
    for (let i = 0; i < 9; i++) {
      const s = sessionId();
      visits.push({ session: s, number: (await allocate(acct.siteKey, s)).json.pools[0].number.e164 as string });
    }
    const far = visits.find((v) => shardOf(v.number, 3) !== 0);
    expect(far).toBeDefined();
    expect((await api("DELETE", "/v1/pools/gone", { key: acct.adminKey })).status).toBe(204);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, far!.number, Date.now()));
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json).toMatchObject({ attributed: true, session: far!.session, pool: "gone" });
  });

  it("a push whose write fails leaves the object's version as stored: the account's next push is taken", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: ["+12127365000"], isDefault: true });
    const stub = env.POOLS.get(env.POOLS.idFromName(shardName(acct.accountId, "web", 0)));
    await runInDurableObject(stub, async (instance) => {
      const pool = instance as unknown as {
        settings: PoolPush["settings"];
        version: number;
        gate: { pushed: PoolPush["gate"] };
        sync(p: PoolPush): Promise<PushResult>;
      };
      const { version, settings } = pool;
      const gate = pool.gate.pushed;
      // A gate that cannot be written (a BigInt has no JSON), after the settings and version were taken: the transaction throws and is rolled back.
      const unwritable = { ...gate, extra: 1n } as unknown as PoolPush["gate"];
      await expect(pool.sync({ version: version + 1, base: version, settings, gate: unwritable, numbers: { add: [], remove: [] } })).rejects.toThrow();
      expect(pool.version).toBe(version);
      // The next change from the version stored is taken as a change, not refused as behind.
      expect(await pool.sync({ version: version + 1, base: version, settings, gate, numbers: { add: [], remove: [] } })).toMatchObject({
        ok: true,
        version: version + 1,
      });
    });
  });
});
