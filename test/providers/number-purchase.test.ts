/**
 * A purchase with regulatory ids, as our number clients send it and as each provider's official SDK
 * sends it (Twilio's incomingPhoneNumbers.create, Telnyx's numberOrders.create), both answered by
 * the worker tests' fakes (test/worker/numbers-fakes.ts): the same parameters by the same names,
 * and the fakes take the SDK's request as they take ours (so they check the names the SDKs use).
 */

import Telnyx from "telnyx";
import twilioSdk from "twilio";
import { afterEach, describe, expect, it, vi } from "vitest";
import { telnyxNumbers } from "../../worker/numbers/telnyx";
import { twilioNumbers } from "../../worker/numbers/twilio";
import { FakeTelnyx, FakeTwilio, type Stock, TELNYX_APP, TELNYX_KEY, TWILIO_SID, TWILIO_TOKEN } from "../worker/numbers-fakes";
import type { Seen } from "../worker/seen";

const ADDRESS = `AD${"a1".repeat(16)}`;
const BUNDLE = `BU${"b2".repeat(16)}`;
const GROUP = "a4b201f9-8646-4e54-a7d2-b2e403eeaf8c";
const URLS = { voiceUrl: "https://dni.example.com/v1/voice/acct/twilio", statusUrl: "https://dni.example.com/v1/voice/acct/twilio/status" };
const TAG = "ord_4Kq9xW2mZpL0aB7cD1eF";

const local = (numbers: string[]): Stock[] => numbers.map((number) => ({ number, region: "", locality: "", lat: 0, lng: 0, type: "local" }));

/** A fetch that hands each request to a fake, as the worker tests' network mock does. */
function fetchInto(fake: FakeTwilio | FakeTelnyx) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const seen: Seen = { url: new URL(req.url), method: req.method, headers: req.headers, body: await req.text() };
    return fake.handle(seen);
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Twilio: IncomingPhoneNumbers create with AddressSid and BundleSid", () => {
  /** The SDK's create, its request handed to the fake through a custom httpClient (the SDK's own request shape). */
  async function sdkBuy(fake: FakeTwilio, options: Record<string, string>) {
    const httpClient = {
      async request(opts: { method: string; uri: string; username?: string; password?: string; data?: Record<string, string> }) {
        const headers = new Headers({ Authorization: `Basic ${btoa(`${opts.username}:${opts.password}`)}` });
        const res = await fake.handle({ url: new URL(opts.uri), method: opts.method.toUpperCase(), headers, body: new URLSearchParams(opts.data).toString() });
        return { statusCode: res.status, body: await res.text(), headers: {} };
      },
    };
    return twilioSdk(TWILIO_SID, TWILIO_TOKEN, { httpClient: httpClient as never }).incomingPhoneNumbers.create(options);
  }

  it("ours sends what the SDK sends, and the fake buys for both", async () => {
    const fake = new FakeTwilio(local(["+442079461001", "+442079461002"]));
    await sdkBuy(fake, {
      phoneNumber: "+442079461001",
      friendlyName: TAG,
      voiceUrl: URLS.voiceUrl,
      voiceMethod: "POST",
      voiceFallbackUrl: URLS.voiceUrl,
      voiceFallbackMethod: "POST",
      statusCallback: URLS.statusUrl,
      statusCallbackMethod: "POST",
      addressSid: ADDRESS,
      bundleSid: BUNDLE,
    });
    vi.stubGlobal("fetch", fetchInto(fake));
    const ours = await twilioNumbers({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }).buy("+442079461002", TAG, URLS, {
      addressSid: ADDRESS,
      bundleSid: BUNDLE,
    });
    expect(ours.ok).toBe(true);
    const [sdk, mine] = fake.requests("POST", /IncomingPhoneNumbers\.json$/).map((r) => Object.fromEntries(new URLSearchParams(r.body)));
    expect(mine).toEqual({ ...sdk, PhoneNumber: "+442079461002" });
    expect(sdk).toMatchObject({ AddressSid: ADDRESS, BundleSid: BUNDLE });
    expect(fake.purchases).toEqual(["+442079461001", "+442079461002"]);
  });

  it("the fake refuses the SDK's purchase without them as Twilio does (21631, then 21649)", async () => {
    const fake = new FakeTwilio(local(["+442079461003"]));
    const base = { phoneNumber: "+442079461003", voiceUrl: URLS.voiceUrl };
    await expect(sdkBuy(fake, base)).rejects.toMatchObject({ code: 21631, status: 400 });
    await expect(sdkBuy(fake, { ...base, addressSid: ADDRESS })).rejects.toMatchObject({ code: 21649, status: 400 });
    expect(fake.purchases).toEqual([]);
  });
});

describe("Telnyx: a number order with requirement_group_id", () => {
  it("ours sends what the SDK sends, and the fake orders for both; without the group the fake refuses the SDK's order", async () => {
    const fake = new FakeTelnyx(local(["+390669881001", "+390669881002", "+390669881003"]));
    const sdk = new Telnyx({ apiKey: TELNYX_KEY, fetch: fetchInto(fake), maxRetries: 0 });
    await sdk.numberOrders.create({
      phone_numbers: [{ phone_number: "+390669881001", requirement_group_id: GROUP }],
      connection_id: TELNYX_APP,
      customer_reference: TAG,
    });
    vi.stubGlobal("fetch", fetchInto(fake));
    const ours = await telnyxNumbers({ apiKey: TELNYX_KEY, texmlApplicationId: TELNYX_APP }).buy("+390669881002", TAG, URLS, { requirementGroupId: GROUP });
    expect(ours.ok).toBe(true);
    const [theirs, mine] = fake.requests("POST", /^\/v2\/number_orders$/).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(mine).toEqual({ ...theirs, phone_numbers: [{ phone_number: "+390669881002", requirement_group_id: GROUP }] });
    expect(fake.purchases).toEqual(["+390669881001", "+390669881002"]);

    await expect(
      sdk.numberOrders.create({ phone_numbers: [{ phone_number: "+390669881003" }], connection_id: TELNYX_APP, customer_reference: TAG }),
    ).rejects.toMatchObject({ status: 422, error: { errors: [{ code: "10004", source: { pointer: "/phone_numbers/0/requirement_group_id" } }] } });
    expect(fake.purchases).toHaveLength(2);
  });
});
