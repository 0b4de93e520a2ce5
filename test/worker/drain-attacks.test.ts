/**
 * Scripted drain attacks against a pool, each with the honest visitors' figures it holds:
 * one address renewing its sessions, many IPv6 /64s of one network, a shared office address, the
 * recycle takeover. Clients are told apart by CF-Connecting-IP only (what the worker passes on).
 */
import { describe, expect, it } from "vitest";
import { at, callBody, callId, ring, T0, voiceOf } from "./calls-helpers";
import { allocate, api, type Created, createAccount, createPool, freshNumbers, poolStub, sessionId, useTestClock } from "./helpers";

const DEST = "+12127365000";
const from = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });
const numberOf = (r: Awaited<ReturnType<typeof allocate>>): string | null => r.json.pools[0].number?.e164 ?? null;

/** A 10-number default pool that recycles when full. */
const recyclingPool = (acct: Created, leaseSeconds: number) =>
  createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: freshNumbers(10),
    destinations: [DEST],
    isDefault: true,
    exhaustionPolicy: "recycle",
    leaseSeconds,
  });

/** n honest visitors, each from its own address: their sessions and the numbers they got. */
async function honestVisitors(acct: Created, n: number, label: string) {
  const out: { session: string; number: string | null; ip: string }[] = [];
  // In batches of concurrent visits (the pool object serialises them as it would real ones).
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => {
      const j = i + k;
      return { session: sessionId(label), ip: `198.51.${100 + Math.floor(j / 250)}.${(j % 250) + 1}` };
    });
    const got = await Promise.all(batch.map((v) => allocate(acct.siteKey, v.session, from(v.ip))));
    for (const [k, v] of batch.entries()) out.push({ ...v, number: numberOf(got[k]!) });
  }
  return out;
}

/** Concurrent requests per batch in the larger attacks. */
const BATCH = 20;

/** Ring each visitor's number and read back which session each call was attributed to. */
async function callsAttributed(acct: Created, visits: { session: string; number: string | null }[]) {
  const voice = await voiceOf(acct);
  let attributed = 0;
  for (const v of visits) {
    if (!v.number) continue;
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, v.number, Date.now()))).status).toBe(200);
    const call = (await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json;
    if (call.attributed && call.session === v.session) attributed++;
  }
  return attributed;
}

