/**
 * Bounded call storage: 100 simulated days of steady traffic through the real callback routes and
 * the objects' alarms (fake clock, years ahead of the real one, so alarms fire only when run here).
 * Every table of the account object, its call logs and its pool stay bounded; calls past the
 * retention are readable from the R2 archive; erasure removes a call everywhere.
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ALARM_RETRY_MS } from "../../worker/account/account";
import { UPKEEP_RETRY_MS } from "../../worker/account/call-months";
import { callLogName, monthOf } from "../../worker/calllog/call-log";
import { at, callBody, callId, callWorld, GOOGLE, getCall, mockNetwork, ring, runAccountAlarms, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, dump, poolStub, useTestClock } from "./helpers";

const DAY = 86_400_000;
const HOOK = "https://hooks.example/dni";
const CALLS_PER_DAY = 1;
const RETENTION_DAYS = 30;
const DAYS = 100;

useTestClock(T0, { silence: ["warn"] });

type Counts = Record<string, number>;

/** Rows per table of a Durable Object (its own bookkeeping left out). */
async function rowsPerTable(stub: DurableObjectStub): Promise<Counts> {
  return runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
      .toArray();
    return Object.fromEntries(tables.map((t) => [t.name, sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${t.name}"`).one().n]));
  });
}

const logStub = (accountId: string, month: string) => env.CALL_LOGS.get(env.CALL_LOGS.idFromName(callLogName(accountId, month)));

/** Calls held by each month's log that may exist over the run (an empty or deleted log holds none). */
async function logCalls(accountId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let d = -31; d <= DAYS + 31; d += 28) {
    const month = monthOf(T0 + d * DAY);
    out[month] = await logStub(accountId, month).count();
  }
  return out;
}

async function archivedDays(acct: Created): Promise<string[]> {
  const r = await api("GET", "/v1/archive/calls", { key: acct.adminKey });
  expect(r.status).toBe(200);
  return r.json.days.map((d: { day: string }) => d.day);
}

async function archivedDay(acct: Created, day: string): Promise<{ status: number; calls: { id: string; startedAt: number }[] }> {
  const res = await api("GET", `/v1/archive/calls/${day}`, { key: acct.adminKey });
  if (res.status !== 200) return { status: res.status, calls: [] };
  expect(res.headers.get("Content-Type")).toContain("application/x-ndjson");
  const text = typeof res.json === "string" ? res.json : `${JSON.stringify(res.json)}\n`;
  return {
    status: 200,
    calls: text
      .split("\n")
      .filter((l: string) => l)
      .map((l: string) => JSON.parse(l)),
  };
}

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

