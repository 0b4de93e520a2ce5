/**
 * A call's outcome from the provider's status callbacks: answered with talk time, no-answer, busy,
 * a repeat, a report before its inbound call (merged when it arrives), one for a call id we never
 * see (kept as an orphan, then forgotten), and `call.completed` at the network edge (webhook, GA4).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORPHAN_TTL_MS } from "../../worker/account/call-events";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { at, callBody, callId, callWorld, GOOGLE, getCall, mockNetwork, referenceSigned, ring, storage, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";
import { verifies } from "./receiver";
import { inboundFields, nativeId, providerWorld, send, signed } from "./voice-helpers";

/** A Standard Webhooks secret: whsec_ + base64 of 32 bytes. */
const OUTCOME_SECRET = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;

const HOOK = "https://hooks.example/dni";

useTestClock(T0, { silence: ["warn"] });

/** A Twilio account whose caller visited first; `dial` sends a <Dial action> report, `status` the number's status callback. */
async function twilioCall() {
  const w = await providerWorld("twilio");
  const v = await visit(w.acct, GOOGLE);
  const id = nativeId("twilio");
  const report = async (fields: Record<string, string>, atMs = T0 + 60_000) =>
    send(await signed("twilio", w.keys, `${w.base}/status`, { CallSid: id, AccountSid: "AC1", From: "+13105550123", To: v.number, ...fields }, atMs));
  const inbound = async () => send(await signed("twilio", w.keys, w.base, inboundFields("twilio", id, v.number), T0));
  return {
    ...w,
    v,
    id,
    inbound,
    dial: (status: string, duration?: string) =>
      report({ CallStatus: "in-progress", DialCallSid: nativeId("twilio"), DialCallStatus: status, ...(duration ? { DialCallDuration: duration } : {}) }),
    status: (status: string, duration = "0") => report({ CallStatus: status, CallDuration: duration }),
  };
}

const outcomeOf = async (acct: Created, id: string) => {
  const c = (await getCall(acct, id)).json;
  return { outcome: c.outcome, talkSeconds: c.talkSeconds };
};