describe("drain attacks: honest visitors stay whole", () => {
  useTestClock(T0);

  it("one address renewing its sessions holds at most 4 of a 15-number pool; 11 of 11 honest visitors get a number and every call is theirs", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(15), destinations: [DEST], isDefault: true, exhaustionPolicy: "none" });
    const attacker = from("203.0.113.7");
    const sessions = Array.from({ length: 8 }, () => sessionId("evil"));
    const first = [];
    for (const s of sessions) first.push(await allocate(acct.siteKey, s, attacker));
    expect(first.filter((r) => numberOf(r)).length).toBe(4);
    // Renewing every minute for three minutes (and trying the others again) gains nothing.
    for (let round = 1; round <= 3; round++) {
      at(T0 + round * 65_000);
      for (const s of sessions.slice(0, 6)) await allocate(acct.siteKey, s, attacker);
    }
    const live = await poolStub(acct.accountId, "web").liveLeases(Date.now());
    expect(live.filter((l) => sessions.includes(l.session))).toHaveLength(4);
    const honest = await honestVisitors(acct, 11, "hon");
    expect(honest.filter((v) => v.number).length).toBe(11);
    expect(await callsAttributed(acct, honest)).toBe(11);
    expect((await poolStub(acct.accountId, "web").counters()).client_capped).toBeGreaterThanOrEqual(4);
  });

  it("a renewal sooner than the snippet needs extends nothing, and a renewal counts toward the renewing address's cap", async () => {
    const acct = await createAccount();
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: freshNumbers(15),
      destinations: [DEST],
      isDefault: true,
      leaseSeconds: 600,
      exhaustionPolicy: "none",
    });
    const visitor = sessionId("v");
    const first = await allocate(acct.siteKey, visitor, from("198.51.100.9"));
    expect(first.json.pools[0].expiresAt).toBe(T0 + 600_000);
    at(T0 + 10_000);
    const early = await allocate(acct.siteKey, visitor, from("198.51.100.9"));
    expect(early.json.pools[0]).toMatchObject({ expiresAt: T0 + 600_000, number: first.json.pools[0].number });
    expect((await poolStub(acct.accountId, "web").counters()).renewals_early).toBe(1);
    // An address at its cap (4) that replays another visitor's session id does not keep that lease alive.
    const attacker = from("203.0.113.50");
    for (let i = 0; i < 4; i++) expect(numberOf(await allocate(acct.siteKey, sessionId("e"), attacker))).not.toBeNull();
    at(T0 + 120_000);
    const replay = await allocate(acct.siteKey, visitor, attacker);
    expect(replay.json.pools[0].expiresAt).toBe(T0 + 600_000);
    // The visitor itself renews normally: one lease time from now, a quarter before which it asks again.
    at(T0 + 200_000);
    const own = await allocate(acct.siteKey, visitor, from("198.51.100.9"));
    expect(own.json.pools[0]).toMatchObject({ expiresAt: T0 + 800_000, renewAt: T0 + 650_000 });
  });

  it("forty IPv6 /64s of one network hold at most 50 of a 200-number pool; 140 of 140 honest visitors get a number", async () => {
    const acct = await createAccount();
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: freshNumbers(200),
      destinations: [DEST],
      isDefault: true,
      exhaustionPolicy: "none",
      maxNewLeasesPerMinute: 100_000,
    });
    let got = 0;
    for (let net = 0; net < 40; net += 4) {
      const tries = [];
      for (let n = net; n < net + 4; n++)
        for (let i = 0; i < 5; i++) tries.push(allocate(acct.siteKey, sessionId("v6"), from(`2001:db8:7:${n.toString(16)}::${i + 1}`)));
      got += (await Promise.all(tries)).filter((r) => numberOf(r)).length;
    }
    // 25 per /64 would allow all 200; the /48 stops them at 2 × 25.
    expect(got).toBe(50);
    const honest = await honestVisitors(acct, 140, "hon");
    expect(honest.filter((v) => v.number).length).toBe(140);
  });

  it("a shared office address gets a number for each of 20 colleagues of a 100-number pool, the 21st the overflow number", async () => {
    const acct = await createAccount();
    const tracking = freshNumbers(100);
    await createPool(acct, {
      id: "web",
      name: "Web",
      trackingNumbers: tracking,
      destinations: [DEST],
      isDefault: true,
      exhaustionPolicy: "overflow",
      overflowNumber: tracking[99],
    });
    const office = from("192.0.2.44");
    const colleagues = [];
    for (let i = 0; i < 20; i++) {
      const session = sessionId("office");
      colleagues.push({ session, number: numberOf(await allocate(acct.siteKey, session, office)) });
    }
    expect(new Set(colleagues.map((c) => c.number).filter(Boolean)).size).toBe(20);
    const extra = await allocate(acct.siteKey, sessionId("office"), office);
    expect(extra.json.pools[0]).toMatchObject({ overflow: true, number: { e164: tracking[99] } });
    // They keep their numbers on renewal, and their calls are theirs.
    at(T0 + 300_000);
    for (const c of colleagues.slice(0, 5)) expect(numberOf(await allocate(acct.siteKey, c.session, office))).toBe(c.number);
    expect(await callsAttributed(acct, colleagues.slice(0, 5))).toBe(5);
  });

  it("a lease an address at its cap tried to keep alive (its renewal refused) is the first recycled", async () => {
    const acct = await createAccount();
    await recyclingPool(acct, 600);
    // An address at its cap (4 of a 10-number pool), then six visitors: the pool is full.
    const attacker = from("203.0.113.77");
    const own = [];
    for (let i = 0; i < 4; i++) {
      const s = sessionId("a");
      own.push(s);
      expect(numberOf(await allocate(acct.siteKey, s, attacker))).not.toBeNull();
    }
    const visitors: { session: string; number: string | null; ip: string }[] = [];
    for (let i = 0; i < 6; i++) {
      at(T0 + 10_000 + i * 1000);
      const v = { session: sessionId("v"), ip: `198.51.100.${i + 1}` };
      visitors.push({ ...v, number: numberOf(await allocate(acct.siteKey, v.session, from(v.ip))) });
    }
    expect(new Set(visitors.map((v) => v.number)).size).toBe(6);
    // Five visitors and the address renew their own; the address then replays the sixth visitor's
    // session: seen last, but its lease is not extended (the address is at its cap).
    at(T0 + 100_000);
    for (const v of visitors.slice(0, 5)) await allocate(acct.siteKey, v.session, from(v.ip));
    at(T0 + 110_000);
    for (const s of own) await allocate(acct.siteKey, s, attacker);
    at(T0 + 120_000);
    const replayed = await allocate(acct.siteKey, visitors[5]!.session, attacker);
    expect(replayed.json.pools[0].expiresAt).toBe(T0 + 15_000 + 600_000);
    // A new visitor: the lease that ends first goes, the one the address tried to keep alive.
    at(T0 + 130_000);
    const next = await allocate(acct.siteKey, sessionId("n"), from("198.51.100.50"));
    expect(numberOf(next)).toBe(visitors[5]!.number);
    expect((await poolStub(acct.accountId, "web").counters()).recycled_early).toBe(1);
  });

  it("recycle takeover: a script takes at most 2 of 10 numbers, only from visitors seen longest ago; a recycled visitor learns its new number on its next check", async () => {
    const acct = await createAccount();
    await recyclingPool(acct, 1800);
    const honest = await honestVisitors(acct, 10, "hon");
    expect(honest.every((v) => v.number)).toBe(true);
    // The pool recycles: visitors are told to check again within 2 minutes, not at the lease's end.
    at(T0 + 100_000);
    const recent = honest.slice(5);
    for (const v of recent) {
      const r = await allocate(acct.siteKey, v.session, from(v.ip));
      expect(r.json.pools[0].renewAt).toBe(T0 + 100_000 + 120_000);
    }
    // Ten new sessions from one address, all at once.
    at(T0 + 110_000);
    const attacker = from("203.0.113.99");
    const evil = [];
    for (let i = 0; i < 10; i++) evil.push(numberOf(await allocate(acct.siteKey, sessionId("evil"), attacker)));
    const taken = evil.filter(Boolean) as string[];
    expect(taken).toHaveLength(2);
    // Never from a visitor who renewed recently.
    const victims = honest.filter((v) => taken.includes(v.number!));
    expect(victims).toHaveLength(2);
    for (const v of victims) expect(recent).not.toContain(v);
    // The 8 others keep their numbers, and their calls are theirs.
    const kept = honest.filter((v) => !victims.includes(v));
    expect(await callsAttributed(acct, kept)).toBe(8);
    // A victim's next check answers a number it now holds (not the one its page cached), and calls on it are its own.
    at(T0 + 230_000);
    const v = victims[0]!;
    const again = await allocate(acct.siteKey, v.session, from(v.ip));
    const fresh = numberOf(again);
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(v.number);
    expect(await callsAttributed(acct, [{ session: v.session, number: fresh }])).toBe(1);
  });
});
