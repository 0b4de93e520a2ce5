/**
 * Changing a pool's shard count under live leases, up and down, twice within one lease, with
 * visitors arriving and renewing meanwhile: every live lease stays reachable (its session gets it
 * back) and every call on one is attributed to its session; free numbers move at once, leased ones
 * wait for their lease + grace (counted as held); no number is ever leased to two sessions.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardName, shardOf } from "../../worker/domain/shards";
import { at, callBody, callId, ring, T0, voiceOf } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, sessionId, useTestClock } from "./helpers";

const DEST = "+12127365000";
const LEASE_MS = 600_000;
const GRACE_MS = 120_000;

const shardStub = (acct: Created, pool: string, shard: number) => env.POOLS.get(env.POOLS.idFromName(shardName(acct.accountId, pool, shard)));

/** Live leases in every object of the pool, read from each object itself. */
async function liveEverywhere(acct: Created, pool: string, objects: number) {
  const all: { shard: number; number: string; session: string }[] = [];
  for (let s = 0; s < objects; s++)
    for (const l of await shardStub(acct, pool, s).liveLeases(Date.now())) all.push({ shard: s, number: l.number, session: l.session });
  expect(new Set(all.map((l) => l.number)).size).toBe(all.length);
  expect(new Set(all.map((l) => l.session)).size).toBe(all.length);
  return all;
}

/** Sessions asking at once; each answer's number (or null). */
async function visit(acct: Created, sessions: readonly string[]): Promise<(string | null)[]> {
  const answers = await Promise.all(sessions.map((s) => allocate(acct.siteKey, s)));
  for (const a of answers) expect(a.status).toBe(200);
  return answers.map((a) => a.json.pools[0].number?.e164 ?? null);
}

async function reshard(acct: Created, pool: string, shards: number) {
  const r = await api("PATCH", `/v1/pools/${pool}`, { key: acct.adminKey, body: { shards } });
  expect(r.status).toBe(200);
  return r.json;
}

