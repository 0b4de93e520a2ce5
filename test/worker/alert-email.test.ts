/**
 * Alerts by email through Resend's HTTP API, at the network edge: pool warning / exhausted /
 * recovered, scaling and failing-delivery alerts, from the owner's template, once per episode,
 * retried like webhooks with the same Idempotency-Key.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SUBJECT } from "../../worker/account/alert-email";
import { FAILING_AFTER } from "../../worker/account/delivery-alerts";
import { at, callBody, callId, callWorld, mockNetwork, ring, type Seen, T0 } from "./calls-helpers";
import { accountStub, allocate, api, type Created, createAccount, createPool, freshNumbers, poolStub, sessionId, useTestClock } from "./helpers";

const RESEND = "https://api.resend.com/emails";
const KEY = "re_test_0123456789abcdef";
const EMAIL = { apiKey: KEY, from: "DNI Alerts <alerts@shop.example>", to: ["ops@shop.example", "owner@shop.example"] };

useTestClock(T0, { silence: ["warn"] });

interface SentEmail {
  from?: string;
  to?: string[];
  subject?: string;
  text?: string;
  headers: Headers;
}
const emails = (seen: Seen[]): SentEmail[] =>
  seen.filter((s) => s.url.href === RESEND).map((s) => ({ ...(JSON.parse(s.body) as Omit<SentEmail, "headers">), headers: s.headers }));

async function setEmail(acct: Created, alertEmail: Record<string, unknown> | null) {
  return api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertEmail } });
}

async function warningPool(size = 5) {
  const acct = await createAccount();
  await createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: freshNumbers(size),
    destinations: ["+12127365000"],
    leaseSeconds: 120,
    graceSeconds: 0,
    status: "warning",
    isDefault: true,
  });
  return acct;
}

async function flush(acct: Created) {
  await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
  await runDurableObjectAlarm(accountStub(acct.accountId));
}

describe("alerts by email (Resend)", () => {
  it("a pool episode sends one email per alert, from the default template, to every recipient; the key is write-only", async () => {
    const acct = await warningPool(5);
    const set = await setEmail(acct, EMAIL);
    expect(set.status).toBe(200);
    expect(set.json.alertEmail).toMatchObject({ provider: "resend", apiKeyHint: "…cdef", from: EMAIL.from, to: EMAIL.to, subject: DEFAULT_SUBJECT });
    expect(JSON.stringify(set.json)).not.toContain(KEY);
    const net = mockNetwork((req) => (req.url.href === RESEND ? Response.json({ id: "email-1" }) : new Response(null, { status: 204 })));
    for (let i = 0; i < 4; i++) expect((await allocate(acct.siteKey, sessionId())).status).toBe(200); // 80 %
    await flush(acct);
    for (let i = 0; i < 3; i++) await allocate(acct.siteKey, sessionId()); // dry: the 6th finds none
    await flush(acct);
    // More traffic in the same episode: no more email.
    await allocate(acct.siteKey, sessionId());
    await flush(acct);
    const sent = emails(net.seen);
    expect(sent.map((e) => e.subject)).toEqual(["[edge-dni] Pool running low: Web", "[edge-dni] Pool ran dry: Web"]);
    const [warning] = sent;
    expect(warning).toMatchObject({ from: EMAIL.from, to: EMAIL.to });
    expect(warning!.text).toContain('Pool "Web" is 80 % leased (4 of 5 numbers)');
    expect(warning!.text).toContain("Alert: pool.warning");
    expect(warning!.text).toContain("What to do:\n- ");
    const req = net.seen.find((s) => s.url.href === RESEND)!;
    expect(req.method).toBe("POST");
    expect(req.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(req.headers.get("Content-Type")).toBe("application/json");
    expect(req.headers.get("Idempotency-Key")).toMatch(/^msg_/);
    // Recovery: the leases run out.
    at(T0 + 200_000);
    await allocate(acct.siteKey, sessionId());
    await flush(acct);
    expect(emails(net.seen).map((e) => e.subject)).toContain("[edge-dni] Pool recovered: Web");
  });

  it("the owner's template is used; a failed send is retried with the same Idempotency-Key", async () => {
    const acct = await warningPool(5);
    expect(
      (
        await setEmail(acct, {
          ...EMAIL,
          subject: "DNI {{type}} on {{pool}}",
          text: "Hello,\n{{message}}\n({{at}})\n{{unknown}}{{constructor}}{{ toString }}.",
        })
      ).status,
    ).toBe(200);
    let status = 503;
    const net = mockNetwork((req) => new Response(null, { status: req.url.href === RESEND ? status : 204 }));
    for (let i = 0; i < 4; i++) await allocate(acct.siteKey, sessionId());
    await flush(acct);
    const first = net.seen.filter((s) => s.url.href === RESEND);
    expect(first).toHaveLength(1);
    const list = (await api("GET", "/v1/deliveries?kind=alert_email", { key: acct.adminKey })).json.deliveries;
    expect(list).toMatchObject([{ kind: "alert_email", event: "pool.warning", status: "pending", attempts: 1, lastStatus: 503, callId: null }]);
    status = 200;
    at(list[0].nextAttemptAt);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const all = net.seen.filter((s) => s.url.href === RESEND);
    expect(all).toHaveLength(2);
    expect(all[1]!.headers.get("Idempotency-Key")).toBe(all[0]!.headers.get("Idempotency-Key"));
    const body = JSON.parse(all[1]!.body);
    expect(body.subject).toBe("DNI pool.warning on Web (web)");
    expect(body.text).toBe(`Hello,\n${JSON.parse(all[0]!.body).text.split("\n")[1]}\n(${new Date(T0).toISOString()})\n.`);
    expect(body.text).toContain('Pool "Web" is 80 % leased');
    // Redelivered (one more email, asked for): a key of its own, not the first one's (Resend would
    // answer from its 24 h cache and send nothing), each redelivery its own.
    const id = list[0].id as string;
    for (let i = 0; i < 2; i++) {
      expect((await api("POST", `/v1/deliveries/${id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
      await runDurableObjectAlarm(accountStub(acct.accountId));
    }
    const keys = net.seen.filter((s) => s.url.href === RESEND).map((s) => s.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(4);
    expect(new Set(keys.slice(1)).size).toBe(3);
  });

  it("failing deliveries alert once per episode (and not through the failing channel); recovery is told too", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: "https://hooks.example/dni" } } });
    expect((await setEmail(acct, EMAIL)).status).toBe(200);
    let hookStatus = 500;
    const net = mockNetwork((req) => new Response(null, { status: req.url.href === "https://hooks.example/dni" ? hookStatus : 200 }));
    await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0));
    await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0));
    const stub = accountStub(acct.accountId);
    for (let i = 0; i < FAILING_AFTER + 1; i++) {
      const next = (await api("GET", "/v1/deliveries?kind=webhook", { key: acct.adminKey })).json.deliveries[0].nextAttemptAt;
      at(Math.max(Date.now(), next));
      await runDurableObjectAlarm(stub);
      await runDurableObjectAlarm(stub); // the alert email queued by the failure
    }
    const failing = emails(net.seen).filter((e) => String(e.subject).includes("Deliveries failing"));
    expect(failing).toHaveLength(1);
    expect(failing[0]!.text).toContain(`Calls webhook deliveries are failing`);
    expect(failing[0]!.text).toContain("HTTP 500");
    hookStatus = 200;
    // Both rows' next attempts (each wait is jittered on its own): recovery is told once none is left failing.
    const rows = (await api("GET", "/v1/deliveries?kind=webhook", { key: acct.adminKey })).json.deliveries as { nextAttemptAt: number }[];
    at(Math.max(...rows.map((d) => d.nextAttemptAt)));
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(emails(net.seen).map((e) => e.subject)).toEqual(["[edge-dni] Deliveries failing", "[edge-dni] Deliveries recovered"]);
  });

  it("a webhook removed on purpose, its pending deliveries dead with it, is no failing receiver: no alert", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: "https://hooks.example/dni" } } });
    expect((await setEmail(acct, EMAIL)).status).toBe(200);
    const net = mockNetwork(() => new Response(null, { status: 200 }));
    await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, T0));
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: null } })).status).toBe(200);
    const stub = accountStub(acct.accountId);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    const dead = (await api("GET", "/v1/deliveries?kind=webhook&status=dead", { key: acct.adminKey })).json.deliveries;
    expect(dead.map((d: { lastError: string }) => d.lastError)).toEqual(["webhook is no longer configured for this account"]);
    expect(emails(net.seen)).toEqual([]);
  });

  it("one row the receiver always refuses, others delivered between its retries: one failing alert, one recovery once it is dead, not a pair per retry", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: "https://hooks.example/dni" } } });
    expect((await setEmail(acct, EMAIL)).status).toBe(200);
    const bad = callId("refused");
    const net = mockNetwork((req) => new Response(null, { status: req.url.href === "https://hooks.example/dni" && req.body.includes(bad) ? 422 : 200 }));
    await ring(voice.callbackUrl, callBody(bad, tracking[0]!, T0));
    const stub = accountStub(acct.accountId);
    const row = async () =>
      (
        (await api("GET", "/v1/deliveries?kind=webhook&limit=100", { key: acct.adminKey })).json.deliveries as {
          callId: string;
          status: string;
          nextAttemptAt: number;
        }[]
      ).find((d) => d.callId === bad)!;
    for (let i = 0; i < 40 && (await row()).status !== "dead"; i++) {
      at(Math.max(Date.now(), (await row()).nextAttemptAt));
      await runDurableObjectAlarm(stub);
      await runDurableObjectAlarm(stub);
      // Another call between the retries, delivered at once.
      await ring(voice.callbackUrl, callBody(callId(), tracking[0]!, Date.now()));
      await runDurableObjectAlarm(stub);
      await runDurableObjectAlarm(stub);
    }
    expect((await row()).status).toBe("dead");
    const subjects = emails(net.seen)
      .map((e) => String(e.subject))
      .filter((s) => s.includes("Deliveries"));
    expect(subjects).toEqual(["[edge-dni] Deliveries failing", "[edge-dni] Deliveries recovered"]);
  });

  it("a scaling event (raised by the account's autoscaling) goes out by email and alert webhook, once per key", async () => {
    const acct = await createAccount();
    await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: "https://hooks.example/alerts" } } });
    await setEmail(acct, EMAIL);
    const net = mockNetwork();
    const stub = accountStub(acct.accountId);
    const payload = JSON.stringify({
      type: "pool.scaled",
      accountId: acct.accountId,
      at: T0,
      pool: { id: "web", name: "Web" },
      message: "Pool Web grew from 10 to 14 numbers.",
    });
    expect(await stub.raiseAlert("scale/web/1", payload, T0)).toEqual({ ok: true, value: true });
    expect(await stub.raiseAlert("scale/web/1", payload, T0)).toEqual({ ok: true, value: true });
    await runDurableObjectAlarm(stub);
    expect(emails(net.seen).map((e) => e.subject)).toEqual(["[edge-dni] Pool scaled: Web"]);
    const hooks = net.seen.filter((s) => s.url.href === "https://hooks.example/alerts");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.headers.get("X-DNI-Event")).toBe("pool.scaled");
  });

  it("settings are validated and a refusal changes nothing; null removes alert email", async () => {
    const acct = await createAccount();
    const first = await setEmail(acct, { from: EMAIL.from, to: EMAIL.to });
    expect(first.status).toBe(400);
    expect(first.json.error.details).toEqual([{ path: "alertEmail.apiKey", message: "is required: a Resend API key re_…" }]);
    expect((await setEmail(acct, EMAIL)).status).toBe(200);
    const before = await api("GET", "/v1/account/integrations", { key: acct.adminKey });
    for (const bad of [
      { ...EMAIL, apiKey: "sk_live_nope" },
      { ...EMAIL, to: [] },
      { ...EMAIL, to: ["not an address"] },
      { ...EMAIL, from: "nobody" },
      { ...EMAIL, provider: "sendgrid" },
      { ...EMAIL, extra: true },
    ]) {
      const r = await setEmail(acct, bad);
      expect({ bad, status: r.status, code: r.json.error.code }).toEqual({ bad, status: 400, code: "invalid_request" });
    }
    expect(await api("GET", "/v1/account/integrations", { key: acct.adminKey })).toEqual(before);
    // A new recipient list without a key keeps the key.
    const kept = await setEmail(acct, { from: EMAIL.from, to: ["new@shop.example"] });
    expect(kept.json.alertEmail).toMatchObject({ apiKeyHint: "…cdef", to: ["new@shop.example"] });
    expect((await setEmail(acct, null)).json.alertEmail).toBeNull();
  });
});
