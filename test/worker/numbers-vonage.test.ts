/**
 * Vonage number orders (worker/numbers/vonage.ts) against a fake Vonage at the network edge: the
 * owner's application gets our callback URLs, bought numbers are linked to it, a 420 (Vonage's one
 * refusal for a taken number and a refused account alike) is decided by what Vonage then holds and
 * offers, an interrupted order finds what it bought by asking after each number it went to buy (and
 * only those: a number the owner linked to the application by hand is never taken).
 */
import { describe, expect, it } from "vitest";
import { T0 } from "./calls-helpers";
import { accountStub, api, createAccount, dump, useTestClock } from "./helpers";
import { FakeVonage, stock, VONAGE_ADDRESS_LABEL, VONAGE_APP, VONAGE_KEY, VONAGE_SECRET } from "./numbers-fakes";
import { buyTries, edge, getOrder, getPool, order, poolBody, VONAGE_SIGNATURE, work, workUntilRestart, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const isBuy = (req: { method: string; url: URL }) => req.method === "POST" && req.url.pathname === "/number/buy";
const urlsOf = (accountId: string) => {
  const base = `https://dni.test/v1/voice/${accountId}/vonage`;
  return { answer: base, event: `${base}/status` };
};

describe("a Vonage order", () => {
  it("fills the pool with numbers linked to the owner's application, whose answer and event URLs become this account's (signed), its other settings kept", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage([...stock("510", 4), ...stock("415", 2)]);
    edge(vonage);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ provider: "vonage", status: "completed", progress: { bought: 3, configured: 3, added: 3, skipped: 0 } });
    const pool = await getPool(acct);
    expect(pool.trackingNumbers.slice().sort()).toEqual(vonage.purchases.slice().sort());
    expect(vonage.purchases.every((n) => n.startsWith("+1510"))).toBe(true);
    expect(vonage.linked().sort()).toEqual(vonage.purchases.slice().sort());
    // The search: a landline with voice, beginning with the country code and area code.
    const search = vonage.requests("GET", /^\/number\/search$/)[0]!.url.searchParams;
    expect(Object.fromEntries(search)).toMatchObject({ country: "US", type: "landline", features: "VOICE", pattern: "1510", search_pattern: "0" });
    // Basic auth: the secret never in a URL.
    expect(
      vonage.seen.every((r) => !r.url.search.includes(VONAGE_SECRET) && r.headers.get("Authorization") === `Basic ${btoa(`${VONAGE_KEY}:${VONAGE_SECRET}`)}`),
    ).toBe(true);
    expect(new URLSearchParams(vonage.requests("POST", /^\/number\/buy$/)[0]!.body).get("msisdn")).toMatch(/^1510\d{7}$/);
    // The application: the README's Vonage row (answer GET, event POST), signed callbacks on.
    const { answer, event } = urlsOf(acct.accountId);
    const app = vonage.application as { name: string; keys: { public_key: string }; capabilities: Record<string, Record<string, unknown>> };
    expect(app.capabilities.voice).toMatchObject({
      signed_callbacks: true,
      webhooks: {
        answer_url: { address: answer, http_method: "GET", socket_timeout: 3000 },
        fallback_answer_url: { address: answer, http_method: "GET" },
        event_url: { address: event, http_method: "POST" },
      },
    });
    expect(app.name).toBe("Tracking numbers");
    expect(app.keys.public_key).toContain("BEGIN PUBLIC KEY");
    expect(app.capabilities.messages).toEqual({ webhooks: { inbound_url: { address: "https://example.com/inbound", http_method: "POST" } } });
    // A second order finds the application set: read, not written again.
    await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "US", areaCode: "510", quantity: 1 } } });
    await work(acct);
    expect(vonage.requests("PUT", /^\/v2\/applications\//)).toHaveLength(1);
    expect((await getPool(acct)).trackingNumbers).toHaveLength(4);
  });

  it("mobile and toll-free are Vonage's mobile-lvn and landline-toll-free; an area outside the US is the number's beginning after its country code", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage([
      ...stock("800", 2, { type: "tollfree" }),
      { number: "+442071234567", region: "", locality: "London", lat: 51.5, lng: -0.1, type: "local" },
      { number: "+441611234567", region: "", locality: "Manchester", lat: 53.5, lng: -2.2, type: "local" },
      { number: "+447700900123", region: "", locality: "", lat: 0, lng: 0, type: "mobile" },
    ]);
    edge(vonage);
    await order(acct, { country: "GB", areaCode: "20", quantity: 1 });
    await work(acct);
    expect(vonage.purchases).toEqual(["+442071234567"]);
    expect(vonage.requests("GET", /^\/number\/search$/)[0]!.url.searchParams.get("pattern")).toBe("4420");
    await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "GB", type: "mobile", quantity: 1 } } });
    await work(acct);
    expect(vonage.requests("GET", /^\/number\/search$/)[1]!.url.searchParams.get("type")).toBe("mobile-lvn");
    await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "US", type: "tollfree", quantity: 1 } } });
    await work(acct);
    expect(vonage.requests("GET", /^\/number\/search$/)[2]!.url.searchParams.get("type")).toBe("landline-toll-free");
    expect(vonage.purchases).toHaveLength(3);
    expect(new URLSearchParams(vonage.requests("POST", /^\/number\/buy$/)[1]!.body).get("country")).toBe("GB");
  });

  it("a search Vonage cannot make is refused before anything is stored: national, city, region", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 2));
    edge(vonage);
    for (const bad of [
      { country: "GB", type: "national", quantity: 1 },
      { country: "US", city: "Berkeley", quantity: 1 },
      { country: "US", areaCode: "510", region: "CA", quantity: 1 },
    ]) {
      const before = await dump(accountStub(acct.accountId));
      const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody(bad) });
      expect([r.status, r.json.error.code]).toEqual([400, "unsupported_search"]);
      expect(await dump(accountStub(acct.accountId))).toBe(before);
    }
    expect(vonage.seen).toEqual([]);
  });
});

