import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupQuery, LIST_ORDER } from "../../worker/account/call-store";
import { LEASE_AT } from "../../worker/pool/lease-schema";
import { at, callBody, callId, callWorld, DEST, GOOGLE, getCall, ring, T0, visit, voiceOf } from "./calls-helpers";
import { accountStub, api, createPool, freshNumbers, poolStub, useTestClock } from "./helpers";

const transferTo = (no: string) => ({ actions: [{ type: "TRANSFER", params: { no } }, { type: "HANGUP" }] });

describe("attribution: the session that held the number at the call's start", () => {
  useTestClock(T0);

  it("a renewal extends the lease a call is matched against (its end lives on the number while it runs)", async () => {
    const { acct, voice } = await callWorld(2, { leaseSeconds: 600, graceSeconds: 0 });
    const v = await visit(acct);
    // Renewed at T0 + 500 s: the lease now ends at T0 + 1,100 s, not T0 + 600 s.
    at(T0 + 500_000);
    await visit(acct, GOOGLE, undefined, v.session);
    at(T0 + 900_000);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0 + 900_000));
    expect((await getCall(acct, id)).json).toMatchObject({
      attributed: true,
      reason: "live",
      session: v.session,
      lease: { expiresAt: T0 + 1_100_000, endedAt: null },
    });
    // Once it ended, its history row carries the renewed end, and grace 0 means no later call matches.
    at(T0 + 1_200_000);
    expect(await runDurableObjectAlarm(poolStub(acct.accountId, "web"))).toBe(true);
    const late = callId();
    await ring(voice.callbackUrl, callBody(late, v.number, T0 + 1_150_000));
    expect((await getCall(acct, late)).json).toMatchObject({ attributed: false, reason: "no_lease" });
    const during = callId();
    await ring(voice.callbackUrl, callBody(during, v.number, T0 + 1_050_000));
    expect((await getCall(acct, during)).json).toMatchObject({
      attributed: true,
      lease: { expiresAt: T0 + 1_100_000, endedAt: T0 + 1_100_000, endReason: "expired" },
    });
  });

  it("a call inside the lease goes to that visit, with its full source, and is forwarded to the pool's destination", async () => {
    const { acct, voice } = await callWorld(3);
    const v = await visit(acct);
    at(T0 + 30_000);
    const id = callId();
    const r = await ring(voice.callbackUrl, callBody(id, v.number, T0 + 30_000));
    expect(r.status).toBe(200);
    expect(r.json).toEqual(transferTo(DEST));
    const call = (await getCall(acct, id)).json;
    expect(call).toMatchObject({
      id,
      pool: "web",
      trackingNumber: v.number,
      caller: "+13105550123",
      startedAt: T0 + 30_000,
      attributed: true,
      reason: "live",
      session: v.session,
      source: {
        name: "google-ads",
        referrer: GOOGLE.referrer,
        landing: GOOGLE.landing,
        utm: { source: "google", medium: "cpc", campaign: "spring", term: null, content: null },
        clickIds: { gclid: "abc", msclkid: null, fbclid: null },
        gaClientId: GOOGLE.gaClientId,
      },
      lease: { leasedAt: T0, expiresAt: T0 + 60_000, endedAt: null, endReason: null },
      route: { action: "transfer", to: DEST },
    });
    // The ring is recorded on the number.
    const lastCalled = await runInDurableObject(
      poolStub(acct.accountId, "web"),
      (_i, s) => s.storage.sql.exec<{ t: number }>("SELECT last_called_at AS t FROM numbers WHERE number = ?", v.number).one().t,
    );
    expect(lastCalled).toBe(T0 + 30_000);
  });

  it("inside the grace window after expiry still attributed; after it, unattributed (never guessed)", async () => {
    const { acct, voice } = await callWorld(1); // lease 60 s, grace 120 s
    const v = await visit(acct);
    const end = v.expiresAt;
    at(end + 119_000);
    const inGrace = callId("grace");
    expect((await ring(voice.callbackUrl, callBody(inGrace, v.number, end + 119_000))).json).toEqual(transferTo(DEST));
    expect((await getCall(acct, inGrace)).json).toMatchObject({
      attributed: true,
      reason: "grace",
      session: v.session,
      lease: { leasedAt: T0, expiresAt: end },
    });
    at(end + 121_000);
    const late = callId("late");
    expect((await ring(voice.callbackUrl, callBody(late, v.number, end + 121_000))).json).toEqual(transferTo(DEST));
    const call = (await getCall(acct, late)).json;
    expect(call).toMatchObject({
      pool: "web",
      attributed: false,
      reason: "no_lease",
      session: null,
      source: null,
      lease: null,
      route: { action: "transfer", to: DEST },
    });
  });

  it("after the number is recycled to a second session, each call goes to the session that held it at its start", async () => {
    const { acct, voice } = await callWorld(1, { exhaustionPolicy: "recycle" });
    const first = await visit(acct, { ...GOOGLE });
    at(T0 + 10_000);
    const second = await visit(acct, { name: "newsletter", utm: { source: "newsletter", medium: "email" } });
    expect(second.number).toBe(first.number);
    at(T0 + 20_000);
    // Delivered after the recycle, but started while the first session held the number.
    const early = callId("early");
    await ring(voice.callbackUrl, callBody(early, first.number, T0 + 5_000));
    const later = callId("later");
    await ring(voice.callbackUrl, callBody(later, first.number, T0 + 12_000));
    expect((await getCall(acct, early)).json).toMatchObject({
      session: first.session,
      reason: "live",
      source: { name: "google-ads" },
      lease: { endedAt: T0 + 10_000, endReason: "recycled" },
    });
    // Inside the first session's grace, but the second session held the number: it wins.
    expect((await getCall(acct, later)).json).toMatchObject({
      session: second.session,
      reason: "live",
      source: { name: "newsletter", utm: { medium: "email" } },
    });
  });

  it("a ring on the overflow number is recorded unattributed with its pool, and still forwarded", async () => {
    const { acct, tracking, voice } = await callWorld(2, { exhaustionPolicy: "overflow" });
    const leased = await visit(acct);
    const extra = await visit(acct);
    expect(extra.number).toBe(tracking[0]);
    expect(leased.number).toBe(tracking[1]);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0))).json).toEqual(transferTo(DEST));
    expect((await getCall(acct, id)).json).toMatchObject({ pool: "web", attributed: false, reason: "overflow", session: null, source: null });
    expect((await poolStub(acct.accountId, "web").counters()).calls_unattributed).toBe(1);
  });

  it("the overflow number still leased to a visitor from before the policy (it waits for that lease): a call on it is that visitor's", async () => {
    const { acct, tracking, voice } = await callWorld(2);
    const a = await visit(acct);
    const b = await visit(acct);
    const holder = [a, b].find((v) => v.number === tracking[0])!;
    expect(holder).toBeDefined();
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { exhaustionPolicy: "overflow" } })).status).toBe(200);
    at(T0 + 10_000);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0 + 10_000));
    expect((await getCall(acct, id)).json).toMatchObject({ attributed: true, reason: "live", session: holder.session });
  });

  it("a call's figures are written within the minute (the alarm is set for them), so an evicted object keeps them", async () => {
    const { acct, tracking, voice } = await callWorld(2);
    const stub = poolStub(acct.accountId, "web");
    // Nothing leased: nothing else is due in this object.
    await ring(voice.callbackUrl, callBody(callId(), tracking[1]!, T0));
    const alarm = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(T0 + 60_000);
    at(alarm!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Evicted: what memory held is gone, what the alarm wrote is not.
    await abortAllDurableObjects();
    expect((await poolStub(acct.accountId, "web").counters()).calls_unattributed).toBe(1);
  });

  it("a number removed from its pool keeps routing to it (and attributing) while it retires; so does a deleted pool's", async () => {
    const { acct, tracking, voice } = await callWorld(2);
    const v = await visit(acct);
    const other = tracking.find((n) => n !== v.number)!;
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    at(T0 + 30_000);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0 + 30_000))).json).toEqual(transferTo(DEST));
    expect((await getCall(acct, id)).json).toMatchObject({ pool: "web", attributed: true, session: v.session });
    const free = callId();
    expect((await ring(voice.callbackUrl, callBody(free, other, T0 + 30_000))).json).toEqual(transferTo(DEST));
    expect((await getCall(acct, free)).json).toMatchObject({ pool: "web", attributed: false, reason: "no_lease" });
  });

  it("a number removed after the lease length was shortened keeps routing as long as a lease given under the old length may run", async () => {
    const { acct, voice } = await callWorld(2, { leaseSeconds: 3600, graceSeconds: 60 });
    const v = await visit(acct);
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { leaseSeconds: 60 } })).status).toBe(200);
    at(T0 + 120_000);
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [v.number] } })).status).toBe(200);
    // Ten minutes on: past the new length's hold (60 s + grace), well within the visitor's hour.
    at(T0 + 600_000);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0 + 600_000))).json).toEqual(transferTo(DEST));
    expect((await getCall(acct, id)).json).toMatchObject({ pool: "web", attributed: true, session: v.session });
    // After that lease's end and grace, the number is the account's no more.
    at(T0 + 3_600_000 + 60_000 + 1_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const late = callId();
    await ring(voice.callbackUrl, callBody(late, v.number, T0 + 3_661_000));
    expect((await getCall(acct, late)).json).toMatchObject({ pool: null, reason: "unknown_number" });
  });

  it("a call on another account's tracking number is not attributed across accounts", async () => {
    const { acct: a } = await callWorld(1);
    const { acct: b, tracking: theirs } = await callWorld(1);
    const v = await visit(b);
    expect(v.number).toBe(theirs[0]);
    const id = callId();
    const r = await ring((await voiceOf(a)).callbackUrl, callBody(id, theirs[0]!, T0));
    expect(r.json).toEqual({ actions: [{ type: "HANGUP" }] });
    expect((await getCall(a, id)).json).toMatchObject({
      pool: null,
      attributed: false,
      reason: "unknown_number",
      session: null,
      route: { action: "hangup", to: null },
    });
    expect((await getCall(b, id)).status).toBe(404);
  });

  it("two pools: each number finds its own pool and destination", async () => {
    const { acct, voice } = await callWorld(1);
    const ads = freshNumbers(1);
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: ads, destinations: ["+12127365009"] });
    const v = await visit(acct, GOOGLE, ["ads"]);
    expect(v.number).toBe(ads[0]);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, ads[0]!, T0))).json).toEqual(transferTo("+12127365009"));
    expect((await getCall(acct, id)).json).toMatchObject({ pool: "ads", session: v.session });
  });
});

