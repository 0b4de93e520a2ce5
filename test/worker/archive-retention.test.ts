/**
 * The archive's own retention (`archiveRetentionDays`): archived days past it are deleted from R2 by
 * the account's daily upkeep, a thousand a run; null keeps them; 0 keeps none; an archive from before
 * the setting is looked at once it is set. Real R2 (as wrangler emulates it), real alarms, fake clock.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { archiveKey } from "../../worker/calllog/archive";
import { at, callBody, callId, callWorld, GOOGLE, ring, T0, visit } from "./calls-helpers";
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

/** Run the account object's alarms, as scheduled, until `until`. */
async function runAccountAlarms(accountId: string, until: number) {
  const stub = accountStub(accountId);
  for (let i = 0; i < 500; i++) {
    const next = await runInDurableObject(stub, (_i, s) => s.storage.getAlarm());
    if (next === null || next > until) break;
    at(Math.max(next, Date.now() + 1));
    await runDurableObjectAlarm(stub);
  }
  at(until);
}

/** One call a day for `days` days from T0, each day's alarms run: calls past the retention are archived as they go. */
async function callEveryDay(acct: Created, callbackUrl: string, days: number): Promise<void> {
  for (let day = 0; day < days; day++) {
    const dayStart = T0 + day * DAY;
    at(dayStart);
    const v = await visit(acct, GOOGLE);
    const id = callId(`d${day}`);
    expect((await ring(callbackUrl, callBody(id, v.number, Date.now()))).status).toBe(200);
    await runAccountAlarms(acct.accountId, dayStart + DAY - 60_000);
  }
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
