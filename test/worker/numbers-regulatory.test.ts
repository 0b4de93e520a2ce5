/**
 * Numbers of regulated countries: an order names the regulatory identity its carrier requires
 * (Twilio's AddressSid and BundleSid, Telnyx's requirement_group_id) and every purchase carries it;
 * without it the carrier refuses the purchase (numbers-fakes.ts models the refusals) and the order
 * fails with the carrier's reason. Autoscaling re-orders with its stored request, ids included.
 */
import { describe, expect, it } from "vitest";
import { T0 } from "./calls-helpers";
import { accountStub, api, dump, useTestClock } from "./helpers";
import { FakeTelnyx, FakeTwilio, type Stock } from "./numbers-fakes";
import { edge, getOrder, getPool, order, poolBody, work, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const ADDRESS = `AD${"a1".repeat(16)}`;
const BUNDLE = `BU${"b2".repeat(16)}`;
const IDENTITY = `RI${"c3".repeat(16)}`;
const GROUP = "a4b201f9-8646-4e54-a7d2-b2e403eeaf8c";

let seq = 0;
/** London (020 7946 0xxx) or Rome (06 6988 xxxx) numbers: never the same twice in a run (the Directory claims numbers across accounts). */
const london = (n: number): Stock[] =>
  Array.from({ length: n }, () => ({ number: `+44207946${String(seq++).padStart(4, "0")}`, region: "", locality: "London", lat: 0, lng: 0, type: "local" }));
const rome = (n: number): Stock[] =>
  Array.from({ length: n }, () => ({ number: `+39066988${String(seq++).padStart(4, "0")}`, region: "", locality: "Roma", lat: 0, lng: 0, type: "local" }));

const twilioBuys = (twilio: FakeTwilio) => twilio.requests("POST", /IncomingPhoneNumbers\.json$/).map((r) => new URLSearchParams(r.body));
const telnyxOrders = (telnyx: FakeTelnyx) =>
  telnyx.requests("POST", /^\/v2\/number_orders$/).map((r) => JSON.parse(r.body) as { phone_numbers: Record<string, string>[] });

describe("Twilio: GB numbers need an Address and a Bundle", () => {
  it("an order without them fails with Twilio's reason and which field to give; nothing is bought", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(3));
    edge(twilio);
    const id = await order(acct, { country: "GB", areaCode: "20", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o.status).toBe("failed");
    expect(o.lastError).toContain("Phone Number Requires an Address (Twilio 21631)");
    expect(o.lastError).toContain("give regulatory.addressSid");
    expect(twilio.purchases).toEqual([]);
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
  });

  it("an Address alone: Twilio wants the Bundle too (21649), and the reason says so", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(2));
    edge(twilio);
    const id = await order(acct, { country: "GB", quantity: 1, regulatory: { addressSid: ADDRESS } });
    await work(acct);
    const o = await getOrder(acct, id);
    expect([o.status, o.lastError]).toEqual(["failed", expect.stringContaining("(Twilio 21649)")]);
    expect(o.lastError).toContain("give regulatory.bundleSid");
    expect(twilioBuys(twilio)[0]!.get("AddressSid")).toBe(ADDRESS);
    expect(twilio.purchases).toEqual([]);
  });

  it("with addressSid and bundleSid it buys: every purchase carries AddressSid and BundleSid, and the order shows them", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(4));
    edge(twilio);
    const regulatory = { addressSid: ADDRESS, bundleSid: BUNDLE };
    const id = await order(acct, { country: "GB", areaCode: "20", quantity: 3, regulatory });
    await work(acct);
    const o = await getOrder(acct, id);
    expect([o.status, o.lastError, o.progress.added]).toEqual(["completed", null, 3]);
    expect(o.request.regulatory).toEqual(regulatory);
    const buys = twilioBuys(twilio);
    expect(buys).toHaveLength(3);
    expect(buys.map((f) => [f.get("AddressSid"), f.get("BundleSid")])).toEqual(Array(3).fill([ADDRESS, BUNDLE]));
    // Twilio holds each number with them (its resource's address_sid, bundle_sid).
    expect([...twilio.owned.values()].map((n) => [n.address_sid, n.bundle_sid])).toEqual(Array(3).fill([ADDRESS, BUNDLE]));
    expect((await getPool(acct)).trackingNumbers).toEqual(twilio.numbers());
    // Listed with its orders too.
    const listed = (await api("GET", "/v1/orders?pool=ads", { key: acct.adminKey })).json.orders[0];
    expect(listed.request.regulatory).toEqual(regulatory);
  });

  it("where Twilio wants an Identity too (21650), the reason names identitySid; with it every purchase carries IdentitySid", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(4));
    twilio.regulated = { GB: ["AddressSid", "BundleSid", "IdentitySid"] };
    edge(twilio);
    const without = await order(acct, { country: "GB", quantity: 1, regulatory: { addressSid: ADDRESS, bundleSid: BUNDLE } });
    await work(acct);
    const o = await getOrder(acct, without);
    expect([o.status, o.lastError]).toEqual(["failed", expect.stringContaining("Phone Number Requires a Verified Identity Document (Twilio 21650)")]);
    expect(o.lastError).toContain("give regulatory.identitySid");
    expect(twilio.purchases).toEqual([]);

    const regulatory = { addressSid: ADDRESS, bundleSid: BUNDLE, identitySid: IDENTITY };
    const r = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "GB", quantity: 2, regulatory } } });
    expect([r.status, r.json.order.request.regulatory]).toEqual([202, regulatory]);
    await work(acct);
    expect((await getOrder(acct, r.json.order.id)).status).toBe("completed");
    expect(
      twilioBuys(twilio)
        .slice(1)
        .map((f) => f.get("IdentitySid")),
    ).toEqual([IDENTITY, IDENTITY]);
    expect([...twilio.owned.values()].map((n) => n.identity_sid)).toEqual([IDENTITY, IDENTITY]);
  });

  it("an order into an existing pool (POST /v1/pools/{id}/numbers) carries them the same way", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(2));
    edge(twilio);
    const pool = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...poolBody({}), order: undefined, trackingNumbers: ["+442079460999"] } });
    expect(pool.status).toBe(201);
    const r = await api("POST", "/v1/pools/ads/numbers", {
      key: acct.adminKey,
      body: { order: { country: "GB", quantity: 1, regulatory: { addressSid: ADDRESS, bundleSid: BUNDLE } } },
    });
    expect([r.status, r.json.order.request.regulatory]).toEqual([202, { addressSid: ADDRESS, bundleSid: BUNDLE }]);
    await work(acct);
    expect(twilioBuys(twilio).map((f) => [f.get("AddressSid"), f.get("BundleSid")])).toEqual([[ADDRESS, BUNDLE]]);
    expect((await getPool(acct)).trackingNumbers).toHaveLength(2);
  });

  it("US numbers need none: a US order buys without AddressSid or BundleSid, as before", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio([{ number: "+15105559001", region: "CA", locality: "Berkeley", lat: 37.87, lng: -122.27, type: "local" }]);
    edge(twilio);
    const id = await order(acct, { country: "US", quantity: 1 });
    await work(acct);
    expect((await getOrder(acct, id)).status).toBe("completed");
    expect([twilioBuys(twilio)[0]!.has("AddressSid"), twilioBuys(twilio)[0]!.has("BundleSid")]).toEqual([false, false]);
  });
});