describe("a retried Vonage order buys nothing twice", () => {
  it("a purchase whose answer is lost is looked up at once: found the account's, it is recorded and linked, not bought again", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 4));
    edge(vonage);
    vonage.faults.push({ match: isBuy, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2, added: 2, skipped: 0 } });
    expect(vonage.purchases).toHaveLength(2);
    expect(new Set(vonage.purchases).size).toBe(2);
    expect(vonage.linked().sort()).toEqual(vonage.purchases.slice().sort());
    expect((await getPool(acct)).trackingNumbers.slice().sort()).toEqual(vonage.purchases.slice().sort());
  });

  it("a restart between Vonage's purchase and our record: the retry asks after the number the order went to buy, links it and uses it; nothing bought twice", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 5));
    edge(vonage);
    // Vonage sells the first number; the object restarts before its answer (so before it is linked).
    vonage.faults.push({ match: isBuy, answer: "hang" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await workUntilRestart(acct, () => vonage.purchases.length === 1);
    const [orphan] = vonage.purchases;
    expect(vonage.linked()).toEqual([]);
    expect(await buyTries(acct)).toEqual([orphan]);
    await work(acct, T0 + 60_000);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 2, added: 2 } });
    expect(o.numbers.map((n: { number: string }) => n.number)).toContain(orphan);
    expect(vonage.purchases).toHaveLength(2);
    expect(vonage.linked().sort()).toEqual(vonage.purchases.slice().sort());
    expect((await getPool(acct)).trackingNumbers.slice().sort()).toEqual(vonage.purchases.slice().sort());
    expect(await buyTries(acct)).toEqual([]);
  });

  it("a purchase whose answer is lost and whose look-up fails too: retried later, the retry finds the number it went to buy", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 4));
    edge(vonage);
    vonage.faults.push(
      { match: isBuy, answer: "lost" },
      {
        match: (req) => req.url.pathname === "/account/numbers" && req.url.searchParams.has("pattern"),
        answer: () => new Response("busy", { status: 503 }),
      },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "running", attempts: 1, progress: { bought: 0 } });
    await work(acct, T0 + 30_000);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1, added: 1 } });
    expect(vonage.purchases).toHaveLength(1);
    expect(vonage.linked()).toEqual(vonage.purchases);
  });

  it("a number the owner linked to the application by hand, in no pool, is never taken by an order, nor ever canceled", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 6));
    edge(vonage);
    const [mine] = stock("510", 1, { locality: "Front desk" });
    vonage.hold(mine!); // the business's own number, on the same application, kept out of pools
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 2, added: 2 } });
    expect(o.numbers.map((n: { number: string }) => n.number)).not.toContain(mine!.number);
    expect(vonage.purchases).toHaveLength(2);
    // Autoscaling's fills and a later order do not take it either; giving numbers back never cancels it.
    const put = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { numbers: { country: "US", areaCode: "510" }, min: 3, max: 5 } });
    expect(put.status).toBe(200);
    await work(acct, T0 + 5 * 60_000);
    await work(acct, T0 + 10 * 60_000);
    const pool = await getPool(acct);
    expect(pool.trackingNumbers).toHaveLength(3);
    expect(pool.trackingNumbers).not.toContain(mine!.number);
    expect(vonage.purchases).toHaveLength(3);
    await api("DELETE", "/v1/pools/ads/autoscale", { key: acct.adminKey });
    expect((await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { remove: pool.trackingNumbers } })).status).toBe(200);
    await work(acct, T0 + 60 * 60_000);
    expect(vonage.released.slice().sort()).toEqual(pool.trackingNumbers.slice().sort());
    expect(vonage.linked()).toEqual([mine!.number]);
  });
});

