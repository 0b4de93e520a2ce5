/**
 * Number orders against Twilio's and Telnyx's number APIs (SignalWire, Plivo and Vonage have their
 * own numbers-<provider>.test.ts), mocked at the network edge from their documented shapes
 * (numbers-fakes.ts). The account's alarm does the work (runDurableObjectAlarm),
 * with the clock faked far ahead so an alarm only runs when a test runs it.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { searchPlan, WAIT_MS } from "../../worker/account/order-runner";
import { telnyxSearchParams } from "../../worker/numbers/telnyx";
import { type Seen, T0 } from "./calls-helpers";
import { accountStub, allocate, api, type Created, createAccount, createPool, dump, freshNumbers, sessionId, useTestClock } from "./helpers";
import { FakeTelnyx, FakeTwilio, type Stock, stock, TELNYX_APP, TELNYX_NOT_AVAILABLE, TWILIO_TOKEN } from "./numbers-fakes";
import { edge, getOrder, getPool, order, poolBody, work, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

describe("Twilio number orders", () => {
  it("by area code: answers at once, then the alarm searches, buys, points each number at our URLs and adds it to the pool", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio([...stock("510", 5), ...stock("415", 3)]);
    const net = edge(twilio);
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 3 }) });
    expect(r.status).toBe(201);
    expect(r.json.trackingNumbers).toEqual([]);
    expect(r.json.order).toMatchObject({ poolId: "ads", provider: "twilio", status: "pending", progress: { bought: 0 } });
    expect(net.seen).toHaveLength(0); // nothing is bought by the request itself
    // An empty pool answers allocations without a number until its numbers arrive.
    const before = await allocate(acct.siteKey, sessionId());
    expect(before.status).toBe(200);
    expect(before.json.pools[0].number).toBeNull();

    await work(acct);
    const o = await getOrder(acct, r.json.order.id);
    expect(o.status).toBe("completed");
    expect(o.progress).toEqual({ searched: 5, bought: 3, configured: 3, added: 3, skipped: 0 });
    expect(o.numbers.every((n: { state: string }) => n.state === "added")).toBe(true);

    const search = twilio.requests("GET", /AvailablePhoneNumbers\/US\/Local\.json$/)[0]!;
    expect(search.url.searchParams.get("AreaCode")).toBe("510");
    expect(search.url.searchParams.get("VoiceEnabled")).toBe("true");
    const buys = twilio.requests("POST", /IncomingPhoneNumbers\.json$/);
    expect(buys).toHaveLength(3);
    const form = new URLSearchParams(buys[0]!.body);
    expect(form.get("VoiceUrl")).toBe(`https://dni.test/v1/voice/${acct.accountId}/twilio`);
    // The fallback ("Primary handler fails") is the voice URL again: a second chance for a call whose first request failed.
    expect(form.get("VoiceFallbackUrl")).toBe(`https://dni.test/v1/voice/${acct.accountId}/twilio`);
    expect(form.get("VoiceFallbackMethod")).toBe("POST");
    expect(form.get("StatusCallback")).toBe(`https://dni.test/v1/voice/${acct.accountId}/twilio/status`);
    expect(form.get("VoiceMethod")).toBe("POST");
    expect(form.get("FriendlyName")).toBe(o.id);

    const pool = await getPool(acct);
    expect(pool.trackingNumbers).toEqual(twilio.numbers());
    expect(pool.trackingNumbers.every((n: string) => n.startsWith("+1510"))).toBe(true);
    const after = await allocate(acct.siteKey, sessionId());
    expect(pool.trackingNumbers).toContain(after.json.pools[0].number.e164);
    // A completed order sets no alarm of its own: a second run buys nothing.
    await work(acct, T0 + 10 * WAIT_MS);
    expect(twilio.purchases).toHaveLength(3);
  });

  it("by city and state, and near a point within a radius with same state only", async () => {
    const acct = await world("twilio");
    const oakland = stock("510", 2, { locality: "Oakland" });
    const tahoeNV = stock("775", 3, { region: "NV", locality: "Stateline", lat: 38.96, lng: -119.94 });
    const tahoeCA = stock("530", 2, { region: "CA", locality: "South Lake Tahoe", lat: 38.94, lng: -119.98 });
    const twilio = new FakeTwilio([...stock("510", 3), ...oakland, ...tahoeNV, ...tahoeCA]);
    edge(twilio);
    const byCity = await order(acct, { country: "US", city: "Oakland", region: "CA", quantity: 2 });
    await work(acct);
    expect((await getOrder(acct, byCity)).status).toBe("completed");
    expect((await getPool(acct)).trackingNumbers.sort()).toEqual(oakland.map((s) => s.number).sort());
    const q = twilio.requests("GET", /Local\.json$/)[0]!.url.searchParams;
    expect([q.get("InLocality"), q.get("InRegion")]).toEqual(["Oakland", "CA"]);

    const r = await api("POST", "/v1/pools/ads/numbers", {
      key: acct.adminKey,
      body: { order: { country: "US", near: { lat: 38.95, lng: -119.96, radiusMiles: 10 }, region: "CA", sameStateOnly: true, quantity: 2 } },
    });
    expect(r.status).toBe(202);
    await work(acct);
    expect((await getOrder(acct, r.json.order.id)).status).toBe("completed");
    const near = twilio.requests("GET", /Local\.json$/)[1]!.url.searchParams;
    expect([near.get("NearLatLong"), near.get("Distance"), near.get("InRegion")]).toEqual(["38.95,-119.96", "10", "CA"]);
    const pool = await getPool(acct);
    expect(pool.trackingNumbers).toHaveLength(4);
    expect(pool.trackingNumbers).toEqual(expect.arrayContaining(tahoeCA.map((s) => s.number)));
    expect(pool.trackingNumbers.some((n: string) => n.startsWith("+1775"))).toBe(false);
  });

  it("too few in the area: the tollfree fallback buys toll-free numbers for the rest", async () => {
    const acct = await world("twilio");
    const free = stock("833", 4, { type: "tollfree" });
    const twilio = new FakeTwilio([...stock("209", 1), ...free]);
    edge(twilio);
    const id = await order(acct, { country: "US", areaCode: "209", quantity: 3, fallback: "tollfree" });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o.status).toBe("completed");
    expect(o.numbers.map((n: { fallback: boolean }) => n.fallback)).toEqual([false, true, true]);
    expect(twilio.requests("GET", /TollFree\.json$/)).toHaveLength(1);
    expect((await getPool(acct)).trackingNumbers.filter((n: string) => n.startsWith("+1833"))).toHaveLength(2);
  });

  it("too few in the area: nearest searches near what it found; wait searches again an hour later", async () => {
    const acct = await world("twilio");
    const near = stock("925", 2, { lat: 37.9, lng: -122.06, locality: "Walnut Creek" });
    const far = stock("619", 2, { lat: 32.72, lng: -117.16, locality: "San Diego" });
    const twilio = new FakeTwilio([...stock("510", 1), ...near, ...far]);
    edge(twilio);
    const nearest = await order(acct, { country: "US", areaCode: "510", quantity: 3, fallback: "nearest" });
    await work(acct);
    expect((await getOrder(acct, nearest)).status).toBe("completed");
    const wide = twilio.requests("GET", /Local\.json$/)[1]!.url.searchParams;
    expect(wide.get("AreaCode")).toBeNull();
    expect(wide.get("NearNumber")).toBe(twilio.numbers()[0]);
    expect(twilio.numbers().some((n) => n.startsWith("+1619"))).toBe(false);

    // wait: short now, completes once the provider has numbers again.
    const r = await api("POST", "/v1/pools/ads/numbers", {
      key: acct.adminKey,
      body: { order: { country: "US", areaCode: "707", quantity: 2, fallback: "wait" } },
    });
    await work(acct);
    let o = await getOrder(acct, r.json.order.id);
    expect(o).toMatchObject({ status: "waiting", nextAttemptAt: T0 + WAIT_MS, progress: { bought: 0 } });
    expect(o.lastError).toContain("0 of 2");
    twilio.inventory.push(...stock("707", 2));
    await work(acct, T0 + WAIT_MS - 1); // not due yet
    expect((await getOrder(acct, o.id)).status).toBe("waiting");
    await work(acct, T0 + WAIT_MS);
    o = await getOrder(acct, o.id);
    expect(o.status).toBe("completed");
    expect((await getPool(acct)).trackingNumbers.filter((n: string) => n.startsWith("+1707"))).toHaveLength(2);
  });

  it("Telnyx: an order that fails after buying (the number cannot be wired) gives back what it bought", async () => {
    const acct = await world("telnyx");
    // An order that leaves the number off the application (it is assigned in a second request)...
    const telnyx = new (class extends FakeTelnyx {
      protected override route(req: Seen): Response {
        const res = super.route(req);
        if (req.method === "POST" && req.url.pathname === "/v2/number_orders") for (const n of this.owned.values()) n.connection_id = null;
        return res;
      }
    })(stock("510", 3));
    edge(telnyx);
    // ...and that assignment refused: Telnyx's 400 error shape.
    telnyx.faults.push({
      match: (req) => req.method === "PATCH" && req.url.pathname.startsWith("/v2/phone_numbers/"),
      answer: () => Response.json({ errors: [{ code: "10015", title: "Bad Request", detail: "connection_id is invalid" }] }, { status: 400 }),
    });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const o = await getOrder(acct, id);
    // Bought, never wired nor added (and given back): the progress says so.
    expect(o).toMatchObject({ status: "failed", progress: { bought: 1, configured: 0, added: 0 } });
    expect(o.lastError).toContain("connection_id is invalid");
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    // Paid for and able to take no call: the same alarm's release sweep gives it back.
    expect(o.numbers).toEqual([{ number: telnyx.purchases[0], state: "released", fallback: false }]);
    expect(telnyx.released).toEqual(telnyx.purchases);
    expect(telnyx.released).toHaveLength(1);
  });

  it("a number taken between search and order is skipped and another bought", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 4));
    edge(twilio);
    const gone = twilio.inventory[0]!.number;
    const listing = JSON.stringify({
      available_phone_numbers: twilio.inventory.map((s) => ({ phone_number: s.number, region: s.region, locality: s.locality })),
    });
    twilio.faults.push({
      match: (req) => req.method === "GET" && req.url.pathname.endsWith("Local.json"),
      answer: () => new Response(listing, { headers: { "Content-Type": "application/json" } }),
    });
    twilio.inventory.shift(); // someone else bought it after the search answered
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 2, skipped: 1 } });
    expect(o.numbers.map((n: { number: string }) => n.number)).not.toContain(gone);
  });

  it("Twilio's 21421 (PhoneNumber is invalid) is not a number taken: the order fails with Twilio's reason, no other candidate tried", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 4));
    edge(twilio);
    let buys = 0;
    twilio.faults.push({
      match: (req) => {
        const buy = req.method === "POST" && req.url.pathname.endsWith("IncomingPhoneNumbers.json");
        if (buy) buys += 1;
        return buy;
      },
      answer: () =>
        Response.json({ code: 21421, message: "PhoneNumber is invalid", more_info: "https://www.twilio.com/docs/errors/21421", status: 400 }, { status: 400 }),
    });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "failed", progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toContain("PhoneNumber is invalid (Twilio 21421)");
    expect(buys).toBe(1);
  });

  it("a 429 (Retry-After) and a 5xx are retried with backoff; nothing is bought twice", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 5));
    edge(twilio);
    let buys = 0;
    twilio.faults.push(
      {
        match: (req) => req.method === "POST" && req.url.pathname.endsWith("IncomingPhoneNumbers.json") && ++buys === 2,
        answer: () =>
          new Response(JSON.stringify({ code: 20429, message: "Too Many Requests", status: 429 }), { status: 429, headers: { "Retry-After": "120" } }),
      },
      {
        match: (req) => req.method === "GET" && req.url.pathname.endsWith("IncomingPhoneNumbers.json") && twilio.purchases.length === 1,
        answer: () => new Response(JSON.stringify({ code: 20500, message: "Internal Server Error", status: 500 }), { status: 500 }),
      },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1, nextAttemptAt: T0 + 120_000, progress: { bought: 1, added: 1 } });
    expect(o.lastError).toBe("429: Too Many Requests (Twilio 20429)");
    expect((await getPool(acct)).trackingNumbers).toHaveLength(1); // what was bought is already in use
    await work(acct, T0 + 120_000); // the reconcile listing answers 500
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 2, nextAttemptAt: T0 + 120_000 + 60_000 });
    expect(o.lastError).toContain("500: Internal Server Error");
    await work(acct, T0 + 180_000);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", attempts: 0, lastError: null, progress: { bought: 3, added: 3 } });
    expect(twilio.purchases).toHaveLength(3);
    expect(new Set(twilio.purchases).size).toBe(3);
  });

  it("an answer lost mid-order and a restart: the order resumes, nothing is bought twice, every number configured and in the pool once", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 6));
    edge(twilio);
    let buys = 0;
    // Twilio buys the 2nd number, but its answer never arrives (connection dropped, or the object was evicted).
    twilio.faults.push({ match: (req) => req.method === "POST" && req.url.pathname.endsWith("IncomingPhoneNumbers.json") && ++buys === 2, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1, progress: { bought: 1 } });
    expect(o.lastError).toContain("network");
    expect(twilio.purchases).toHaveLength(2);
    // The object restarts: nothing held in memory survives, only its storage.
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.abort?.("restart");
    }).catch(() => undefined);
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3, configured: 3, added: 3 } });
    expect(twilio.purchases).toHaveLength(3);
    expect(new Set(twilio.purchases).size).toBe(3);
    const pool = await getPool(acct);
    expect(pool.trackingNumbers.slice().sort()).toEqual(twilio.numbers().sort());
    for (const n of twilio.owned.values()) expect(n.voice_url).toBe(`https://dni.test/v1/voice/${acct.accountId}/twilio`);
  });
});

describe("credentials that cannot be opened now", () => {
  it("(SECRETS_KEY missing on this deployment: 503) keep the order waiting, not failed; the deploy that mends it completes it", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 3));
    edge(twilio);
    const secretsKey = (key: string | undefined) =>
      runInDurableObject(accountStub(acct.accountId), (instance) => {
        const providers = (instance as unknown as { providers: { secretsKey: string | undefined } }).providers;
        const before = providers.secretsKey;
        providers.secretsKey = key;
        return before;
      });
    // Queued while the key was there (a new order is refused without it); the deployment loses it before the order's step.
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    const key = await secretsKey(undefined);
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1 });
    expect(o.lastError).toContain("SECRETS_KEY");
    expect(o.nextAttemptAt).toBeGreaterThan(T0);
    expect(twilio.seen).toEqual([]);
    await secretsKey(key);
    await work(acct, o.nextAttemptAt);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1, added: 1 } });
  });
});

describe("an order ended (canceled, failed) before it heard back about a buy", () => {
  const isBuy = (req: Seen) =>
    (req.method === "POST" && req.url.pathname.endsWith("IncomingPhoneNumbers.json")) || (req.method === "POST" && req.url.pathname === "/v2/number_orders");

  it.each(["twilio", "telnyx"] as const)("%s: the alarm lists the order's numbers once, finds the one bought, and gives it back", async (provider) => {
    const acct = await world(provider);
    const fake = provider === "twilio" ? new FakeTwilio(stock("510", 3)) : new FakeTelnyx(stock("510", 3));
    edge(fake);
    // The provider buys the number; its answer never arrives.
    fake.faults.push({ match: isBuy, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const [orphan] = fake.purchases;
    expect(await getOrder(acct, id)).toMatchObject({ status: "running", numbers: [] });
    // Canceled before the step that would have found it.
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct, T0 + 1000);
    await work(acct, T0 + 2000);
    expect(fake.purchases).toEqual([orphan]);
    expect(fake.numbers()).toEqual([]);
    expect(await getOrder(acct, id)).toMatchObject({ status: "canceled", numbers: [{ number: orphan, state: "released" }] });
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    // Settled: later alarms ask the provider nothing more.
    const seen = fake.seen.length;
    await work(acct, T0 + 86_400_000);
    expect(fake.seen).toHaveLength(seen);
  });
});

describe("Telnyx number orders", () => {
  it("points the TeXML application at our URLs, orders each number on it under the order id, and adds them", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(stock("312", 3, { region: "IL", locality: "Chicago" }));
    edge(telnyx);
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", provider: "telnyx", progress: { bought: 2, configured: 2, added: 2 } });
    expect(telnyx.app).toEqual({
      voice_url: `https://dni.test/v1/voice/${acct.accountId}/telnyx`,
      voice_fallback_url: `https://dni.test/v1/voice/${acct.accountId}/telnyx`,
      status_callback: `https://dni.test/v1/voice/${acct.accountId}/telnyx/status`,
    });
    const q = telnyx.requests("GET", /available_phone_numbers$/)[0]!.url.searchParams;
    expect([
      q.get("filter[country_code]"),
      q.get("filter[national_destination_code]"),
      q.get("filter[phone_number_type]"),
      q.get("filter[best_effort]"),
    ]).toEqual(["US", "312", "local", "false"]);
    const body = JSON.parse(telnyx.requests("POST", /number_orders$/)[0]!.body);
    expect(body).toMatchObject({ connection_id: TELNYX_APP, customer_reference: id });
    expect(body.phone_numbers).toHaveLength(1);
    expect([...telnyx.owned.values()].every((n) => n.connection_id === TELNYX_APP)).toBe(true);
    expect((await getPool(acct)).trackingNumbers.sort()).toEqual(telnyx.numbers().sort());
  });

  it("nearest asks for best-effort numbers; a number no longer available (its code) is skipped; a lost answer is reconciled by customer_reference", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(stock("312", 2, { region: "IL", locality: "Chicago" }));
    telnyx.nearby = stock("773", 3, { region: "IL", locality: "Chicago" });
    edge(telnyx);
    const taken = telnyx.inventory[0]!.number;
    let orders = 0;
    telnyx.faults.push(
      {
        match: (req) => req.method === "POST" && req.url.pathname.endsWith("number_orders") && req.body.includes(taken),
        // Someone else bought it after our search: gone from the inventory too.
        answer: () => {
          telnyx.inventory = telnyx.inventory.filter((s) => s.number !== taken);
          const error = { code: TELNYX_NOT_AVAILABLE, title: "Number not available", detail: `Number ${taken} is not available for purchase` };
          return new Response(JSON.stringify({ errors: [error] }), { status: 422 });
        },
      },
      { match: (req) => req.method === "POST" && req.url.pathname.endsWith("number_orders") && ++orders === 2, answer: "lost" },
    );
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 3, fallback: "nearest" });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o.status).toBe("running");
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3, added: 3, skipped: 1 } });
    expect(new Set(telnyx.purchases).size).toBe(telnyx.purchases.length);
    expect(telnyx.purchases).toHaveLength(3);
    const wide = telnyx.requests("GET", /available_phone_numbers$/).map((r) => r.url.searchParams.get("filter[best_effort]"));
    expect(wide).toContain("true");
    expect(o.numbers.filter((n: { fallback: boolean }) => n.fallback)).toHaveLength(2);
  });
});

describe("Telnyx reconciliation without the reference on the numbers", () => {
  it("a lost order answer is found through the number orders' customer_reference, bought once and wired", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(stock("312", 6, { region: "IL", locality: "Chicago" }));
    // The order's customer_reference stays on the order: the phone numbers carry none.
    telnyx.copiesReference = false;
    edge(telnyx);
    let orders = 0;
    telnyx.faults.push({ match: (req) => req.method === "POST" && req.url.pathname.endsWith("number_orders") && ++orders === 2, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o.status).toBe("running");
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3, added: 3 } });
    expect(telnyx.purchases).toHaveLength(3);
    expect(telnyx.requests("GET", /\/v2\/number_orders$/).map((r) => r.url.searchParams.get("filter[customer_reference]"))).toContain(id);
    // Every number bought is wired to the application and in the pool.
    expect([...telnyx.owned.values()].every((n) => n.connection_id === TELNYX_APP)).toBe(true);
    expect((await getPool(acct)).trackingNumbers.filter((n: string) => n.startsWith("+1312")).sort()).toEqual([...telnyx.purchases].sort());
  });

  it("an order line still pending and not yet listed is recorded as ordered, never bought again", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(stock("312", 6, { region: "IL", locality: "Chicago" }));
    telnyx.copiesReference = false;
    telnyx.async = { pending: "requirement-info-pending", unlisted: true };
    edge(telnyx);
    // The order's answer is lost: only the number orders tell what was ordered.
    telnyx.faults.push({ match: (req) => req.method === "POST" && req.url.pathname.endsWith("number_orders"), answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    await work(acct);
    let o = await getOrder(acct, id);
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(telnyx.purchases).toHaveLength(1);
    expect(o.numbers).toEqual([{ number: telnyx.purchases[0], state: "ordered", fallback: false }]);
  });
});

describe("Idempotency-Key", () => {
  it("a retry with the same key and body gets the first order, buys nothing more; another body is 409; no key, a second order", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 10));
    edge(twilio);
    await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const send = (body: Record<string, unknown>, key?: string) =>
      api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body, headers: key ? { "Idempotency-Key": key } : {} });
    const body = { add: ["+1 212 736 5001"], order: { country: "US", areaCode: "510", quantity: 2 } };
    const first = await send(body, "retry-7f3c2a");
    expect(first.status).toBe(202);
    // The client timed out and sends it again: the same order, the add not applied twice.
    const again = await send(body, "retry-7f3c2a");
    expect([again.status, again.json.order.id]).toEqual([202, first.json.order.id]);
    expect(again.json.trackingNumbers).toEqual(first.json.trackingNumbers);
    await work(acct);
    expect(twilio.purchases).toHaveLength(3);
    const before = await dump(accountStub(acct.accountId));
    const other = await send({ order: { country: "US", areaCode: "510", quantity: 5 } }, "retry-7f3c2a");
    expect([other.status, other.json.error.code]).toEqual([409, "idempotency_key_reused"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    const bad = await send(body, "has space");
    expect([bad.status, bad.json.error.code]).toEqual([400, "invalid_request"]);
    // Without a key, each request is an order of its own.
    const plain = [
      await send({ order: { country: "US", areaCode: "510", quantity: 1 } }),
      await send({ order: { country: "US", areaCode: "510", quantity: 1 } }),
    ];
    expect(new Set(plain.map((r) => r.json.order.id)).size).toBe(2);
  });
});

describe("Telnyx asynchronous orders", () => {
  // Telnyx documents number orders as asynchronous: POST /number_orders answers "pending"; a number
  // is listed a moment later, or, with regulatory requirements, stays requirement-info-pending (or
  // unlisted) until documents are filed.
  const chicago = (n: number) => stock("312", n, { region: "IL", locality: "Chicago" });

  /** Run the alarm at each next attempt until the order is neither pending nor running (at most `steps`). */
  async function drive(acct: Created, id: string, steps = 30) {
    for (let i = 0; i < steps; i++) {
      const o = await getOrder(acct, id);
      if (i > 0 && o.status !== "running" && o.status !== "pending") return o;
      if (o.nextAttemptAt === null) return o;
      await work(acct, Math.max(o.nextAttemptAt, Date.now()));
    }
    return getOrder(acct, id);
  }

  it("each number listed a moment after its order: an order of 12 completes with 12 numbers, each bought once, all in the pool", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(20));
    telnyx.async = { lag: 1 };
    edge(telnyx);
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 12 });
    const o = await drive(acct, id);
    expect(o).toMatchObject({ status: "completed", lastError: null, progress: { bought: 12, added: 12 } });
    expect(telnyx.purchases).toHaveLength(12);
    expect(new Set((await getPool(acct)).trackingNumbers)).toEqual(new Set(telnyx.numbers()));
  });

  it("regulatory requirements, the number not listed: one number is ordered, not one per step; it joins the pool once active", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(20));
    telnyx.async = { pending: "requirement-info-pending", unlisted: true };
    edge(telnyx);
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    const o = await drive(acct, id, 8);
    expect(o).toMatchObject({ status: "running", attempts: 0, numbers: [{ number: telnyx.purchases[0], state: "ordered" }] });
    expect(o.lastError).toContain("pending at telnyx");
    expect(telnyx.requests("POST", /number_orders$/)).toHaveLength(1);
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    telnyx.activate();
    const done = await drive(acct, id);
    expect(done).toMatchObject({ status: "completed", numbers: [{ number: telnyx.purchases[0], state: "added" }] });
    expect((await getPool(acct)).trackingNumbers).toEqual(telnyx.purchases);
    expect(telnyx.purchases).toHaveLength(1);
  });

  it("regulatory requirements, the number listed as requirement-info-pending: not shown to visitors until active", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(5));
    telnyx.async = { pending: "requirement-info-pending" };
    edge(telnyx);
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    const o = await drive(acct, id, 5);
    expect(o).toMatchObject({ status: "running", numbers: [{ state: "ordered" }] });
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    telnyx.activate();
    expect(await drive(acct, id)).toMatchObject({ status: "completed", progress: { added: 1 } });
    expect((await getPool(acct)).trackingNumbers).toEqual(telnyx.numbers());
  });
});

