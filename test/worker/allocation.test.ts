import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  accountWithWebPool,
  allocate,
  api,
  BROWSER_HEADERS,
  createAccount,
  createPool,
  freshNumbers,
  ORIGIN,
  poolStub,
  sessionId,
  useTestClock,
} from "./helpers";

const DEST = "+12127365000";

const setup = accountWithWebPool;

const numberOf = (r: { json: any }) => r.json.pools[0].number?.e164 ?? null;

describe("allocation", () => {
  const clock = useTestClock(Date.parse("2031-01-01T00:00:00Z"));

  it("answers destinations, a tracking number with display parts and the expiry", async () => {
    const { acct, tracking } = await setup(3);
    const r = await allocate(acct.siteKey, sessionId());
    expect(r.status).toBe(200);
    expect(r.headers.get("Access-Control-Allow-Origin")).toBe("https://www.shop.example");
    const entry = r.json.pools[0];
    expect(entry.pool).toBe("web");
    expect(entry.destinations).toEqual([
      { e164: DEST, cc: "1", nsn: "2127365000", trunk: "", national: "(212) 736-5000", groups: ["212", "736", "5000"], area: true },
    ]);
    expect(tracking).toContain(entry.number.e164);
    expect(entry.number.cc).toBe("1");
    expect(entry.number.national).toMatch(/^\(888\) \d{3}-\d{4}$/);
    expect(entry.expiresAt).toBe(Date.now() + 60_000);
    expect(entry.overflow).toBe(false);
  });

  it("takes the pools as the snippet's data-pool writes them (ids separated by commas), as a list does; empty: the default", async () => {
    const { acct } = await setup(3);
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(2), destinations: ["+12127365001"] });
    const ask = (body: Record<string, unknown>) =>
      api("POST", "/v1/allocate", {
        raw: JSON.stringify({ key: acct.siteKey, ...body }),
        headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
      });
    const both = await ask({ pool: "ads,web" });
    expect(both.status).toBe(200);
    expect(both.json.pools.map((p: { pool: string }) => p.pool)).toEqual(["ads", "web"]);
    expect((await ask({ pools: ["ads", "web"] })).json.pools.map((p: { pool: string }) => p.pool)).toEqual(["ads", "web"]);
    expect((await ask({ pool: "" })).json.pools.map((p: { pool: string }) => p.pool)).toEqual(["web"]);
  });

  it("is sticky: the same session keeps its number and each allocation extends the lease", async () => {
    const { acct } = await setup(5);
    const s = sessionId();
    const first = await allocate(acct.siteKey, s);
    clock.advance(40_000);
    const second = await allocate(acct.siteKey, s);
    expect(numberOf(second)).toBe(numberOf(first));
    expect(second.json.pools[0].expiresAt).toBe(Date.now() + 60_000);
    // 40 s later the original lease would have ended; the extension keeps it.
    clock.advance(40_000);
    expect(numberOf(await allocate(acct.siteKey, s))).toBe(numberOf(first));
    const other = await allocate(acct.siteKey, sessionId());
    expect(numberOf(other)).not.toBe(numberOf(first));
  });

  it("expires leases through the alarm and hands the number to a new session", async () => {
    const { acct } = await setup(1);
    const a = sessionId("a");
    const granted = await allocate(acct.siteKey, a);
    const first = numberOf(granted);
    const stub = poolStub(acct.accountId, "web");
    expect(await stub.liveLeases(Date.now())).toHaveLength(1);
    // The alarm is set for the lease's end, and it is the alarm (no request) that ends it in storage.
    expect(await runInDurableObject(stub, (_i, s) => s.storage.getAlarm())).toBe(granted.json.pools[0].expiresAt);
    const stored = () =>
      runInDurableObject(stub, (_i, s) => ({
        number: s.storage.sql.exec<{ session: string | null }>("SELECT session FROM numbers").one().session,
        // The history holds ended leases only (a live one is whole on its number).
        ended: s.storage.sql.exec<{ session: string; ended_at: number; end_reason: string }>("SELECT session, ended_at, end_reason FROM leases").toArray(),
      }));
    expect(await stored()).toEqual({ number: a, ended: [] });
    clock.advance(61_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ number: null, ended: [{ session: a, ended_at: granted.json.pools[0].expiresAt, end_reason: "expired" }] });
    expect(await stub.liveLeases(Date.now())).toHaveLength(0);
    const b = await allocate(acct.siteKey, sessionId("b"));
    expect(numberOf(b)).toBe(first);
    expect((await stub.counters()).recycled_early ?? 0).toBe(0);
  });

  it("a lease id is never given twice: not after the lease ended, its history was pruned, or the object restarted", async () => {
    const { acct } = await setup(1, { graceSeconds: 0 });
    const stub = poolStub(acct.accountId, "web");
    const ids = () =>
      runInDurableObject(stub, (_i, s) => ({
        live: s.storage.sql.exec<{ lease_id: number | null }>("SELECT lease_id FROM numbers").one().lease_id,
        ended: s.storage.sql
          .exec<{ id: number }>("SELECT id FROM leases ORDER BY id")
          .toArray()
          .map((r) => r.id),
      }));
    const seen: number[] = [];
    await allocate(acct.siteKey, sessionId("one"));
    seen.push((await ids()).live!);
    // Ended by the alarm: its row goes to the history with its id.
    clock.advance(61_000);
    await runDurableObjectAlarm(stub);
    expect(await ids()).toEqual({ live: null, ended: [seen[0]] });
    await allocate(acct.siteKey, sessionId("two"));
    seen.push((await ids()).live!);
    // The history pruned (retention over), the object evicted: the next id still comes after all.
    clock.advance(31 * 86_400_000);
    await runDurableObjectAlarm(stub);
    expect((await ids()).ended).toEqual([]);
    await evictDurableObject(stub);
    await allocate(acct.siteKey, sessionId("three"));
    seen.push((await ids()).live!);
    expect(seen[1]).toBeGreaterThan(seen[0]!);
    expect(seen[2]).toBeGreaterThan(seen[1]!);
  });

  it("keeps finished leases for grace + retention, then the alarm prunes them", async () => {
    const acct = await createAccount();
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: freshNumbers(1),
      destinations: [DEST],
      leaseSeconds: 60,
      graceSeconds: 600,
      isDefault: true,
    });
    await allocate(acct.siteKey, sessionId());
    const stub = poolStub(acct.accountId, "web");
    const rows = () => runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM leases").one().n);
    clock.advance(61_000);
    await runDurableObjectAlarm(stub);
    expect(await rows()).toBe(1);
    // Kept until end + grace + 30 days retention (LEASE_RETENTION_DAYS).
    const endedAt = Date.now() - 1_000;
    clock.at(endedAt + 600_000 + 30 * 86_400_000 - 1_000);
    await runDurableObjectAlarm(stub);
    expect(await rows()).toBe(1);
    clock.at(endedAt + 600_000 + 30 * 86_400_000 + 1_000);
    await runDurableObjectAlarm(stub);
    expect(await rows()).toBe(0);
  });

  it("picks the number that has been free longest", async () => {
    const { acct, tracking } = await setup(3);
    const sessions = [sessionId(), sessionId(), sessionId()];
    const got: string[] = [];
    for (const s of sessions) {
      got.push(numberOf(await allocate(acct.siteKey, s)));
      clock.advance(1_000);
    }
    expect(new Set(got).size).toBe(3);
    expect([...got].sort()).toEqual([...tracking].sort());
    // All expire in leasing order; the first released is the first reused.
    clock.advance(120_000);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    expect(numberOf(await allocate(acct.siteKey, sessionId()))).toBe(got[0]);
  });

  describe("when every number is leased", () => {
    it("recycle: reuses the least recently renewed number, ending that lease early", async () => {
      const { acct } = await setup(2, { exhaustionPolicy: "recycle" });
      const a = sessionId("a");
      const b = sessionId("b");
      const na = numberOf(await allocate(acct.siteKey, a));
      clock.advance(5_000);
      const nb = numberOf(await allocate(acct.siteKey, b));
      // A renewal counts once a quarter lease (here 15 s) has passed since the last (sooner ones change nothing).
      clock.advance(15_000);
      await allocate(acct.siteKey, a); // a renews: b is now the least recently renewed
      const c = await allocate(acct.siteKey, sessionId("c"));
      expect(numberOf(c)).toBe(nb);
      const stub = poolStub(acct.accountId, "web");
      const live = await stub.liveLeases(Date.now());
      expect(live.map((l) => l.number).sort()).toEqual([na, nb].sort());
      expect(live.find((l) => l.number === nb)?.session).not.toBe(b);
      expect((await stub.counters()).recycled_early).toBe(1);
    });

    it("overflow: one reserved number is shared by the extra visitors, marked overflow", async () => {
      const acct = await createAccount();
      const tracking = freshNumbers(3);
      await createPool(acct, {
        id: "web",
        name: "Web",
        trackingNumbers: tracking,
        destinations: [DEST],
        leaseSeconds: 60,
        graceSeconds: 0,
        isDefault: true,
        exhaustionPolicy: "overflow",
        overflowNumber: tracking[1],
      });
      const leased = [numberOf(await allocate(acct.siteKey, sessionId())), numberOf(await allocate(acct.siteKey, sessionId()))];
      expect(leased.sort()).toEqual([tracking[0], tracking[2]].sort());
      const extra1 = await allocate(acct.siteKey, sessionId());
      const extra2 = await allocate(acct.siteKey, sessionId());
      for (const r of [extra1, extra2]) expect(r.json.pools[0]).toMatchObject({ number: { e164: tracking[1] }, overflow: true });
      const stub = poolStub(acct.accountId, "web");
      expect((await stub.liveLeases(Date.now())).map((l) => l.number).sort()).toEqual([tracking[0], tracking[2]].sort());
      expect((await stub.counters()).overflow).toBe(2);
    });

    it("overflow without an explicit number reserves the first tracking number", async () => {
      const acct = await createAccount();
      const tracking = freshNumbers(2);
      const pool = await createPool(acct, {
        id: "web",
        name: "Web",
        trackingNumbers: tracking,
        destinations: [DEST],
        exhaustionPolicy: "overflow",
        isDefault: true,
      });
      expect(pool.overflowNumber).toBe(tracking[0]);
      expect(numberOf(await allocate(acct.siteKey, sessionId()))).toBe(tracking[1]);
    });

    it("none: no number, the page keeps the original", async () => {
      const { acct } = await setup(1, { exhaustionPolicy: "none" });
      expect(numberOf(await allocate(acct.siteKey, sessionId()))).not.toBeNull();
      const r = await allocate(acct.siteKey, sessionId());
      expect(r.status).toBe(200);
      expect(r.json.pools[0]).toMatchObject({ number: null, expiresAt: null, overflow: false });
    });
  });
});