describe("outcomes from status callbacks", () => {
  it("answered with its talk time; no-answer and busy; the caller's own end does not override the forwarded leg", async () => {
    const a = await twilioCall();
    await a.inbound();
    expect(await outcomeOf(a.acct, a.id)).toEqual({ outcome: null, talkSeconds: null });
    expect((await a.dial("completed", "95")).headers.get("X-DNI-Report")).toBe("merged");
    expect(await outcomeOf(a.acct, a.id)).toEqual({ outcome: "answered", talkSeconds: 95 });
    await a.status("completed", "120");
    expect(await outcomeOf(a.acct, a.id)).toEqual({ outcome: "answered", talkSeconds: 95 });

    const n = await twilioCall();
    await n.inbound();
    await n.dial("no-answer");
    // The caller's call still "completed" (we answered it): the forwarded leg's no-answer stands.
    await n.status("completed", "31");
    expect(await outcomeOf(n.acct, n.id)).toEqual({ outcome: "no-answer", talkSeconds: 0 });

    const b = await twilioCall();
    await b.inbound();
    await b.dial("busy");
    expect(await outcomeOf(b.acct, b.id)).toEqual({ outcome: "busy", talkSeconds: 0 });

    // Stats and the CSV show them.
    const stats = await api("GET", "/v1/stats/calls", { key: a.acct.adminKey });
    expect(stats.json.total).toEqual({ calls: 1, attributed: 1, answered: 1, talkSeconds: 95 });
    const answered = await api("GET", "/v1/calls?outcome=answered", { key: a.acct.adminKey });
    expect(answered.json.calls.map((c: { id: string }) => c.id)).toEqual([a.id]);
    expect((await api("GET", "/v1/calls?outcome=pending", { key: a.acct.adminKey })).json.calls).toEqual([]);
    const csv = await (
      await (await import("cloudflare:test")).SELF.fetch("https://dni.test/v1/calls.csv", { headers: { Authorization: `Bearer ${a.acct.adminKey}` } })
    ).text();
    const [head, row] = csv.trim().split("\r\n");
    // By column name: later columns (click ids, the Google import columns) follow these.
    const cols = head!.split(",");
    const cells = row!.split(",");
    const cell = (name: string) => cells[cols.indexOf(name)];
    expect(cols.slice(cols.indexOf("provider"), cols.indexOf("provider") + 4)).toEqual(["provider", "outcome", "talk_seconds", "ended_at"]);
    expect([cell("provider"), cell("outcome"), cell("talk_seconds")]).toEqual(["twilio", "answered", "95"]);
  });

  it("a repeated report changes nothing; a report before its inbound call waits and is merged when the call arrives", async () => {
    const c = await twilioCall();
    const early = await c.dial("completed", "61");
    expect(early.status).toBe(200);
    expect(early.headers.get("X-DNI-Report")).toBe("orphan");
    expect((await getCall(c.acct, c.id)).status).toBe(404);
    expect((await c.dial("completed", "61")).headers.get("X-DNI-Report")).toBe("duplicate");
    const answer = await c.inbound();
    expect(answer.status).toBe(200);
    expect(await outcomeOf(c.acct, c.id)).toEqual({ outcome: "answered", talkSeconds: 61 });
    const before = await storage(c.acct, []);
    expect((await c.dial("completed", "61")).headers.get("X-DNI-Report")).toBe("duplicate");
    expect(await storage(c.acct, [])).toBe(before);
  });

  it("a report for a call id never seen is kept as an orphan, then forgotten after its time", async () => {
    const c = await twilioCall();
    expect((await c.status("completed", "12")).headers.get("X-DNI-Report")).toBe("orphan");
    const count = () =>
      runInDurableObject(accountStub(c.acct.accountId), (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM call_events").one().n);
    expect(await count()).toBe(1);
    const orphans = await api("GET", "/v1/call-reports/orphans", { key: c.acct.adminKey });
    expect(orphans.json.reports).toEqual([
      {
        callId: c.id,
        provider: "twilio",
        level: "call",
        status: "completed",
        outcome: "answered",
        talkSeconds: 12,
        endedAt: null,
        receivedAt: T0,
        reason: expect.stringMatching(/No inbound callback/),
        expiresAt: T0 + ORPHAN_TTL_MS,
      },
    ]);
    expect((await api("GET", "/v1/call-reports/orphans", { key: c.acct.siteKey })).status).toBe(403);
    at(T0 + 60_000 + ORPHAN_TTL_MS + 1);
    expect(await runDurableObjectAlarm(accountStub(c.acct.accountId))).toBe(true);
    expect(await count()).toBe(0);
  });

  it("a report with no usable status is 400 when signed, 401 when not, and stores nothing", async () => {
    const c = await twilioCall();
    await c.inbound();
    const before = await storage(c.acct, []);
    const bad = await send(await signed("twilio", c.keys, `${c.base}/status`, { CallSid: c.id }, T0));
    expect(bad.status).toBe(400);
    expect(bad.json.error.details).toEqual([{ path: "CallStatus", message: "required: the call status" }]);
    const unsigned = await send({
      ...(await signed("twilio", c.keys, `${c.base}/status`, { CallSid: c.id, CallStatus: "completed" }, T0)),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(unsigned.status).toBe(401);
    expect(await storage(c.acct, [])).toBe(before);
  });

  it("the reference provider's status callback (ours), token or signed", async () => {
    const { acct, voice } = await callWorld(1);
    const v = await visit(acct);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    const r = await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 33, endTime: T0 + 40_000 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ actions: [] });
    expect((await getCall(acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: 33, endedAt: T0 + 40_000 });
    const body = JSON.stringify({ callId: id, status: "busy" });
    const ts = String(Math.floor(T0 / 1000));
    const signedRes = await ring(
      `${voice.signedCallbackUrl}/status`,
      {},
      { raw: body, headers: await referenceSigned(voice.secret, `${voice.signedCallbackUrl}/status`, body, Number(ts) * 1000) },
    );
    expect(signedRes.headers.get("X-DNI-Report")).toBe("merged");
    // An answer at the same level wins over a later busy word.
    expect((await getCall(acct, id)).json.outcome).toBe("answered");
  });
});

describe("call.completed at the network edge", () => {
  it("the webhook gets call.completed (the ring event stays) and GA4 phone_call_completed with outcome and duration, once", async () => {
    const c = await twilioCall();
    const r = await api("PATCH", "/v1/account/integrations", {
      key: c.acct.adminKey,
      body: { ga4: { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" }, webhook: { url: HOOK, secret: OUTCOME_SECRET } },
    });
    expect(r.status).toBe(200);
    const net = mockNetwork();
    await c.inbound();
    expect(await runDurableObjectAlarm(accountStub(c.acct.accountId))).toBe(true);
    expect(net.seen.map((s) => s.headers.get("X-DNI-Event") ?? JSON.parse(s.body).events[0].name).sort()).toEqual(["call", "phone_call"]);
    net.seen.length = 0;
    // The forwarded leg ends, then the caller's call: one call.completed, with the final outcome.
    at(T0 + 100_000);
    await c.dial("completed", "95");
    await c.status("completed", "120");
    const deliveries = (await getCall(c.acct, c.id)).json.deliveries;
    expect(deliveries.filter((d: { event: string }) => d.event === "call.completed")).toHaveLength(2);
    at(T0 + 100_000 + COMPLETED_SETTLE_MS);
    expect(await runDurableObjectAlarm(accountStub(c.acct.accountId))).toBe(true);
    const hook = net.seen.filter((s) => s.url.href === HOOK);
    expect(hook).toHaveLength(1);
    expect(hook[0]!.headers.get("X-DNI-Event")).toBe("call.completed");
    expect(verifies(OUTCOME_SECRET, hook[0]!)).toBe(true);
    const payload = JSON.parse(hook[0]!.body);
    expect(payload).toMatchObject({
      type: "call.completed",
      accountId: c.acct.accountId,
      call: { id: c.id, provider: "twilio", outcome: "answered", talkSeconds: 95 },
    });
    const ga = net.seen.filter((s) => s.url.hostname === "www.google-analytics.com");
    expect(ga).toHaveLength(1);
    const event = JSON.parse(ga[0]!.body);
    expect(event.client_id).toBe(GOOGLE.gaClientId);
    expect(event.events[0]).toMatchObject({
      name: "phone_call_completed",
      params: { call_id: c.id, call_outcome: "answered", call_duration: 95, call_answered: 1, source: "google" },
    });
    // Later repeats send nothing more.
    await c.status("completed", "120");
    net.seen.length = 0;
    at(T0 + 200_000);
    await runDurableObjectAlarm(accountStub(c.acct.accountId));
    expect(net.seen).toHaveLength(0);
  });
});
