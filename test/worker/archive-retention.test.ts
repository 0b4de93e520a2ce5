/**
 * The archive's own retention (`archiveRetentionDays`): archived days past it are deleted from R2 by
 * the account's daily upkeep, a thousand a run; null keeps them; 0 keeps none; an archive from before
 * the setting is looked at once it is set. And the index of archived calls (account/archived-calls.ts):
 * erasing one archived call reads the day that holds it, days archived before the index day by day.
 * Real R2 (as wrangler emulates it), real alarms, fake clock.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { archiveKey } from "../../worker/calllog/archive";
import { at, callBody, callId, callWorld, GOOGLE, ring, runAccountAlarms, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";

const DAY = 86_400_000;
const RETENTION_DAYS = 7;

useTestClock(T0, { silence: ["warn"] });

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

async function archivedDays(acct: Created): Promise<string[]> {
  const r = await api("GET", "/v1/archive/calls", { key: acct.adminKey });
  expect(r.status).toBe(200);
  return r.json.days.map((d: { day: string }) => d.day);
}

/** Every archived object of the account, straight from R2 (all pages). */
async function r2Keys(accountId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const list = await env.ARCHIVE.list({ prefix: `calls/${accountId}/`, ...(cursor ? { cursor } : {}) });
    keys.push(...list.objects.map((o) => o.key));
    cursor = list.truncated ? list.cursor : undefined;
  } while (cursor);
  return keys;
}

/** One call a day for `days` days from T0, each day's alarms run: calls past the retention are archived as they go. */
async function callEveryDay(acct: Created, callbackUrl: string, days: number): Promise<string[]> {
  const ids: string[] = [];
  for (let day = 0; day < days; day++) {
    const dayStart = T0 + day * DAY;
    at(dayStart);
    const v = await visit(acct, GOOGLE);
    const id = callId(`d${day}`);
    ids.push(id);
    expect((await ring(callbackUrl, callBody(id, v.number, Date.now()))).status).toBe(200);
    await runAccountAlarms(acct.accountId, dayStart + DAY - 60_000);
  }
  return ids;
}

const patch = (acct: Created, body: Record<string, unknown>) => api("PATCH", "/v1/account", { key: acct.adminKey, body });