/** Ring every held number; how many calls were attributed to the session holding it. */
async function callsOn(acct: Created, holds: { session: string; number: string }[]) {
  const voice = await voiceOf(acct);
  const results = await Promise.all(
    holds.map(async (h) => {
      const id = callId();
      expect((await ring(voice.callbackUrl, callBody(id, h.number, Date.now()))).status).toBe(200);
      const call = (await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json;
      return call.attributed === true && call.session === h.session;
    }),
  );
  return results.filter(Boolean).length;
}

/** An account whose default pool "p" has `numbers` fresh numbers in `shards` objects, the lease and grace above, no limit on new leases. */
async function leasePool(numbers: number, shards = 1) {
  const acct = await createAccount();
  const tracking = freshNumbers(numbers);
  await createPool(acct, {
    id: "p",
    name: "P",
    trackingNumbers: tracking,
    destinations: [DEST],
    isDefault: true,
    ...(shards > 1 ? { shards } : {}),
    leaseSeconds: LEASE_MS / 1000,
    graceSeconds: GRACE_MS / 1000,
    exhaustionPolicy: "none",
    maxNewLeasesPerMinute: 100_000,
  });
  return { acct, tracking };
}

describe("resharding without loss", () => {
  useTestClock(T0);

  it("1 → 4 with half the numbers leased: every visitor keeps its number, free numbers serve new visitors at once, leased ones are held", async () => {
    const { acct, tracking } = await leasePool(40);
    const first = Array.from({ length: 20 }, () => sessionId("a"));
    const firstNumbers = await visit(acct, first);
    expect(firstNumbers.every(Boolean)).toBe(true);
    const leased = new Set(firstNumbers as string[]);

    at(T0 + 1_000);
    const pool = await reshard(acct, "p", 4);
    expect(pool.earlierShards).toEqual([{ shards: 1, until: T0 + 1_000 + LEASE_MS + GRACE_MS + 60_000 }]);
    // Health: a leased number that moved is held in its new shard (its lease lives on, retiring, in
    // the old one), never free; the free ones moved and are free at once.
    const movedLeased = [...leased].filter((n) => shardOf(n, 4) !== 0).length;
    expect(movedLeased).toBeGreaterThan(5);
    const health = (await api("GET", "/v1/pools/p/health?minutes=0", { key: acct.adminKey })).json;
    expect(health.numbers).toMatchObject({ total: 40, leased: 20 - movedLeased, held: movedLeased, retiring: movedLeased, free: 20 });
    expect(health.state).not.toBe("exhausted");

    // Every returning visitor gets its own number (from its old shard), 20 of 20.
    at(T0 + 2_000);
    expect(await visit(acct, first)).toEqual(firstNumbers);
    // New visitors: each shard serves from its free numbers at once.
    const second = Array.from({ length: 40 }, () => sessionId("b"));
    const secondNumbers = await visit(acct, second);
    let expected = 0;
    for (let s = 0; s < 4; s++) {
      const free = tracking.filter((n) => shardOf(n, 4) === s && !leased.has(n)).length;
      expected += Math.min(free, second.filter((x) => shardOf(x, 4) === s).length);
    }
    expect(secondNumbers.filter(Boolean)).toHaveLength(expected);
    expect(expected).toBeGreaterThan(10);
    for (const n of secondNumbers) if (n) expect(leased.has(n)).toBe(false);
    await liveEverywhere(acct, "p", 4);
    // Every call on a live lease is its session's.
    const holds = [
      ...first.map((s, i) => ({ session: s, number: firstNumbers[i]! })),
      ...second.flatMap((s, i) => (secondNumbers[i] ? [{ session: s, number: secondNumbers[i]! }] : [])),
    ];
    expect(await callsOn(acct, holds)).toBe(holds.length);

    // Once the old leases ended and their grace passed, nothing is held any more.
    at(T0 + 2_000 + LEASE_MS + GRACE_MS + 1_000);
    const later = (await api("GET", "/v1/pools/p/health?minutes=0", { key: acct.adminKey })).json;
    expect(later.numbers).toMatchObject({ total: 40, held: 0 });
  });

  it("a watched pool resharded while full: a shard whose numbers are all held is full, not 'exhausted' then 'recovered' at every new visitor", async () => {
    const { acct } = await leasePool(10);
    expect((await api("PATCH", "/v1/pools/p", { key: acct.adminKey, body: { status: "warning" } })).status).toBe(200);
    expect(
      (
        await visit(
          acct,
          Array.from({ length: 10 }, () => sessionId()),
        )
      ).every((n) => n !== null),
    ).toBe(true);
    await reshard(acct, "p", 2);
    at(T0 + 1_000);
    // New visitors, on both shards: none gets a number (every one is leased or held).
    expect(
      await visit(
        acct,
        Array.from({ length: 12 }, () => sessionId()),
      ),
    ).toEqual(Array(12).fill(null));
    const alerts: string[] = [];
    for (let shard = 0; shard < 2; shard++)
      alerts.push(
        ...(await runInDurableObject(shardStub(acct, "p", shard), (_i, st) =>
          st.storage.sql
            .exec<{ type: string }>("SELECT type FROM alerts ORDER BY id")
            .toArray()
            .map((r) => `${shard}:${r.type}`),
        )),
      );
    // Each shard: its episode opened once (a warning, or exhausted), never closed while nothing is free.
    expect(alerts.filter((a) => a.endsWith("pool.recovered"))).toEqual([]);
    expect(alerts.filter((a) => a.endsWith("pool.exhausted")).length).toBeLessThanOrEqual(2);
    // Said as one shard's, not as the whole pool's: which shard, its own numbers, the pool's remedy.
    const payloads = await runInDurableObject(shardStub(acct, "p", 1), (_i, st) =>
      st.storage.sql
        .exec<{ payload: string }>("SELECT payload FROM alerts ORDER BY id")
        .toArray()
        .map(
          (r) =>
            JSON.parse(r.payload) as {
              message: string;
              figures: { shard?: unknown; numbers: { total: number } };
              remedies: { suggestedNumbers?: number; message: string }[];
            },
        ),
    );
    expect(payloads.length).toBeGreaterThan(0);
    for (const a of payloads) {
      expect(a.message).toContain('Pool "P" (shard 2 of 2)');
      expect(a.figures.shard).toEqual({ index: 1, of: 2 });
      const add = a.remedies.find((r) => r.suggestedNumbers !== undefined)!;
      expect(add.suggestedNumbers! % 2).toBe(0);
      expect(add.suggestedNumbers!).toBeGreaterThan(2 * a.figures.numbers.total);
      expect(add.message).toContain("1/2 of the pool's");
    }
  });

  it("a watched pool resharded down while full: the shard left without numbers ends its episode (the pool's health is not 'warning' for ever)", async () => {
    const { acct, tracking } = await leasePool(10, 2);
    expect((await api("PATCH", "/v1/pools/p", { key: acct.adminKey, body: { status: "warning" } })).status).toBe(200);
    // Shard 1 filled (its episode opens), shard 0 left with free numbers.
    const inShard1 = tracking.filter((n) => shardOf(n, 2) === 1).length;
    const sessions: string[] = [];
    while (sessions.length < inShard1) {
      const s = sessionId();
      if (shardOf(s, 2) === 1) sessions.push(s);
    }
    expect((await visit(acct, sessions)).every((n) => n !== null)).toBe(true);
    expect((await api("GET", "/v1/pools/p/health", { key: acct.adminKey })).json.episode).not.toBeNull();
    await reshard(acct, "p", 1);
    // Every lease over, and its grace: each object's alarm ends what it held.
    at(T0 + LEASE_MS + GRACE_MS + 60_000);
    for (let shard = 0; shard < 2; shard++) await runDurableObjectAlarm(shardStub(acct, "p", shard));
    const health = (await api("GET", "/v1/pools/p/health", { key: acct.adminKey })).json;
    expect([health.state, health.episode, health.numbers.leased]).toEqual(["ok", null, 0]);
  });

  it("a pool deleted under live leases and created again under its id with another shard count: its leases stay its visitors', never leased twice, calls attributed", async () => {
    const { acct, tracking } = await leasePool(24, 4);
    // Up to three visitors a shard, no more than it has numbers (sessions go to shards by hash: twelve
    // at random sometimes sent more to a shard than its numbers, and one got none).
    const room = [0, 1, 2, 3].map((k) => Math.min(3, tracking.filter((n) => shardOf(n, 4) === k).length));
    const first: string[] = [];
    while (first.length < room.reduce((a, b) => a + b, 0)) {
      const s = sessionId("a");
      const k = shardOf(s, 4);
      if (room[k]! > first.filter((f) => shardOf(f, 4) === k).length) first.push(s);
    }
    const firstNumbers = await visit(acct, first);
    expect(firstNumbers.every(Boolean)).toBe(true);
    const leased = new Set(firstNumbers as string[]);
    at(T0 + 1_000);
    expect((await api("DELETE", "/v1/pools/p", { key: acct.adminKey })).status).toBe(204);
    at(T0 + 2_000);
    const again = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: {
        id: "p",
        name: "P again",
        trackingNumbers: tracking,
        destinations: [DEST],
        isDefault: true,
        leaseSeconds: LEASE_MS / 1000,
        graceSeconds: GRACE_MS / 1000,
        exhaustionPolicy: "none",
        maxNewLeasesPerMinute: 100_000,
      },
    });
    expect(again.status).toBe(201);
    // The deleted pool's four shards are the new one's earlier count from its deletion: its leases are still looked for.
    expect(again.json.earlierShards).toEqual([{ shards: 4, until: T0 + 1_000 + LEASE_MS + GRACE_MS + 60_000 }]);
    // New visitors get only numbers no visitor holds; the first visitors keep theirs.
    const second = Array.from({ length: 24 }, () => sessionId("b"));
    const secondNumbers = await visit(acct, second);
    for (const n of secondNumbers) if (n) expect(leased.has(n)).toBe(false);
    expect(secondNumbers.filter(Boolean).length).toBe(24 - leased.size);
    expect(await visit(acct, first)).toEqual(firstNumbers);
    await liveEverywhere(acct, "p", 4);
    const holds = [
      ...first.map((s, i) => ({ session: s, number: firstNumbers[i]! })),
      ...second.flatMap((s, i) => (secondNumbers[i] ? [{ session: s, number: secondNumbers[i]! }] : [])),
    ];
    expect(await callsOn(acct, holds)).toBe(holds.length);
  });

  it("the lease shortened, then the shard count changed: moved leased numbers are held as long as the leases given under the long length may run", async () => {
    const { acct } = await leasePool(16);
    const first = Array.from({ length: 8 }, () => sessionId("a"));
    const firstNumbers = await visit(acct, first);
    expect(firstNumbers.every(Boolean)).toBe(true);
    const leased = new Set(firstNumbers as string[]);
    at(T0 + 1_000);
    expect((await api("PATCH", "/v1/pools/p", { key: acct.adminKey, body: { leaseSeconds: 60, graceSeconds: 60 } })).status).toBe(200);
    const pool = await reshard(acct, "p", 2);
    // Held until the leases of the old length (given before T0 + 1 s) and their grace are over.
    expect(pool.earlierShards).toEqual([{ shards: 1, until: T0 + 1_000 + LEASE_MS + 60_000 + 60_000 }]);
    // Five minutes on (the short lease + grace long over, the old leases not): new visitors never get one of theirs.
    at(T0 + 5 * 60_000);
    const second = Array.from({ length: 16 }, () => sessionId("b"));
    for (const n of await visit(acct, second)) if (n) expect(leased.has(n)).toBe(false);
    await liveEverywhere(acct, "p", 2);
  });

  it("a leased number that moved shards, removed and added back within its lease: held in its new shard, never leased to a second visitor", async () => {
    const { acct, tracking } = await leasePool(12);
    // Every number leased in the one shard.
    const first = Array.from({ length: 12 }, () => sessionId("a"));
    const firstNumbers = await visit(acct, first);
    expect(firstNumbers.every(Boolean)).toBe(true);
    at(T0 + 1_000);
    await reshard(acct, "p", 2);
    const moved = tracking.find((n) => shardOf(n, 2) === 1)!;
    // Out and back in again (a change-only push to its new shard each time).
    at(T0 + 2_000);
    expect((await api("POST", "/v1/pools/p/numbers", { key: acct.adminKey, body: { remove: [moved] } })).status).toBe(200);
    at(T0 + 3_000);
    expect((await api("POST", "/v1/pools/p/numbers", { key: acct.adminKey, body: { add: [moved] } })).status).toBe(200);
    // New visitors in every shard: none gets a number some visitor's live lease holds.
    at(T0 + 4_000);
    const second = Array.from({ length: 30 }, () => sessionId("b"));
    const secondNumbers = await visit(acct, second);
    expect(secondNumbers.filter((n) => n !== null && firstNumbers.includes(n))).toEqual([]);
    await liveEverywhere(acct, "p", 2);
    // Its holder still gets it, and a call on it is that holder's.
    const holder = first[firstNumbers.indexOf(moved)]!;
    expect(await visit(acct, [holder])).toEqual([moved]);
    expect(await callsOn(acct, [{ session: holder, number: moved }])).toBe(1);
  });

  it("4 → 2 → 1 within one lease under load: every live lease reachable, every call attributed, no number leased twice; then 1 → 3", async () => {
    const { acct } = await leasePool(44, 4);
    const holders = new Map<string, string>();
    const wave = async (label: string, n: number) => {
      const sessions = Array.from({ length: n }, () => sessionId(label));
      // Renewals of everyone so far, at the same time as the new visitors.
      const old = [...holders.keys()];
      const [got, again] = await Promise.all([visit(acct, sessions), visit(acct, old)]);
      old.forEach((s, i) => {
        expect(again[i]).toBe(holders.get(s));
      });
      sessions.forEach((s, i) => {
        if (got[i]) holders.set(s, got[i]!);
      });
    };
    await wave("a", 24);
    expect(holders.size).toBeGreaterThan(12);
    at(T0 + 60_000);
    // Change while a wave is in flight.
    await Promise.all([reshard(acct, "p", 2), wave("b", 7)]);
    await wave("c", 7);
    at(T0 + 120_000);
    await Promise.all([reshard(acct, "p", 1), wave("d", 7)]);
    at(T0 + 180_000);
    await wave("e", 7);

    // Every lease taken in any wave is live, in some object, with its session, and nothing twice.
    const live = await liveEverywhere(acct, "p", 4);
    expect(live).toHaveLength(holders.size);
    for (const l of live) expect(holders.get(l.session)).toBe(l.number);
    // The API's lease list merges every object, old ones included.
    expect((await api("GET", "/v1/pools/p/leases", { key: acct.adminKey })).json.leases).toHaveLength(holders.size);
    // Every session gets its number back, and every call on one is its session's.
    const sessions = [...holders.keys()];
    expect(await visit(acct, sessions)).toEqual(sessions.map((s) => holders.get(s)));
    expect(
      await callsOn(
        acct,
        sessions.map((s) => ({ session: s, number: holders.get(s)! })),
      ),
    ).toBe(holders.size);

    // Up again while those leases live: 1 → 3, and they are still all reachable.
    at(T0 + 240_000);
    await Promise.all([reshard(acct, "p", 3), wave("f", 7)]);
    const after = await liveEverywhere(acct, "p", 4);
    expect(after).toHaveLength(holders.size);
    expect(
      await callsOn(
        acct,
        [...holders].map(([session, number]) => ({ session, number })),
      ),
    ).toBe(holders.size);
  });
});
