/**
 * A call erased while one of its deliveries is on its way: the alarm has read the delivery's body
 * and awaits something before the request that carries it (the receiver's host looked up over
 * DNS-over-HTTPS, an ad platform's access token), and the Durable Object lets the erasure in
 * meanwhile. The erasure answered, nothing about the call may go out after it: the delivery
 * checks, after its last await, that its row is still there as it was read. Each erasure here is
 * made from the network edge, inside that await: the mocked lookup or token endpoint sends it and
 * waits for its answer before answering.
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETED_SETTLE_MS } from "../../worker/account/call-outcome";
import { DOH_ENDPOINT } from "../../worker/platform/outbound";
import { mockPlatforms, type Platforms, platformViolations } from "./ad-platforms";
import { at, callBody, callId, callWorld, GOOGLE, getCall, mockNetwork, ring, runAccountAlarms, storage, T0, visit } from "./calls-helpers";
import { adCall, conversionOf, conversions, DM_SETTINGS, GOOGLE_SETTINGS, MS_SETTINGS } from "./conversions-helpers";
import { api, type Created, useTestClock } from "./helpers";
import { duringRequest } from "./network-gates";
import { verifies } from "./receiver";

const HOOK = "https://hooks.example/dni";
const CALLER = "+13105550123";
const SECRET = `whsec_${btoa("a-webhook-secret-of-32-bytes-ok!")}`;

useTestClock(T0, { silence: ["warn", "error"] });
afterEach(() => expect(platformViolations()).toEqual([]));

type Erasure = (acct: Created, call: { id: string; session: string }) => Promise<number>;
const ERASURES: [string, Erasure][] = [
  ["DELETE /v1/calls/{id}", async (acct, c) => (await api("DELETE", `/v1/calls/${encodeURIComponent(c.id)}`, { key: acct.adminKey })).status],
  ["erasure by caller", async (acct) => (await api("POST", "/v1/calls/erase", { key: acct.adminKey, body: { caller: CALLER } })).status],
  ["erasure by visit", async (acct, c) => (await api("POST", "/v1/calls/erase", { key: acct.adminKey, body: { session: c.session } })).status],
];

const lookupOf = (host: string) => (url: URL) => url.href.startsWith(DOH_ENDPOINT) && url.searchParams.get("name") === host;

/** What the account stores of the call: nothing of its id or its caller. */
async function noTrace(acct: Created, id: string) {
  const stored = await storage(acct);
  expect(stored).not.toContain(id);
  expect(stored).not.toContain(CALLER.slice(1));
}

/** A world of `size` numbers with the webhook set and the network mocked; `call` rings one on a new visit's number. */
async function hookWorld(size: number) {
  const { acct, voice } = await callWorld(size);
  expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK, secret: SECRET } } })).status).toBe(200);
  const net = mockNetwork();
  const call = async (caller = CALLER) => {
    const v = await visit(acct, GOOGLE);
    const id = callId();
    expect((await ring(voice.callbackUrl, callBody(id, v.number, T0, { callerNo: caller }))).status).toBe(200);
    return { id, session: v.session };
  };
  return { acct, voice, net, call };
}

describe.each(ERASURES)("a call erased (%s) while its webhook is on its way", (_name, erase) => {
  it("during the receiver's DNS lookup: the webhook is not sent, then or later, and nothing of the call is left", async () => {
    const { acct, net, call } = await hookWorld(1);
    const { id, session } = await call();
    const made = duringRequest(lookupOf("hooks.example"), () => erase(acct, { id, session }));
    await runAccountAlarms(acct.accountId, T0);
    // The erasure came in during the lookup, and was answered.
    expect(made.value).toBeGreaterThanOrEqual(200);
    expect(made.value).toBeLessThan(300);
    expect(net.lookups).toContain("hooks.example A");
    expect(net.seen.filter((s) => s.url.href === HOOK)).toEqual([]);
    expect((await getCall(acct, id)).status).toBe(404);
    // Nor later: its delivery went with it, as an erasure's undelivered deliveries go.
    await runAccountAlarms(acct.accountId, T0 + 4 * 86_400_000);
    expect(net.seen.filter((s) => s.url.href === HOOK)).toEqual([]);
    expect((await api("GET", "/v1/deliveries?status=all", { key: acct.adminKey })).json.deliveries).toEqual([]);
    await noTrace(acct, id);
  });
});

describe("a delivery whose call changed while it was on its way", () => {
  it("another call's webhook of the same run still goes; a call.completed body refined during the lookup goes as it is now, signed", async () => {
    const { acct, voice, net, call } = await hookWorld(2);
    const { id: keptId } = await call("+13105550999");
    const { id } = await call();
    // Both rings' webhooks go; the erased call's does not.
    duringRequest(lookupOf("hooks.example"), () => api("DELETE", `/v1/calls/${encodeURIComponent(id)}`, { key: acct.adminKey }).then((r) => r.status));
    await runAccountAlarms(acct.accountId, T0);
    const sent = net.seen.filter((s) => s.url.href === HOOK).map((s) => JSON.parse(s.body) as { call: { id: string } });
    expect(sent.map((b) => b.call.id)).toEqual([keptId]);

    // call.completed of the kept call, queued when it ended; a later report (a longer talk time) refines it during the lookup.
    expect((await ring(`${voice.callbackUrl}/status`, { callId: keptId, status: "completed", duration: 30, endTime: T0 + 40_000 })).status).toBe(200);
    const due = Date.now() + COMPLETED_SETTLE_MS;
    at(due);
    duringRequest(lookupOf("hooks.example"), async () => {
      // Not an erasure: the call's outcome made more precise, its unsent call.completed body replaced.
      const r = await ring(`${voice.callbackUrl}/status`, { callId: keptId, status: "completed", duration: 95, endTime: T0 + 100_000 });
      return r.status;
    });
    await runAccountAlarms(acct.accountId, due + 60_000);
    const completed = net.seen.filter((s) => s.url.href === HOOK && s.body.includes('"call.completed"'));
    expect(completed).toHaveLength(1);
    expect(verifies(SECRET, completed[0]!)).toBe(true);
    expect(JSON.parse(completed[0]!.body).call).toMatchObject({ id: keptId, talkSeconds: 95 });
  });
});