describe("archive retention", () => {
  it("is off by default: archived days are kept", async () => {
    const { acct, voice } = await callWorld(1);
    const account = await api("GET", "/v1/account", { key: acct.adminKey });
    expect(account.json.archiveRetentionDays).toBeNull();
    expect((await patch(acct, { callRetentionDays: RETENTION_DAYS })).status).toBe(200);
    await callEveryDay(acct, voice.callbackUrl, 30);
    const days = await archivedDays(acct);
    // Days 0 to 21 are past the 7 days' retention on day 29 (each archived once its day ended 7 days before).
    expect(days[0]).toBe(dayOf(T0));
    expect(days.length).toBeGreaterThanOrEqual(21);
  });

  it("deletes the archived days past it at the daily upkeep, and keeps the others", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    const set = await patch(acct, { callRetentionDays: RETENTION_DAYS, archiveRetentionDays: 10 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ callRetentionDays: RETENTION_DAYS, archiveRetentionDays: 10 });
    await callEveryDay(acct, voice.callbackUrl, 40);
    // As of the last daily upkeep: kept, the days whose calls passed the 7 days' retention less than 10 days before it.
    const now = await runInDurableObject(accountStub(acct.accountId), (_i, state) =>
      Number(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'upkeep_at'").one().value),
    );
    const oldestKept = Math.floor((now - (RETENTION_DAYS + 10) * DAY) / DAY) * DAY;
    const cutoff = Math.floor((now - RETENTION_DAYS * DAY) / DAY) * DAY;
    const expected: string[] = [];
    for (let t = oldestKept; t < cutoff; t += DAY) expected.push(dayOf(t));
    expect(await archivedDays(acct)).toEqual(expected);
    expect(await r2Keys(acct.accountId)).toEqual(expected.map((d) => archiveKey(acct.accountId, d)));
    const gone = await api("GET", `/v1/archive/calls/${dayOf(T0)}`, { key: acct.adminKey });
    expect(gone.status).toBe(404);
  });

  it("0 keeps nothing past the call retention", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    expect((await patch(acct, { callRetentionDays: RETENTION_DAYS, archiveRetentionDays: 0 })).status).toBe(200);
    await callEveryDay(acct, voice.callbackUrl, 20);
    expect(await r2Keys(acct.accountId)).toEqual([]);
    // The calls inside the retention are still there.
    const listed = await api("GET", "/v1/calls?limit=100", { key: acct.adminKey });
    expect(listed.json.calls.length).toBeGreaterThanOrEqual(RETENTION_DAYS);
  });

  it("an archive from before the setting, longer than one run deletes, is pruned once it is set; null keeps again", { timeout: 60_000 }, async () => {
    const { acct } = await callWorld(1);
    // 1,205 archived days (as an older version of the worker left them), then a newer day and another account's.
    const old = Array.from({ length: 1205 }, (_, i) => dayOf(T0 - (3000 - i) * DAY));
    for (const day of old) await env.ARCHIVE.put(archiveKey(acct.accountId, day), '{"id":"x"}\n');
    const recent = dayOf(T0 - 10 * DAY);
    await env.ARCHIVE.put(archiveKey(acct.accountId, recent), '{"id":"y"}\n');
    await env.ARCHIVE.put(archiveKey("acct_other", old[0]!), '{"id":"z"}\n');

    expect((await patch(acct, { callRetentionDays: 30, archiveRetentionDays: 365 })).status).toBe(200);
    // The first upkeep deletes a thousand and is due again at once for the rest.
    await runAccountAlarms(acct.accountId, T0 + DAY + 60_000);
    expect(await r2Keys(acct.accountId)).toEqual([archiveKey(acct.accountId, recent)]);
    // Another account's archive is never touched.
    expect(await env.ARCHIVE.head(archiveKey("acct_other", old[0]!))).not.toBeNull();

    // null: kept again (a day older than 30 + 365 days put back stays).
    expect((await patch(acct, { archiveRetentionDays: null })).json.archiveRetentionDays).toBeNull();
    await env.ARCHIVE.put(archiveKey(acct.accountId, old[0]!), '{"id":"x"}\n');
    await runAccountAlarms(acct.accountId, T0 + 5 * DAY);
    expect(await r2Keys(acct.accountId)).toEqual([archiveKey(acct.accountId, old[0]!), archiveKey(acct.accountId, recent)]);
  });

  it("is validated: negative, too long, not a whole number or a string is refused and nothing changes", async () => {
    const { acct } = await callWorld(1);
    expect((await patch(acct, { archiveRetentionDays: 90 })).status).toBe(200);
    for (const bad of [-1, 3651, 1.5, "30", true]) {
      const r = await patch(acct, { archiveRetentionDays: bad });
      expect(r.status, String(bad)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.archiveRetentionDays).toBe(90);
  });
});

/** The account's index of archived calls: rows, and the day it began (meta). */
const index = (accountId: string) =>
  runInDurableObject(accountStub(accountId), (_i, state) => ({
    rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM archived_calls").one().n,
    days: state.storage.sql
      .exec<{ day: string }>("SELECT DISTINCT day FROM archived_calls ORDER BY day")
      .toArray()
      .map((r) => r.day),
  }));

const setIndexedFrom = (accountId: string, day: string) =>
  runInDurableObject(accountStub(accountId), (_i, state) => {
    state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'archive_indexed_from'", day);
  });

const erase = (acct: Created, id: string) => api("DELETE", `/v1/calls/${encodeURIComponent(id)}`, { key: acct.adminKey });

