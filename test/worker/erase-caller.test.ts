/**
 * Erasure by the caller's number (POST /v1/calls/erase): a GDPR or CCPA request usually names a
 * phone number, not call ids. Every call from it goes, wherever it is kept — the account object (a
 * call of today), its month's log (a call of last week), the R2 archive (one past retention) — with
 * its status reports, its deliveries and its visit's touch on the lease; other callers' calls stay.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { matchingQuery } from "../../worker/account/call-store";
import { PRUNE_ERASED } from "../../worker/account/erased-calls";
import { callLogName, monthOf } from "../../worker/calllog/call-log";
import { at, callBody, callId, callWorld, GOOGLE, mockNetwork, ring, storage, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";

const DAY = 86_400_000;
const CALLER = "+14155550123";
const OTHER = "+13105550199";

useTestClock(T0, { silence: ["warn"] });

const erase = (acct: Created, caller: unknown, session?: string) =>
  api("POST", "/v1/calls/erase", { key: acct.adminKey, body: session === undefined ? { caller } : { session } });
const callIds = async (acct: Created) => ((await api("GET", "/v1/calls?limit=100", { key: acct.adminKey })).json.calls as { id: string }[]).map((c) => c.id);

async function archived(acct: Created): Promise<string> {
  const days = (await api("GET", "/v1/archive/calls", { key: acct.adminKey })).json.days as { day: string }[];
  const texts = await Promise.all(days.map(async ({ day }) => (await api("GET", `/v1/archive/calls/${day}`, { key: acct.adminKey })).text));
  return texts.join("");
}

describe("erasure by caller or visit", () => {
  it("erases the caller's calls in the account object, its month's log and the archive, with their deliveries and visits' touches; nothing of other callers", async () => {
    const world = await callWorld(3);
    const { acct, voice } = world;
    expect((await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: 7 } })).status).toBe(200);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: "https://hooks.example/calls" } } })).status).toBe(
      200,
    );
    mockNetwork();
    const call = async (caller: string, label: string, gclid: string) => {
      const v = await visit(acct, { ...GOOGLE, landing: `https://www.shop.example/?gclid=${gclid}`, clickIds: { gclid } });
      const id = callId(label);
      expect((await ring(voice.callbackUrl, callBody(id, v.number, Date.now(), { callerNo: caller }))).status).toBe(200);
      expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
      return id;
    };
    // Day 0: a call of each (archived by day 9); day 6: another of each (in its month's log by day 9); day 9: one more of each.
    const ids: Record<string, string[]> = { mine: [], theirs: [] };
    for (const day of [0, 6, 9]) {
      at(T0 + day * DAY);
      ids.mine!.push(await call(CALLER, `mine-d${day}`, `gclid-mine-${day}`));
      ids.theirs!.push(await call(OTHER, `theirs-d${day}`, `gclid-theirs-${day}`));
      at(T0 + day * DAY + 3_600_000);
      await runDurableObjectAlarm(accountStub(acct.accountId));
    }
    expect(await archived(acct)).toContain(ids.mine![0]);
    expect((await callIds(acct)).sort()).toEqual([...ids.mine!.slice(1), ...ids.theirs!.slice(1)].sort());

    // Written as a person would give it.
    const r = await erase(acct, "tel:+1 (415) 555-0123");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ erased: 3, more: false });
    expect((await callIds(acct)).sort()).toEqual(ids.theirs!.slice(1).sort());
    const archive = await archived(acct);
    expect(archive).not.toContain(CALLER);
    expect(archive).toContain(ids.theirs![0]);
    for (const id of ids.mine!) expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(404);
    // Neither the account (deliveries, status reports) nor the pool (the visits' touches) keeps any of it.
    const stored = await storage(acct);
    expect(stored).not.toContain(CALLER);
    for (const day of [0, 6, 9]) expect(stored).not.toContain(`gclid-mine-${day}`);
    expect(stored).toContain("gclid-theirs-9");
    // Asked again: nothing left.
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 0, more: false });
  });

  it("DELETE /v1/calls/{id} of a call only in the archive forgets its visit's touch on the lease too", async () => {
    const { acct, voice } = await callWorld(2);
    expect((await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: 7 } })).status).toBe(200);
    mockNetwork();
    const v = await visit(acct, { ...GOOGLE, landing: "https://www.shop.example/?gclid=gclid-archived", clickIds: { gclid: "gclid-archived" } });
    const id = callId("archived");
    expect((await ring(voice.callbackUrl, callBody(id, v.number, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    at(T0 + 9 * DAY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await archived(acct)).toContain(id);
    expect(await storage(acct)).toContain("gclid-archived");
    expect((await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(204);
    expect(await archived(acct)).not.toContain(id);
    expect(await storage(acct)).not.toContain("gclid-archived");
  });

  it("a deleted pool's objects keep their lease history a while: an erasure by caller or by visit reaches them", async () => {
    const { acct, voice } = await callWorld(3);
    mockNetwork();
    const touch = (gclid: string) => ({ ...GOOGLE, landing: `https://www.shop.example/?gclid=${gclid}`, clickIds: { gclid } });
    const called = await visit(acct, touch("gclid-deleted-called"));
    expect((await ring(voice.callbackUrl, callBody(callId("deleted"), called.number, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    const browsing = await visit(acct, touch("gclid-deleted-browsing"));
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    // Past the numbers' hold (the tombstone's first purge), within the lease history's retention.
    at(T0 + 2 * DAY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await storage(acct)).toContain("gclid-deleted-called");
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 1, more: false });
    expect((await erase(acct, undefined, browsing.session)).json).toEqual({ erased: 0, more: false });
    const stored = await storage(acct);
    expect(stored).not.toContain("gclid-deleted-called");
    expect(stored).not.toContain("gclid-deleted-browsing");
    // Once that history is gone (grace + LEASE_RETENTION_DAYS), so is the deleted pool's config.
    const kept = () => runInDurableObject(accountStub(acct.accountId), (_i, state) => state.storage.sql.exec("SELECT id FROM pools").toArray().length);
    expect(await kept()).toBe(1);
    at(T0 + 31 * DAY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await kept()).toBe(0);
  });

  it("a caller with more calls than one request erases: 200 at a time, more until none is left", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    for (let i = 0; i < 205; i++) {
      expect((await ring(voice.callbackUrl, callBody(callId("many"), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    }
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 200, more: true });
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 5, more: false });
    expect(await callIds(acct)).toEqual([]);
  });

  it("by a visit's session id: its calls, and its touch on the leases with or without a call; other visits' stay", async () => {
    const { acct, voice } = await callWorld(3);
    mockNetwork();
    const touch = (gclid: string) => ({ ...GOOGLE, landing: `https://www.shop.example/?gclid=${gclid}`, clickIds: { gclid } });
    const called = await visit(acct, touch("gclid-called"));
    const id = callId("by-session");
    expect((await ring(voice.callbackUrl, callBody(id, called.number, Date.now(), { callerNo: OTHER }))).status).toBe(200);
    const browsing = await visit(acct, touch("gclid-browsing"));
    const other = await visit(acct, touch("gclid-other"));
    // A visit that never called: only its touch on its live lease goes.
    expect((await erase(acct, undefined, browsing.session)).json).toEqual({ erased: 0, more: false });
    let stored = await storage(acct);
    expect(stored).not.toContain("gclid-browsing");
    expect(stored).toContain("gclid-called");
    expect(stored).toContain("gclid-other");
    // A visit that called: its call and its touch.
    expect((await erase(acct, undefined, called.session)).json).toEqual({ erased: 1, more: false });
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(404);
    stored = await storage(acct);
    expect(stored).not.toContain("gclid-called");
    expect(stored).toContain("gclid-other");
    expect(stored).toContain(other.session);
  });

  it("a caller with calls on more archived days than a request reads: 31 days a request, going on where the last stopped, until none is left", async () => {
    const { acct, voice } = await callWorld(3);
    expect((await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: 7 } })).status).toBe(200);
    mockNetwork();
    const call = async (caller: string, label: string, gclid: string) => {
      const v = await visit(acct, { ...GOOGLE, landing: `https://www.shop.example/?gclid=${gclid}`, clickIds: { gclid } });
      const id = callId(label);
      expect((await ring(voice.callbackUrl, callBody(id, v.number, Date.now(), { callerNo: caller }))).status).toBe(200);
      return id;
    };
    // A call a day for 40 days, another caller's every tenth day; all archived by day 50.
    const theirs: string[] = [];
    for (let day = 0; day < 40; day++) {
      at(T0 + day * DAY);
      await call(CALLER, `mine-d${day}`, `gclid-mine-${day}`);
      if (day % 10 === 0) theirs.push(await call(OTHER, `theirs-d${day}`, `gclid-theirs-${day}`));
    }
    at(T0 + 50 * DAY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await callIds(acct)).toEqual([]);
    expect(await archived(acct)).toContain(CALLER);
    expect(await storage(acct)).toContain("gclid-mine-39");

    expect((await erase(acct, CALLER)).json).toEqual({ erased: 31, more: true });
    // Part way: the erasure's place is kept under a hash, not the number.
    const midway = await storage(acct);
    expect(midway).not.toContain(CALLER);
    expect(midway).not.toContain('["erasure_progress",[]]');
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 9, more: false });
    const archive = await archived(acct);
    expect(archive).not.toContain(CALLER);
    for (const id of theirs) expect(archive).toContain(id);
    // The visits' touches still kept on the leases (the later days') went too; the other caller's stay.
    const stored = await storage(acct);
    for (let day = 0; day < 40; day++) expect(stored).not.toContain(`gclid-mine-${day}`);
    expect(stored).toContain("gclid-theirs-30");
    // Done: its place is not kept.
    expect(stored).toContain('["erasure_progress",[]]');
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 0, more: false });
  });

  it("a call erased by caller, sent again by its provider, gets its answer and is not stored; two days on, the id is a call again", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    const id = callId("resent");
    const inbound = callBody(id, tracking[0]!, Date.now(), { callerNo: CALLER });
    const first = await ring(voice.callbackUrl, inbound);
    expect(first.status).toBe(200);
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 1, more: false });
    const before = await storage(acct);
    const again = await ring(voice.callbackUrl, inbound);
    expect([again.status, again.text]).toEqual([200, first.text]);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
    expect(await storage(acct)).toBe(before);
    expect(await callIds(acct)).toEqual([]);
    at(T0 + 2 * DAY + 60_000);
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    expect(await callIds(acct)).toEqual([id]);
  });

  it("finds a caller's and a visit's calls by index, in the account object and in a month's log, not by reading every call", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    expect((await ring(voice.callbackUrl, callBody(callId("logged"), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    at(T0 + 6 * DAY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect((await ring(voice.callbackUrl, callBody(callId("hot"), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    const plans = (s: DurableObjectState) =>
      (["caller", "session"] as const).map((by) =>
        s.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${matchingQuery(by)}`, "x", 1)
          .toArray()
          .map((r) => r.detail)
          .join("; "),
      );
    const log = env.CALL_LOGS.get(env.CALL_LOGS.idFromName(callLogName(acct.accountId, monthOf(T0))));
    const logged = await runInDurableObject(log, (_i, s) => [s.storage.sql.exec("SELECT COUNT(*) AS n FROM calls").one().n, ...plans(s)]);
    const hot = await runInDurableObject(accountStub(acct.accountId), (_i, s) => [s.storage.sql.exec("SELECT COUNT(*) AS n FROM calls").one().n, ...plans(s)]);
    for (const [n, byCaller, bySession] of [logged, hot]) {
      expect(n).toBe(1);
      expect(byCaller).toMatch(/^SEARCH calls USING INDEX calls_caller \(caller=\?\)/);
      expect(bySession).toMatch(/^SEARCH calls USING INDEX calls_session \(session=\?\)/);
    }
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 2, more: false });
  });

  it("forgets erased ids past their time by index: every id remembered prunes, up to a batch of them in one transaction", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    for (const label of ["a", "b", "c"])
      expect((await ring(voice.callbackUrl, callBody(callId(label), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    expect((await erase(acct, CALLER)).json).toEqual({ erased: 3, more: false });
    const { remembered, plan } = await runInDurableObject(accountStub(acct.accountId), (_i, s) => ({
      remembered: s.storage.sql.exec("SELECT COUNT(*) AS n FROM erased_calls").one().n,
      plan: s.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${PRUNE_ERASED}`, 0)
        .toArray()
        .map((r) => r.detail)
        .join("; "),
    }));
    expect(remembered).toBe(3);
    expect(plan).toMatch(/^SEARCH erased_calls USING (COVERING )?INDEX erased_calls_until \(until<\?\)/);
  });

  it("a caller's number the numbering metadata does not know (stored as sent) is erased by that number", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    const unknown = "+15555550123"; // 555-01xx: not a valid number, stored as the provider sent it
    const id = callId("unknown");
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, Date.now(), { callerNo: unknown }))).status).toBe(200);
    expect((await ring(voice.callbackUrl, callBody(callId("other"), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json.caller).toBe(unknown);
    expect((await erase(acct, unknown)).json).toEqual({ erased: 1, more: false });
    expect((await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(404);
    expect((await callIds(acct)).length).toBe(1);
  });

  it("what is not a phone number is 400 with nothing changed", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    expect((await ring(voice.callbackUrl, callBody(callId("kept"), tracking[0]!, Date.now(), { callerNo: CALLER }))).status).toBe(200);
    const before = await storage(acct);
    for (const bad of ["hello", "12", 4155550123, "+1 415", "", { number: CALLER }]) {
      const r = await erase(acct, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    for (const body of [{}, { caller: CALLER, session: "s0000000000000000001" }, { session: "not a session id!" }]) {
      const r = await api("POST", "/v1/calls/erase", { key: acct.adminKey, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect(await storage(acct)).toBe(before);
    expect((await api("POST", "/v1/calls/erase", { key: acct.siteKey, body: { caller: CALLER } })).status).toBe(403);
  });
});
