/** Ad conversion tests' common parts: settings with write-only credentials, a call from an ad click, the alarm. */
import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { DM_SETTINGS, MS_SETTINGS } from "../ad-settings";
import { ALERT_HOOK, mockPlatforms } from "./ad-platforms";
import { callBody, callId, callWorld, GOOGLE, getCall, ring, type Voice, visit } from "./calls-helpers";
import { accountStub, api, BASE, type Created } from "./helpers";

/** Google through the Google Ads API (a developer token Google still takes offline conversions from). */
export const GOOGLE_SETTINGS = {
  api: "google_ads_api",
  customerId: "123-456-7890",
  conversionActionId: "987654321",
  conversionName: "Phone call (DNI)",
  timeZone: "America/New_York",
  developerToken: "dev-token-AAAA1111",
  clientId: "client-id-1234.apps.googleusercontent.com",
  clientSecret: "client-secret-XYZW",
  refreshToken: "1//refresh-token-abcd",
};
export { DM_SETTINGS, MS_SETTINGS };
export const GRANTED = { adUserData: "granted", adStorage: "granted", adPersonalization: "granted" };

export async function conversions(acct: Created, body: unknown) {
  return api("PATCH", "/v1/account/conversions", { key: acct.adminKey, body });
}

/** A visit from a Google (and Bing) ad with consent (`clickIds`: exactly these), a call, and its status report (answered, `talk` s). */
export async function adCall(
  acct: Created,
  voice: Voice,
  opts: { gclid?: string; talk?: number; consent?: unknown; msclkid?: string; outcome?: string; clickIds?: Record<string, string>; caller?: string },
) {
  const clickIds = opts.clickIds ?? { gclid: opts.gclid, ...(opts.msclkid ? { msclkid: opts.msclkid } : {}) };
  const source = { ...GOOGLE, landing: "https://www.shop.example/", clickIds, consent: opts.consent ?? GRANTED };
  const v = await visit(acct, source);
  const id = callId("ads");
  const now = Date.now();
  expect((await ring(voice.callbackUrl, callBody(id, v.number, now, opts.caller ? { callerNo: opts.caller } : {}))).status).toBe(200);
  const r = await ring(`${voice.callbackUrl}/status`, { callId: id, status: opts.outcome ?? "completed", duration: opts.talk ?? 95, endTime: now + 100_000 });
  expect(r.status).toBe(200);
  return id;
}

export async function csv(acct: Created, query = "") {
  const res = await SELF.fetch(`${BASE}/v1/calls.csv${query}`, { headers: { Authorization: `Bearer ${acct.adminKey}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/**
 * A world of `calls` numbers with Google's Data Manager API set (and, unless `alerts` is false, the
 * alert webhook), the platforms mocked at the network edge.
 */
export async function dataManagerWorld(calls: number, alerts = true) {
  const w = await callWorld(calls);
  if (alerts) await api("PATCH", "/v1/account/integrations", { key: w.acct.adminKey, body: { alertWebhook: { url: ALERT_HOOK } } });
  await conversions(w.acct, { googleAds: DM_SETTINGS });
  return { ...w, ads: mockPlatforms() };
}

export const alarm = (acct: Created) => runDurableObjectAlarm(accountStub(acct.accountId));
export const conversionOf = async (acct: Created, id: string, platform = "google_ads") =>
  ((await getCall(acct, id)).json.conversions as { platform: string; reason: string | null }[]).find((c) => c.platform === platform);

export { parseCsv } from "./csv";
