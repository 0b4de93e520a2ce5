/**
 * A call's GA4 event is built when its call is stored (the outbox keeps the body), and sent by the
 * alarm later: what may change in between must not go out stale. An erasure or a newer body while
 * the alarm waits on an ad platform; a new measurement id (another stream) before it goes.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { at, callBody, callId, callWorld, getCall, mockNetwork, ring, type Seen, T0, visit } from "./calls-helpers";
import { adCall, conversions, GOOGLE_SETTINGS } from "./conversions-helpers";
import { accountStub, api, type Created, dump, useTestClock } from "./helpers";

useTestClock(T0, { silence: ["warn", "error"] });

const GA4 = { measurementId: "G-TEST1234", apiSecret: "mp_secret_abcdef" };
const isGa4 = (s: Seen) => s.url.hostname === "www.google-analytics.com";
const events = (seen: Seen[]) => seen.filter(isGa4).map((s) => JSON.parse(s.body).events[0] as { name: string; params: Record<string, unknown> });

async function integrate(acct: Created, ga4: unknown) {
  const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { ga4 } });
  expect(r.status).toBe(200);
}

describe("GA4 events built at queue time, sent at send time", () => {
  it("a call erased while the alarm waits on its ad upload: its GA4 event went beside the upload, and nothing of the call is left", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct, GA4);
    await conversions(acct, { googleAds: GOOGLE_SETTINGS });
    let id = "";
    let erased: number | null = null;
    const net = mockNetwork(async (req) => {
      // The ad platform's first request (its OAuth token): the erasure request comes in meanwhile.
      if (!isGa4(req) && erased === null) erased = (await api("DELETE", `/v1/calls/${id}`, { key: acct.adminKey })).status;
      return new Response(null, { status: isGa4(req) ? 204 : 503 });
    });
    id = await adCall(acct, voice, { gclid: "gclid-erased" });
    // The ring's event goes at once (no ad upload is due yet)…
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(events(net.seen).map((e) => e.name)).toEqual(["phone_call"]);
    // …the outcome's beside the upload, after the settle time: the upload waits on its platform, the event on nothing.
    at(T0 + COMPLETED_SETTLE_MS);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(erased).toBe(204);
    expect(net.seen.filter((s) => !isGa4(s)).length).toBeGreaterThan(0);
    expect(events(net.seen).map((e) => e.name)).toEqual(["phone_call", "phone_call_completed"]);
    expect((await getCall(acct, id)).status).toBe(404);
    // The upload's answer (a 503 to retry) wrote nothing back for the erased call.
    expect(await dump(accountStub(acct.accountId))).not.toContain("gclid-erased");
  });

  it("a call whose provider's clock runs ahead of ours: its outcome's event is dated when it is sent, never in the future", async () => {
    const { acct, voice } = await callWorld(1);
    await integrate(acct, GA4);
    const net = mockNetwork();
    const v = await visit(acct, { name: "google", utm: { source: "google" }, gaClientId: "GA1.1.42.1700000000" });
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0))).status).toBe(200);
    // The provider says the call ended 50 s from our now (a clock ahead, within the minute a report's
    // end is taken up to; further ahead, the end is when the report came: voice-provider-events.test.ts).
    const r = await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 30, endTime: T0 + 50_000 });
    expect(r.status).toBe(200);
    expect((await getCall(acct, id)).json.endedAt).toBe(T0 + 50_000);
    at(T0 + COMPLETED_SETTLE_MS);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const sent = events(net.seen).map((e, i) => [e.name, JSON.parse(net.seen.filter(isGa4)[i]!.body).timestamp_micros]);
    expect(sent).toEqual([
      ["phone_call", T0 * 1000],
      ["phone_call_completed", (T0 + COMPLETED_SETTLE_MS) * 1000],
    ]);
  });

  it("a new measurement id (another stream) before the event goes: it carries that stream's session id, or none, never the old stream's", async () => {
    const { acct, voice } = await callWorld(2);
    await integrate(acct, GA4);
    const net = mockNetwork();
    const GA = "_ga=GA1.1.42.1700000000";
    const OLD = "_ga_TEST1234=GS2.1.s1747132561$o3$g1$t1747132655";
    const NEW = "_ga_NEW5678=GS2.1.s1747130000$o9$g1$t1747132600";
    const call = async (cookies: string[]) => {
      const v = await visit(acct, { name: "google", utm: { source: "google" }, gaClientId: cookies });
      const id = callId();
      expect((await ring(voice.callbackUrl, callBody(id, v.number, T0))).status).toBe(200);
      return id;
    };
    // Both queued for G-TEST1234 (the old stream's session id in their body)…
    const both = await call([GA, OLD, NEW]);
    const oldOnly = await call([GA, OLD]);
    // …then the account moves to another stream before the alarm sends them.
    await integrate(acct, { measurementId: "G-NEW5678", apiSecret: "mp_secret_abcdef" });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const sent = net.seen.filter(isGa4);
    expect(sent.map((s) => s.url.searchParams.get("measurement_id"))).toEqual(["G-NEW5678", "G-NEW5678"]);
    const byCall = Object.fromEntries(events(net.seen).map((e) => [e.params.call_id, e.params.session_id ?? null]));
    expect(byCall).toEqual({ [both]: "1747130000", [oldOnly]: null });
  });
});