describe("bounded call storage", () => {
  it(`${DAYS} days of steady traffic: every table bounded, old calls archived to R2 and readable, erasure everywhere`, { timeout: 90_000 }, async () => {
    const { acct, voice } = await callWorld(CALLS_PER_DAY);
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.callRetentionDays).toBe(395);
    const patched = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: RETENTION_DAYS } });
    expect(patched.status).toBe(200);
    expect(patched.json.callRetentionDays).toBe(RETENTION_DAYS);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK } } })).status).toBe(200);
    const net = mockNetwork();

    const account = accountStub(acct.accountId);
    const pool = poolStub(acct.accountId, "web");
    const callsByDay: string[][] = [];
    const sizes: ({ account: Counts; pool: Counts; logs: Record<string, number> } | undefined)[] = [];
    for (let day = 0; day < DAYS; day++) {
      const dayStart = T0 + day * DAY;
      const ids: string[] = [];
      for (let k = 0; k < CALLS_PER_DAY; k++) {
        at(dayStart + k * 60_000);
        const v = await visit(acct, GOOGLE);
        const id = callId(`d${day}`);
        expect((await ring(voice.callbackUrl, callBody(id, v.number, Date.now()))).status).toBe(200);
        // Its outcome: a status report (stored, merged into the call, then a call.completed webhook).
        expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
        ids.push(id);
      }
      callsByDay.push(ids);
      // Later that day: deliveries go out, the daily upkeep runs when due, leases end.
      at(dayStart + DAY - 60_000);
      await runDurableObjectAlarm(account);
      // The pool's alarm ends leases and prunes old ones (every few days is enough to show its bound).
      if (day % 5 === 4) await runDurableObjectAlarm(pool);
      if (day >= 55 && day % 5 === 4)
        sizes[day] = { account: await rowsPerTable(account), pool: await rowsPerTable(pool), logs: await logCalls(acct.accountId) };
    }
    const now = Date.now();
    expect(net.seen.length).toBe(DAYS * CALLS_PER_DAY * 2); // every ring and every completion, once

    // Every table is bounded: the last 40 days never hold more than the day-59 steady state, and
    // the call tables hold a few days (account) or the retention (logs), not the 100 days.
    const last = sizes[DAYS - 1]!;
    const later = sizes.slice(60).filter((s) => s !== undefined);
    for (const [name, n] of Object.entries(last.account)) {
      // The index of archived calls grows with the archive, one row a call (checked below); the
      // archive's own retention bounds both (test/worker/archive-retention.test.ts).
      if (name === "archived_calls") continue;
      const peak = Math.max(...later.map((s) => s.account[name] ?? 0));
      expect(peak, `account table ${name}`).toBeLessThanOrEqual(Math.max(sizes[59]!.account[name] ?? 0, 3) + CALLS_PER_DAY * 2);
      expect(n, `account table ${name}`).toBeLessThan(DAYS * CALLS_PER_DAY);
    }
    for (const [name, n] of Object.entries(last.pool)) expect(n, `pool table ${name}`).toBeLessThan(DAYS * CALLS_PER_DAY);
    expect(last.account.calls).toBeLessThanOrEqual(CALLS_PER_DAY * 4);
    expect(last.account.call_events).toBeLessThanOrEqual(CALLS_PER_DAY * 4);
    expect(last.account.outbox).toBeLessThanOrEqual(CALLS_PER_DAY * 2 * 16);
    expect(last.account.call_months).toBeLessThanOrEqual(3);
    const inLogs = Object.values(last.logs).reduce((a, b) => a + b, 0);
    expect(inLogs).toBeLessThanOrEqual(CALLS_PER_DAY * (RETENTION_DAYS + 1));
    expect(Math.max(...Object.values(last.logs))).toBeLessThan(CALLS_PER_DAY * (RETENTION_DAYS + 1));
    // Months wholly past the retention have no storage left.
    expect(last.logs[monthOf(T0)]).toBe(0);

    // The API still reads every call it keeps: list (merged across objects), stats, CSV, one call.
    const cutoff = Math.floor((now - RETENTION_DAYS * DAY) / DAY) * DAY;
    const kept = callsByDay.flatMap((ids, day) => (T0 + day * DAY >= cutoff ? ids : []));
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api("GET", `/v1/calls?limit=37${cursor ? `&cursor=${cursor}` : ""}`, { key: acct.adminKey });
      expect(page.status).toBe(200);
      listed.push(...page.json.calls.map((c: { id: string }) => c.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(listed).toEqual([...kept].reverse());
    const stats = await api("GET", "/v1/stats/calls", { key: acct.adminKey });
    expect(stats.json.total).toEqual({ calls: kept.length, attributed: kept.length, answered: kept.length, talkSeconds: 42 * kept.length });
    // Grouped, the account's table and the months' logs are merged into one row per campaign.
    const byCampaign = await api("GET", "/v1/stats/calls?groupBy=campaign", { key: acct.adminKey });
    expect(byCampaign.json.groups).toEqual([
      { key: "spring", calls: kept.length, attributed: kept.length, answered: kept.length, talkSeconds: 42 * kept.length },
    ]);
    const csv = await SELF.fetch("https://dni.test/v1/calls.csv", { headers: { Authorization: `Bearer ${acct.adminKey}` } });
    expect((await csv.text()).trim().split("\r\n")).toHaveLength(kept.length + 1);
    const oldKept = kept[0]!;
    expect((await getCall(acct, oldKept)).json).toMatchObject({ id: oldKept, attributed: true, outcome: "answered", talkSeconds: 42 });

    // Calls past the retention: gone from the API, readable from R2, one NDJSON object per day.
    const days = await archivedDays(acct);
    const archivedIds = callsByDay.flatMap((ids, day) => (T0 + day * DAY < cutoff ? ids : []));
    expect(last.account.archived_calls).toBe(archivedIds.length);
    expect(days).toEqual(callsByDay.flatMap((_ids, day) => (T0 + day * DAY < cutoff ? [dayOf(T0 + day * DAY)] : [])));
    expect((await getCall(acct, archivedIds[0]!)).status).toBe(404);
    const first = await archivedDay(acct, dayOf(T0));
    expect(first.calls.map((c) => c.id)).toEqual(callsByDay[0]);
    expect(first.calls[0]).toMatchObject({ attributed: true, source: { name: "google-ads" }, outcome: "answered", talkSeconds: 42 });
    const direct = await env.ARCHIVE.get(`calls/${acct.accountId}/${dayOf(T0)}.ndjson`);
    expect((await direct!.text()).split("\n").filter(Boolean)).toHaveLength(CALLS_PER_DAY);

    // Erasure: an archived call, one in a month's log and one still in the account object.
    const hot = callsByDay[DAYS - 1]![0]!;
    const inLog = kept[0]!;
    const archived = callsByDay[1]![CALLS_PER_DAY - 1]!;
    for (const id of [archived, inLog, hot]) {
      expect((await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(204);
      expect((await getCall(acct, id)).status).toBe(404);
      const again = await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey });
      expect(again.status).toBe(404);
      expect(again.json.error.code).toBe("call_not_found");
    }
    expect((await archivedDay(acct, dayOf(T0 + DAY))).calls.map((c) => c.id)).toEqual(callsByDay[1]!.filter((id) => id !== archived));
    const everywhere = await runInDurableObject(
      account,
      (_i, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "SELECT (SELECT COUNT(*) FROM calls WHERE id IN (?, ?, ?)) + (SELECT COUNT(*) FROM call_events WHERE call_id IN (?, ?, ?)) + (SELECT COUNT(*) FROM outbox WHERE call_id IN (?, ?, ?)) AS n",
            hot,
            inLog,
            archived,
            hot,
            inLog,
            archived,
            hot,
            inLog,
            archived,
          )
          .one().n,
    );
    expect(everywhere).toBe(0);
    expect(await logStub(acct.accountId, monthOf(T0 + Math.floor((cutoff - T0) / DAY) * DAY)).get(inLog)).toBeNull();
    const listedAfter = (await api("GET", "/v1/calls?limit=500", { key: acct.adminKey })).json.calls.map((c: { id: string }) => c.id);
    expect(listedAfter).not.toContain(inLog);
    expect(listedAfter).not.toContain(hot);
    expect(listedAfter).toHaveLength(kept.length - 2);
  });

  it("retention is validated: too short, too long or not a whole number is refused and nothing changes", async () => {
    const { acct } = await callWorld(1);
    for (const bad of [6, 3651, 30.5, "30", null]) {
      const r = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: bad } });
      expect(r.status, String(bad)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.callRetentionDays).toBe(395);
  });

  it("archive routes: admin key only, a day that was never archived is 404, a malformed day is 400", async () => {
    const { acct } = await callWorld(1);
    expect((await api("GET", "/v1/archive/calls", { key: acct.siteKey })).status).toBe(403);
    expect((await api("GET", "/v1/archive/calls")).status).toBe(401);
    expect(await archivedDays(acct)).toEqual([]);
    const none = await api("GET", "/v1/archive/calls/2031-01-01", { key: acct.adminKey });
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe("archive_not_found");
    expect((await api("GET", "/v1/archive/calls/yesterday", { key: acct.adminKey })).status).toBe(400);
    for (const day of ["2026-13-45", "2026-02-30", "2031-00-01"]) {
      const bad = await api("GET", `/v1/archive/calls/${day}`, { key: acct.adminKey });
      expect([day, bad.status, bad.json.error.code]).toEqual([day, 400, "invalid_request"]);
    }
  });
});

