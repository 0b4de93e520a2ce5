/**
 * The account alarm's parts failing for long (worker/account/alarm-health.ts): an upkeep whose
 * month's log cannot be reached, every try for 15 minutes, is told once to the alert webhook as
 * `task.failing`, and its first try that works tells `task.recovered`; runs in between, when the
 * upkeep is not due, neither end nor extend its failing run. A part failing every run brings the
 * alarm back later each time (30 s doubling, at most 5 minutes).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ALARM_RETRY_MAX_MS, ALARM_RETRY_MS, type AlarmHealth, FAILING_AFTER_MS } from "../../worker/account/alarm-health";
import { templateValues } from "../../worker/account/alert-email";
import { UPKEEP_RETRY_MS } from "../../worker/account/call-months";
import { googleError, mockPlatforms } from "./ad-platforms";
import { at, callBody, callId, callWorld, getCall, mockNetwork, ring, runAccountAlarms, T0, visit } from "./calls-helpers";
import { adCall, conversions, GOOGLE_SETTINGS } from "./conversions-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["error"] });

const DAY = 86_400_000;
const ALERTS = "https://hooks.example/alerts";
const CALLS = "https://hooks.example/calls";

type Months = { env: Env };
/** The account's months' logs unreachable (true) or back (false). */
async function logsDown(accountId: string, down: boolean) {
  await runInDurableObject(accountStub(accountId), (instance) => {
    const m = (instance as unknown as { desk: { months: Months } }).desk.months;
    m.env = down
      ? ({
          ...env,
          CALL_LOGS: { idFromName: (n: string) => env.CALL_LOGS.idFromName(n), get: () => ({ put: () => Promise.reject(new Error("log unreachable")) }) },
        } as unknown as Env)
      : env;
  });
}

/**
 * A call rung at T0, its first alarm run, then the months' logs out of reach: five days on (the
 * clock set there, and answered) the upkeep is due to move the call to its log, and fails.
 */
async function oldCallThenLogsDown(acct: Created, voice: { callbackUrl: string }): Promise<number> {
  const v = await visit(acct);
  expect((await ring(voice.callbackUrl, callBody(callId("old"), v.number, T0 + 1000))).status).toBe(200);
  await runDurableObjectAlarm(accountStub(acct.accountId));
  await logsDown(acct.accountId, true);
  const first = T0 + 5 * DAY;
  at(first);
  return first;
}

