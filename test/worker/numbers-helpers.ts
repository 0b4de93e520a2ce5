/**
 * An account that buys numbers from Twilio, Telnyx, SignalWire, Plivo or Vonage (the fakes of numbers-fakes.ts at the network
 * edge), a pool with an order, and the account's alarm run at a chosen time: shared by the order tests.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, vi } from "vitest";
import { at, DEST, mockNetwork } from "./calls-helpers";
import { accountStub, api, type Created, createAccount } from "./helpers";
import {
  type FakePlivo,
  type FakeSignalWire,
  type FakeTelnyx,
  type FakeTwilio,
  type FakeVonage,
  PLIVO_APP,
  PLIVO_AUTH_ID,
  PLIVO_TOKEN,
  SW_PROJECT,
  SW_SPACE,
  SW_TOKEN,
  TELNYX_APP,
  TELNYX_KEY,
  TWILIO_SID,
  TWILIO_TOKEN,
  VONAGE_APP,
  VONAGE_KEY,
  VONAGE_SECRET,
} from "./numbers-fakes";

export type Fake = FakeTwilio | FakeTelnyx | FakeSignalWire | FakePlivo | FakeVonage;

/** The Signing Key of the SignalWire accounts of these tests (it signs callbacks; numbers are bought with the API token). */
export const SW_SIGNING_KEY = "PSK_test-signalwire-signing-key";

/** The Vonage account's signature secret (its signed callbacks). */
export const VONAGE_SIGNATURE = "vonage-signature-secret-0123";

export async function world(provider: "twilio" | "telnyx" | "signalwire" | "plivo" | "vonage") {
  const acct = await createAccount();
  const credentials =
    provider === "twilio"
      ? { twilio: { authToken: TWILIO_TOKEN, accountSid: TWILIO_SID } }
      : provider === "telnyx"
        ? { telnyx: { publicKey: `${"A".repeat(43)}=`, apiKey: TELNYX_KEY, texmlApplicationId: TELNYX_APP } }
        : provider === "signalwire"
          ? { signalwire: { signingKey: SW_SIGNING_KEY, space: SW_SPACE, projectId: SW_PROJECT, apiToken: SW_TOKEN } }
          : provider === "plivo"
            ? { plivo: { authToken: PLIVO_TOKEN, authId: PLIVO_AUTH_ID, applicationId: PLIVO_APP } }
            : { vonage: { signatureSecret: VONAGE_SIGNATURE, apiKey: VONAGE_KEY, apiSecret: VONAGE_SECRET, applicationId: VONAGE_APP } };
  const r = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider, credentials } });
  if (r.status !== 200) throw new Error(`voice: ${r.status} ${JSON.stringify(r.json)}`);
  return acct;
}

export function edge(...fakes: Fake[]) {
  return mockNetwork((req) => {
    const fake = fakes.find((f) => f.handles(req));
    return fake ? fake.handle(req) : new Response("unexpected host", { status: 599 });
  });
}

export const poolBody = (order: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: "ads",
  name: "Ads",
  destinations: [DEST],
  leaseSeconds: 60,
  graceSeconds: 120,
  isDefault: true,
  order,
  ...extra,
});

/** Run the account's alarm (the order's step) at `ms`. */
export async function work(acct: Created, ms = Date.now()) {
  at(ms);
  return runDurableObjectAlarm(accountStub(acct.accountId));
}

/**
 * Run the account's alarm and restart the account object while it waits on the provider, once
 * `reached()` (e.g. the provider has bought a number whose answer is held back by a "hang" fault):
 * nothing the step would have done after that answer happens.
 */
export async function workUntilRestart(acct: Created, reached: () => boolean, ms = Date.now()) {
  at(ms);
  const step = runDurableObjectAlarm(accountStub(acct.accountId)).catch(() => undefined);
  await vi.waitFor(() => expect(reached()).toBe(true));
  await abortAllDurableObjects();
  await step;
}

/** The numbers an order recorded as about to buy whose outcome it has not stored yet. */
export const buyTries = (acct: Created) =>
  runInDurableObject(accountStub(acct.accountId), (_i, state) =>
    state.storage.sql
      .exec<{ number: string }>("SELECT number FROM number_buy_tries ORDER BY number")
      .toArray()
      .map((r) => r.number),
  );

export const getOrder = async (acct: Created, id: string) => (await api("GET", `/v1/orders/${id}`, { key: acct.adminKey })).json;
export const getPool = async (acct: Created, id = "ads") => (await api("GET", `/v1/pools/${id}`, { key: acct.adminKey })).json;

export async function order(acct: Created, body: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody(body, extra) });
  if (r.status !== 201) throw new Error(`pool: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.order.id as string;
}