describe("privacy: what outlives a call", () => {
  const CALLER = "+13105559876";
  const SOURCE = {
    name: "google-ads",
    referrer: "https://www.google.com/",
    landing: "https://www.shop.example/?gclid=PRIVgclidA1B2C3&utm_source=google&utm_medium=cpc",
    clickIds: { gclid: "PRIVgclidA1B2C3" },
    gaClientId: "555444333.1700000000",
  };

  it("erasing a call forgets its visit's touch in the pool object too (the live lease, then the lease history)", async () => {
    const { acct, voice } = await callWorld(1);
    mockNetwork();
    const v = await visit(acct, SOURCE);
    const id = callId("erase");
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1000, { callerNo: CALLER }))).status).toBe(200);
    expect((await getCall(acct, id)).json.source.clickIds.gclid).toBe("PRIVgclidA1B2C3");
    const pool = poolStub(acct.accountId, "web");
    expect(await dump(pool)).toContain("PRIVgclidA1B2C3");
    expect((await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status).toBe(204);
    const live = await dump(pool);
    at(v.expiresAt + 1000);
    await runDurableObjectAlarm(pool);
    const history = await runInDurableObject(pool, (_i, st) => JSON.stringify(st.storage.sql.exec("SELECT * FROM leases").toArray()));
    expect(history).toContain(v.number); // the lease itself stays: which number, when
    for (const secret of ["PRIVgclidA1B2C3", "555444333"]) {
      expect(live).not.toContain(secret);
      expect(history).not.toContain(secret);
    }
  });

  it("an upkeep that fails (a month's log unreachable) stops no delivery; it is tried again 10 minutes later, and the alarm does not spin", async () => {
    const { acct, voice } = await callWorld(2);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK } } })).status).toBe(200);
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const stub = accountStub(acct.accountId);
    const old = callId("old");
    const v = await visit(acct, SOURCE);
    expect((await ring(voice.callbackUrl, callBody(old, v.number, T0 + 1000))).status).toBe(200);
    await runDurableObjectAlarm(stub);
    // Days later the old call is due to move to its month's log, which cannot be reached.
    type Months = { env: Env };
    await runInDurableObject(stub, (instance) => {
      const m = (instance as unknown as { desk: { months: Months } }).desk.months;
      m.env = {
        ...m.env,
        CALL_LOGS: { idFromName: (n: string) => env.CALL_LOGS.idFromName(n), get: () => ({ put: () => Promise.reject(new Error("log unreachable")) }) },
      } as unknown as Env;
    });
    const later = T0 + 5 * DAY;
    at(later);
    const fresh = callId("fresh");
    const w = await visit(acct, SOURCE);
    expect((await ring(voice.callbackUrl, callBody(fresh, w.number, later))).status).toBe(200);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await runDurableObjectAlarm(stub);
    // The new call's webhook went out all the same; the failure was said, and the alarm waits.
    expect(net.seen.filter((r) => r.url.href === HOOK).map((r) => JSON.parse(r.body).call.id)).toEqual([old, fresh]);
    expect(errors.mock.calls.some((c) => String(c[0]).includes("upkeep failed"))).toBe(true);
    errors.mockRestore();
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThanOrEqual(later + ALARM_RETRY_MS);
    // The log back: the upkeep's next try moves the old call.
    await runInDurableObject(stub, (instance) => {
      const m = (instance as unknown as { desk: { months: Months } }).desk.months;
      m.env = env;
    });
    await runAccountAlarms(acct.accountId, later + UPKEEP_RETRY_MS + 1000);
    const hot = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM calls")
        .toArray()
        .map((r) => r.id),
    );
    expect(hot).toEqual([fresh]);
    expect((await getCall(acct, old)).json.id).toBe(old);
  });

  it("a retention shorter than the outbox's 14 days: a call's delivered payloads go no later than the call itself", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    const key = acct.adminKey;
    expect((await api("PATCH", "/v1/account", { key, body: { callRetentionDays: 7, archiveRetentionDays: 0 } })).status).toBe(200);
    expect((await api("PATCH", "/v1/account/integrations", { key, body: { webhook: { url: HOOK } } })).status).toBe(200);
    mockNetwork(() => new Response(null, { status: 204 }));
    const v = await visit(acct, SOURCE);
    const id = callId("kept-short");
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1000, { callerNo: CALLER }))).status).toBe(200);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
    await runAccountAlarms(acct.accountId, T0 + 9 * DAY);
    expect((await getCall(acct, id)).status).toBe(404);
    const left = await runInDurableObject(
      accountStub(acct.accountId),
      (_i, s) => s.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE call_id = ? OR payload LIKE ?", id, `%${CALLER}%`).one().n,
    );
    expect(left).toBe(0);
    expect(JSON.stringify((await api("GET", "/v1/deliveries?limit=50", { key })).json)).not.toContain(id);
  });

  it("a webhook that never succeeds: its dead outbox rows (caller number, gclid, GA client id) are pruned after 14 days too", { timeout: 60_000 }, async () => {
    const { acct, voice } = await callWorld(1);
    expect((await api("PATCH", "/v1/account", { key: acct.adminKey, body: { callRetentionDays: 7 } })).status).toBe(200);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK } } })).status).toBe(200);
    mockNetwork(() => new Response("down", { status: 503 }));
    const v = await visit(acct, SOURCE);
    const id = callId("dead");
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0 + 1000, { callerNo: CALLER }))).status).toBe(200);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);

    // 40 days of the account's own alarms: retries (75.7 h) end dead; daily upkeep moves, archives, prunes.
    await runAccountAlarms(acct.accountId, T0 + 40 * DAY);
    // The call is past its 7-day retention: gone from the API (archived to R2).
    expect((await getCall(acct, id)).status).toBe(404);
    const rows = await runInDurableObject(accountStub(acct.accountId), (_i, s) =>
      s.storage.sql
        .exec<{ status: string; payload: string; created_at: number }>("SELECT status, payload, created_at FROM outbox WHERE call_id = ?", id)
        .toArray(),
    );
    const deliveries = await api("GET", "/v1/deliveries?status=dead&limit=50", { key: acct.adminKey });
    expect({
      outboxRowsLeft: rows.length,
      statuses: [...new Set(rows.map((r) => r.status))],
      payloadHasCaller: rows.some((r) => r.payload.includes(CALLER)),
      payloadHasGclid: rows.some((r) => r.payload.includes("PRIVgclidA1B2C3")),
      listedByApi: JSON.stringify(deliveries.json).includes(id),
    }).toEqual({ outboxRowsLeft: 0, statuses: [], payloadHasCaller: false, payloadHasGclid: false, listedByApi: false });
  });
});
