/**
 * Bought numbers are given back at the provider only once no pool of the account routes them:
 * removed (or their pool deleted), then the last lease + grace over, and not put back meanwhile.
 * A call in between still routes to the pool and is attributed.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RELEASE_ALERT_ATTEMPTS, RELEASES_PER_SWEEP } from "../../worker/account/number-release";
import { ALERT_HOOK } from "./ad-platforms";
import { at, callBody, callId, DEST, GOOGLE, getCall, mockNetwork, ring, T0, visit, voiceOf } from "./calls-helpers";
import { accountStub, api, type Created, createAccount, useTestClock } from "./helpers";
import { holdRequests } from "./network-gates";
import { FakeTwilio, stock, TWILIO_SID, TWILIO_TOKEN } from "./numbers-fakes";

const HOLD = (60 + 120) * 1000; // lease + grace of the pool below

async function boughtPool(quantity: number) {
  const acct = await createAccount();
  // The account answers calls with the reference provider; its numbers are bought from Twilio.
  await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { credentials: { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } } } });
  const twilio = new FakeTwilio(stock("510", quantity));
  mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
  const r = await api("POST", "/v1/pools", {
    key: acct.adminKey,
    body: {
      id: "web",
      name: "Web",
      destinations: [DEST],
      leaseSeconds: 60,
      graceSeconds: 120,
      isDefault: true,
      order: { country: "US", areaCode: "510", quantity, provider: "twilio" },
    },
  });
  expect(r.status).toBe(201);
  await runDurableObjectAlarm(accountStub(acct.accountId));
  const pool = (await api("GET", "/v1/pools/web", { key: acct.adminKey })).json;
  expect(pool.trackingNumbers).toHaveLength(quantity);
  expect(pool.numberProviders).toEqual(Object.fromEntries(pool.trackingNumbers.map((n: string) => [n, "twilio"])));
  return { acct, twilio, orderId: r.json.order.id as string, voice: await voiceOf(acct) };
}

const sweep = async (acct: Created, ms: number) => {
  at(ms);
  await runDurableObjectAlarm(accountStub(acct.accountId));
};

useTestClock(T0, { silence: ["warn"] });

describe("releasing bought numbers", () => {
  it("a removed number keeps routing and attributing until lease + grace, then is released at the provider", async () => {
    const { acct, twilio, orderId, voice } = await boughtPool(2);
    const v = await visit(acct);
    const removedAt = T0 + 10_000;
    at(removedAt);
    const r = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [v.number] } });
    expect(r.status).toBe(200);
    // Before lease + grace: not released, and a call on it is still the visit's.
    await sweep(acct, removedAt + HOLD - 1);
    expect(twilio.released).toEqual([]);
    const id = callId();
    at(removedAt + 100_000);
    const answer = await ring(voice.callbackUrl, callBody(id, v.number, removedAt + 100_000));
    expect(answer.status).toBe(200);
    expect((await getCall(acct, id)).json).toMatchObject({ pool: "web", attributed: true, session: v.session, source: { name: GOOGLE.name } });
    // After: released, exactly once; the other number stays.
    await sweep(acct, removedAt + HOLD);
    expect(twilio.released).toEqual([v.number]);
    await sweep(acct, removedAt + 2 * HOLD);
    expect(twilio.released).toEqual([v.number]);
    expect(twilio.requests("DELETE", /IncomingPhoneNumbers/)).toHaveLength(1);
    const order = (await api("GET", `/v1/orders/${orderId}`, { key: acct.adminKey })).json;
    expect(Object.fromEntries(order.numbers.map((n: { number: string; state: string }) => [n.number, n.state]))).toMatchObject({ [v.number]: "released" });
    expect(order.numbers.filter((n: { state: string }) => n.state === "added")).toHaveLength(1);
  });

  it("a number put back into a pool before its hold ends is not released; a failed release is retried", async () => {
    const { acct, twilio } = await boughtPool(3);
    const [a, b] = (await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.trackingNumbers as string[];
    await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [a, b] } });
    at(T0 + 60_000);
    await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { add: [a] } });
    twilio.faults.push({
      match: (req) => req.method === "DELETE",
      answer: () => new Response(JSON.stringify({ code: 20500, message: "Internal Server Error", status: 500 }), { status: 500 }),
    });
    await sweep(acct, T0 + HOLD);
    expect(twilio.released).toEqual([]); // b's release failed; a is in the pool again
    await sweep(acct, T0 + HOLD + 30_000);
    expect(twilio.released).toEqual([b]);
    expect(twilio.numbers()).toContain(a);
  });

  it("a number already given back at the provider (its DELETE is 404) counts as released, not as a failure to retry", async () => {
    const { acct, twilio, orderId } = await boughtPool(2);
    const [gone, kept] = (await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.trackingNumbers as [string, string];
    await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [gone] } });
    // The owner released it in Twilio's console meanwhile.
    for (const [sid, n] of twilio.owned) if (n.stock.number === gone) twilio.owned.delete(sid);
    await sweep(acct, T0 + HOLD);
    await sweep(acct, T0 + HOLD + 3_600_000);
    expect(twilio.requests("DELETE", /IncomingPhoneNumbers/)).toHaveLength(1);
    const order = (await api("GET", `/v1/orders/${orderId}`, { key: acct.adminKey })).json;
    expect(Object.fromEntries(order.numbers.map((n: { number: string; state: string }) => [n.number, n.state]))).toEqual({
      [gone]: "released",
      [kept]: "added",
    });
  });

  it("deleting the pool releases its bought numbers once their hold is over", async () => {
    const { acct, twilio } = await boughtPool(2);
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    await sweep(acct, T0 + HOLD - 1);
    expect(twilio.released).toEqual([]);
    await sweep(acct, T0 + HOLD);
    expect(twilio.released.sort()).toEqual(twilio.purchases.slice().sort());
    expect(twilio.numbers()).toEqual([]);
  });

  it("a deleted pool of many bought numbers is given back RELEASES_PER_SWEEP at a time, the alarm coming back at once for the rest", async () => {
    const { acct, twilio } = await boughtPool(RELEASES_PER_SWEEP + 10);
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    await sweep(acct, T0 + HOLD);
    expect(twilio.released).toHaveLength(RELEASES_PER_SWEEP);
    const next = await runInDurableObject(accountStub(acct.accountId), (_i, state) => state.storage.getAlarm());
    expect(next).toBeLessThanOrEqual(T0 + HOLD);
    await sweep(acct, T0 + HOLD);
    expect(twilio.released.sort()).toEqual(twilio.purchases.slice().sort());
  });

  it("a pool saved while the numbers are being released takes those not yet given back and refuses the one with the provider", async () => {
    const { acct, twilio } = await boughtPool(2);
    const key = acct.adminKey;
    const bought = twilio.purchases.slice();
    expect((await api("DELETE", "/v1/pools/web", { key })).status).toBe(204);
    const held = holdRequests((u) => /IncomingPhoneNumbers\/PN/.test(u.pathname));
    at(T0 + HOLD);
    const alarm = runDurableObjectAlarm(accountStub(acct.accountId));
    await held.waiting;
    // The pool comes back with both numbers while the first is being given back: that one is refused…
    const pool = { id: "web", name: "Web", destinations: [DEST], leaseSeconds: 60, graceSeconds: 120, isDefault: true };
    const both = await api("POST", "/v1/pools", { key, body: { ...pool, trackingNumbers: bought } });
    expect([both.status, both.json.error.code, both.json.error.details.length]).toEqual([409, "number_conflict", 1]);
    expect(both.json.error.details[0].message).toContain("being given back");
    const leaving = both.json.error.details[0].value as string;
    const staying = bought.find((n) => n !== leaving)!;
    // …the other, not yet reached, is the pool's again and is not released.
    expect((await api("POST", "/v1/pools", { key, body: { ...pool, trackingNumbers: [staying] } })).status).toBe(201);
    held.release();
    await alarm;
    expect(twilio.released).toEqual([leaving]);
    expect(twilio.numbers()).toEqual([staying]);
    expect((await api("GET", "/v1/pools/web", { key })).json.trackingNumbers).toEqual([staying]);
    await sweep(acct, T0 + 10 * HOLD);
    expect(twilio.released).toEqual([leaving]);
  });

  it("a number a pool save is claiming (its Directory claim in flight) is not released under it", async () => {
    const { acct, twilio } = await boughtPool(2);
    expect((await api("DELETE", "/v1/pools/web", { key: acct.adminKey })).status).toBe(204);
    const [claimed, other] = twilio.purchases;
    // The journal entry a pool save writes before it awaits the Directory (claim-journal.ts).
    await runInDurableObject(accountStub(acct.accountId), (_i, st) => {
      st.storage.sql.exec("INSERT INTO directory_journal (number, op, until_at, at) VALUES (?, 'claim', NULL, ?)", claimed, T0 + HOLD);
    });
    at(T0 + HOLD);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(twilio.released).toEqual([other]);
  });

  it("a release that keeps failing is told once, after about five hours (number.release_failing), and goes on being tried", async () => {
    const { acct, twilio } = await boughtPool(2);
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } })).status).toBe(200);
    const net = mockNetwork((req) => (twilio.handles(req) ? twilio.handle(req) : new Response(null, { status: 204 })));
    const alerts = () => net.seen.filter((s) => s.url.href === ALERT_HOOK).map((s) => JSON.parse(s.body));
    const [gone] = (await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.trackingNumbers as string[];
    await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [gone] } });
    for (let i = 0; i < RELEASE_ALERT_ATTEMPTS + 3; i++)
      twilio.faults.push({
        match: (req) => req.method === "DELETE",
        answer: () => new Response(JSON.stringify({ code: 20500, message: "Internal Server Error", status: 500 }), { status: 500 }),
      });
    // Each sweep an hour apart (the longest wait between attempts): one attempt each.
    for (let i = 1; i < RELEASE_ALERT_ATTEMPTS; i++) await sweep(acct, T0 + HOLD + (i - 1) * 3_600_000);
    expect(twilio.released).toEqual([]);
    expect(alerts()).toEqual([]);
    await sweep(acct, T0 + HOLD + (RELEASE_ALERT_ATTEMPTS - 1) * 3_600_000);
    await sweep(acct, T0 + HOLD + (RELEASE_ALERT_ATTEMPTS - 1) * 3_600_000 + 1);
    expect(alerts()).toEqual([expect.objectContaining({ type: "number.release_failing", number: gone, provider: "twilio", attempts: RELEASE_ALERT_ATTEMPTS })]);
    for (let i = RELEASE_ALERT_ATTEMPTS; i < RELEASE_ALERT_ATTEMPTS + 4; i++) await sweep(acct, T0 + HOLD + i * 3_600_000);
    expect(alerts()).toHaveLength(1);
    expect(twilio.released).toEqual([gone]);
  });
});