describe("a wider search (fallback nearest) is for US and CA numbers only", () => {
  it("Telnyx's best effort and Twilio's near searches are never asked for another country's numbers", () => {
    const base = { type: "local", quantity: 2, sameStateOnly: false, fallback: "nearest" } as const;
    expect(searchPlan({ ...base, country: "US", areaCode: "312" }, "telnyx", [])).toHaveLength(2);
    expect(searchPlan({ ...base, country: "US", areaCode: "312" }, "twilio", ["+13125550100"])).toHaveLength(2);
    for (const provider of ["telnyx", "twilio"]) expect(searchPlan({ ...base, country: "GB", areaCode: "161" }, provider, ["+441614960000"])).toHaveLength(1);
    // "Only available in USA/CANADA" (Telnyx's reference): not sent for another country.
    expect(telnyxSearchParams({ country: "US", type: "local", bestEffort: true, limit: 5 }).get("filter[best_effort]")).toBe("true");
    expect(telnyxSearchParams({ country: "GB", type: "local", limit: 5 }).has("filter[best_effort]")).toBe(false);
  });
});

describe("stopping an order", () => {
  it("deleting its pool before the alarm runs: nothing is bought, the order is canceled with why", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("510", 10));
    const net = edge(twilio);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 5 });
    expect((await api("DELETE", "/v1/pools/ads", { key: acct.adminKey })).status).toBe(204);
    await work(acct);
    expect(net.seen).toHaveLength(0);
    expect(await getOrder(acct, id)).toMatchObject({ status: "canceled", lastError: "Pool ads was deleted", nextAttemptAt: null });
  });

  it("deleting the pool of a waiting order (area short): nothing is bought when stock comes back; the numbers it added are released after lease + grace", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("707", 1));
    edge(twilio);
    const id = await order(acct, { country: "US", areaCode: "707", quantity: 3, fallback: "wait" });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "waiting", progress: { added: 1 } });
    expect((await api("DELETE", "/v1/pools/ads", { key: acct.adminKey })).status).toBe(204);
    expect((await getOrder(acct, id)).status).toBe("canceled");
    twilio.inventory.push(...stock("707", 3));
    await work(acct, T0 + WAIT_MS);
    expect(twilio.purchases).toHaveLength(1);
    expect(twilio.requests("GET", /AvailablePhoneNumbers/)).toHaveLength(1);
    // The number it bought routed the pool's calls until lease + grace (poolBody: 60 s + 120 s), then goes back.
    expect(twilio.released).toHaveLength(1);
    // It was added, released since: still counted as added.
    expect(await getOrder(acct, id)).toMatchObject({ progress: { bought: 1, configured: 1, added: 1 } });
  });

  it("DELETE /v1/orders/{id}: an open order stops (what it added stays in the pool); an ended one is 409 order_closed", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(stock("707", 1));
    edge(twilio);
    const id = await order(acct, { country: "US", areaCode: "707", quantity: 3, fallback: "wait" });
    await work(acct);
    const canceled = await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey });
    expect(canceled.status).toBe(200);
    expect(canceled.json).toMatchObject({ id, status: "canceled", lastError: "Canceled by the account", nextAttemptAt: null, progress: { added: 1 } });
    expect((await getPool(acct)).trackingNumbers).toEqual([twilio.purchases[0]]);
    twilio.inventory.push(...stock("707", 3));
    await work(acct, T0 + WAIT_MS);
    expect(twilio.purchases).toHaveLength(1);
    expect(twilio.released).toEqual([]);
    const again = await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey });
    expect([again.status, again.json.error.code]).toEqual([409, "order_closed"]);
    expect((await api("DELETE", "/v1/orders/ord_00000000000000000000", { key: acct.adminKey })).status).toBe(404);
  });
});

