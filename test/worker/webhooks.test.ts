/**
 * Standard Webhooks end to end, with the `standardwebhooks` reference library as the receiver: a
 * receiver down for 24 h of simulated time gets every event afterwards; dead letters are listed and
 * redelivered with the same webhook-id; GET /v1/deliveries filters and pages with cursor.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { mockPlatforms, platformViolations } from "./ad-platforms";
import { at, callBody, callId, callWorld, mockNetwork, ring, runAccountAlarms, type Seen, T0 } from "./calls-helpers";
import { adCall, conversions, GOOGLE_SETTINGS } from "./conversions-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";
import { receive } from "./receiver";

const HOOK = "https://hooks.example/dni";
const HOUR = 3_600_000;

useTestClock(T0, { silence: ["warn"] });
// The platforms' fakes check each request Google or Microsoft would get; what they refused is listed here.
afterEach(() => expect(platformViolations()).toEqual([]));

async function hooked(size = 1) {
  const world = await callWorld(size);
  const r = await api("PATCH", "/v1/account/integrations", { key: world.acct.adminKey, body: { webhook: { url: HOOK } } });
  expect(r.status).toBe(200);
  return { ...world, secret: r.json.webhook.secret as string };
}

const list = async (acct: Created, query = "") => (await api("GET", `/v1/deliveries${query}`, { key: acct.adminKey })).json;

describe("Standard Webhooks deliveries", () => {
  it("a receiver down for 24 h of simulated time gets every event afterwards, each verified, each once delivered", async () => {
    const { acct, voice, tracking, secret } = await hooked(1);
    let up = false;
    // The receiver verifies each request as it arrives (the library checks the timestamp against its clock).
    const got = new Map<string, Seen>();
    const net = mockNetwork((req) => {
      if (req.url.href !== HOOK) return new Response(null, { status: 204 });
      if (!up) throw new TypeError("connect ECONNREFUSED");
      const verified = receive(secret, req);
      if (!verified.ok) return new Response(verified.error, { status: 400 });
      got.set((verified.payload as { call: { id: string } }).call.id, req);
      return new Response("ok", { status: 200 });
    });
    const ids: string[] = [];
    const stub = accountStub(acct.accountId);
    // A call every 2 h while the receiver is down, the alarm run each time (it sends whatever is due).
    for (let t = T0; t < T0 + 24 * HOUR; t += 2 * HOUR) {
      at(t);
      const id = callId("night");
      ids.push(id);
      expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, t))).status).toBe(200);
      await runDurableObjectAlarm(stub);
    }
    // Still down after 24 h: nothing was lost, nothing given up on; every delivery is failing, none dead.
    at(T0 + 24 * HOUR);
    await runDurableObjectAlarm(stub);
    expect((await list(acct, "?status=failing&limit=200")).deliveries).toHaveLength(ids.length);
    expect((await list(acct, "?status=dead")).deliveries).toEqual([]);
    up = true;
    // From here the clock jumps to each alarm the object sets, as the runtime would fire it.
    for (let i = 0; i < 40; i++) {
      const next = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
      // Done once every event arrived (the daily upkeep keeps an alarm set after that).
      if (next === null || got.size === ids.length) break;
      at(Math.max(Date.now(), next));
      await runDurableObjectAlarm(stub);
    }
    // Within the longest jittered wait (12 h + 25 %) of coming back, everything arrived.
    expect(Date.now()).toBeLessThanOrEqual(T0 + 24 * HOUR + 15 * HOUR);
    expect(ids).toHaveLength(12);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    // Every copy of one event carries the same webhook-id; different events differ.
    const byEvent = new Map<string, Set<string>>();
    for (const s of net.seen.filter((x) => x.url.href === HOOK)) {
      const call = (JSON.parse(s.body) as { call: { id: string } }).call.id;
      byEvent.set(call, (byEvent.get(call) ?? new Set()).add(s.headers.get("webhook-id")!));
    }
    expect([...byEvent.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set([...byEvent.values()].map((set) => [...set][0])).size).toBe(ids.length);
    const all = await list(acct, "?kind=webhook&limit=200");
    expect(all.deliveries.map((d: { status: string }) => d.status)).toEqual(Array(ids.length).fill("delivered"));
  });

  it("a call's events go in order: call.completed waits while the call event is retrying, then follows it", async () => {
    const { acct, voice, tracking } = await hooked(1);
    const stub = accountStub(acct.accountId);
    let refuse = 1;
    const net = mockNetwork((req) => {
      if (req.url.href !== HOOK) return new Response(null, { status: 204 });
      return new Response(null, { status: refuse-- > 0 ? 500 : 200 });
    });
    const id = callId("ordered");
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0))).status).toBe(200);
    await runDurableObjectAlarm(stub);
    // The call event failed once (retried 30 s on); the call ends meanwhile: its call.completed is due 10 s later.
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
    await runAccountAlarms(acct.accountId, T0 + HOUR);
    const sent = net.seen.filter((r) => r.url.href === HOOK).map((r) => JSON.parse(r.body).type);
    // Held, not sent before the call event went: call (refused), call (taken), call.completed.
    expect(sent).toEqual(["call", "call", "call.completed"]);
  });

  it("a receiver that refuses only the ring's event still gets call.completed, once that event has failed three times", async () => {
    const { acct, voice, tracking } = await hooked(1);
    const net = mockNetwork((req) => {
      if (req.url.href !== HOOK) return new Response(null, { status: 204 });
      return new Response(null, { status: JSON.parse(req.body).type === "call" ? 500 : 200 });
    });
    const id = callId("picky");
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0))).status).toBe(200);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
    await runAccountAlarms(acct.accountId, T0 + HOUR);
    const types = net.seen.filter((r) => r.url.href === HOOK).map((r) => JSON.parse(r.body).type);
    // Held through the ring's first three attempts, then sent; the ring's event goes on retrying.
    expect(types.slice(0, 4)).toEqual(["call", "call", "call", "call.completed"]);
    expect(types.slice(4).every((t) => t === "call")).toBe(true);
    const rows = (await list(acct, "?kind=webhook")).deliveries as { event: string; status: string }[];
    expect(rows.map((d) => [d.event, d.status])).toEqual([
      ["call.completed", "delivered"],
      ["call", "pending"],
    ]);
  });

  it("a receiver's 429 or 503 with Retry-After puts the next attempt off that long (seconds or a date), not the schedule's 30 s", async () => {
    const { acct, voice, tracking } = await hooked(2);
    const stub = accountStub(acct.accountId);
    let answer = () => new Response(null, { status: 429, headers: { "Retry-After": "600" } });
    mockNetwork((req) => (req.url.href === HOOK ? answer() : new Response(null, { status: 204 })));
    const first = callId("later");
    expect((await ring(voice.callbackUrl, callBody(first, tracking[0]!, T0))).status).toBe(200);
    await runDurableObjectAlarm(stub);
    const row = async (id: string) =>
      ((await list(acct, "?kind=webhook")).deliveries as { callId: string; nextAttemptAt: number; lastStatus: number }[]).find((d) => d.callId === id)!;
    expect(await row(first)).toMatchObject({ lastStatus: 429, nextAttemptAt: T0 + 600_000 });
    // As an HTTP date, and from a 503; a 500's Retry-After is not read (the schedule's own wait).
    answer = () => new Response(null, { status: 503, headers: { "Retry-After": new Date(T0 + 900_000).toUTCString() } });
    const second = callId("date");
    expect((await ring(voice.callbackUrl, callBody(second, tracking[1]!, T0))).status).toBe(200);
    await runDurableObjectAlarm(stub);
    expect((await row(second)).nextAttemptAt).toBe(T0 + 900_000);
  });

  it("redeliver sends one more copy with the same webhook-id and body; a dead letter gets one attempt, then is dead again", async () => {
    const { acct, voice, tracking, secret } = await hooked(1);
    let status = 200;
    const net = mockNetwork((req) => new Response(null, { status: req.url.href === HOOK ? status : 204 }));
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const [first] = net.seen;
    expect(receive(secret, first!).ok).toBe(true);
    const [d] = (await list(acct)).deliveries;
    expect(d).toMatchObject({
      kind: "webhook",
      event: "call",
      callId: id,
      status: "delivered",
      attempts: 1,
      redeliveries: 0,
      webhookId: first!.headers.get("webhook-id"),
    });

    at(T0 + HOUR);
    const r = await api("POST", `/v1/deliveries/${d.id}/redeliver`, { key: acct.adminKey });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ id: d.id, status: "pending", nextAttemptAt: T0 + HOUR, redeliveries: 1 });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(2);
    const copy = net.seen[1]!;
    expect(copy.headers.get("webhook-id")).toBe(first!.headers.get("webhook-id"));
    expect(copy.body).toBe(first!.body);
    expect(copy.headers.get("webhook-timestamp")).toBe(String(Math.floor((T0 + HOUR) / 1000)));
    expect(receive(secret, copy).ok).toBe(true);
    expect((await list(acct)).deliveries[0]).toMatchObject({ status: "delivered", attempts: 2, redeliveries: 1 });

    // Redelivering to a receiver that is down: one attempt, then dead again (no new 72 h of retries),
    // Redeliver pressed twice before it went too.
    status = 500;
    await api("POST", `/v1/deliveries/${d.id}/redeliver`, { key: acct.adminKey });
    await api("POST", `/v1/deliveries/${d.id}/redeliver`, { key: acct.adminKey });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(3);
    const dead = await list(acct, "?status=dead");
    expect(dead.deliveries).toMatchObject([
      { id: d.id, status: "dead", attempts: 3, lastStatus: 500, lastError: "HTTP 500", nextAttemptAt: null, redeliveries: 3 },
    ]);
    expect((await list(acct, "?status=failing")).deliveries).toEqual([]);
    // The account's later alarms (daily upkeep) send nothing more.
    at(T0 + 30 * HOUR);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(3);
  });

  it("a webhook secret no one can decode is refused (400, nothing stored); one stored before that check fails its own rows, not the alarm", async () => {
    const { acct, voice, tracking, secret } = await hooked();
    const key = acct.adminKey;
    for (const bad of [`whsec_${"A".repeat(33)}`, `whsec_${"A".repeat(32)}==`]) {
      const r = await api("PATCH", "/v1/account/integrations", { key, body: { webhook: { url: HOOK, secret: bad } } });
      expect([bad, r.status, r.json.error.code]).toEqual([bad, 400, "invalid_request"]);
    }
    expect((await api("GET", "/v1/account/integrations", { key })).json.webhook.secret).toBe(secret);
    // Such a secret stored by an earlier version: sealed as the account seals secrets.
    await runInDurableObject(accountStub(acct.accountId), async (instance) => {
      type Secrets = { sealFor: (id: string, c: unknown) => Promise<{ value: { rows: unknown } }>; write: (c: unknown, rows: unknown) => void };
      const secrets = (instance as unknown as { secrets: Secrets }).secrets;
      const sealed = await secrets.sealFor(acct.accountId, { webhook: { url: HOOK, secret: `whsec_${"A".repeat(33)}` } });
      secrets.write({ webhook: { url: HOOK, secret: "" } }, sealed.value.rows);
    });
    const seen = mockNetwork();
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0 + 1000))).status).toBe(200);
    // The alarm runs to its end (it re-arms): the row has a failed attempt with the reason; the account goes on.
    at(T0 + 5_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const rows = (await list(acct, "?kind=webhook")).deliveries as { callId: string; status: string; attempts: number; lastError: string }[];
    const row = rows.find((d) => d.callId === id)!;
    expect([row.status, row.attempts]).toEqual(["pending", 1]);
    expect(row.lastError).toContain("could not be sent");
    expect(seen.seen.filter((r) => r.url.href === HOOK)).toEqual([]);
    expect(await runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.getAlarm())).not.toBeNull();
  });

  it("a new secret (rotateSecret or given) keeps the one it replaces signing beside it for 24 hours, sealed; then only the new one signs", async () => {
    const { acct, voice, tracking, secret: first } = await hooked(2);
    const key = acct.adminKey;
    const patch = (webhook: unknown) => api("PATCH", "/v1/account/integrations", { key, body: { webhook } });
    const stored = () =>
      runInDurableObject(accountStub(acct.accountId), (_i, state) => ({
        rows: state.storage.sql
          .exec<{ name: string }>("SELECT name FROM integration_secrets ORDER BY name")
          .toArray()
          .map((r) => r.name),
        column: state.storage.sql.exec<{ webhook: string }>("SELECT webhook FROM account").one().webhook,
      }));
    expect((await patch({ url: HOOK, secret: first, rotateSecret: true })).status).toBe(400);

    const rotated = await patch({ url: HOOK, rotateSecret: true });
    expect(rotated.status).toBe(200);
    const second = rotated.json.webhook.secret as string;
    expect(second).not.toBe(first);
    expect(rotated.json.webhook).toEqual({ url: HOOK, secret: second, previousSecretExpiresAt: T0 + 24 * HOUR });
    // The old secret is sealed like the new one: neither is in the account's column.
    const held = await stored();
    expect(held.rows).toEqual(["webhook", "webhookPrevious"]);
    expect(held.column).not.toContain(first.slice(6, 20));
    expect(held.column).not.toContain(second.slice(6, 20));
    // A URL-only change an hour later keeps both and the same end.
    at(T0 + HOUR);
    expect((await patch({ url: HOOK })).json.webhook).toEqual({ url: HOOK, secret: second, previousSecretExpiresAt: T0 + 24 * HOUR });

    const net = mockNetwork((req) => new Response(null, { status: req.url.href === HOOK ? 200 : 204 }));
    expect((await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0 + HOUR))).status).toBe(200);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const during = net.seen.filter((r) => r.url.href === HOOK);
    expect(during).toHaveLength(1);
    // A receiver holding either secret verifies: two signatures, the current one first.
    expect(during[0]!.headers.get("webhook-signature")!.split(" ")).toHaveLength(2);
    expect([receive(first, during[0]!).ok, receive(second, during[0]!).ok]).toEqual([true, true]);

    // A day later the old one signs nothing more; the API no longer names an end.
    at(T0 + 24 * HOUR + 60_000);
    expect((await api("GET", "/v1/account/integrations", { key })).json.webhook).toEqual({ url: HOOK, secret: second });
    expect((await ring(voice.callbackUrl, callBody(callId(), tracking[1]!, T0 + 24 * HOUR + 60_000))).status).toBe(200);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const after = net.seen.filter((r) => r.url.href === HOOK).slice(1);
    expect(after).toHaveLength(1);
    expect(after[0]!.headers.get("webhook-signature")!.split(" ")).toHaveLength(1);
    expect([receive(first, after[0]!).ok, receive(second, after[0]!).ok]).toEqual([false, true]);
    // The next change drops the expired one's sealed row; a secret given replaces the current one the same way.
    expect((await patch({ url: HOOK })).json.webhook).toEqual({ url: HOOK, secret: second });
    expect((await stored()).rows).toEqual(["webhook"]);
    const third = `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))}`;
    const given = await patch({ url: HOOK, secret: third });
    expect(given.json.webhook).toEqual({ url: HOOK, secret: third, previousSecretExpiresAt: T0 + 48 * HOUR + 60_000 });
    // The same secret again changes nothing; clearing the webhook drops both rows.
    expect((await patch({ url: HOOK, secret: third })).json.webhook.previousSecretExpiresAt).toBe(T0 + 48 * HOUR + 60_000);
    expect((await patch(null)).status).toBe(200);
    expect((await stored()).rows).toEqual([]);
  });

  it("a previous secret past its day is dropped by the alarm, with its sealed row, without any PATCH; the alarm wakes for it", async () => {
    const { acct } = await hooked(1);
    const key = acct.adminKey;
    const stub = accountStub(acct.accountId);
    const rotated = await api("PATCH", "/v1/account/integrations", { key, body: { webhook: { url: HOOK, rotateSecret: true } } });
    const alert = await api("PATCH", "/v1/account/integrations", { key, body: { alertWebhook: { url: `${HOOK}/alerts` } } });
    expect(alert.status).toBe(200);
    const rotatedAlert = await api("PATCH", "/v1/account/integrations", { key, body: { alertWebhook: { url: `${HOOK}/alerts`, rotateSecret: true } } });
    const ends = [rotated.json.webhook.previousSecretExpiresAt, rotatedAlert.json.alertWebhook.previousSecretExpiresAt];
    expect(ends).toEqual([T0 + 24 * HOUR, T0 + 24 * HOUR]);
    const held = () =>
      runInDurableObject(stub, (_i, state) => ({
        rows: state.storage.sql
          .exec<{ name: string }>("SELECT name FROM integration_secrets ORDER BY name")
          .toArray()
          .map((r) => r.name),
        columns: JSON.stringify(state.storage.sql.exec("SELECT webhook, alert_webhook FROM account").one()),
        alarm: state.storage.getAlarm(),
      }));
    const before = await held();
    expect(before.rows).toEqual(["alertWebhook", "alertWebhookPrevious", "webhook", "webhookPrevious"]);
    // Nothing else due: the alarm is set no later than the day's end.
    expect(await before.alarm).toBeLessThanOrEqual(T0 + 24 * HOUR);
    mockNetwork();
    await runAccountAlarms(acct.accountId, T0 + 24 * HOUR + 1000);
    const after = await held();
    expect(after.rows).toEqual(["alertWebhook", "webhook"]);
    expect(after.columns).not.toContain("previous");
    const view = (await api("GET", "/v1/account/integrations", { key })).json;
    expect([view.webhook.secret, view.alertWebhook.secret]).toEqual([rotated.json.webhook.secret, rotatedAlert.json.alertWebhook.secret]);
  });

  it("redeliver refuses what it cannot send: unknown id 404, malformed id 400, removed integration 409 (nothing changes)", async () => {
    const { acct, voice, tracking } = await hooked(1);
    mockNetwork();
    await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const [d] = (await list(acct)).deliveries;
    const unknown = await api("POST", "/v1/deliveries/999999/redeliver", { key: acct.adminKey });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("delivery_not_found");
    const bad = await api("POST", "/v1/deliveries/abc/redeliver", { key: acct.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0]).toMatchObject({ path: "id", message: "must be a delivery id from GET /v1/deliveries" });
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: null } });
    const gone = await api("POST", `/v1/deliveries/${d.id}/redeliver`, { key: acct.adminKey });
    expect(gone.status).toBe(409);
    expect(gone.json.error.code).toBe("not_configured");
    expect((await list(acct)).deliveries[0]).toMatchObject({ status: "delivered", redeliveries: 0 });
    expect((await api("GET", "/v1/deliveries", { key: acct.siteKey })).status).toBe(403);
    expect((await api("GET", "/v1/deliveries")).status).toBe(401);
  });

  it("the list pages newest first with cursor / nextCursor and filters by status and kind", async () => {
    const { acct, voice, tracking } = await hooked(1);
    mockNetwork((req) => new Response(null, { status: req.url.href === HOOK ? 503 : 204 }));
    const ids = [callId("a"), callId("b"), callId("c"), callId("d"), callId("e")];
    for (const id of ids) await ring(voice.callbackUrl, callBody(id, tracking[0]!, T0));
    expect((await list(acct, "?status=failing")).deliveries).toEqual([]);
    expect((await list(acct, "?status=pending")).deliveries).toHaveLength(5);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { deliveries: { callId: string }[]; nextCursor: string | null } = await list(
        acct,
        `?status=failing&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.deliveries.map((d) => d.callId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    expect((await list(acct, "?kind=ga4")).deliveries).toEqual([]);
    for (const q of ["?status=broken", "?cursor=abc", "?limit=0", "?kind=sms"]) {
      const r = await api("GET", `/v1/deliveries${q}`, { key: acct.adminKey });
      expect({ q, status: r.status, code: r.json.error.code }).toEqual({
        q,
        status: 400,
        code: q.startsWith("?cursor") ? "invalid_cursor" : "invalid_request",
      });
    }
  });
});

describe("webhook-timestamp", () => {
  it("is when the request is made, not when the alarm's run began: a slow first round does not make the next stale", async () => {
    const { acct, voice, secret } = await hooked(1);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    const ads = mockPlatforms();
    // The call's `call` and `call.completed` both due in one run: the second waits for the first
    // (a round each), and the receiver takes six minutes over the first.
    await adCall(acct, voice, { gclid: "gclid-slow" });
    const platforms = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (req.url === HOOK && req.headers.get("X-DNI-Event") === "call") at(Date.now() + 6 * 60_000);
      return platforms(req);
    });
    const began = T0 + COMPLETED_SETTLE_MS;
    at(began);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const hooks = ads.seen.filter((s) => s.url.href === HOOK);
    expect(hooks.map((h) => h.headers.get("X-DNI-Event"))).toEqual(["call", "call.completed"]);
    const completed = hooks[1]!;
    expect(Number(completed.headers.get("webhook-timestamp"))).toBeGreaterThanOrEqual(Math.floor((began + 6 * 60_000) / 1000));
    // The receiver (its clock now) takes it: a timestamp six minutes old it refuses.
    expect(receive(secret, completed).ok).toBe(true);
  });
});