describe("a refused Vonage purchase", () => {
  it("420 for a number no longer for sale: skipped, another bought", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 4));
    edge(vonage);
    // Someone else buys the first candidate between our search and our purchase.
    vonage.faults.push({
      match: (req) => {
        if (!isBuy(req)) return false;
        const n = `+${new URLSearchParams(req.body).get("msisdn")}`;
        vonage.inventory = vonage.inventory.filter((s) => s.number !== n);
        return true;
      },
      answer: () => Response.json({ "error-code": "420", "error-code-label": "method failed" }, { status: 420 }),
    });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2, added: 2, skipped: 1 } });
    expect(vonage.purchases).toHaveLength(2);
  });

  it("420 while the number is still for sale (no credit): the order fails at once with Vonage's label, nothing bought, not skipped number after number", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 4));
    vonage.credit = false;
    edge(vonage);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "failed", nextAttemptAt: null, progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toContain("420: method failed (Vonage 420)");
    expect(o.lastError).toContain("still for sale");
    expect(vonage.requests("POST", /^\/number\/buy$/)).toHaveLength(1);
    expect(vonage.purchases).toEqual([]);
  });

  it("a number that needs an address: fails with Vonage's sentence", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage([{ number: "+4930123456789", region: "", locality: "Berlin", lat: 52.5, lng: 13.4, type: "local" }]);
    edge(vonage);
    const id = await order(acct, { country: "DE", areaCode: "30", quantity: 1 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o.status).toBe("failed");
    expect(o.lastError).toContain(VONAGE_ADDRESS_LABEL);
  });

  it("wrong credentials (401): fails with Vonage's label; an application that is not the account's: fails naming applicationId", async () => {
    const acct = await createAccount();
    await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: {
        provider: "vonage",
        credentials: { vonage: { signatureSecret: VONAGE_SIGNATURE, apiKey: VONAGE_KEY, apiSecret: "WrongSecret99", applicationId: VONAGE_APP } },
      },
    });
    const vonage = new FakeVonage(stock("510", 2));
    edge(vonage);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "failed", lastError: expect.stringContaining("401") });

    const other = await createAccount();
    await api("PATCH", "/v1/account/voice", {
      key: other.adminKey,
      body: {
        provider: "vonage",
        credentials: {
          vonage: { signatureSecret: VONAGE_SIGNATURE, apiKey: VONAGE_KEY, apiSecret: VONAGE_SECRET, applicationId: "bbbbbbbb-bbbb-cccc-dddd-0123456789ab" },
        },
      },
    });
    const id2 = await order(other, { country: "US", areaCode: "510", quantity: 1 });
    await work(other);
    const o = await getOrder(other, id2);
    expect(o.status).toBe("failed");
    expect(o.lastError).toContain("credentials.vonage.applicationId");
    expect(vonage.purchases).toEqual([]);
  });

  it.each([
    [503, {}],
    [429, { "Retry-After": "120" }],
  ])("%s: retried with backoff, then bought once", async (status, headers) => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 3));
    edge(vonage);
    vonage.faults.push({ match: isBuy, answer: () => new Response("busy", { status, headers }) });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const o = await getOrder(acct, id);
    const wait = status === 429 ? 120_000 : 30_000;
    expect(o).toMatchObject({ status: "running", attempts: 1, nextAttemptAt: T0 + wait, progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toContain(String(status));
    await work(acct, T0 + wait);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1, skipped: 0 } });
    expect(vonage.purchases).toHaveLength(1);
  });
});

