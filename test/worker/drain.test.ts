import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clientKey, clientOf } from "../../worker/platform/client-key";
import { RateWindow } from "../../worker/pool/rate-window";
import { allocate, api, createAccount, createPool, freshNumbers, poolStub, sessionId } from "./helpers";

const DEST = "+12127365000";
const from = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });

describe("pool draining", () => {
  afterEach(() => vi.useRealTimers());

  it("a script making new sessions in a loop from one address is cut off; the pool and other visitors are fine", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(200), destinations: [DEST], isDefault: true });
    const answers: Awaited<ReturnType<typeof allocate>>[] = [];
    for (let i = 0; i < 150; i++) answers.push(await allocate(acct.siteKey, sessionId("drain"), from("203.0.113.7")));
    const ok = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter((a) => a.status === 429);
    // 30 per minute per address (60 if the run straddles a window boundary).
    expect(ok).toBeGreaterThanOrEqual(30);
    expect(ok).toBeLessThanOrEqual(60);
    expect(limited.length).toBe(150 - ok);
    expect(limited[0]!.json.error.code).toBe("rate_limited");
    expect(limited[0]!.headers.get("Retry-After")).toBe("60");
    // The address holds at most its cap (25 of a 200-number pool); the rest of its sessions got no number.
    expect((await poolStub(acct.accountId, "web").liveLeases(Date.now())).length).toBe(25);
    expect(answers.filter((a) => a.status === 200 && a.json.pools[0].number).length).toBe(25);
    // The pool was not emptied and an honest visitor elsewhere still gets a number.
    const honest = await allocate(acct.siteKey, sessionId("honest"), from("198.51.100.20"));
    expect(honest.status).toBe(200);
    expect(honest.json.pools[0].number).not.toBeNull();
    // The same address on IPv6 counts per /64.
    expect(clientKey(new Headers({ "CF-Connecting-IP": "2001:db8:0:1:aaaa::1" }))).toBe("2001:db8:0:1::/64");
    expect(clientKey(new Headers({ "CF-Connecting-IP": "2001:db8::1" }))).toBe("2001:db8:0:0::/64");
    // Loopback (only `wrangler dev` sets it) holds no caps; the rate limit still counts it.
    expect(clientOf(new Headers({ "CF-Connecting-IP": "127.0.0.1" }))).toBeNull();
    expect(clientOf(new Headers({ "CF-Connecting-IP": "::1" }))).toBeNull();
    expect(clientOf(new Headers({ "CF-Connecting-IP": "128.0.0.1" }))).toEqual({ addr: "128.0.0.1", block: null });
    expect(clientKey(new Headers({ "CF-Connecting-IP": "127.0.0.1" }))).toBe("127.0.0.1");
  });

  it("the per-pool backstop caps new leases per minute across addresses; renewals are never limited", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2031-05-01T10:00:05Z"));
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(100), destinations: [DEST], isDefault: true, maxNewLeasesPerMinute: 20 });
    const sessions = Array.from({ length: 50 }, () => sessionId("d"));
    const answers: Awaited<ReturnType<typeof allocate>>[] = [];
    for (const [i, s] of sessions.entries()) answers.push(await allocate(acct.siteKey, s, from(`192.0.2.${i + 1}`)));
    const admitted = sessions.filter((_, i) => answers[i]!.status === 200);
    expect(admitted).toHaveLength(20);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(30);
    expect(Number(refused[0]!.headers.get("Retry-After"))).toBe(55);
    expect((await poolStub(acct.accountId, "web").liveLeases(Date.now())).length).toBe(20);
    expect((await poolStub(acct.accountId, "web").counters()).rate_limited).toBe(30);
    // Visitors who already hold a number keep renewing it.
    for (const s of admitted) expect((await allocate(acct.siteKey, s, from("198.51.100.1"))).status).toBe(200);
    // Two minutes later the window has passed.
    vi.setSystemTime(Date.now() + 120_000);
    expect((await allocate(acct.siteKey, sessionId("later"), from("198.51.100.2"))).status).toBe(200);
  });
});

describe("RateWindow", () => {
  it("weights the previous window by its remaining overlap", () => {
    const w = new RateWindow(60_000);
    for (let i = 0; i < 10; i++) expect(w.take(1_000 + i, 10).ok).toBe(true);
    expect(w.take(59_000, 10)).toEqual({ ok: false, retryAfter: 1 });
    // 30 s into the next window half of the previous 10 still count: 5 more fit.
    let more = 0;
    while (w.take(90_000, 10).ok) more++;
    expect(more).toBe(5);
    // A window with nothing before it starts empty.
    expect(new RateWindow(60_000).take(600_000, 1).ok).toBe(true);
  });

  it("an event stamped in the window before the current one (it queued across the boundary) counts in the current one, which it does not reset", () => {
    const w = new RateWindow(60_000);
    for (let i = 0; i < 5; i++) expect(w.take(60_000 + i, 5).ok).toBe(true);
    // Stamped 59.9 s, arriving after the five of the window that began at 60 s.
    expect(w.take(59_900, 5).ok).toBe(false);
    expect(w.take(60_010, 5).ok).toBe(false);
  });

  it("across several pools an allocation is all or nothing: a 429 from one pool leases nothing in the others", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2031-05-01T10:00:05Z"));
    const acct = await createAccount();
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(80), destinations: [DEST], isDefault: true });
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(80), destinations: ["+12127365001"], maxNewLeasesPerMinute: 5 });
    const both = { pools: ["ads", "web"] };
    const answers: Awaited<ReturnType<typeof allocate>>[] = [];
    for (let i = 0; i < 8; i++) answers.push(await allocate(acct.siteKey, sessionId("m"), { ...both, ...from(`192.0.2.${i + 1}`) }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    // The refused sessions hold nothing in "ads", which had room: its new leases were undone.
    expect((await poolStub(acct.accountId, "ads").liveLeases(Date.now())).length).toBe(5);
    expect((await poolStub(acct.accountId, "web").liveLeases(Date.now())).length).toBe(5);
    // A session that already held both renews both, limit or not.
    const kept = answers[0]!.json.pools.map((p: { number: { e164: string } }) => p.number.e164);
    const again = await allocate(acct.siteKey, answers[0]!.json.session, { ...both, ...from("192.0.2.1") });
    expect(again.json.pools.map((p: { number: { e164: string } }) => p.number.e164)).toEqual(kept);
  });
  it("a lease undone after a push took its number out of the pool: the number goes (it stayed, retiring with no lease, for good)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2031-05-01T10:00:05Z"));
    const acct = await createAccount();
    const numbers = freshNumbers(2);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: numbers, destinations: [DEST], isDefault: true });
    const leasedAt = Date.now();
    const got = await allocate(acct.siteKey, sessionId("c"));
    const number = got.json.pools[0].number.e164 as string;
    const session = got.json.session as string;
    // The number leaves the pool while leased: it retires in its object until the lease ends.
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [number] } })).status).toBe(200);
    const stub = poolStub(acct.accountId, "web");
    expect(await stub.cancelLease(session, leasedAt)).toBe(true);
    const rows = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec("SELECT number, retiring FROM numbers ORDER BY number").toArray());
    expect(rows).toEqual(numbers.filter((n) => n !== number).map((n) => ({ number: n, retiring: 0 })));
  });
});
