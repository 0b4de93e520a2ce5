/**
 * Number orders from SignalWire through its Compatibility REST API at the account's Space
 * (worker/numbers/signalwire.ts), against FakeSignalWire at the network edge: bought numbers point
 * at the account's /signalwire URLs, an interrupted order buys nothing twice, taken numbers are
 * skipped, refusals carry SignalWire's reason, 429/5xx are retried, removed numbers are released,
 * missing credentials are a clear refusal, and autoscaling buys from it.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { searchPlan } from "../../worker/account/order-runner";
import { signalwireHost, signalwireNumbers } from "../../worker/numbers/signalwire";
import { CredentialSchemas } from "../../worker/schemas/providers";
import { T0 } from "./calls-helpers";
import { accountStub, api, createAccount, dump, useTestClock } from "./helpers";
import { FakeSignalWire, FakeTwilio, type Stock, SW_NOT_AVAILABLE, SW_PROJECT, SW_SPACE, SW_TOKEN, stock } from "./numbers-fakes";
import { edge, getOrder, getPool, order, poolBody, SW_SIGNING_KEY, work, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const LAML = `/api/laml/2010-04-01/Accounts/${SW_PROJECT}`;
const isBuy = (req: { method: string; url: URL }) => req.method === "POST" && req.url.pathname === `${LAML}/IncomingPhoneNumbers.json`;
const isList = (req: { method: string; url: URL }) => req.method === "GET" && req.url.pathname === `${LAML}/IncomingPhoneNumbers.json`;
const swError =
  (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  () =>
    Response.json({ code, message, more_info: "https://developer.signalwire.com/compatibility-api/reference/errors", status }, { status, headers });

describe("SignalWire number orders", () => {
  it("by area code: searched, bought under the order id with our /signalwire URLs, at the Space with the project's Basic auth, and added to the pool", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire([...stock("510", 5), ...stock("415", 3)]);
    const net = edge(sw);
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 3 }) });
    expect(r.status).toBe(201);
    expect(r.json.order).toMatchObject({ provider: "signalwire", status: "pending" });
    await work(acct);
    const o = await getOrder(acct, r.json.order.id);
    expect(o).toMatchObject({ status: "completed", progress: { searched: 5, bought: 3, configured: 3, added: 3, skipped: 0 } });

    // Every request went to the account's Space only, with ProjectID:API token.
    expect(net.seen.every((s) => s.url.hostname === SW_SPACE && s.url.protocol === "https:")).toBe(true);
    expect(new Set(net.seen.map((s) => s.headers.get("Authorization")))).toEqual(new Set([`Basic ${btoa(`${SW_PROJECT}:${SW_TOKEN}`)}`]));
    const search = sw.requests("GET", /AvailablePhoneNumbers\/US\/Local\.json$/)[0]!;
    expect(search.url.searchParams.get("AreaCode")).toBe("510");
    const buys = sw.requests("POST", /IncomingPhoneNumbers\.json$/);
    expect(buys).toHaveLength(3);
    const form = new URLSearchParams(buys[0]!.body);
    expect(form.get("FriendlyName")).toBe(o.id);
    expect(form.get("VoiceMethod")).toBe("POST");
    // The README's SignalWire row: "When a call comes in" …/signalwire, "Status Change Webhook" …/signalwire/status.
    for (const n of sw.owned.values()) {
      expect(n.voice_url).toBe(`https://dni.test/v1/voice/${acct.accountId}/signalwire`);
      expect(n.voice_fallback_url).toBe(`https://dni.test/v1/voice/${acct.accountId}/signalwire`);
      expect(n.status_callback).toBe(`https://dni.test/v1/voice/${acct.accountId}/signalwire/status`);
    }
    const pool = await getPool(acct);
    expect(pool.trackingNumbers.slice().sort()).toEqual(sw.numbers().sort());
    expect(pool.trackingNumbers.every((n: string) => n.startsWith("+1510"))).toBe(true);
    expect(pool.numberProviders).toEqual({});
  });

  it("by city and state: InLocality with InRegion; toll-free from its TollFree search", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire([
      ...stock("510", 2, { locality: "Oakland" }),
      ...stock("312", 2, { locality: "Oakland", region: "IL" }),
      ...stock("888", 2, { type: "tollfree" }),
    ]);
    edge(sw);
    const id = await order(acct, { country: "US", city: "Oakland", region: "CA", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2 } });
    const q = sw.requests("GET", /\/Local\.json$/)[0]!.url.searchParams;
    expect([q.get("InLocality"), q.get("InRegion")]).toEqual(["Oakland", "CA"]);
    expect(sw.purchases.every((n) => n.startsWith("+1510"))).toBe(true);

    const tf = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "US", type: "tollfree", quantity: 2 } } });
    expect(tf.status).toBe(202);
    await work(acct);
    expect(await getOrder(acct, tf.json.order.id)).toMatchObject({ status: "completed", progress: { bought: 2 } });
    expect(sw.requests("GET", /\/TollFree\.json$/)).toHaveLength(1);
  });

  it("an area code outside +1: Contains {calling code}{area code} (no '+', no AreaCode there), and only numbers beginning with it are bought", async () => {
    const acct = await world("signalwire");
    const gb = (prefix: string, n: number, locality: string): Stock[] =>
      Array.from({ length: n }, (_, i) => ({
        number: `+44${prefix}${String(4970000 + i).padStart(10 - prefix.length, "0")}`,
        region: "",
        locality,
        lat: 0,
        lng: 0,
        type: "local",
      }));
    // A London number with 44161 inside it: Contains matches it, it is not Manchester's.
    const decoy: Stock = { number: "+442044161000", region: "", locality: "London", lat: 0, lng: 0, type: "local" };
    const sw = new FakeSignalWire([decoy, ...gb("161", 3, "Manchester")]);
    edge(sw);
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: {
        id: "uk",
        name: "UK",
        country: "GB",
        destinations: ["+44 161 496 0999"],
        isDefault: true,
        order: { country: "GB", areaCode: "161", quantity: 2 },
      },
    });
    expect(r.status).toBe(201);
    await work(acct);
    const q = sw.requests("GET", /AvailablePhoneNumbers\/GB\/Local\.json$/)[0]!.url.searchParams;
    expect([q.get("Contains"), q.get("AreaCode")]).toEqual(["44161", null]);
    expect(sw.purchases).toEqual([expect.stringMatching(/^\+44161/), expect.stringMatching(/^\+44161/)]);
  });

  it("a retry after a lost answer and a restart: the reconcile (FriendlyName, every page) finds what was bought; nothing is bought twice", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 80));
    edge(sw);
    // Numbers of the project bought by hand: never the order's.
    for (const s of stock("415", 5)) sw.hold(s, "bought by hand");
    let buys = 0;
    sw.faults.push({ match: (req) => isBuy(req) && ++buys === 2, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1, progress: { bought: 1 } });
    expect(o.lastError).toContain("network");
    expect(sw.purchases).toHaveLength(2);
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.abort?.("restart");
    }).catch(() => undefined);
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3, configured: 3, added: 3 } });
    expect(sw.purchases).toHaveLength(3);
    expect(new Set(sw.purchases).size).toBe(3);
    expect(sw.requests("GET", /IncomingPhoneNumbers\.json$/).every((s) => s.url.searchParams.get("FriendlyName") === id)).toBe(true);
    // Numbers bought by hand are never taken as the order's.
    expect((await getPool(acct)).trackingNumbers.every((n: string) => n.startsWith("+1510"))).toBe(true);
  });

  it("the reconcile reads every page of the order's numbers (SignalWire pages by 50 here, whatever PageSize asked)", async () => {
    const sw = new FakeSignalWire([]);
    edge(sw);
    for (const s of stock("510", 120)) sw.hold(s, "ord_pagedpagedpagedpaged");
    for (const s of stock("415", 3)) sw.hold(s, "ord_anotheranotheranoth");
    const client = signalwireNumbers({ space: SW_SPACE, projectId: SW_PROJECT, apiToken: SW_TOKEN })!;
    const owned = await client.owned("ord_pagedpagedpagedpaged", { voiceUrl: "https://dni.test/v", statusUrl: "https://dni.test/v/status" });
    expect(owned.ok && owned.value.length).toBe(120);
    expect(owned.ok && new Set(owned.value.map((o) => o.number)).size).toBe(120);
    expect(sw.requests("GET", /IncomingPhoneNumbers\.json$/).map((r) => r.url.searchParams.get("Page"))).toEqual([null, "1", "2"]);
  });

  it("the reconcile follows next_page_uri on the Space only: a page link to another host is not followed (the token goes nowhere else)", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 3));
    const net = edge(sw);
    sw.faults.push({
      match: isList,
      answer: () => Response.json({ incoming_phone_numbers: [], next_page_uri: "https://collector.example/api/laml/2010-04-01/steal", page: 0, page_size: 50 }),
    });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed" });
    expect(net.seen.every((s) => s.url.hostname === SW_SPACE)).toBe(true);
  });

  it("a number taken between search and order (SignalWire's not-available code) is skipped and another bought", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 4));
    edge(sw);
    const gone = sw.inventory[0]!.number;
    const listing = JSON.stringify({ available_phone_numbers: sw.inventory.map((s) => ({ phone_number: s.number, region: s.region })) });
    sw.faults.push({
      match: (req) => req.method === "GET" && req.url.pathname.endsWith("/Local.json"),
      answer: () => new Response(listing, { headers: { "Content-Type": "application/json" } }),
    });
    sw.inventory.shift(); // someone else bought it after the search answered: the fake answers 422 with SW_NOT_AVAILABLE
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 2, skipped: 1 } });
    expect(o.numbers.map((n: { number: string }) => n.number)).not.toContain(gone);
    expect(SW_NOT_AVAILABLE).toBe(21422);
  });

  it.each([
    [
      "a Twilio-shaped refusal",
      422,
      { code: 21215, message: "Account not allowed to purchase numbers", status: 422 },
      "422: Account not allowed to purchase numbers (SignalWire 21215)",
    ],
    [
      "SignalWire's 21421, a purchase without a number (its error-codes page; not Twilio's 21421 'PhoneNumber is invalid')",
      400,
      { code: 21421, message: "An area code or number must be provided to purchase a number", status: 400 },
      "400: An area code or number must be provided to purchase a number (SignalWire 21421)",
    ],
    ["an errors array", 400, { errors: [{ code: "30010", message: "Insufficient balance" }] }, "400: Insufficient balance (SignalWire 30010)"],
    [
      "an errors array of strings",
      422,
      { errors: ["Phone number can't be blank", "Numbers scope missing"] },
      "422: Phone number can't be blank; Numbers scope missing",
    ],
  ])("a refused purchase (%s) fails the order with SignalWire's reason; nothing is skipped or bought", async (_label, status, body, reason) => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 3));
    edge(sw);
    sw.faults.push({ match: isBuy, answer: () => Response.json(body, { status }) });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "failed", nextAttemptAt: null, lastError: reason, progress: { bought: 0, skipped: 0 } });
    expect(sw.purchases).toEqual([]);
  });

  it("a 429 (Retry-After) and a 5xx are retried with backoff; nothing is bought twice", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 5));
    edge(sw);
    let buys = 0;
    sw.faults.push(
      { match: (req) => isBuy(req) && ++buys === 2, answer: swError(429, 20429, "Too Many Requests", { "Retry-After": "120" }) },
      { match: (req) => isList(req) && sw.purchases.length === 1, answer: swError(503, 20503, "Service Unavailable") },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1, nextAttemptAt: T0 + 120_000, progress: { bought: 1, added: 1 } });
    expect(o.lastError).toBe("429: Too Many Requests (SignalWire 20429)");
    await work(acct, T0 + 120_000);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 2 });
    expect(o.lastError).toBe("503: Service Unavailable (SignalWire 20503)");
    await work(acct, o.nextAttemptAt);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", attempts: 0, lastError: null, progress: { bought: 3, added: 3 } });
    expect(new Set(sw.purchases).size).toBe(3);
    expect(sw.purchases).toHaveLength(3);
  });

  it("a number removed from the pool is released at SignalWire after lease + grace (DELETE; one already gone counts as released)", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 2));
    edge(sw);
    await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const [kept, removed] = (await getPool(acct)).trackingNumbers as string[];
    const at = T0 + 10_000;
    await work(acct, at);
    const r = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { remove: [removed] } });
    expect(r.status).toBe(200);
    await work(acct, at + 180_000 + 1_000);
    expect(sw.released).toEqual([removed]);
    expect(sw.numbers()).toEqual([kept]);
    expect(sw.requests("DELETE", /IncomingPhoneNumbers\/[^/]+\.json$/)).toHaveLength(1);
  });

  it("autoscaling buys from SignalWire: a first fill to min", async () => {
    const acct = await world("signalwire");
    const sw = new FakeSignalWire(stock("510", 10));
    edge(sw);
    await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const put = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { numbers: { country: "US", areaCode: "510" }, min: 3, max: 6 } });
    expect(put.status).toBe(200);
    await work(acct, T0 + 5 * 60_000);
    await work(acct, T0 + 10 * 60_000);
    expect((await getPool(acct)).trackingNumbers).toHaveLength(3);
    expect(sw.purchases).toHaveLength(3);
    const orders = (await api("GET", "/v1/orders", { key: acct.adminKey })).json.orders as { provider: string }[];
    expect(orders.every((o) => o.provider === "signalwire")).toBe(true);
  });
});

describe("SignalWire orders refused before anything is stored or bought", () => {
  it.each([
    ["mobile numbers (its search has Local and TollFree only)", { country: "GB", type: "mobile", quantity: 1 }, 400, "unsupported_search"],
    ["national numbers", { country: "GB", type: "national", quantity: 1 }, 400, "unsupported_search"],
    ["a city without its region (InLocality requires InRegion)", { country: "US", city: "Oakland", quantity: 1 }, 400, "unsupported_search"],
    ["a point (no coordinates in its search)", { country: "US", near: { lat: 37.8, lng: -122.27 }, quantity: 1 }, 400, "unsupported_search"],
    [
      "Twilio's regulatory ids",
      { country: "US", areaCode: "510", quantity: 1, regulatory: { addressSid: `AD${"0".repeat(32)}` } },
      400,
      "invalid_number_request",
    ],
  ])("%s", async (_label, request, status, code) => {
    const acct = await world("signalwire");
    const net = edge(new FakeSignalWire(stock("510", 2)));
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody(request) });
    expect([r.status, r.json.error.code]).toEqual([status, code]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it("without the Space, project id or API token: 409 numbers_not_configured naming what is missing, nothing stored", async () => {
    const acct = await createAccount();
    const v = await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { provider: "signalwire", credentials: { signalwire: { signingKey: SW_SIGNING_KEY, projectId: SW_PROJECT } } },
    });
    expect(v.status).toBe(200);
    const net = edge(new FakeSignalWire(stock("510", 2)));
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 1 }) });
    expect([r.status, r.json.error.code]).toEqual([409, "numbers_not_configured"]);
    expect(r.json.error.message).toContain("missing: space, apiToken");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it.each([
    "evil.example",
    "acme.signalwire.com.evil.example",
    "https://acme.evil.example/.signalwire.com",
    "acme.signalwire.com:8443",
    "user@acme.signalwire.com",
    "http://acme.signalwire.com",
    "a.b.signalwire.com",
    "https://acme",
    "acme.\u017Fignalwire.com", // ſ (long s) is not s: case-insensitive for ASCII letters only
    "acme.signalw\u0130re.com", // İ
    "\u212Acme.signalwire.com", // the Kelvin sign, whose lower case is k: refused as typed
    "ACME.SignalWire.com.evil.example",
  ])("a Space that is not <name>.signalwire.com (%s) is a 400 and nothing is stored", async (space) => {
    const acct = await createAccount();
    const before = await dump(accountStub(acct.accountId));
    const r = await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { credentials: { signalwire: { signingKey: SW_SIGNING_KEY, space, projectId: SW_PROJECT, apiToken: SW_TOKEN } } },
    });
    expect([r.status, r.json.error.code]).toEqual([400, "invalid_request"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
  });

  it("the Space as its name, host or URL, in any case, is the same host; anything else is none", () => {
    for (const s of [
      "acme-calls",
      "acme-calls.signalwire.com",
      "https://acme-calls.signalwire.com/",
      "ACME-Calls.SignalWire.com",
      "HTTPS://ACME-CALLS.SIGNALWIRE.COM/",
    ])
      expect(signalwireHost(s)).toBe(SW_SPACE);
    for (const s of [
      "evil.example",
      "acme.signalwire.com.evil.example",
      "a.b.signalwire.com",
      "",
      "ACME.SIGNALWIRE.COM.EVIL.EXAMPLE",
      "acme.\u017Fignalwire.com",
    ])
      expect(signalwireHost(s)).toBeNull();
  });

  it.each(["ACME-Calls.SignalWire.com", "HTTPS://Acme-Calls.SIGNALWIRE.com/", "ACME-CALLS"])(
    "a Space typed with capitals (%s) is taken, stored in lower case, and numbers are bought at that Space",
    async (space) => {
      const parsed = CredentialSchemas.signalwire.parse({ signingKey: SW_SIGNING_KEY, space, projectId: SW_PROJECT, apiToken: SW_TOKEN });
      expect(parsed.space).toBe(space.toLowerCase());
      const acct = await createAccount();
      const v = await api("PATCH", "/v1/account/voice", {
        key: acct.adminKey,
        body: { provider: "signalwire", credentials: { signalwire: { signingKey: SW_SIGNING_KEY, space, projectId: SW_PROJECT, apiToken: SW_TOKEN } } },
      });
      expect(v.status).toBe(200);
      const sw = new FakeSignalWire(stock("510", 2));
      const net = edge(sw);
      const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
      await work(acct);
      expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1, added: 1 } });
      expect(net.seen.length).toBeGreaterThan(0);
      expect(net.seen.every((s) => s.url.hostname === SW_SPACE)).toBe(true);
    },
  );

  it("a Twilio account's order with provider signalwire but no SignalWire credentials is 409; its Twilio numbers are untouched", async () => {
    const acct = await world("twilio");
    const net = edge(new FakeTwilio(stock("510", 1)), new FakeSignalWire(stock("510", 1)));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 1, provider: "signalwire" }) });
    expect([r.status, r.json.error.code]).toEqual([409, "numbers_not_configured"]);
    expect(r.json.error.message).toContain("credentials.signalwire.space");
    expect(net.seen).toHaveLength(0);
  });
});

describe("a wider search on SignalWire", () => {
  it("nearest drops the city (state-wide) or the area code for the region; never NearNumber, which SignalWire's search has not", () => {
    const base = { country: "US", type: "local", quantity: 2, sameStateOnly: false, fallback: "nearest" } as const;
    expect(searchPlan({ ...base, city: "Oakland", region: "CA" }, "signalwire", ["+15105550100"])[1]?.query).toMatchObject({ city: undefined, region: "CA" });
    expect(searchPlan({ ...base, areaCode: "510", region: "CA" }, "signalwire", ["+15105550100"])[1]?.query).toMatchObject({
      areaCode: undefined,
      region: "CA",
    });
    expect(searchPlan({ ...base, areaCode: "510" }, "signalwire", ["+15105550100"])).toHaveLength(1);
    expect(searchPlan({ ...base, areaCode: "510" }, "twilio", ["+15105550100"])[1]?.query).toMatchObject({ nearNumber: "+15105550100" });
  });
});