describe("Telnyx: IT numbers need a fulfilled requirement group", () => {
  it("an order without one fails with Telnyx's reason (at the field it points to); nothing is bought", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(rome(2));
    edge(telnyx);
    const id = await order(acct, { country: "IT", quantity: 1 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o.status).toBe("failed");
    expect(o.lastError).toContain("A fulfilled requirement group is required to order IT numbers (Telnyx 10004) at /phone_numbers/0/requirement_group_id");
    expect(telnyx.purchases).toEqual([]);
  });

  it("with requirementGroupId it buys: each number of the order carries requirement_group_id", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(rome(3));
    edge(telnyx);
    const id = await order(acct, { country: "IT", quantity: 2, regulatory: { requirementGroupId: GROUP } });
    await work(acct);
    const o = await getOrder(acct, id);
    expect([o.status, o.progress.added]).toEqual(["completed", 2]);
    expect(o.request.regulatory).toEqual({ requirementGroupId: GROUP });
    const lines = telnyxOrders(telnyx).flatMap((b) => b.phone_numbers);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.requirement_group_id === GROUP)).toBe(true);
  });
});

describe("autoscaling re-orders with the regulatory ids of its numbers request", () => {
  it("a grow's order carries AddressSid and BundleSid, and shows them", async () => {
    const acct = await world("twilio");
    const twilio = new FakeTwilio(london(6));
    edge(twilio);
    const regulatory = { addressSid: ADDRESS, bundleSid: BUNDLE };
    await order(acct, { country: "GB", quantity: 1, regulatory });
    await work(acct);
    const put = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { min: 3, max: 5, numbers: { country: "GB", regulatory } } });
    expect(put.status).toBe(200);
    expect(put.json.config.numbers.regulatory).toEqual(regulatory);
    await work(acct);
    const orders = (await api("GET", "/v1/orders?pool=ads", { key: acct.adminKey })).json.orders as { status: string; request: { regulatory?: unknown } }[];
    expect(orders).toHaveLength(2);
    expect(orders.map((o) => [o.status, o.request.regulatory])).toEqual([
      ["completed", regulatory],
      ["completed", regulatory],
    ]);
    const buys = twilioBuys(twilio);
    expect(buys).toHaveLength(3);
    expect(buys.every((f) => f.get("AddressSid") === ADDRESS && f.get("BundleSid") === BUNDLE)).toBe(true);
    expect((await getPool(acct)).trackingNumbers).toHaveLength(3);
  });
});

