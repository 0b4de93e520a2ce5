/**
 * The integrations' secrets at rest (worker/account/integration-secrets.ts): the GA4 API secret, the
 * webhooks' signing secrets and the alert email's Resend key are sealed with SECRETS_KEY, so the
 * account object's storage holds none of them; an account from before keeps working and has them
 * sealed at its wake after the upgrade (or, on a deployment without SECRETS_KEY, uses them in clear
 * until one is set); with no SECRETS_KEY none can be set, and a secret that cannot be opened sends
 * nothing unsigned. Deliveries are checked as their receivers check them (the
 * `standardwebhooks` library, GA4's api_secret, Resend's bearer key).
 */
import { abortAllDurableObjects, env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../worker/account/account";
import { INTEGRATION_SECRETS_MIGRATION } from "../../worker/account/integration-secrets";
import { at, callBody, callId, callWorld, mockNetwork, ring, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, dump, poolStub, useTestClock } from "./helpers";
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

/** Integration settings as the version before sealing stored them: secrets in clear in the account's columns (as JSON). */
const inClear = (acct: Created, columns: Record<string, unknown>) =>
  runInDurableObject(accountStub(acct.accountId), (_i, state) => {
    for (const [column, value] of Object.entries(columns)) state.storage.sql.exec(`UPDATE account SET ${column} = ?`, JSON.stringify(value));
  });

/**
 * The account object's schema as the version before sealing left it: one migration short of
 * sealed secrets. Later migrations' tables and columns go too, to be made again at the wake (they
 * only create tables and add columns).
 */
const schemaBeforeSealing = (acct: Created) =>
  runInDurableObject(accountStub(acct.accountId), (_i, state) => {
    const sql = state.storage.sql;
    const version = MIGRATIONS.indexOf(INTEGRATION_SECRETS_MIGRATION);
    // Undone newest first: a later step's column or index may be on an earlier step's table.
    for (const m of MIGRATIONS.slice(version).reverse()) {
      for (const [, index] of m.matchAll(/CREATE INDEX (?:IF NOT EXISTS )?(\w+)/g)) sql.exec(`DROP INDEX IF EXISTS ${index}`);
      for (const [, table, column] of m.matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+)/g)) sql.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
      for (const [, table] of m.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)) sql.exec(`DROP TABLE ${table}`);
    }
    sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(version));
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
    expect(r.json.ga4).toEqual({ measurementId: "G-TEST123", apiSecretHint: "…89AB", region: "global" });
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

  it("an account from before sealing: the wake after the upgrade seals what it held in clear, and every delivery keeps working", async () => {
    // A warning pool of one number: the visit that calls runs it dry, a pool alert.
    const world = await callWorld(1, { status: "warning" });
    const { acct } = world;
    const alertSecret = `whsec_${btoa("the alert webhook's 32 bytes!!!!")}`;
    await inClear(acct, {
      ga4: { measurementId: "G-TEST123", apiSecret: GA4_SECRET },
      webhook: { url: HOOK, secret: WEBHOOK_SECRET },
      alert_webhook: { url: ALERT_HOOK, secret: alertSecret },
      alert_email: { provider: "resend", apiKey: RESEND_KEY, from: FULL.alertEmail.from, to: FULL.alertEmail.to, subject: null, text: null },
    });
    await schemaBeforeSealing(acct);
    await evictDurableObject(accountStub(acct.accountId));
    // The first request wakes it: migrated and sealed before it is answered.
    const after = await api("GET", "/v1/account/integrations", { key: acct.adminKey });
    expect(after.json).toMatchObject({
      ga4: { measurementId: "G-TEST123", apiSecretHint: "…89AB", region: "global" },
      webhook: { url: HOOK, secret: WEBHOOK_SECRET },
      alertWebhook: { url: ALERT_HOOK, secret: alertSecret },
      alertEmail: { apiKeyHint: "…cdef", to: FULL.alertEmail.to },
    });
    await expectNoneInStorage(acct, [GA4_SECRET, WEBHOOK_SECRET, alertSecret, RESEND_KEY]);

    const net = mockNetwork((req) => (req.url.hostname === "api.resend.com" ? Response.json({ id: "email-1" }) : new Response(null, { status: 204 })));
    await callAndDeliver(world);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const hook = net.seen.filter((s) => s.url.href === HOOK);
    expect(hook).toHaveLength(1);
    expect(receive(WEBHOOK_SECRET, hook[0]!).ok).toBe(true);
    expect(net.seen.filter((s) => s.url.searchParams.get("api_secret") === GA4_SECRET)).toHaveLength(1);
    const alerts = net.seen.filter((s) => s.url.href === ALERT_HOOK);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expect(receive(alertSecret, a).ok).toBe(true);
    const emails = net.seen.filter((s) => s.url.hostname === "api.resend.com");
    expect(emails.length).toBeGreaterThan(0);
    for (const e of emails) expect(e.headers.get("authorization")).toBe(`Bearer ${RESEND_KEY}`);
  });

  it("an account from before sealing on a deployment without SECRETS_KEY keeps its clear secrets and uses them; none is lost, none is written in clear", async () => {
    const world = await callWorld(1);
    const { acct } = world;
    // Migrated (as the wake did), but not sealed: the deployment had no SECRETS_KEY.
    await inClear(acct, { ga4: { measurementId: "G-TEST123", apiSecret: GA4_SECRET }, webhook: { url: HOOK, secret: WEBHOOK_SECRET } });
    await useSecretsKey(acct, undefined);
    const before = await api("GET", "/v1/account/integrations", { key: acct.adminKey });
    expect(before.json).toMatchObject({ ga4: { apiSecretHint: "…89AB", region: "global" }, webhook: { url: HOOK, secret: WEBHOOK_SECRET } });
    // Its deliveries go out, signed with the secret it holds.
    const net = mockNetwork();
    await callAndDeliver(world);
    const hook = net.seen.filter((s) => s.url.href === HOOK);
    expect(hook).toHaveLength(1);
    expect(receive(WEBHOOK_SECRET, hook[0]!).ok).toBe(true);
    expect(net.seen.filter((s) => s.url.searchParams.get("api_secret") === GA4_SECRET)).toHaveLength(1);
    // A change would write the secrets it keeps, which cannot be sealed: refused, nothing changed.
    const stored = await dump(accountStub(acct.accountId));
    const refused = await integrations(acct, { webhook: { url: `${HOOK}/v2` } });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe("secrets_unavailable");
    expect(await dump(accountStub(acct.accountId))).toBe(stored);
    // The deploy that sets SECRETS_KEY restarts every object: sealed at that wake, the same secrets.
    await abortAllDurableObjects();
    expect((await api("GET", "/v1/account/integrations", { key: acct.adminKey })).json).toEqual(before.json);
    await expectNoneInStorage(acct, [GA4_SECRET, WEBHOOK_SECRET]);
  });

  it("without SECRETS_KEY none can be set (503, nothing stored); one sealed that cannot be opened sends nothing unsigned, and is kept", async () => {
    const world = await callWorld(1);
    const { acct } = world;
    expect((await integrations(acct, { ga4: FULL.ga4, webhook: { url: HOOK, secret: WEBHOOK_SECRET }, alertEmail: FULL.alertEmail })).status).toBe(200);
    await useSecretsKey(acct, undefined);
    const before = await dump(accountStub(acct.accountId));
    const refused = await integrations(acct, { ga4: { measurementId: "G-TEST123", apiSecret: "another-secret-1234" } });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe("secrets_unavailable");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    // A PATCH that keeps the secrets it cannot open keeps them as they are, hints and all.
    const kept = await integrations(acct, { alertEmail: { from: FULL.alertEmail.from, to: ["ceo@shop.example"] } });
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ ga4: { apiSecretHint: "…89AB", region: "global" }, alertEmail: { apiKeyHint: "…cdef", to: ["ceo@shop.example"] } });
    const sealedRows = () =>
      runInDurableObject(accountStub(acct.accountId), (_i, state) => state.storage.sql.exec("SELECT * FROM integration_secrets ORDER BY name").toArray());
    const rows = await sealedRows();
    expect(rows.map((r) => r.name)).toEqual(["alertEmail", "ga4", "webhook"]);
    // Neither the webhook nor GA4 goes out without its secret: they wait, saying why.
    const net = mockNetwork();
    await callAndDeliver(world);
    expect(net.seen.filter((s) => s.url.href === HOOK || s.url.hostname === "www.google-analytics.com")).toEqual([]);
    const reason = (kind: string) => `${kind}'s secret cannot be read: SECRETS_KEY is not set or lacks the key it was sealed with`;
    for (const kind of ["webhook", "ga4"]) {
      const failing = (await api("GET", `/v1/deliveries?kind=${kind}`, { key: acct.adminKey })).json.deliveries;
      expect(failing).toHaveLength(1);
      expect(failing[0]).toMatchObject({ status: "pending", lastError: reason(kind) });
    }
    // So with a SECRETS_KEY without the key they were sealed with; a PATCH meanwhile keeps them.
    await useSecretsKey(acct, "k9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect((await integrations(acct, { webhook: { url: HOOK } })).status).toBe(200);
    at(Date.now() + 3_600_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen.filter((s) => s.url.href === HOOK)).toEqual([]);
    expect(await sealedRows()).toEqual(rows);
    // The key back: both go out, with the secrets they had.
    await useSecretsKey(acct, env.SECRETS_KEY);
    at(Date.now() + 6 * 3_600_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const sent = net.seen.filter((s) => s.url.href === HOOK);
    expect(sent).toHaveLength(1);
    expect(receive(WEBHOOK_SECRET, sent[0]!).ok).toBe(true);
    expect(net.seen.filter((s) => s.url.searchParams.get("api_secret") === GA4_SECRET)).toHaveLength(1);
  });
  it("a rotated webhook's previous secret is sealed as the current one: kept by a PATCH while it cannot be opened, signing again with the key back, dropped by any PATCH once its 24 hours are over", async () => {
    const world = await callWorld(2);
    const { acct } = world;
    expect((await integrations(acct, { webhook: { url: HOOK, secret: WEBHOOK_SECRET } })).status).toBe(200);
    const rotated = await integrations(acct, { webhook: { url: HOOK, rotateSecret: true } });
    const next = rotated.json.webhook.secret as string;
    await expectNoneInStorage(acct, [WEBHOOK_SECRET, next]);
    const names = () =>
      runInDurableObject(accountStub(acct.accountId), (_i, state) =>
        state.storage.sql
          .exec<{ name: string }>("SELECT name FROM integration_secrets ORDER BY name")
          .toArray()
          .map((r) => r.name),
      );
    expect(await names()).toEqual(["webhook", "webhookPrevious"]);
    // Without the key they were sealed with, a URL-only PATCH keeps both as they are (neither signs meanwhile).
    await useSecretsKey(acct, "k9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect((await integrations(acct, { webhook: { url: HOOK } })).json.webhook).toEqual({ url: HOOK, secret: "" });
    expect(await names()).toEqual(["webhook", "webhookPrevious"]);
    // The key back: the day's end shows again, and a delivery within it verifies with either secret.
    await useSecretsKey(acct, env.SECRETS_KEY);
    expect((await api("GET", "/v1/account/integrations", { key: acct.adminKey })).json.webhook.previousSecretExpiresAt).toBe(T0 + 24 * 3_600_000);
    const net = mockNetwork();
    await callAndDeliver(world);
    const sent = net.seen.filter((r) => r.url.href === HOOK);
    expect(sent).toHaveLength(1);
    expect([receive(WEBHOOK_SECRET, sent[0]!).ok, receive(next, sent[0]!).ok]).toEqual([true, true]);
    // A day later any integrations PATCH (GA4's here) drops it.
    at(T0 + 25 * 3_600_000);
    expect((await integrations(acct, { ga4: FULL.ga4 })).json.webhook).toEqual({ url: HOOK, secret: next });
    expect(await names()).toEqual(["ga4", "webhook"]);
  });
});
