/**
 * Telnyx number orders decided by Telnyx's error codes (worker/numbers/telnyx-errors.ts), not the
 * HTTP status, and numbers still on order given back: a pending number's sub number order is
 * canceled, and one filled meanwhile is deleted as a phone number once active.
 */
import { describe, expect, it } from "vitest";
import { T0 } from "./calls-helpers";
import { api, useTestClock } from "./helpers";
import { FakeTelnyx, stock, TELNYX_NOT_AVAILABLE } from "./numbers-fakes";
import { edge, getOrder, getPool, order, work, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const chicago = (n: number) => stock("312", n, { region: "IL", locality: "Chicago" });
const isOrder = (req: { method: string; url: URL }) => req.method === "POST" && req.url.pathname === "/v2/number_orders";
const isCancel = (req: { method: string; url: URL }) => req.method === "PATCH" && /^\/v2\/sub_number_orders\/[^/]+\/cancel$/.test(req.url.pathname);
const refusal = (status: number, code: string, title: string, detail: string) => () =>
  Response.json({ errors: [{ code, title, detail, source: { pointer: "/" } }] }, { status });

/** A one-number Chicago order whose number Telnyx holds at `pending` (its status there) after the order's first step. */
async function pendingOrder(pending: string, more: { unlisted?: boolean } = {}) {
  const acct = await world("telnyx");
  const telnyx = new FakeTelnyx(chicago(3));
  telnyx.async = { pending, ...more };
  edge(telnyx);
  const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
  await work(acct);
  const [number] = telnyx.purchases;
  return { acct, telnyx, id, number: number! };
}

describe("a refused Telnyx number order is decided by its error code", () => {
  it.each([
    [422, "10015", "Bad Request", "connection_id is not a TeXML application of this account"],
    [422, "10016", "Phone number must be in +E.164 format", "The specified phone number parameter must be in +E.164 format."],
    [400, "10010", "Authorization failed", "You do not have permission to perform the requested action"],
  ])("%s with code %s (the order's or the account's, not the number's): the order fails at once with Telnyx's reason", async (status, code, title, detail) => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(5));
    edge(telnyx);
    telnyx.faults.push({ match: isOrder, answer: refusal(status, code, title, detail) });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 2 });
    await work(acct);
    const o = await getOrder(acct, id);
    // Not skipped number after number as if each were taken, nor waiting for stock an hour later.
    expect(o).toMatchObject({ status: "failed", nextAttemptAt: null, progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toBe(`${status}: ${detail} (Telnyx ${code})`);
    expect(telnyx.requests("POST", /\/v2\/number_orders$/)).toHaveLength(1);
    expect(telnyx.purchases).toEqual([]);
  });

  it("a number no longer available is skipped and another bought whatever the status (a 400 too)", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(4));
    edge(telnyx);
    telnyx.faults.push({ match: isOrder, answer: refusal(400, TELNYX_NOT_AVAILABLE, "Number not available", "Number is not available for purchase") });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2, added: 2, skipped: 1 } });
    expect(telnyx.purchases).toHaveLength(2);
  });

  it("a passing code (10011 Too many requests) on a 422 is retried with backoff, the number not skipped", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(3));
    edge(telnyx);
    telnyx.faults.push({ match: isOrder, answer: refusal(422, "10011", "Too many requests", "You have exceeded the maximum number of allowed requests.") });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 1, nextAttemptAt: T0 + 30_000, progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toContain("(Telnyx 10011)");
    await work(acct, T0 + 30_000);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 1, skipped: 0 } });
  });

  it("search first (85000): the order searches again before it orders; refused again after that, it is retried later, not failed", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(4));
    edge(telnyx);
    const searchFirst = refusal(422, "85000", "Search required", "Search for the number before ordering it");
    telnyx.faults.push({ match: isOrder, answer: searchFirst });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1, skipped: 0 } });
    // Search, refused order, search again, order.
    const steps = telnyx.seen.filter((r) => r.url.pathname === "/v2/available_phone_numbers" || isOrder(r)).map((r) => r.url.pathname);
    expect(steps).toEqual(["/v2/available_phone_numbers", "/v2/number_orders", "/v2/available_phone_numbers", "/v2/number_orders"]);

    const again = (await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { order: { country: "US", areaCode: "312", quantity: 1 } } })).json
      .order.id;
    telnyx.faults.push({ match: isOrder, answer: searchFirst }, { match: isOrder, answer: searchFirst });
    await work(acct);
    const o = await getOrder(acct, again);
    expect(o).toMatchObject({ status: "running", attempts: 1, progress: { bought: 0, skipped: 0 } });
    expect(o.lastError).toContain("(Telnyx 85000)");
  });
});