describe("refused regulatory ids: 400, nothing stored, nothing bought", () => {
  const gb = { country: "GB", quantity: 1 };
  it.each([
    ["a short Address SID", "twilio", { ...gb, regulatory: { addressSid: "AD123" } }, "invalid_request", "a Twilio Address SID: AD and 32 hex digits"],
    ["a Bundle SID where the Address goes", "twilio", { ...gb, regulatory: { addressSid: BUNDLE } }, "invalid_request", "a Twilio Address SID"],
    [
      "an Address SID where the Bundle goes",
      "twilio",
      { ...gb, regulatory: { bundleSid: ADDRESS } },
      "invalid_request",
      "a Twilio Bundle SID: BU and 32 hex digits",
    ],
    [
      "an Address SID where the Identity goes",
      "twilio",
      { ...gb, regulatory: { identitySid: ADDRESS } },
      "invalid_request",
      "a Twilio Identity SID: RI and 32 hex digits",
    ],
    [
      "a Twilio Identity on a Telnyx order",
      "telnyx",
      { country: "IT", quantity: 1, regulatory: { identitySid: IDENTITY } },
      "invalid_number_request",
      "regulatory.identitySid: Twilio's, but this order buys from telnyx",
    ],
    ["a Bundle SID with a non-hex digit", "twilio", { ...gb, regulatory: { bundleSid: `BU${"g".repeat(32)}` } }, "invalid_request", "a Twilio Bundle SID"],
    [
      "a requirement group id that is no UUID",
      "telnyx",
      { country: "IT", quantity: 1, regulatory: { requirementGroupId: "group-1" } },
      "invalid_request",
      "a Telnyx requirement group id (a UUID)",
    ],
    ["an empty regulatory object", "twilio", { ...gb, regulatory: {} }, "invalid_request", "give at least one id"],
    [
      "Telnyx's pricing bundle_id (not a regulatory id)",
      "telnyx",
      { country: "IT", quantity: 1, regulatory: { bundleId: GROUP } },
      "invalid_request",
      "bundleId",
    ],
    [
      "a Telnyx requirement group on a Twilio order",
      "twilio",
      { ...gb, regulatory: { addressSid: ADDRESS, requirementGroupId: GROUP } },
      "invalid_number_request",
      "regulatory.requirementGroupId: Telnyx's, but this order buys from twilio (give regulatory.addressSid, regulatory.bundleSid, regulatory.identitySid)",
    ],
    [
      "Twilio SIDs on a Telnyx order",
      "telnyx",
      { country: "IT", quantity: 1, regulatory: { addressSid: ADDRESS, bundleSid: BUNDLE } },
      "invalid_number_request",
      "regulatory.addressSid, regulatory.bundleSid: Twilio's, but this order buys from telnyx (give regulatory.requirementGroupId)",
    ],
    [
      "Twilio SIDs on an order that names Telnyx (the account's provider is Twilio)",
      "twilio",
      { ...gb, provider: "telnyx", regulatory: { addressSid: ADDRESS } },
      "invalid_number_request",
      "regulatory.addressSid: Twilio's, but this order buys from telnyx",
    ],
  ] as const)("%s", async (_label, provider, request, code, why) => {
    const acct = await world(provider);
    const net = edge(new FakeTwilio(london(1)), new FakeTelnyx(rome(1)));
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody(request) });
    expect([r.status, r.json.error.code]).toEqual([400, code]);
    // The answer says what is wrong with which field (a schema refusal in `details`).
    expect(JSON.stringify(r.json.error)).toContain(why);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });

  it("the same refusals for an order into an existing pool and for autoscaling's numbers request", async () => {
    const acct = await world("telnyx");
    const net = edge(new FakeTelnyx(rome(1)));
    expect(
      (await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...poolBody({}), order: undefined, trackingNumbers: ["+390669880999"] } })).status,
    ).toBe(201);
    const before = await dump(accountStub(acct.accountId));
    const foreign = { country: "IT", regulatory: { addressSid: ADDRESS } };
    const add = await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { ...foreign, quantity: 1 } } });
    expect([add.status, add.json.error.code]).toEqual([400, "invalid_number_request"]);
    const scale = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { min: 1, max: 3, numbers: foreign } });
    expect([scale.status, scale.json.error.code]).toEqual([400, "invalid_number_request"]);
    const bad = await api("PUT", "/v1/pools/ads/autoscale", {
      key: acct.adminKey,
      body: { min: 1, max: 3, numbers: { country: "IT", regulatory: { requirementGroupId: "nope" } } },
    });
    expect([bad.status, bad.json.error.code]).toEqual([400, "invalid_request"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    await work(acct);
    expect(net.seen).toHaveLength(0);
  });
});
