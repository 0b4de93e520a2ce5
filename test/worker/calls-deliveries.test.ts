import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GA4_TOO_OLD } from "../../worker/account/deliveries";
import { JITTER, MAX_ATTEMPTS, retryDelayMs } from "../../worker/account/outbox";
import { at, callBody, callId, callWorld, DEST, GOOGLE, getCall, mockNetwork, onlyUpkeepDue, ring, type Seen, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";
import { verifies } from "./receiver";

const HOOK = "https://hooks.example/dni";

async function integrate(
  acct: Created,
  body: Record<string, unknown> = { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" }, webhook: { url: HOOK } },
) {
  const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body });
  if (r.status !== 200) throw new Error(`integrations: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const byKind = (seen: Seen[]) => ({ ga4: seen.filter((s) => s.url.hostname === "www.google-analytics.com"), hook: seen.filter((s) => s.url.href === HOOK) });
type DeliveryJson = { kind: string; status: string; attempts: number; lastError: string | null; nextAttemptAt: number | null };
const deliveries = async (acct: Created, id: string): Promise<Record<string, DeliveryJson>> =>
  Object.fromEntries(((await getCall(acct, id)).json.deliveries as DeliveryJson[]).map((d) => [d.kind, d]));

/** Standard Webhooks secrets (whsec_ + base64 of 32 bytes). */
const SECRET_A = `whsec_${btoa("a-webhook-secret-of-32-bytes-ok!")}`;
const SECRET_B = `whsec_${btoa("b-webhook-secret-of-32-bytes-ok!")}`;

useTestClock(T0, { silence: ["warn"] }); // failed attempts are logged

describe("GA4 and webhook deliveries, at the network edge", () => {
  it("an attributed call becomes a GA4 event and a signed webhook; a failing receiver is retried with backoff, then succeeds", async () => {
    const { acct, voice } = await callWorld(1);
    const settings = await integrate(acct);
    expect(settings.ga4).toEqual({ measurementId: "G-TEST1234", apiSecretHint: "…cdef", region: "global" });
    expect(settings.webhook.url).toBe(HOOK);
    expect(settings.webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    let hookStatus = 500;
    const net = mockNetwork((req) => new Response(req.url.href === HOOK ? "receiver down" : null, { status: req.url.href === HOOK ? hookStatus : 204 }));
    const v = await visit(acct);
    const id = callId();
    const answer = await ring(voice.callbackUrl, callBody(id, v.number, T0));
    // The answer never waits on a delivery: nothing has gone out yet.
    expect(answer.status).toBe(200);
    expect(net.seen).toHaveLength(0);
    expect(await deliveries(acct, id)).toMatchObject({
      ga4: { status: "pending", attempts: 0, nextAttemptAt: T0 },
      webhook: { status: "pending", attempts: 0 },
    });

    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    const first = byKind(net.seen);
    expect(first.ga4).toHaveLength(1);
    expect(first.hook).toHaveLength(1);
    // GA4 Measurement Protocol: measurement id and API secret in the URL, the client id and the visit's source in the event.
    const ga = first.ga4[0]!;
    expect(ga.method).toBe("POST");
    expect(ga.url.pathname).toBe("/mp/collect");
    expect(Object.fromEntries(ga.url.searchParams)).toEqual({ measurement_id: "G-TEST1234", api_secret: "mp_secret_abcdef" });
    expect(JSON.parse(ga.body)).toEqual({
      client_id: GOOGLE.gaClientId,
      timestamp_micros: T0 * 1000,
      events: [
        {
          name: "phone_call",
          params: {
            source: "google",
            medium: "cpc",
            campaign: "spring",
            dni_source: "google-ads",
            gclid: "abc",
            call_id: id,
            pool: "web",
            tracking_number: v.number,
            attribution: "live",
            engagement_time_msec: 1,
          },
        },
      ],
    });
    // The webhook: the call as JSON, verifiable with the account's webhook secret.
    const hook = first.hook[0]!;
    expect(hook.headers.get("Content-Type")).toBe("application/json");
    // Standard Webhooks: the reference library verifies it with the account's secret, and only with it.
    expect(verifies(settings.webhook.secret, hook)).toBe(true);
    expect(verifies(SECRET_B, hook)).toBe(false);
    expect(verifies(settings.webhook.secret, { ...hook, body: hook.body.replace('"call"', '"call" ') })).toBe(false);
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({
      type: "call",
      accountId: acct.accountId,
      call: { id, pool: "web", attributed: true, session: v.session, source: { name: "google-ads" }, route: { action: "transfer", to: DEST } },
    });
    expect(payload.call.deliveries).toBeUndefined();

    // Status is visible: GA4 delivered, the webhook waiting for its retry.
    expect(await deliveries(acct, id)).toMatchObject({
      ga4: { status: "delivered", attempts: 1, lastStatus: 204, deliveredAt: T0, nextAttemptAt: null },
      webhook: { status: "pending", attempts: 1, lastStatus: 500, lastError: "HTTP 500" },
    });
    // The receiver's answer body is never stored or shown; the wait is jittered, never shorter than the schedule.
    const next = (await deliveries(acct, id)).webhook as unknown as { nextAttemptAt: number; lastError: string };
    expect(next.lastError).not.toContain("receiver down");
    expect(next.nextAttemptAt).toBeGreaterThanOrEqual(T0 + retryDelayMs(1));
    expect(next.nextAttemptAt).toBeLessThanOrEqual(T0 + retryDelayMs(1) * (1 + JITTER));
    // Not due yet: the alarm sends nothing early.
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(2);

    hookStatus = 200;
    at(next.nextAttemptAt);
    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    const retry = byKind(net.seen).hook;
    expect(retry).toHaveLength(2);
    expect(retry[1]!.body).toBe(hook.body); // the same body and message id, signed afresh
    expect(retry[1]!.headers.get("webhook-id")).toBe(hook.headers.get("webhook-id"));
    expect(retry[1]!.headers.get("webhook-timestamp")).toBe(String(Math.floor(next.nextAttemptAt / 1000)));
    expect(verifies(settings.webhook.secret, retry[1]!)).toBe(true);
    expect(await deliveries(acct, id)).toMatchObject({ webhook: { status: "delivered", attempts: 2, lastStatus: 200, lastError: null } });
    expect(byKind(net.seen).ga4).toHaveLength(1);
    // Nothing left: no alarm but the daily storage upkeep.
    expect(await onlyUpkeepDue(acct)).toBe(true);
  });

  it("a receiver that never recovers is retried for more than 72 h, then dead-lettered with the last error", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct, { webhook: { url: HOOK, secret: SECRET_A } });
    let calls = 0;
    mockNetwork(() => {
      calls++;
      throw new TypeError("connection refused");
    });
    const v = await visit(acct);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    // Each attempt when the worker scheduled it (the delivery's nextAttemptAt), not before.
    const sentAt: number[] = [];
    let now = T0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
      expect(calls).toBe(attempt);
      sentAt.push(now);
      if (attempt === MAX_ATTEMPTS) break;
      const next = (await deliveries(acct, id)).webhook!.nextAttemptAt!;
      expect(next).toBeGreaterThanOrEqual(now + retryDelayMs(attempt));
      at(next - 1);
      await runDurableObjectAlarm(accountStub(acct.accountId));
      expect(calls).toBe(attempt);
      now = next;
      at(now);
    }
    // The last attempt came more than 72 h after the first.
    expect(sentAt.at(-1)! - sentAt[0]!).toBeGreaterThan(72 * 3_600_000);
    const d = (await deliveries(acct, id)).webhook!;
    expect(d).toMatchObject({ kind: "webhook", status: "dead", attempts: MAX_ATTEMPTS, lastStatus: null, nextAttemptAt: null, deliveredAt: null });
    expect(d.lastError).toContain("connection refused");
    expect(await onlyUpkeepDue(acct)).toBe(true);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(calls).toBe(MAX_ATTEMPTS);
  });

  it("GA4 logs no parameter value over 100 characters: a long utm value is cut to 100 (not split inside a character), a gclid that long is left out", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" } });
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const content = `${"c".repeat(99)}😀${"d".repeat(40)}`;
    const campaign = "spring-".repeat(20);
    const gclid = `Cj0${"K".repeat(117)}`;
    const landing = `https://www.shop.example/?gclid=${gclid}&utm_source=google&utm_medium=cpc&utm_campaign=${campaign}&utm_content=${encodeURIComponent(content)}`;
    const v = await visit(acct, { ...GOOGLE, landing, utm: { source: "google", medium: "cpc", campaign, content }, clickIds: { gclid } });
    await ring(voice.callbackUrl, callBody(callId(), v.number, T0));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const params = JSON.parse(byKind(net.seen).ga4[0]!.body).events[0].params as Record<string, string>;
    expect(params.content).toBe(`${"c".repeat(99)}😀`);
    expect(params.campaign).toBe(campaign.slice(0, 100));
    expect(params.source).toBe("google");
    expect(params).not.toHaveProperty("gclid");
    // The call itself keeps them whole.
    const call = (await getCall(acct, (await api("GET", "/v1/calls", { key: acct.adminKey })).json.calls[0].id)).json;
    expect([call.source.utm.content, call.source.utm.campaign, call.source.clickIds.gclid]).toEqual([content, campaign, gclid]);
  });

  it("GA4 is never sent an event over 72 h old (it answers 2xx and dates it 72 h ago): a late retry or redelivery is dead, with why", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" } });
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const v = await visit(acct, GOOGLE);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(byKind(net.seen).ga4).toHaveLength(1);
    const ga4 = ((await getCall(acct, id)).json.deliveries as { id: string; kind: string }[]).find((d) => d.kind === "ga4")!;
    // Within 72 h of the call a redelivery goes out; four days on it does not.
    at(T0 + 71 * 3_600_000);
    expect((await api("POST", `/v1/deliveries/${ga4.id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(byKind(net.seen).ga4).toHaveLength(2);
    at(T0 + 4 * 86_400_000);
    expect((await api("POST", `/v1/deliveries/${ga4.id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(byKind(net.seen).ga4).toHaveLength(2);
    expect((await deliveries(acct, id)).ga4).toMatchObject({ status: "dead", lastError: GA4_TOO_OLD });
  });

  it("GA4 answering 4xx (the request itself is wrong: its reference says not to retry it) is dead at once; a 5xx, 408 or 429 is retried", async () => {
    for (const [status, after] of [
      [400, "dead"],
      [413, "dead"],
      [403, "dead"],
      [503, "pending"],
      [429, "pending"],
      [408, "pending"],
    ] as const) {
      const { acct, voice } = await callWorld(1);
      await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" } });
      const net = mockNetwork(() => new Response(null, { status }));
      const v = await visit(acct, GOOGLE);
      const id = callId();
      await ring(voice.callbackUrl, callBody(id, v.number, T0));
      await runDurableObjectAlarm(accountStub(acct.accountId));
      expect(byKind(net.seen).ga4).toHaveLength(1);
      const ga4 = (await deliveries(acct, id)).ga4!;
      expect({ status, after: ga4.status, attempts: ga4.attempts }).toEqual({ status, after, attempts: 1 });
      if (after === "dead") expect(ga4.lastError).toBe(`HTTP ${status}: GA4 refused the request itself; the same request is not retried`);
    }
  });

  it("GA4 region eu: events go to region1.google-analytics.com (data collected in the EU); a new secret keeps the region; a bad one is refused", async () => {
    const { acct, voice } = await callWorld(1);
    const eu = await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef", region: "eu" } });
    expect(eu.ga4).toEqual({ measurementId: "G-TEST1234", apiSecretHint: "…cdef", region: "eu" });
    // Rotating the secret without naming the region does not move collection out of the EU.
    const rotated = await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_rotated" } });
    expect(rotated.ga4).toEqual({ measurementId: "G-TEST1234", apiSecretHint: "…ated", region: "eu" });
    for (const region of ["EU", "us", "", 1, null]) {
      const r = await api("PATCH", "/v1/account/integrations", {
        key: acct.adminKey,
        body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef", region } },
      });
      expect({ region, status: r.status }).toEqual({ region, status: 400 });
    }
    const net = mockNetwork();
    const call = async () => {
      const v = await visit(acct, GOOGLE);
      await ring(voice.callbackUrl, callBody(callId(), v.number, Date.now()));
      await runDurableObjectAlarm(accountStub(acct.accountId));
    };
    await call();
    await integrate(acct, { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef", region: "global" } });
    await call();
    expect(net.seen.map((s) => `${s.url.origin}${s.url.pathname} ${s.url.searchParams.get("api_secret")}`)).toEqual([
      "https://region1.google-analytics.com/mp/collect mp_secret_rotated",
      "https://www.google-analytics.com/mp/collect mp_secret_abcdef",
    ]);
  });

  it("GA4 only for attributed calls with a GA client id; the webhook for every call; none when not configured", async () => {
    const { acct, tracking, voice } = await callWorld(2);
    const net = mockNetwork();
    const quiet = callId("quiet");
    await ring(voice.callbackUrl, callBody(quiet, tracking[0]!, T0));
    expect((await getCall(acct, quiet)).json.deliveries).toEqual([]);
    expect(await onlyUpkeepDue(acct)).toBe(true);

    await integrate(acct);
    const noGa = await visit(acct, { name: "bing", utm: { source: "bing" } });
    const withoutClient = callId("no-ga");
    await ring(voice.callbackUrl, callBody(withoutClient, noGa.number, T0));
    const unattributed = callId("free");
    const free = tracking.find((n) => n !== noGa.number)!;
    await ring(voice.callbackUrl, callBody(unattributed, free, T0));
    const unknown = callId("unknown");
    await ring(voice.callbackUrl, callBody(unknown, "+14155550100", T0));
    for (const id of [withoutClient, unattributed, unknown]) expect(Object.keys(await deliveries(acct, id))).toEqual(["webhook"]);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(byKind(net.seen)).toMatchObject({ ga4: [], hook: [{}, {}, {}] });
    const bodies = byKind(net.seen).hook.map((h) => JSON.parse(h.body).call);
    expect(bodies.find((b) => b.id === unknown)).toMatchObject({ pool: null, reason: "unknown_number", attributed: false });
  });

  it("a delivery whose integration was removed before it went out fails at once, without a request", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct);
    const net = mockNetwork();
    const v = await visit(acct);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    const cleared = await integrate(acct, { ga4: null, webhook: null });
    expect(cleared).toEqual({ ga4: null, webhook: null, alertWebhook: null, alertEmail: null });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(0);
    expect(await deliveries(acct, id)).toMatchObject({
      ga4: { status: "dead", attempts: 1 },
      webhook: { status: "dead", lastError: expect.stringContaining("no longer configured") },
    });
  });

  it("integration settings are validated and a refusal changes nothing", async () => {
    const { acct } = await callWorld(1);
    await integrate(acct, { webhook: { url: HOOK, secret: SECRET_A } });
    const before = await api("GET", "/v1/account/integrations", { key: acct.adminKey });
    for (const body of [
      { ga4: { measurementId: "UA-1234-5", apiSecret: "mp_secret_abcdef" } },
      { ga4: { measurementId: "G-TEST1234" } },
      { webhook: { url: "http://hooks.example/dni" } },
      { webhook: { url: "not a url" } },
      { webhook: { url: HOOK, secret: "short" } },
      { webhook: { url: HOOK, secret: "first_secret_0123456789" } }, // not whsec_ + base64
      { webhook: { url: HOOK, secret: "whsec_c2hvcnQ=" } }, // decodes to 5 bytes
      { webhook: { url: HOOK, extra: 1 } },
      { colour: "red" },
    ]) {
      const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body });
      expect({ body, status: r.status, code: r.json.error.code }).toEqual({ body, status: 400, code: "invalid_request" });
    }
    expect(await api("GET", "/v1/account/integrations", { key: acct.adminKey })).toEqual(before);
    // A new URL without a secret keeps the secret.
    const moved = await integrate(acct, { webhook: { url: "https://hooks.example/v2" } });
    expect(moved.webhook).toEqual({ url: "https://hooks.example/v2", secret: SECRET_A });
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.siteKey, body: {} })).status).toBe(403);
  });
});
