/**
 * The integrations' secrets at rest (worker/account/integration-secrets.ts): the GA4 API secret, the
 * webhooks' signing secrets and the alert email's Resend key are sealed with SECRETS_KEY, so the
 * account object's storage holds none of them; an account from before keeps working and has them
 * sealed by its next alarm; with no SECRETS_KEY they cannot be set, and a secret that cannot be
 * opened sends nothing unsigned. Deliveries are checked as their receivers check them (the
 * `standardwebhooks` library, GA4's api_secret, Resend's bearer key).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, callBody, callId, callWorld, mockNetwork, ring, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, dump, useTestClock } from "./helpers";
import { receive } from "./receiver";

const HOOK = "https://hooks.example/calls";
const ALERT_HOOK = "https://hooks.example/alerts";
const GA4_SECRET = "ga4-Secret-0123456789AB";
const RESEND_KEY = "re_test_secretkey_0123456789abcdef";
const WEBHOOK_SECRET = `whsec_${btoa("a webhook secret of 32 bytes!!!!")}`;

useTestClock(T0, { silence: ["warn", "error"] });

const integrations = (acct: Created, body: unknown) => api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body });
const FULL = {
  ga4: { measurementId: "G-TEST123", apiSecret: GA4_SECRET },
  webhook: { url: HOOK, secret: WEBHOOK_SECRET },
  alertWebhook: { url: ALERT_HOOK },
  alertEmail: { apiKey: RESEND_KEY, from: "DNI <alerts@shop.example>", to: ["ops@shop.example"] },
};

/** The account object's storage holds none of these in clear. */
async function expectNoneInStorage(acct: Created, secrets: string[]) {
  const stored = await dump(accountStub(acct.accountId));
  for (const s of secrets) expect(stored).not.toContain(s);
}

/** Sets the SECRETS_KEY the account object's integration secrets are sealed and opened with. */
const useSecretsKey = (acct: Created, key: string | undefined) =>
  runInDurableObject(accountStub(acct.accountId), (instance) => {
    (instance as unknown as { secrets: { secretsKey: string | undefined } }).secrets.secretsKey = key;
  });

/** A visit from an ad (with a GA client id) that calls, then the alarm: its webhook and GA4 event go out. */
async function callAndDeliver(world: Awaited<ReturnType<typeof callWorld>>) {
  const v = await visit(world.acct);
  expect((await ring(world.voice.callbackUrl, callBody(callId("sealed"), v.number, Date.now()))).status).toBe(200);
  await runDurableObjectAlarm(accountStub(world.acct.accountId));
}

describe("integration secrets at rest", () => {
  it("are sealed: storage holds none of them, the API shows hints (and the webhooks' secrets), deliveries verify", async () => {
    const world = await callWorld(1);
    const { acct } = world;
    const r = await integrations(acct, FULL);
    expect(r.status).toBe(200);
    expect(r.json.ga4).toEqual({ measurementId: "G-TEST123", apiSecretHint: "…89AB" });
    expect(r.json.webhook).toEqual({ url: HOOK, secret: WEBHOOK_SECRET });
    const alertSecret = r.json.alertWebhook.secret as string;
    expect(alertSecret).toMatch(/^whsec_/);
    expect(r.json.alertEmail.apiKeyHint).toBe("…cdef");
    await expectNoneInStorage(acct, [GA4_SECRET, RESEND_KEY, WEBHOOK_SECRET, alertSecret]);
    // A PATCH that leaves a secret out keeps it.
    const kept = await integrations(acct, { webhook: { url: HOOK }, alertEmail: { from: FULL.alertEmail.from, to: ["ceo@shop.example"] } });
    expect(kept.json.webhook.secret).toBe(WEBHOOK_SECRET);
    expect(kept.json.alertEmail).toMatchObject({ apiKeyHint: "…cdef", to: ["ceo@shop.example"] });
    expect((await api("GET", "/v1/account/integrations", { key: acct.adminKey })).json).toEqual(kept.json);

    const net = mockNetwork((req) => new Response(req.url.href === HOOK ? (receive(WEBHOOK_SECRET, req).ok ? "ok" : "bad") : null, { status: 200 }));
    await callAndDeliver(world);
    const hook = net.seen.filter((s) => s.url.href === HOOK);
    expect(hook).toHaveLength(1);
    expect(receive(WEBHOOK_SECRET, hook[0]!).ok).toBe(true);
    const ga4 = net.seen.filter((s) => s.url.hostname === "www.google-analytics.com");
    expect(ga4).toHaveLength(1);
    expect(ga4[0]!.url.searchParams.get("api_secret")).toBe(GA4_SECRET);
  });

  it("an account from before sealing keeps working, and its next alarm seals what it held in clear", async () => {
    const world = await callWorld(1);
    const { acct } = world;
    // As the version before stored them: in clear, in the account row.
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE account SET ga4 = ?, webhook = ?",
        JSON.stringify({ measurementId: "G-TEST123", apiSecret: GA4_SECRET }),
        JSON.stringify({ url: HOOK, secret: WEBHOOK_SECRET }),
      );
    });
    const before = await api("GET", "/v1/account/integrations", { key: acct.adminKey });
    expect(before.json.ga4.apiSecretHint).toBe("…89AB");
    expect(before.json.webhook.secret).toBe(WEBHOOK_SECRET);
    const net = mockNetwork();
    await callAndDeliver(world);
    await expectNoneInStorage(acct, [GA4_SECRET, WEBHOOK_SECRET]);
    expect((await api("GET", "/v1/account/integrations", { key: acct.adminKey })).json).toEqual(before.json);
    // The event of the alarm that sealed them went out with them, as the next one does.
    await callAndDeliver(world);
    const hooks = net.seen.filter((s) => s.url.href === HOOK);
    expect(hooks).toHaveLength(2);
    for (const h of hooks) expect(receive(WEBHOOK_SECRET, h).ok).toBe(true);
    expect(net.seen.filter((s) => s.url.searchParams.get("api_secret") === GA4_SECRET)).toHaveLength(2);
  });

  it("without SECRETS_KEY none can be set (503, nothing stored); one sealed with a key no longer there sends nothing unsigned, and is kept", async () => {
    const world = await callWorld(1);
    const { acct } = world;
    expect((await integrations(acct, { webhook: { url: HOOK, secret: WEBHOOK_SECRET } })).status).toBe(200);
    await useSecretsKey(acct, undefined);
    const before = await dump(accountStub(acct.accountId));
    const refused = await integrations(acct, { ga4: FULL.ga4 });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe("secrets_unavailable");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    // A SECRETS_KEY without the key the secret was sealed with: the webhook waits, nothing is sent.
    await useSecretsKey(acct, "k9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const net = mockNetwork();
    await callAndDeliver(world);
    expect(net.seen.filter((s) => s.url.href === HOOK)).toEqual([]);
    const failing = (await api("GET", "/v1/deliveries?kind=webhook", { key: acct.adminKey })).json.deliveries;
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ status: "pending", lastError: "webhook's secret cannot be read: SECRETS_KEY is missing the key it was sealed with" });
    // A PATCH meanwhile (of another setting) keeps the sealed secret it cannot open as it is.
    expect((await integrations(acct, { ga4: FULL.ga4 })).status).toBe(200);
    // The key back: the webhook goes out, signed with the secret it had.
    await useSecretsKey(acct, env.SECRETS_KEY);
    at(Date.now() + 3_600_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const sent = net.seen.filter((s) => s.url.href === HOOK);
    expect(sent).toHaveLength(1);
    expect(receive(WEBHOOK_SECRET, sent[0]!).ok).toBe(true);
  });
});