describe("the call path's queries are index lookups", () => {
  it("the lease at a time, and every listing of calls", async () => {
    const { acct } = await callWorld(1);
    await visit(acct);
    const leasePlan = await runInDurableObject(poolStub(acct.accountId, "web"), (_i, s) =>
      s.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${LEASE_AT}`, "+18005550100", 0)
        .toArray()
        .map((r) => r.detail)
        .join(" | "),
    );
    expect(leasePlan).toMatch(/USING INDEX leases_number_time/);
    expect(leasePlan).not.toMatch(/TEMP B-TREE/);
    const plans = await runInDurableObject(accountStub(acct.accountId), (_i, s) =>
      ["", "WHERE pool_id = 'web'", "WHERE source_name = 'x'", "WHERE started_at >= 0 AND started_at < 5"].map((w) =>
        s.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT * FROM calls ${w} ${LIST_ORDER} LIMIT 10`)
          .toArray()
          .map((r) => r.detail)
          .join(" | "),
      ),
    );
    for (const plan of plans) {
      expect(plan).toMatch(/INDEX calls_/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
    // Grouped totals over a time range (the dashboard's) read the range through an index.
    const grouped = await runInDurableObject(accountStub(acct.accountId), (_i, s) =>
      (["source", "campaign", "landing", "pool"] as const).map((by) =>
        s.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${groupQuery(by, "WHERE started_at >= 0 AND started_at < 5")}`)
          .toArray()
          .map((r) => r.detail)
          .join(" | "),
      ),
    );
    for (const plan of grouped) expect(plan).toMatch(/INDEX calls_\w+ \([^)]*started_at[<>]/);
  });

  it("groups landing URLs by page in SQL: a month's rows come back one per page, not one per click id", async () => {
    // A scratch object's storage (no account in it), with the columns the query reads.
    const rows = await runInDurableObject(accountStub(`scratch${crypto.randomUUID().slice(0, 8)}`), (_i, s) => {
      const sql = s.storage.sql;
      sql.exec("CREATE TABLE calls (landing TEXT, attributed INTEGER, outcome TEXT, talk_seconds INTEGER, started_at INTEGER)");
      const landings = [
        ...Array.from({ length: 50 }, (_, i) => `https://shop.example/?gclid=G${i}`),
        "https://shop.example/#top",
        "https://shop.example/p?x=1#y",
        "https://shop.example/p#y?x=1",
        "https://shop.example/p",
        null,
      ];
      for (const l of landings) sql.exec("INSERT INTO calls VALUES (?, 1, 'answered', 10, 1)", l);
      return sql.exec<{ key: string | null; calls: number }>(`${groupQuery("landing", "")} ORDER BY key`).toArray();
    });
    expect(rows.map((r) => [r.key, r.calls])).toEqual([
      [null, 1],
      ["https://shop.example/", 51],
      ["https://shop.example/p", 3],
    ]);
  });
});