describe("a Telnyx number whose purchase fails after it was ordered", () => {
  it("is forgotten and another bought in its place (it kept the order pending for ever)", async () => {
    const { acct, telnyx, id, number: first } = await pendingOrder("purchase-pending");
    expect((await getOrder(acct, id)).numbers).toEqual([{ number: first, state: "ordered", fallback: false }]);
    // Telnyx could not complete it.
    for (const n of telnyx.owned.values()) n.status = "purchase-failed";
    telnyx.async = {};
    await work(acct, T0 + 60 * 60_000);
    const o = await getOrder(acct, id);
    const [, second] = telnyx.purchases;
    expect(telnyx.purchases).toHaveLength(2);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 1, added: 1 } });
    expect(o.numbers).toEqual([{ number: second, state: "added", fallback: false }]);
    expect((await getPool(acct)).trackingNumbers).toEqual([second]);
    // Nothing is deleted for the failed one: it never was the account's.
    expect(telnyx.requests("DELETE", /phone_numbers/)).toEqual([]);
  });

  it("a failed line of another number order for the same number does not speak for it while a live one does", async () => {
    const { acct, telnyx, id, number } = await pendingOrder("purchase-pending", { unlisted: true });
    // An earlier number order of the same order for that number, refused: listed first.
    const placed = telnyx.orders[0]!;
    telnyx.orders.unshift({ ...placed, subId: `${placed.subId}-0`, lines: placed.lines.map((l) => ({ ...l, canceled: true })) });
    await work(acct, T0 + 60 * 60_000);
    expect(telnyx.purchases).toEqual([number]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);
  });

  it("its order canceled: nothing to give back for it, and nothing asked again (it was retried for ever)", async () => {
    const { acct, telnyx, id, number } = await pendingOrder("purchase-pending");
    for (const n of telnyx.owned.values()) n.status = "purchase-failed";
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "released", fallback: false }]);
    expect(telnyx.requests("DELETE", /phone_numbers/)).toEqual([]);
    const seen = telnyx.seen.length;
    await work(acct, T0 + 86_400_000);
    expect(telnyx.seen).toHaveLength(seen);
  });
});

describe("autoscaling while an order waits at Telnyx", () => {
  it("numbers on order (pending there, not in the pool yet) count as coming: no check orders again meanwhile", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(20));
    telnyx.async = { pending: "requirement-info-pending" };
    edge(telnyx);
    await order(acct, { country: "US", areaCode: "312", quantity: 2 });
    await work(acct);
    expect(telnyx.purchases).toHaveLength(2);
    const put = await api("PUT", "/v1/pools/ads/autoscale", { key: acct.adminKey, body: { numbers: { country: "US", areaCode: "312" }, min: 2, max: 10 } });
    expect(put.status).toBe(200);
    // Checks every few minutes for half an hour: the two on order are the pool's minimum already.
    for (let m = 5; m <= 30; m += 5) await work(acct, T0 + m * 60_000);
    expect(telnyx.purchases).toHaveLength(2);
    expect((await api("GET", "/v1/pools/ads/autoscale", { key: acct.adminKey })).json).toMatchObject({ size: 0, onOrder: 2 });
  });
});