describe("Vonage credentials and release", () => {
  it("without apiSecret or applicationId: 409 naming them, nothing stored; they are write-only", async () => {
    const acct = await createAccount();
    const r0 = await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { provider: "vonage", credentials: { vonage: { signatureSecret: VONAGE_SIGNATURE, apiKey: VONAGE_KEY } } },
    });
    expect(r0.status).toBe(200);
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 1 }) });
    expect([r.status, r.json.error.code]).toEqual([409, "numbers_not_configured"]);
    expect(r.json.error.message).toBe("Buying Vonage numbers needs credentials.vonage.apiKey, apiSecret and applicationId (PATCH /v1/account/voice)");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    const bad = await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { credentials: { vonage: { signatureSecret: VONAGE_SIGNATURE, apiKey: VONAGE_KEY, apiSecret: VONAGE_SECRET, applicationId: "not-an-app" } } },
    });
    expect(bad.status).toBe(400);
    await world("vonage").then(async (w) => {
      const settings = await api("GET", "/v1/account/voice", { key: w.adminKey });
      expect(JSON.stringify(settings.json)).not.toContain(VONAGE_SECRET);
      expect(Object.keys(settings.json.providers.vonage.hints).sort()).toEqual(["apiKey", "apiSecret", "applicationId", "signatureSecret"]);
    });
  });

  it("a number removed from the pool is canceled at Vonage once its lease and grace are over", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 2));
    edge(vonage);
    await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const [gone, kept] = (await getPool(acct)).trackingNumbers as string[];
    const r = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { remove: [gone] } });
    expect(r.status).toBe(200);
    await work(acct, T0 + 10 * 60_000);
    expect(vonage.released).toEqual([gone]);
    const cancel = new URLSearchParams(vonage.requests("POST", /^\/number\/cancel$/)[0]!.body);
    expect(Object.fromEntries(cancel)).toEqual({ country: "US", msisdn: gone!.slice(1) });
    expect(vonage.numbers()).toEqual([kept]);
  });
});

describe("autoscaling on Vonage", () => {
  it("the pool's first fill to min buys from Vonage, each number linked; the numbers already pooled are not taken again", async () => {
    const acct = await world("vonage");
    const vonage = new FakeVonage(stock("510", 10));
    edge(vonage);
    await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const put = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { numbers: { country: "US", areaCode: "510" }, min: 3, max: 5 } });
    expect(put.status).toBe(200);
    await work(acct, T0 + 5 * 60_000);
    await work(acct, T0 + 10 * 60_000);
    const pool = await getPool(acct);
    expect(pool.trackingNumbers).toHaveLength(3);
    expect(vonage.purchases).toHaveLength(3);
    expect(new Set(vonage.purchases).size).toBe(3);
    expect(vonage.linked().sort()).toEqual(pool.trackingNumbers.slice().sort());
    const orders = (await api("GET", "/v1/orders?pool=ads", { key: acct.adminKey })).json.orders as { provider: string; status: string }[];
    expect(orders.every((o) => o.provider === "vonage" && o.status === "completed")).toBe(true);
  });
});
