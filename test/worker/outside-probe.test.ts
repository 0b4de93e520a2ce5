/**
 * Found by an outside probe of the public HTTP API (path and query edge cases, bodies, callbacks,
 * state after a refusal): each test failed before its fix.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { DEST, T0 } from "./calls-helpers";
import { accountStub, accountWithWebPool, allocate, api, createPool, dump, freshNumbers, sessionId, useTestClock } from "./helpers";
import { FakeTwilio, stock } from "./numbers-fakes";
import { edge, getPool, order, world } from "./numbers-helpers";
import { inboundFields, nativeId, providerWorld, send, signed } from "./voice-helpers";

const enc = new TextEncoder();
async function hmacB64(hash: "SHA-1" | "SHA-256", key: string, data: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)))));
}

/**
 * Inside the account object, the first `n` calls it would store fail (its storage failing: the
 * answer is a 500). A failing pool object no longer fails the answer (the call is put through
 * unattributed: calls-callback.test.ts).
 */
async function failStores(accountId: string, n: number): Promise<void> {
  let left = n;
  await runInDurableObject(accountStub(accountId), (instance) => {
    const answers = (instance as unknown as { desk: { answers: { p: { calls: { insert: (row: unknown) => boolean } } } } }).desk.answers;
    const calls = answers.p.calls;
    const insert = calls.insert.bind(calls);
    answers.p = {
      ...answers.p,
      calls: Object.assign(Object.create(calls), {
        insert: (row: unknown) => {
          if (left-- > 0) throw new Error("SQLITE_FULL: database or disk is full");
          return insert(row);
        },
      }),
    };
  });
}

describe("voice callbacks over HTTP", () => {
  it("a provider's retry of the very same signed inbound call after our answer failed is answered, not refused as a replay", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { acct, keys, tracking, base } = await providerWorld("vonage");
    const id = nativeId("vonage");
    const request = await signed("vonage", keys, base, inboundFields("vonage", id, tracking[0]!), Date.now());
    await failStores(acct.accountId, 1);
    const failed = await send(request);
    expect(failed.status).toBe(500);
    // Vonage sends the same request again (the same token) when its answer URL failed.
    const retried = await send(request);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.text).toContain(DEST.slice(1));
    const call = await api("GET", `/v1/calls/${id}`, { key: acct.adminKey });
    expect(call.status).toBe(200);
  });

  it("a Twilio callback signed by a Webhooks Rule's SharedKey (HMAC-SHA256, named in X-Twilio-Webhooks-Signature-Settings) is answered", async () => {
    const { acct, tracking, base } = await providerWorld("twilio");
    const sharedKey = "shared-key-secret-0123456789abcdef";
    const r = await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { credentials: { twilio: { authToken: "a".repeat(32), webhookSharedKey: sharedKey } } },
    });
    expect(r.status).toBe(200);
    const fields = inboundFields("twilio", "CA00000000000000000000000000000a01", tracking[0]!);
    const data = Object.keys(fields)
      .sort()
      .reduce((acc, k) => acc + k + fields[k], base);
    const res = await send({
      url: base,
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": await hmacB64("SHA-256", sharedKey, data),
        "X-Twilio-Webhooks-Signature-Settings": "key=KS00000000000000000000000000000001,algorithm=HMAC_SHA256",
      },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain(DEST);
  });
});

describe("number orders", () => {
  useTestClock(T0, { silence: ["warn"] });

  it("an Idempotency-Key sent again with the same order but other numbers to add is 409, not a replay that drops them", async () => {
    const acct = await world("twilio");
    edge(new FakeTwilio(stock("510", 10)));
    await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    const [first, second] = freshNumbers(2);
    const send = (add: string[]) =>
      api("POST", "/v1/pools/ads/numbers", {
        key: acct.adminKey,
        body: { add, order: { country: "US", areaCode: "510", quantity: 1 } },
        headers: { "Idempotency-Key": "probe-key-1" },
      });
    const made = await send([first!]);
    expect(made.status).toBe(202);
    // The same request again is the first one's answer (tested in numbers-orders.test.ts).
    expect((await send([first!])).json.order.id).toBe(made.json.order.id);
    // Another body under that key: the client reused a key by mistake; it must be told, not answered 202 with its numbers dropped.
    const before = await dump(accountStub(acct.accountId));
    const other = await send([second!]);
    expect([other.status, other.json.error?.code]).toEqual([409, "idempotency_key_reused"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect((await getPool(acct)).trackingNumbers).not.toContain(second);
  });
});

describe("allocation", () => {
  // Pool ids of Object.prototype's names: the routing is a plain object, and these were found in it.
  const PROTO_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty"];

  it("a pool the page names that is one of Object.prototype's (constructor, toString …) is 404 pool_not_found, not a 500, and nothing is stored", async () => {
    const { acct } = await accountWithWebPool(2);
    const before = await dump(accountStub(acct.accountId));
    for (const name of PROTO_NAMES) {
      for (const r of [
        await allocate(acct.siteKey, sessionId(), { pools: [name] }),
        await allocate(acct.siteKey, sessionId(), { sources: `any: * -> ${name}` }),
      ]) {
        expect([r.status, r.json.error?.code], `${name}: ${r.text}`).toEqual([404, "pool_not_found"]);
      }
    }
    expect(await dump(accountStub(acct.accountId))).toBe(before);
  });

  it("a pool named constructor or toString hands out its numbers", async () => {
    const { acct } = await accountWithWebPool(2);
    for (const name of PROTO_NAMES) {
      const tracking = freshNumbers(1);
      await createPool(acct, { id: name, name, trackingNumbers: tracking, destinations: [DEST] });
      const r = await allocate(acct.siteKey, sessionId(), { pools: [name] });
      expect(r.status, r.text).toBe(200);
      expect(r.json.pools[0].number.e164).toBe(tracking[0]);
    }
  });
});