describe("area codes outside the US and Canada", () => {
  const gb = (prefix: string, n: number, locality: string): Stock[] =>
    Array.from({ length: n }, (_, i) => ({
      number: `+44${prefix}${String(4960000 + i).padStart(10 - prefix.length, "0")}`,
      region: "",
      locality,
      lat: 0,
      lng: 0,
      type: "local",
    }));

  it("Twilio: a GB order for 161 (Manchester) searches Contains=+44161 (AreaCode is US and Canada only) and buys Manchester numbers", async () => {
    const acct = await world("twilio");
    // Leeds (0113) first in Twilio's answer: an AreaCode it ignores would buy those.
    const twilio = new FakeTwilio([...gb("113", 4, "Leeds"), ...gb("161", 4, "Manchester")]);
    edge(twilio);
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: {
        id: "uk",
        name: "UK",
        country: "GB",
        destinations: ["+44 161 496 0999"],
        isDefault: true,
        // GB numbers need an Address and a Bundle at Twilio (numbers-regulatory.test.ts).
        order: { country: "GB", areaCode: "161", quantity: 2, regulatory: { addressSid: `AD${"0".repeat(32)}`, bundleSid: `BU${"0".repeat(32)}` } },
      },
    });
    expect(r.status).toBe(201);
    await work(acct);
    const q = twilio.requests("GET", /AvailablePhoneNumbers\/GB\/Local\.json$/)[0]!.url.searchParams;
    expect([q.get("Contains"), q.get("AreaCode")]).toEqual(["+44161", null]);
    expect(twilio.purchases).toEqual([expect.stringMatching(/^\+44161/), expect.stringMatching(/^\+44161/)]);
    expect((await getOrder(acct, r.json.order.id)).status).toBe("completed");
  });

  it.each([
    ["GB", "20", "London: 020 then 3, 7 or 8"],
    ["GB", "23", "Southampton"],
    ["GB", "161", "Manchester"],
    ["AU", "8", "Adelaide and Perth: 08 then 7, 8 or 9"],
    ["AU", "2", "Sydney"],
    ["DE", "30", "Berlin"],
  ])("%s area code %s (%s) is one", async (country, areaCode) => {
    const acct = await world("twilio");
    edge(new FakeTwilio([]));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country, areaCode, quantity: 1 }) });
    expect([r.status, r.json.error?.message ?? null]).toEqual([201, null]);
  });
});

