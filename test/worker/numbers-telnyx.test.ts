/**
 * Telnyx number orders decided by Telnyx's error codes (worker/numbers/telnyx-errors.ts), not the
 * HTTP status.
 */
import { describe, expect, it } from "vitest";
import { T0 } from "./calls-helpers";
import { api, useTestClock } from "./helpers";
import { FakeTelnyx, stock, TELNYX_NOT_AVAILABLE } from "./numbers-fakes";
import { edge, getOrder, order, work, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const chicago = (n: number) => stock("312", n, { region: "IL", locality: "Chicago" });
const isOrder = (req: { method: string; url: URL }) => req.method === "POST" && req.url.pathname === "/v2/number_orders";
const refusal = (status: number, code: string, title: string, detail: string) => () =>
  Response.json({ errors: [{ code, title, detail, source: { pointer: "/" } }] }, { status });

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