describe("a Telnyx number still on order when its order ends is given back", () => {
  it("canceled (DELETE /v1/orders/{id}) while the number is pending: its sub number order is canceled, nothing left to bill", async () => {
    const { acct, telnyx, id, number } = await pendingOrder("requirement-info-pending");
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);

    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct);
    // The sub number order the POST answered with, canceled: a pending number cannot be deleted yet.
    const subId = (telnyx.orders[0]!.data.sub_number_orders_ids as string[])[0];
    expect(telnyx.requests("PATCH", /\/cancel$/).map((r) => r.url.pathname)).toEqual([`/v2/sub_number_orders/${subId}/cancel`]);
    expect(telnyx.canceled).toEqual([number]);
    expect(telnyx.numbers()).toEqual([]);
    expect(telnyx.requests("DELETE", /phone_numbers/)).toEqual([]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "released", fallback: false }]);
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    // Done: a later alarm asks nothing more.
    const seen = telnyx.seen.length;
    await work(acct, T0 + 86_400_000);
    expect(telnyx.seen).toHaveLength(seen);
  });

  it("canceled while neither its order nor its pending number is listed yet (a lagging listing): looked at again, not counted released", async () => {
    const { acct, telnyx, id, number } = await pendingOrder("requirement-info-pending", { unlisted: true });
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);

    telnyx.orderListingLag = 1;
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct);
    // Nothing to cancel seen yet: still ordered (it would be billed if forgotten), not released.
    expect(telnyx.requests("GET", /\/v2\/number_orders$/).length).toBeGreaterThan(0);
    expect(telnyx.canceled).toEqual([]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);
    // Listed at the next look: its sub number order is canceled, and only then is it released.
    await work(acct, T0 + 60_000);
    expect(telnyx.canceled).toEqual([number]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "released", fallback: false }]);
  });

  it("ordered, then its phone number lookup fails (a 5xx): recorded as ordered all the same, so a cancel gives it back", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(3));
    edge(telnyx);
    const isLookup = (req: { method: string; url: URL }) => req.method === "GET" && req.url.searchParams.has("filter[phone_number]");
    telnyx.faults.push({ match: isLookup, answer: () => Response.json({ errors: [{ code: "10007", title: "Unexpected error" }] }, { status: 503 }) });
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    await work(acct);
    const [number] = telnyx.purchases;
    expect(telnyx.purchases).toHaveLength(1);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);
    // Canceled before any later step: the number Telnyx filled is deleted, not left billing.
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct);
    await work(acct, T0 + 60_000);
    expect(telnyx.numbers()).toEqual([]);
    expect(telnyx.purchases).toHaveLength(1);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "released", fallback: false }]);
  });

  it("failed with a number pending whose cancel fails: looked at again until it is active, then deleted as a phone number", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(4));
    telnyx.async = { pending: "requirement-info-pending" };
    edge(telnyx);
    let orders = 0;
    // The first number goes pending; the second order is refused for the account: the order fails.
    telnyx.faults.push(
      { match: (r) => isOrder(r) && ++orders === 2, answer: refusal(422, "10015", "Bad Request", "connection_id is invalid") },
      {
        match: isCancel,
        answer: () => Response.json({ errors: [{ code: "10007", title: "Unexpected error", detail: "An unexpected error occured." }] }, { status: 500 }),
      },
    );
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 2 });
    await work(acct);
    const [number] = telnyx.purchases;
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "failed", numbers: [{ number, state: "ordered" }] });
    expect(o.lastError).toContain("(Telnyx 10015)");
    expect(telnyx.requests("PATCH", /\/cancel$/)).toHaveLength(1);
    expect(telnyx.numbers()).toEqual([number]); // the cancel failed: still on order

    // Filled meanwhile: the next try finds its line filled and deletes it as a phone number.
    telnyx.activate();
    await work(acct, T0 + 30_000);
    expect(telnyx.requests("PATCH", /\/cancel$/)).toHaveLength(1);
    expect(telnyx.released).toEqual([number]);
    expect(telnyx.numbers()).toEqual([]);
    o = await getOrder(acct, id);
    expect(o.numbers).toEqual([{ number, state: "released", fallback: false }]);
  });

  it("a pending number whose cancel is refused stays on the release list, checked again, until active", async () => {
    const acct = await world("telnyx");
    const telnyx = new FakeTelnyx(chicago(2));
    telnyx.async = { pending: "requirement-info-pending" };
    edge(telnyx);
    const id = await order(acct, { country: "US", areaCode: "312", quantity: 1 });
    await work(acct);
    const [number] = telnyx.purchases;
    const refused = () => Response.json({ errors: [{ title: "Unprocessable Entity", detail: "Sub number order cannot be canceled" }] }, { status: 422 });
    telnyx.faults.push({ match: isCancel, answer: refused }, { match: isCancel, answer: refused });
    await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey });
    await work(acct);
    await work(acct, T0 + 30_000);
    // Refused twice while still pending: not deleted (it cannot be yet), not forgotten either.
    expect(telnyx.numbers()).toEqual([number]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "ordered", fallback: false }]);
    telnyx.activate();
    await work(acct, T0 + 30_000 + 60_000);
    expect(telnyx.released).toEqual([number]);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number, state: "released", fallback: false }]);
  });
});