describe("refused number requests buy nothing and store nothing", () => {
  it.each([
    ["unknown country", { country: "XX", quantity: 1 }, 400, "unknown_country"],
    ["an area code of another country", { country: "US", areaCode: "416", quantity: 1 }, 400, "invalid_area_code"],
    ["an area code that is none", { country: "US", areaCode: "999", quantity: 1 }, 400, "invalid_area_code"],
    ["a quantity over the most one order may buy", { country: "US", areaCode: "510", quantity: 101 }, 400, "invalid_request"],
    ["two ways to say where", { country: "US", areaCode: "510", city: "Oakland", quantity: 1 }, 400, "invalid_number_request"],
    ["a city for toll-free numbers", { country: "US", type: "tollfree", city: "Oakland", quantity: 1 }, 400, "invalid_number_request"],
    ["same state only without a point", { country: "US", areaCode: "510", sameStateOnly: true, quantity: 1 }, 400, "invalid_number_request"],
    [
      "a point on Telnyx (no coordinates in its search)",
      { country: "US", near: { lat: 41.88, lng: -87.63 }, quantity: 1, provider: "telnyx" },
      400,
      "unsupported_search",
    ],
    ["a provider without a number API", { country: "US", areaCode: "510", quantity: 1, provider: "reference" }, 400, "invalid_request"],
    ["a region outside the US and Canada (no state filter there)", { country: "GB", city: "Manchester", region: "EN", quantity: 1 }, 400, "unsupported_search"],
    ["mobile numbers of a +1 country (mobiles are local numbers there)", { country: "US", type: "mobile", quantity: 1 }, 400, "unsupported_search"],
    ["mobile numbers of Canada", { country: "CA", type: "mobile", city: "Toronto", quantity: 1 }, 400, "unsupported_search"],
  ])("%s", async (_label, request, status, code) => {
    const acct = await world("twilio");
    const net = edge(new FakeTwilio(stock("510", 2)));
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody(request) });
    expect([r.status, r.json.error.code]).toEqual([status, code]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it.each([
    ["a number to add that is none", { add: ["toString"] }, 400, "invalid_number"],
    ["a number to remove that the pool does not have", { remove: ["+14155550999"] }, 404, "number_not_in_pool"],
  ])("an order with %s queues no order (POST /v1/pools/{id}/numbers)", async (_label, change, status, code) => {
    const acct = await world("twilio");
    const net = edge(new FakeTwilio(stock("510", 2)));
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...poolBody({}), order: undefined, trackingNumbers: freshNumbers(1) } })).status).toBe(
      201,
    );
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { ...change, order: { country: "US", areaCode: "510", quantity: 1 } } });
    expect([r.status, r.json.error.code]).toEqual([status, code]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect((await api("GET", "/v1/orders", { key: acct.adminKey })).json.orders).toEqual([]);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it("an order with a number to add that another account holds queues no order and buys nothing (POST /v1/pools/{id}/numbers)", async () => {
    const acct = await world("twilio");
    const net = edge(new FakeTwilio(stock("510", 2)));
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...poolBody({}), order: undefined, trackingNumbers: freshNumbers(1) } })).status).toBe(
      201,
    );
    const other = await createAccount();
    const theirs = freshNumbers(1);
    await createPool(other, { id: "web", name: "Web", trackingNumbers: theirs, destinations: ["+12127365000"], isDefault: true });
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { add: theirs, order: { country: "US", areaCode: "510", quantity: 1 } } });
    expect([r.status, r.json.error.code]).toEqual([409, "number_conflict"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    expect((await api("GET", "/v1/orders", { key: acct.adminKey })).json.orders).toEqual([]);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it("a point on Telnyx with credentials is refused as unsupported; Twilio without an AccountSid cannot buy", async () => {
    const acct = await world("telnyx");
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", near: { lat: 41.88, lng: -87.63 }, quantity: 1 }) });
    expect([r.status, r.json.error.code]).toEqual([400, "unsupported_search"]);
    const tw = await createAccount();
    await api("PATCH", "/v1/account/voice", { key: tw.adminKey, body: { provider: "twilio", credentials: { twilio: { authToken: TWILIO_TOKEN } } } });
    const before = await dump(accountStub(tw.accountId));
    const r2 = await api("POST", "/v1/pools", { key: tw.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 1 }) });
    expect([r2.status, r2.json.error.code]).toEqual([409, "numbers_not_configured"]);
    expect(r2.json.error.message).toContain("accountSid");
    expect(await dump(accountStub(tw.accountId))).toBe(before);
    // Adding an order to a pool that does not exist.
    const r3 = await api("POST", "/v1/pools/nope/numbers", { key: tw.adminKey, body: { order: { country: "US", quantity: 1 } } });
    expect(r3.status).toBe(404);
    expect((await api("GET", "/v1/orders/ord_00000000000000000000", { key: tw.adminKey })).status).toBe(404);
    expect((await api("GET", "/v1/orders/nope", { key: tw.adminKey })).status).toBe(400);
  });
});