describe("a call.completed body refined while its request was on its way", () => {
  it("the delivery keeps the body that went: a redelivery sends it again, under the same message id", async () => {
    const { acct, voice, net, call } = await hookWorld(1);
    const { id } = await call();
    await runAccountAlarms(acct.accountId, T0);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 30, endTime: T0 + 40_000 })).status).toBe(200);
    const due = Date.now() + COMPLETED_SETTLE_MS;
    at(due);
    // The receiver's request is made (its body signed and sent) before a later report refines the outcome.
    const made = duringRequest(
      (url) => url.href === HOOK,
      async () => (await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 95, endTime: T0 + 100_000 })).status,
    );
    await runAccountAlarms(acct.accountId, due + 60_000);
    expect(made.value).toBe(200);
    const completed = () => net.seen.filter((s) => s.url.href === HOOK && s.body.includes('"call.completed"'));
    expect(completed()).toHaveLength(1);
    expect(JSON.parse(completed()[0]!.body).call).toMatchObject({ id, talkSeconds: 30 });
    const listed = (await api("GET", "/v1/deliveries?status=all", { key: acct.adminKey })).json.deliveries as { id: string; event: string; status: string }[];
    const delivery = listed.find((d) => d.event === "call.completed")!;
    expect(delivery.status).toBe("delivered");
    expect((await api("POST", `/v1/deliveries/${delivery.id}/redeliver`, { key: acct.adminKey })).status).toBe(202);
    await runAccountAlarms(acct.accountId, Date.now() + 60_000);
    // The redelivery, once: two in all.
    expect(completed()).toHaveLength(2);
    const [first, again] = completed();
    // The same body and message id as the receiver got: not the refinement that never went.
    expect(again!.body).toBe(first!.body);
    expect(again!.headers.get("webhook-id")).toBe(first!.headers.get("webhook-id"));
    expect(verifies(SECRET, again!)).toBe(true);
  });
});

type AdCase = {
  platform: "google_ads" | "microsoft_ads";
  settings: Record<string, unknown>;
  token: string;
  clicks: (kept: string, erased: string) => Record<string, string>;
  /** The click ids each upload request carried. */
  sent: (ads: Platforms) => string[][];
};
const AD_CASES: [string, AdCase][] = [
  [
    "Google, Data Manager API",
    {
      platform: "google_ads",
      settings: { googleAds: DM_SETTINGS },
      token: "https://oauth2.googleapis.com/token",
      clicks: (k) => ({ gclid: k }),
      sent: (ads) =>
        ads
          .dataManagerUploads()
          .map((u) => (JSON.parse(u.body) as { events: { adIdentifiers: { gclid: string } }[] }).events.map((e) => e.adIdentifiers.gclid)),
    },
  ],
  [
    "Google, Google Ads API",
    {
      platform: "google_ads",
      settings: { googleAds: GOOGLE_SETTINGS },
      token: "https://oauth2.googleapis.com/token",
      clicks: (k) => ({ gclid: k }),
      sent: (ads) => ads.googleUploads().map((u) => (JSON.parse(u.body) as { conversions: { gclid: string }[] }).conversions.map((c) => c.gclid)),
    },
  ],
  [
    "Microsoft Advertising",
    {
      platform: "microsoft_ads",
      settings: { microsoftAds: MS_SETTINGS },
      token: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
      clicks: (k) => ({ msclkid: k }),
      sent: (ads) =>
        ads
          .microsoftUploads()
          .map((u) => (JSON.parse(u.body) as { OfflineConversions: { MicrosoftClickId: string }[] }).OfflineConversions.map((c) => c.MicrosoftClickId)),
    },
  ],
];

describe.each(AD_CASES)("a call erased while its ad upload is on its way (%s)", (_name, c) => {
  it("during the access token's refresh: the upload goes without it, the batch's other call uploaded; nothing of it is left", async () => {
    const { acct, voice } = await callWorld(2);
    expect((await conversions(acct, c.settings)).status).toBe(200);
    const ads = mockPlatforms();
    const kept = await adCall(acct, voice, { clickIds: c.clicks("click-kept", "") });
    const erased = await adCall(acct, voice, { clickIds: c.clicks("click-erased", "") });
    const due = T0 + COMPLETED_SETTLE_MS;
    at(due);
    const made = duringRequest(
      (url) => url.href === c.token,
      async () => (await api("DELETE", `/v1/calls/${encodeURIComponent(erased)}`, { key: acct.adminKey })).status,
    );
    await runAccountAlarms(acct.accountId, due + 60_000);
    expect(made.value).toBe(204);
    expect(c.sent(ads)).toEqual([["click-kept"]]);
    expect(await conversionOf(acct, kept, c.platform)).toMatchObject({ status: "uploaded" });
    expect((await getCall(acct, erased)).status).toBe(404);
    const stored = await storage(acct);
    expect(stored).not.toContain(erased);
    expect(stored).not.toContain("click-erased");
  });
});