describe("erasing an archived call", () => {
  it("reads the day the index names, not every day of the archive", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    expect((await patch(acct, { callRetentionDays: RETENTION_DAYS })).status).toBe(200);
    const ids = await callEveryDay(acct, voice.callbackUrl, 15);
    const archivedDays = await r2Keys(acct.accountId);
    expect(archivedDays.length).toBeGreaterThanOrEqual(6);
    expect((await index(acct.accountId)).days).toEqual(archivedDays.map((k) => k.slice(-17, -7)));
    // A later day that happens to hold the same call too (a copy put there by hand): only the indexed day is read and changed.
    const target = ids[2]!;
    const copy = archiveKey(acct.accountId, dayOf(T0 + 5 * DAY));
    const copyBody = `${await (await env.ARCHIVE.get(archiveKey(acct.accountId, dayOf(T0 + 2 * DAY))))!.text()}${await (await env.ARCHIVE.get(copy))!.text()}`;
    await env.ARCHIVE.put(copy, copyBody);
    expect((await erase(acct, target)).status).toBe(204);
    expect(await env.ARCHIVE.head(archiveKey(acct.accountId, dayOf(T0 + 2 * DAY)))).toBeNull();
    expect(await (await env.ARCHIVE.get(copy))!.text()).toBe(copyBody);
    // Erased, it leaves the index: a second erasure is a 404 and reads nothing.
    expect((await index(acct.accountId)).days).not.toContain(dayOf(T0 + 2 * DAY));
    const again = await erase(acct, target);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe("call_not_found");
  });

  it("looks day by day through the days archived before the index, and no further", async () => {
    const { acct } = await callWorld(1);
    // An archive an older version left: two days, not indexed; the index began the second day.
    const before = dayOf(T0 - 400 * DAY);
    const after = dayOf(T0 - 399 * DAY);
    await env.ARCHIVE.put(archiveKey(acct.accountId, before), `${JSON.stringify({ id: "old-call", startedAt: T0 - 400 * DAY })}\n`);
    await env.ARCHIVE.put(archiveKey(acct.accountId, after), `${JSON.stringify({ id: "unindexed-call", startedAt: T0 - 399 * DAY })}\n`);
    await setIndexedFrom(acct.accountId, before);
    expect((await erase(acct, "old-call")).status).toBe(204);
    expect(await env.ARCHIVE.head(archiveKey(acct.accountId, before))).toBeNull();
    // After the day the index began, only the index is read.
    expect((await erase(acct, "unindexed-call")).status).toBe(404);
    expect(await env.ARCHIVE.head(archiveKey(acct.accountId, after))).not.toBeNull();
  });

  it("a call found in the account object is not looked for in the days archived before the index (each erasure read them all)", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    const id = callId("fresh");
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0))).status).toBe(200);
    // An old unindexed day that happens to name it too (a copy put there by hand): not read, so left.
    const old = dayOf(T0 - 400 * DAY);
    const line = `${JSON.stringify({ id, startedAt: T0 - 400 * DAY })}\n`;
    await env.ARCHIVE.put(archiveKey(acct.accountId, old), line);
    await setIndexedFrom(acct.accountId, old);
    expect((await erase(acct, id)).status).toBe(204);
    expect(await (await env.ARCHIVE.get(archiveKey(acct.accountId, old)))!.text()).toBe(line);
  });

  it("erasure by caller and the archive's pruning leave the index too", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    expect((await patch(acct, { callRetentionDays: RETENTION_DAYS })).status).toBe(200);
    await callEveryDay(acct, voice.callbackUrl, 12);
    expect((await index(acct.accountId)).rows).toBeGreaterThanOrEqual(4);
    // Every call of callEveryDay is from one caller: erased through the archive too, and gone from the index.
    let more = true;
    while (more) {
      const r = await api("POST", "/v1/calls/erase", { key: acct.adminKey, body: { caller: callBody("x", "+1", 0).callerNo } });
      expect(r.status).toBe(200);
      more = r.json.more;
    }
    expect(await r2Keys(acct.accountId)).toEqual([]);
    expect((await index(acct.accountId)).rows).toBe(0);

    const world = await callWorld(1);
    expect((await patch(world.acct, { callRetentionDays: RETENTION_DAYS, archiveRetentionDays: 2 })).status).toBe(200);
    await callEveryDay(world.acct, world.voice.callbackUrl, 14);
    const kept = (await r2Keys(world.acct.accountId)).map((k) => k.slice(-17, -7));
    expect(kept.length).toBeGreaterThan(0);
    expect((await index(world.acct.accountId)).days).toEqual(kept);
  });
});