describe("an alarm part failing for long", () => {
  it("an upkeep failing every try for 15 minutes is told once (task.failing); its first try that works, task.recovered", async () => {
    const { acct, voice } = await callWorld(1);
    const hooks = { alertWebhook: { url: ALERTS }, webhook: { url: CALLS } };
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: hooks })).status).toBe(200);
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const alerts = () => net.seen.filter((r) => r.url.href === ALERTS).map((r) => JSON.parse(r.body));
    // Days later the old call is due to move to its log: the upkeep fails, and is tried 10 minutes apart.
    const first = await oldCallThenLogsDown(acct, voice);
    // Calls meanwhile: their webhooks run the alarm while the upkeep is not due, which neither ends
    // nor extends its failing run.
    const mid: string[] = [];
    for (const minutes of [5, 15]) {
      await runAccountAlarms(acct.accountId, first + minutes * 60_000);
      const w = await visit(acct);
      mid.push(callId(`mid${minutes}`));
      expect((await ring(voice.callbackUrl, callBody(mid.at(-1)!, w.number, Date.now()))).status).toBe(200);
    }
    await runAccountAlarms(acct.accountId, first + 2 * UPKEEP_RETRY_MS - 1000);
    expect(net.seen.filter((r) => r.url.href === CALLS).map((r) => JSON.parse(r.body).call.id)).toEqual(expect.arrayContaining(mid));
    // Two tries so far, 10 minutes apart: not yet told. The third, 20 minutes after the first, is.
    expect(alerts()).toEqual([]);
    await runAccountAlarms(acct.accountId, first + 2 * UPKEEP_RETRY_MS + 60_000);
    const failing = alerts();
    expect(failing.map((a) => [a.type, a.task.name, a.task.failures])).toEqual([["task.failing", "upkeep", 3]]);
    expect(failing[0].task.failingSince).toBeGreaterThanOrEqual(first);
    expect(failing[0].at - failing[0].task.failingSince).toBeGreaterThanOrEqual(FAILING_AFTER_MS);
    expect(failing[0].message).toContain("month's log");
    expect(failing[0].task.lastError).toContain("log unreachable");
    // The alert email names it in words.
    expect(templateValues(JSON.stringify(failing[0])).title).toBe("Background work failing");
    // Failing on: not told again.
    await runAccountAlarms(acct.accountId, first + 5 * UPKEEP_RETRY_MS);
    expect(alerts()).toHaveLength(1);
    // The log back: the next try works, and says so once.
    await logsDown(acct.accountId, false);
    await runAccountAlarms(acct.accountId, first + 7 * UPKEEP_RETRY_MS);
    const told = alerts();
    expect(told.map((a) => a.type)).toEqual(["task.failing", "task.recovered"]);
    expect(told[1].episode).toEqual({ openedAt: failing[0].at, endedAt: told[1].at });
    expect(told[1].task.name).toBe("upkeep");
  });

  it("an upkeep that fails twice and then works tells nothing", async () => {
    const { acct, voice } = await callWorld(1);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERTS } } })).status).toBe(200);
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const first = await oldCallThenLogsDown(acct, voice);
    await runAccountAlarms(acct.accountId, first + UPKEEP_RETRY_MS + 60_000);
    await logsDown(acct.accountId, false);
    await runAccountAlarms(acct.accountId, first + 4 * UPKEEP_RETRY_MS);
    expect(net.seen.filter((r) => r.url.href === ALERTS)).toEqual([]);
    const left = await runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.sql.exec("SELECT * FROM alarm_failures").toArray());
    expect(left).toEqual([]);
  });

  it("a part failing every run is tried again later each time (30 s, doubling, at most 5 minutes); its deadline alone is put off", async () => {
    const { acct } = await callWorld(1);
    const waits = await runInDurableObject(accountStub(acct.accountId), (instance) => {
      const health = (instance as unknown as { health: AlarmHealth }).health;
      const now = Date.now();
      const out: (number | boolean | null)[] = [];
      for (let i = 0; i < 6; i++) {
        health.failed("pushes", new Error("pool object unreachable"), now);
        out.push(health.deferred("pushes", now, now)! - now);
      }
      // Not run again before then; a deadline later than the backoff stays as it is; another part is not put off.
      out.push(health.waiting("pushes", now + ALARM_RETRY_MAX_MS - 1), health.waiting("pushes", now + ALARM_RETRY_MAX_MS));
      out.push(health.deferred("pushes", now + DAY, now)! - now, health.deferred("numbers", now + 1000, now)! - now, health.deferred("numbers", null, now));
      // A failing part with nothing due is tried again all the same; once it works, nothing more.
      health.failed("reseal", new Error("no key"), now);
      out.push(health.deferred("reseal", null, now)! - now);
      // Its try past with nothing due (the run found nothing to do): no deadline at all, never one in the past.
      out.push(health.deferred("reseal", null, now + ALARM_RETRY_MS));
      health.worked("reseal", now);
      out.push(health.deferred("reseal", null, now));
      return out;
    });
    expect(waits).toEqual([
      ALARM_RETRY_MS,
      2 * ALARM_RETRY_MS,
      4 * ALARM_RETRY_MS,
      8 * ALARM_RETRY_MS,
      ALARM_RETRY_MAX_MS,
      ALARM_RETRY_MAX_MS,
      true,
      false,
      DAY,
      1000,
      null,
      ALARM_RETRY_MS,
      null,
      null,
    ]);
  });

  it("an upkeep failing for long delays no webhook retry: the alarm comes at the retry, not the upkeep's backoff", async () => {
    const { acct, voice } = await callWorld(2);
    const hook = "https://hooks.example/refusing";
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: hook } } })).status).toBe(200);
    mockNetwork((s) => new Response(null, { status: s.url.href === hook ? 500 : 204 }));
    const first = await oldCallThenLogsDown(acct, voice);
    // Three upkeep failures, 10 minutes apart (its backoff is 2 minutes now, and longer after the next).
    await runAccountAlarms(acct.accountId, first + 2 * UPKEEP_RETRY_MS + 1000);
    const failures = () =>
      runInDurableObject(
        accountStub(acct.accountId),
        (_i, s) => s.storage.sql.exec<{ failures: number }>("SELECT failures FROM alarm_failures WHERE part = 'upkeep'").one().failures,
      );
    expect(await failures()).toBe(3);
    // At the upkeep's next try a call comes whose webhook the receiver refuses: both in one run.
    at(first + 3 * UPKEEP_RETRY_MS + 5_000);
    const w = await visit(acct);
    const id = callId("refused");
    expect((await ring(voice.callbackUrl, callBody(id, w.number, Date.now()))).status).toBe(200);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await failures()).toBe(4);
    const delivery = (await api("GET", `/v1/calls/${id}`, { key: acct.adminKey })).json.deliveries.find((d: { kind: string }) => d.kind === "webhook");
    expect(delivery).toMatchObject({ status: "pending", attempts: 1 });
    const next = await runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.getAlarm());
    expect(next).toBe(delivery.nextAttemptAt);
    expect(next! - Date.now()).toBeLessThan(4 * ALARM_RETRY_MS);
  });

  it("an ad step that fails (the call's month log out of reach when Google's answer is written) stops no webhook; the ad steps are counted failing, not the deliveries", async () => {
    const { acct, voice } = await callWorld(2);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const hook = "https://hooks.example/calls";
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: hook } } })).status).toBe(200);
    const ads = mockPlatforms();
    for (let i = 0; i < 60; i++) ads.googleNext.push(googleError(503, "UNAVAILABLE", "The service is currently unavailable."));
    const id = await adCall(acct, voice, { gclid: "gclid-moved" });
    // Google refuses for four days; meanwhile the upkeep moves the call to its month's log.
    await runAccountAlarms(acct.accountId, T0 + 4 * DAY);
    const hot = await runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.sql.exec("SELECT id FROM calls").toArray());
    expect(hot).toEqual([]);
    expect(ads.googleUploads().length).toBeGreaterThan(1);
    // Its retries ran out (72 h): sent once more by hand, Google takes it, but the log its answer is
    // written to cannot be reached.
    const upload = (await getCall(acct, id)).json.deliveries.find((d: { kind: string }) => d.kind === "google_ads");
    expect(upload.status).toBe("dead");
    ads.googleNext.length = 0;
    await logsDown(acct.accountId, true);
    const w = await visit(acct);
    const fresh = callId("fresh");
    expect((await ring(voice.callbackUrl, callBody(fresh, w.number, Date.now()))).status).toBe(200);
    expect((await api("POST", `/v1/deliveries/${upload.id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    const uploads = ads.googleUploads().length;
    await runAccountAlarms(acct.accountId, Date.now() + 1000);
    expect(ads.googleUploads().length).toBeGreaterThan(uploads);
    // The new call's webhook went all the same; the ad steps are counted failing (the write they could
    // not make) as their own part: the deliveries' deadline is not put off with them.
    expect(ads.seen.some((r) => r.url.href === hook && JSON.parse(r.body).call?.id === fresh)).toBe(true);
    const failing = await runInDurableObject(accountStub(acct.accountId), (_i, s) =>
      s.storage.sql
        .exec<{ part: string }>("SELECT part FROM alarm_failures")
        .toArray()
        .map((r) => r.part),
    );
    expect(failing).toEqual(["ads"]);
    // Once, and no alarm left in the past (the ad steps wait out their own backoff, the rest goes on).
    expect(ads.googleUploads().length).toBe(uploads + 1);
    const alarm = await runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.getAlarm());
    expect(alarm === null || alarm > Date.now()).toBe(true);
    // Nothing of theirs is left pending (the upload was taken): their next run ends the failing run.
    await runAccountAlarms(acct.accountId, Date.now() + 5 * 60_000);
    expect(await runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.sql.exec("SELECT part FROM alarm_failures").toArray())).toEqual([]);
  });
});
