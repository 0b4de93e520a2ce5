/** GET /v1/pools/{id}/replay and sizing by misattributed calls: a scripted history through the real pool objects. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardOf } from "../../worker/domain/shards";
import { MAX_EVENTS, ReplayLog } from "../../worker/pool/replay-log";
import { at, callBody, callId, callWorld, getCall, ring, T0, visit } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, poolStub, sessionId, useTestClock } from "./helpers";

const S = 1000;

useTestClock(T0);

const replayOf = async (acct: Created, pool: string, query = "") => {
  const r = await api("GET", `/v1/pools/${pool}/replay${query}`, { key: acct.adminKey });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json;
};
/** The figures of an outcome, without its size and lease. */
const figures = (o: Record<string, number>) => {
  const { numbers: _n, leaseSeconds: _l, ...rest } = o;
  return rest;
};

describe("what-if replay of a scripted history", () => {
  it("at the pool's real size it is what happened; one more number gets every call right; sizing by misattribution buys that", async () => {
    // Two numbers, lease 60 s, grace 30 s, recycle.
    const { acct, voice } = await callWorld(2, { leaseSeconds: 60, graceSeconds: 30 });
    const step = async (t: number) => at(T0 + t * S);
    const ask = async (t: number, session: string) => {
      await step(t);
      return visit(acct, undefined, undefined, session);
    };
    const call = async (t: number, number: string) => {
      await step(t);
      const id = callId();
      await ring(voice.callbackUrl, callBody(id, number, T0 + t * S));
      return (await getCall(acct, id)).json;
    };
    const a = await ask(0, "visit-A-0000000000");
    await ask(5, "visit-B-0000000000");
    // Full: C recycles A's number (seen longest ago); A's visitor still has it on screen and calls.
    const c = await ask(10, "visit-C-0000000000");
    expect(c.number).toBe(a.number);
    expect((await call(12, a.number)).session).toBe("visit-C-0000000000");
    // A asks again and recycles B's; B calls the number it was shown.
    const a2 = await ask(20, "visit-A-0000000000");
    expect((await call(25, a2.number)).session).toBe("visit-A-0000000000");
    await ask(50, "visit-C-0000000000");
    // Later, an empty pool: D's call is D's.
    const d = await ask(200, "visit-D-0000000000");
    expect((await call(210, d.number)).session).toBe("visit-D-0000000000");

    const real = await replayOf(acct, "web");
    // 5 new sessions (A twice), 2 found it full and recycled; of 3 calls, each of the first two had two visits showing its number.
    expect(real.actual).toEqual({
      numbers: 2,
      leaseSeconds: 60,
      newSessions: 5,
      calls: 3,
      foundFull: 0.4,
      recycledEarly: 0.4,
      rightVisit: 0.666667,
      wrongVisit: 0.333333,
      unknown: 0,
    });
    expect(real.replay).toEqual(real.actual);
    expect(real.historySince).toBe(T0);

    const three = await replayOf(acct, "web", "?numbers=3");
    expect(figures(three.replay)).toEqual({ newSessions: 4, calls: 3, foundFull: 0, recycledEarly: 0, rightVisit: 1, wrongVisit: 0, unknown: 0 });
    expect(three.actual).toEqual(real.actual);
    expect(three.summary).toContain("With 3 numbers and a 60 s lease, 0 % of new sessions would have found the pool full");
    const one = await replayOf(acct, "web", "?numbers=1&leaseSeconds=120");
    expect(one.replay).toMatchObject({ numbers: 1, leaseSeconds: 120 });
    expect(one.replay.rightVisit).toBeLessThanOrEqual(real.replay.rightVisit);

    // Sizing: the smallest pool replaying to at most 0.1 % misattributed calls is 3.
    const sized = await api("GET", "/v1/pools/web/sizing?maxMisattributed=0.001", { key: acct.adminKey });
    expect(sized.json).toMatchObject({
      byMisattribution: { maxMisattributed: 0.001, numbersPerPool: 3, misattributedShare: 0, calls: 3 },
      buy: 3,
      basis: "misattribution",
    });
    expect(sized.json.recommendation).toContain("Buy 3 numbers for pool web (add 1 to the 2 it has)");
    const single = (await replayOf(acct, "web", "?numbers=1")).replay;
    // One number misattributes as much as two here (each early call is half right either way): the laxer target needs 1.
    expect(single.wrongVisit).toBe(real.replay.wrongVisit);
    const laxer = (await api("GET", "/v1/pools/web/sizing?maxMisattributed=0.34", { key: acct.adminKey })).json;
    expect(laxer.byMisattribution.numbersPerPool).toBe(1);
    // Not asked: the observed answer as before, no replay.
    const plain = (await api("GET", "/v1/pools/web/sizing", { key: acct.adminKey })).json;
    expect(plain).toMatchObject({ basis: "observed", byMisattribution: null });
  });

  it("the days asked for bound the window; a pool with nothing recorded says so; bad queries are 400s", async () => {
    const { acct } = await callWorld(2, { leaseSeconds: 60, graceSeconds: 30 });
    expect((await replayOf(acct, "web")).summary).toBe("Nothing recorded in the last 7 days to replay.");
    const none = (await api("GET", "/v1/pools/web/sizing?maxMisattributed=0.001", { key: acct.adminKey })).json;
    expect(none).toMatchObject({ basis: "observed", byMisattribution: { numbersPerPool: null, calls: 0 } });
    expect(none.recommendation).toContain("No calls recorded in the last 7 days");
    await visit(acct);
    at(T0 + 3 * 86_400_000);
    expect((await replayOf(acct, "web", "?days=2")).actual.newSessions).toBe(0);
    expect((await replayOf(acct, "web", "?days=4")).actual.newSessions).toBe(1);
    // Kept 7 days: the pool's alarm drops what is older.
    at(T0 + 8 * 86_400_000);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    const gone = await runInDurableObject(
      poolStub(acct.accountId, "web"),
      (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM replay_log").one().n,
    );
    expect(gone).toBe(0);
    expect((await replayOf(acct, "web")).historySince).toBeNull();
    // A lease + grace (90 s) before the 7 days are kept too: a 7-day replay starts with the sessions
    // then live, as the pool did (it counted them as new and found the pool emptier).
    await visit(acct);
    const logged = () =>
      runInDurableObject(poolStub(acct.accountId, "web"), (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM replay_log").one().n);
    at(T0 + 15 * 86_400_000 + 60_000);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    expect(await logged()).toBe(1);
    at(T0 + 15 * 86_400_000 + 120_000);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    expect(await logged()).toBe(0);
    for (const q of ["?numbers=-1", "?numbers=20001", "?leaseSeconds=5", "?days=8", "?days=x"]) {
      const r = await api("GET", `/v1/pools/web/replay${q}`, { key: acct.adminKey });
      expect([r.status, r.json.error.code], q).toEqual([400, "invalid_request"]);
    }
    expect((await api("GET", "/v1/pools/nope/replay", { key: acct.adminKey })).status).toBe(404);
    expect((await api("GET", "/v1/pools/web/replay")).status).toBe(401);
  });
});

describe("the log's bounds", () => {
  it("one row per chunk; past MAX_EVENTS the oldest chunks go", async () => {
    const { acct } = await callWorld(1);
    await visit(acct);
    const kept = await runInDurableObject(poolStub(acct.accountId, "web"), (_i, state) => {
      const log = new ReplayLog(state.storage.sql);
      for (let i = 0; i < MAX_EVENTS + 5000; i++) log.call({ t: T0 + i, number: "+15105550100", session: null });
      log.flush();
      const rows = state.storage.sql.exec<{ n: number }>("SELECT n FROM replay_log").toArray();
      log.prune(T0 + MAX_EVENTS + 5000);
      const after = state.storage.sql.exec<{ n: number; t0: number }>("SELECT SUM(n) AS n, MIN(t0) AS t0 FROM replay_log").one();
      return { rows: rows.length, ...after };
    });
    expect(kept.rows).toBeLessThan((MAX_EVENTS + 5000) / 1000);
    expect(kept.n).toBeLessThanOrEqual(MAX_EVENTS);
    expect(kept.n).toBeGreaterThan(MAX_EVENTS - 5000);
    expect(kept.t0).toBeGreaterThan(T0);
  });
});

describe("a sharded pool", () => {
  it("each shard replays its own log with its share of the size, and the figures add up", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(8);
    await createPool(acct, {
      id: "big",
      name: "Big",
      trackingNumbers: tracking,
      destinations: ["+12127365000"],
      isDefault: true,
      shards: 2,
      leaseSeconds: 60,
      graceSeconds: 30,
      maxNewLeasesPerMinute: 100_000,
    });
    const sessions = Array.from({ length: 24 }, () => sessionId());
    // Both shards have numbers and sessions.
    expect(new Set(tracking.map((n) => shardOf(n, 2))).size).toBe(2);
    expect(new Set(sessions.map((s) => shardOf(s, 2))).size).toBe(2);
    for (const [i, s] of sessions.entries()) {
      at(T0 + i * 1500);
      expect((await allocate(acct.siteKey, s)).status).toBe(200);
    }
    const real = await replayOf(acct, "big");
    expect(real.actual).toMatchObject({ numbers: 8, newSessions: 24 });
    expect(real.actual.recycledEarly).toBeGreaterThan(0);
    expect(real.replay).toEqual(real.actual);
    const more = await replayOf(acct, "big", "?numbers=40");
    expect(more.replay).toMatchObject({ numbers: 40, newSessions: 24, foundFull: 0, recycledEarly: 0 });
  });
});
