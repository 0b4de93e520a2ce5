/**
 * Number orders from Plivo (worker/numbers/plivo.ts), against FakePlivo at the network edge: the
 * account's named application pointed at our answer and hangup URLs, each number bought into it and
 * marked with the order id (its alias), so a retry finds what an interrupted attempt bought.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { plivoSearchParams } from "../../worker/numbers/plivo";
import { DEST, T0 } from "./calls-helpers";
import { accountStub, allocate, api, createAccount, dump, sessionId, useTestClock } from "./helpers";
import { FakePlivo, PLIVO_APP, PLIVO_AUTH_ID, PLIVO_DEFAULT_APP, PLIVO_TOKEN, stock } from "./numbers-fakes";
import { buyTries, edge, getOrder, getPool, order, poolBody, work, workUntilRestart, world } from "./numbers-helpers";

useTestClock(T0, { silence: ["warn"] });

const isBuy = (req: { method: string; url: URL }) => req.method === "POST" && /\/PhoneNumber\/\d+\/$/.test(req.url.pathname);
const plivoError =
  (status: number, error: string, headers: Record<string, string> = {}) =>
  () =>
    Response.json({ api_id: "e1d2c3b4-0000-11ee-8000-000000000000", error }, { status, headers });

describe("Plivo number orders", () => {
  it("sets the named application's answer and hangup URLs, buys each number into it marked with the order id, and adds them to the pool", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo([...stock("510", 5), ...stock("415", 3)]);
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ provider: "plivo", status: "completed", progress: { bought: 3, configured: 3, added: 3, skipped: 0 } });

    const voice = `https://dni.test/v1/voice/${acct.accountId}/plivo`;
    expect(plivo.apps.get(PLIVO_APP)).toMatchObject({
      answer_url: voice,
      answer_method: "POST",
      fallback_answer_url: voice,
      fallback_method: "POST",
      hangup_url: `${voice}/status`,
      hangup_method: "POST",
    });
    // The account's other application (its default_number_app) is not touched.
    expect(plivo.apps.get(PLIVO_DEFAULT_APP)).toEqual({ answer_url: "https://example.com/old", hangup_url: null });
    const search = plivo.requests("GET", /\/PhoneNumber\/$/)[0]!.url.searchParams;
    expect(Object.fromEntries(search)).toMatchObject({ country_iso: "US", type: "local", pattern: "510", services: "voice" });
    expect(Number(search.get("limit"))).toBeLessThanOrEqual(20);
    for (const n of plivo.owned.values()) expect(n).toMatchObject({ alias: id, app: PLIVO_APP });
    expect(plivo.purchases).toHaveLength(3);
    expect(plivo.purchases.every((n) => n.startsWith("+1510"))).toBe(true);
    // Each buy names the application, so a number is never on the account's default app meanwhile.
    for (const b of plivo.seen.filter(isBuy)) expect(JSON.parse(b.body)).toEqual({ app_id: PLIVO_APP });

    const pool = await getPool(acct);
    expect(pool.trackingNumbers.slice().sort()).toEqual(plivo.numbers().sort());
    expect(pool.numberProviders).toEqual({});
    const shown = await allocate(acct.siteKey, sessionId());
    expect(pool.trackingNumbers).toContain(shown.json.pools[0].number.e164);
    await work(acct, T0 + 86_400_000);
    expect(plivo.purchases).toHaveLength(3);
  });

  it("by city and state: Plivo's city and region filters, the state sent by its name (Plivo matches region names, not codes)", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo([...stock("510", 3, { locality: "Oakland", region: "CA" }), ...stock("512", 3, { locality: "Austin", region: "TX" })]);
    edge(plivo);
    const id = await order(acct, { country: "US", city: "Austin", region: "TX", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2 } });
    expect(Object.fromEntries(plivo.requests("GET", /\/PhoneNumber\/$/)[0]!.url.searchParams)).toMatchObject({ city: "Austin", region: "Texas" });
    expect(plivo.purchases.every((n) => n.startsWith("+1512"))).toBe(true);
  });

  it("search parameters: a GB area code is the pattern after +44; toll-free and mobile by Plivo's type names; a wider search by NPA-NXX and local calling area", () => {
    expect(Object.fromEntries(plivoSearchParams({ country: "GB", type: "local", areaCode: "161", limit: 50 }))).toEqual({
      country_iso: "GB",
      type: "local",
      services: "voice",
      limit: "20",
      pattern: "161",
    });
    expect(plivoSearchParams({ country: "US", type: "tollfree", limit: 5 }).get("type")).toBe("tollfree");
    // A state or province code as its name; a code of neither is sent as given.
    expect(plivoSearchParams({ country: "US", type: "local", region: "NY", limit: 5 }).get("region")).toBe("New York");
    expect(plivoSearchParams({ country: "CA", type: "local", region: "QC", limit: 5 }).get("region")).toBe("Quebec");
    expect(plivoSearchParams({ country: "US", type: "local", region: "ZZ", limit: 5 }).get("region")).toBe("ZZ");
    expect(plivoSearchParams({ country: "GB", type: "mobile", limit: 5 }).get("type")).toBe("mobile");
    const wider = plivoSearchParams({ country: "US", type: "local", nearNumber: "+15105550123", limit: 5 });
    expect([wider.get("npanxx"), wider.get("local_calling_area"), wider.get("pattern")]).toEqual(["510555", "true", null]);
  });

  it("too few in the area code: nearest searches the local calling area of a number it bought", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo([...stock("510", 1), ...stock("341", 2)]); // same point (Berkeley) by default
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3, fallback: "nearest" });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3 } });
    expect(o.numbers.filter((n: { fallback: boolean }) => n.fallback)).toHaveLength(2);
    const wider = plivo.requests("GET", /\/PhoneNumber\/$/)[1]!.url.searchParams;
    expect(wider.get("local_calling_area")).toBe("true");
    expect(wider.get("npanxx")).toBe(plivo.purchases[0]!.slice(2, 8));
  });

  it("a number taken between search and buy (Plivo's 404 not found) is skipped and another bought", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 4));
    edge(plivo);
    plivo.faults.push({ match: isBuy, answer: plivoError(404, "not found") });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2, added: 2, skipped: 1 } });
    expect(plivo.purchases).toHaveLength(2);
  });

  it("a refusal fails the order with Plivo's reason, nothing bought", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 4));
    edge(plivo);
    plivo.faults.push({ match: isBuy, answer: plivoError(400, "Insufficient balance to rent the number") });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({
      status: "failed",
      nextAttemptAt: null,
      lastError: "400: Insufficient balance to rent the number",
      progress: { bought: 0, skipped: 0 },
    });
    expect(plivo.purchases).toEqual([]);
  });

  it("wrong credentials: Plivo's 401 fails the order with its reason at the application update, nothing bought", async () => {
    const acct = await createAccount();
    await api("PATCH", "/v1/account/voice", {
      key: acct.adminKey,
      body: { provider: "plivo", credentials: { plivo: { authToken: "not-the-plivo-token", authId: PLIVO_AUTH_ID, applicationId: PLIVO_APP } } },
    });
    const plivo = new FakePlivo(stock("510", 2));
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "failed", lastError: "401: authentication failed" });
    expect(plivo.purchases).toEqual([]);
  });

  it("a 429 (Retry-After) and a 500 are retried with backoff; nothing is bought twice", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 5));
    edge(plivo);
    let buys = 0;
    plivo.faults.push(
      { match: (req) => isBuy(req) && ++buys === 2, answer: plivoError(429, "too many requests", { "Retry-After": "120" }) },
      {
        match: (req) => req.method === "GET" && req.url.pathname.endsWith("/Number/") && plivo.purchases.length === 1,
        answer: plivoError(500, "internal server error"),
      },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    let o = await getOrder(acct, id);
    expect(o).toMatchObject({
      status: "running",
      attempts: 1,
      nextAttemptAt: T0 + 120_000,
      lastError: "429: too many requests",
      progress: { bought: 1, added: 1 },
    });
    await work(acct, T0 + 120_000); // the reconcile listing answers 500
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "running", attempts: 2, nextAttemptAt: T0 + 180_000, lastError: "500: internal server error" });
    await work(acct, T0 + 180_000);
    o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", attempts: 0, lastError: null, progress: { bought: 3, added: 3 } });
    expect(new Set(plivo.purchases).size).toBe(3);
    expect(plivo.purchases).toHaveLength(3);
  });

  it("a buy whose answer is lost: the number is found held by the account, marked and used; nothing bought twice", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 6));
    edge(plivo);
    let buys = 0;
    plivo.faults.push({ match: (req) => isBuy(req) && ++buys === 2, answer: "lost" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 3, configured: 3, added: 3 } });
    expect(plivo.purchases).toHaveLength(3);
    for (const n of plivo.owned.values()) expect(n).toMatchObject({ alias: id, app: PLIVO_APP });
  });

  it("a restart between Plivo's buy and the alias: the retry asks after the number the order went to buy, adopts and marks it; nothing bought twice", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 6));
    edge(plivo);
    let buys = 0;
    // Plivo rents the second number; the object restarts before its answer (so before the alias).
    plivo.faults.push({ match: (req) => isBuy(req) && ++buys === 2, answer: "hang" });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    await workUntilRestart(acct, () => plivo.purchases.length === 2);
    const [, orphan] = plivo.purchases;
    expect(plivo.owned.get(orphan!.slice(1))).toMatchObject({ alias: null });
    expect(await buyTries(acct)).toEqual([orphan]);
    await work(acct, T0 + 60_000);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 3, configured: 3, added: 3 } });
    expect(o.numbers.map((n: { number: string }) => n.number)).toContain(orphan);
    expect(plivo.purchases).toHaveLength(3);
    expect(plivo.numbers().sort()).toEqual((await getPool(acct)).trackingNumbers.slice().sort());
    for (const n of plivo.owned.values()) expect(n).toMatchObject({ alias: id, app: PLIVO_APP });
    expect(await buyTries(acct)).toEqual([]);
  });

  it("a buy whose answer is lost and whose look-up fails too: retried later, the retry adopts the number it went to buy", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 6));
    edge(plivo);
    plivo.faults.push(
      { match: isBuy, answer: "lost" },
      { match: (req) => req.method === "GET" && /\/Number\/\d+\/$/.test(req.url.pathname), answer: plivoError(503, "service unavailable") },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "running", attempts: 1, progress: { bought: 0 } });
    expect(plivo.purchases).toHaveLength(1);
    await work(acct, T0 + 30_000);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 2, added: 2 } });
    expect(plivo.purchases).toHaveLength(2);
    for (const n of plivo.owned.values()) expect(n).toMatchObject({ alias: id, app: PLIVO_APP });
  });

  it("more numbers than one search answers (Plivo's 20): the area's own numbers are searched again before the fallback's", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo([...stock("510", 50), ...stock("800", 50, { type: "tollfree" })]);
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 30, fallback: "tollfree" });
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 30, added: 30 } });
    expect(plivo.purchases).toHaveLength(30);
    expect(plivo.purchases.every((n) => n.startsWith("+1510"))).toBe(true);
    expect(o.numbers.filter((n: { fallback: boolean }) => n.fallback)).toEqual([]);
  });

  /** A one-number order whose buy Plivo made but whose answer was lost, and whose look-up after it failed too: the number is a try. */
  const unansweredBuy = async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 3));
    edge(plivo);
    plivo.faults.push(
      { match: isBuy, answer: "lost" },
      { match: (req) => req.method === "GET" && /\/Number\/\d+\/$/.test(req.url.pathname), answer: plivoError(503, "service unavailable") },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const [orphan] = plivo.purchases;
    return { acct, plivo, id, orphan: orphan! };
  };

  it("an order canceled before it heard back about a buy: the number is asked after, found rented, and unrented", async () => {
    const { acct, plivo, id, orphan } = await unansweredBuy();
    expect(await buyTries(acct)).toEqual([orphan]);
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct, T0 + 1000);
    expect(plivo.released).toEqual([orphan]);
    expect(plivo.numbers()).toEqual([]);
    expect(await buyTries(acct)).toEqual([]);
    expect(await getOrder(acct, id)).toMatchObject({ status: "canceled", numbers: [{ number: orphan, state: "released" }] });
  });

  it("an ended order's unanswered buy whose number the owner has since put in a pool by hand: forgotten, not marked, not unrented", async () => {
    const { acct, plivo, id, orphan } = await unansweredBuy();
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    // The owner saw the number in Plivo's console and added it to a pool themselves.
    const mine = await api("POST", "/v1/pools", { key: acct.adminKey, body: { id: "mine", name: "Mine", trackingNumbers: [orphan], destinations: [DEST] } });
    expect(mine.status).toBe(201);
    await work(acct, T0 + 1000);
    expect(await buyTries(acct)).toEqual([]);
    expect(plivo.released).toEqual([]);
    expect(plivo.owned.get(orphan!.slice(1))?.alias).toBeNull();
    expect((await getPool(acct, "mine")).trackingNumbers).toEqual([orphan]);
    expect(await getOrder(acct, id)).toMatchObject({ status: "canceled", numbers: [] });
  });

  it("canceled while its step waits on a buy: the step buys nothing more, leaves the order canceled, and the number it was buying is given back", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 5));
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 3 });
    let answer!: () => void;
    plivo.faults.push({ match: isBuy, answer: { after: new Promise<void>((r) => (answer = r)) } });
    const step = work(acct);
    await vi.waitFor(() => expect(plivo.purchases).toHaveLength(1));
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    answer();
    await step;
    expect(await getOrder(acct, id)).toMatchObject({ status: "canceled", lastError: "Canceled by the account", nextAttemptAt: null });
    expect(plivo.purchases).toHaveLength(1);
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    await work(acct, T0 + 86_400_000);
    expect(plivo.purchases).toHaveLength(1);
    expect(plivo.owned.size).toBe(0);
  });

  it("a number the order went to buy that Plivo says the account does not hold is forgotten: the buy did not happen", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 3));
    edge(plivo);
    // The buy answers 500 without renting; the look-up after it fails too, so the step cannot tell.
    plivo.faults.push(
      { match: isBuy, answer: plivoError(500, "internal server error") },
      { match: (req) => req.method === "GET" && /\/Number\/\d+\/$/.test(req.url.pathname), answer: plivoError(503, "service unavailable") },
    );
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const [tried] = await buyTries(acct);
    expect(tried).toMatch(/^\+1510/);
    await work(acct, T0 + 30_000);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed", progress: { bought: 1 } });
    expect(plivo.purchases).toHaveLength(1);
    expect(plivo.requests("GET", /\/Number\/\d+\/$/).map((r) => r.url.pathname.split("/")[5])).toEqual([tried!.slice(1), tried!.slice(1)]);
    expect(await buyTries(acct)).toEqual([]);
  });

  it("interrupted after buying and marking, before recording (a restart): the retry lists the order's numbers by alias, over pages, and buys only the rest", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 30));
    edge(plivo);
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 24 });
    // An earlier attempt bought and marked 22 numbers (more than a page of 20), then the object
    // restarted before it stored any of them; the account also holds a number of its own.
    for (const s of plivo.inventory.slice(0, 22)) plivo.owned.set(s.number.slice(1), { stock: s, alias: id, app: PLIVO_APP });
    plivo.owned.set("15105559999", { stock: { ...plivo.inventory[29]!, number: "+15105559999" }, alias: "front desk", app: PLIVO_DEFAULT_APP });
    plivo.inventory.splice(0, 22);
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.abort?.("restart");
    }).catch(() => undefined);
    await work(acct);
    const o = await getOrder(acct, id);
    expect(o).toMatchObject({ status: "completed", progress: { bought: 24, added: 24 } });
    expect(plivo.purchases).toHaveLength(2);
    expect(plivo.requests("GET", /\/Number\/$/).map((r) => r.url.searchParams.get("offset"))).toEqual(["0", "20"]);
    expect((await getPool(acct)).trackingNumbers).not.toContain("+15105559999");
  });

  it("the reconcile follows meta.next on api.plivo.com only: a page link to another host is not followed (the Auth Token goes nowhere else)", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 3));
    const net = edge(plivo);
    plivo.faults.push({
      match: (req) => req.method === "GET" && /\/Number\/$/.test(req.url.pathname),
      answer: () =>
        Response.json({
          api_id: "e1d2c3b4-0000-11ee-8000-000000000001",
          meta: { limit: 20, offset: 0, next: `https://collector.example/v1/Account/${PLIVO_AUTH_ID}/Number/?offset=20`, previous: null, total_count: 40 },
          objects: [],
        }),
    });
    const id = await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    expect(await getOrder(acct, id)).toMatchObject({ status: "completed" });
    expect(net.seen.every((s) => s.url.hostname === "api.plivo.com")).toBe(true);
  });

  it("a number removed from the pool is unrented at Plivo after lease + grace", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 2));
    edge(plivo);
    await order(acct, { country: "US", areaCode: "510", quantity: 2 });
    await work(acct);
    const [gone] = (await getPool(acct)).trackingNumbers as string[];
    expect((await api("POST", "/v1/pools/ads/numbers", { key: acct.adminKey, body: { remove: [gone] } })).status).toBe(200);
    await work(acct, T0 + (60 + 120) * 1000 + 1);
    expect(plivo.released).toEqual([gone]);
    expect(plivo.requests("DELETE", /\/Number\/\d+\/$/).map((r) => r.url.pathname)).toEqual([`/v1/Account/${PLIVO_AUTH_ID}/Number/${gone!.slice(1)}/`]);
    expect(plivo.numbers()).toHaveLength(1);
  });

  it("without authId or applicationId: 409 numbers_not_configured naming them, nothing stored or bought", async () => {
    for (const partial of [
      { authToken: PLIVO_TOKEN, applicationId: PLIVO_APP },
      { authToken: PLIVO_TOKEN, authId: PLIVO_AUTH_ID },
    ]) {
      const acct = await createAccount();
      const net = edge(new FakePlivo(stock("510", 2)));
      expect((await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider: "plivo", credentials: { plivo: partial } } })).status).toBe(200);
      const before = await dump(accountStub(acct.accountId));
      const r = await api("POST", "/v1/pools", { key: acct.adminKey, body: poolBody({ country: "US", areaCode: "510", quantity: 1 }) });
      expect([r.status, r.json.error.code]).toEqual([409, "numbers_not_configured"]);
      expect(r.json.error.message).toBe("Buying Plivo numbers needs credentials.plivo.authId, authToken and applicationId (PATCH /v1/account/voice)");
      expect(await dump(accountStub(acct.accountId))).toBe(before);
      await work(acct);
      expect(net.seen).toHaveLength(0);
    }
  });

  it("credentials of the wrong shape are 400 and change nothing; they are write-only", async () => {
    const acct = await world("plivo");
    const before = await dump(accountStub(acct.accountId));
    for (const plivo of [
      { authToken: PLIVO_TOKEN, authId: "XX2025RK4E639VJFZAGV", applicationId: PLIVO_APP },
      { authToken: PLIVO_TOKEN, authId: PLIVO_AUTH_ID, applicationId: "app-1" },
    ]) {
      const r = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { credentials: { plivo } } });
      expect([r.status, r.json.error.code]).toEqual([400, "invalid_request"]);
    }
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    const view = JSON.stringify((await api("GET", "/v1/account/voice", { key: acct.adminKey })).json);
    expect(view).not.toContain(PLIVO_AUTH_ID);
    expect(view).not.toContain(PLIVO_TOKEN);
  });

  it("regulatory ids of another carrier are refused on a Plivo order (400), nothing stored", async () => {
    const acct = await world("plivo");
    const before = await dump(accountStub(acct.accountId));
    const r = await api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: poolBody({ country: "GB", areaCode: "20", quantity: 1, regulatory: { addressSid: `AD${"a1".repeat(16)}` } }),
    });
    expect([r.status, r.json.error.code]).toEqual([400, "invalid_number_request"]);
    expect(r.json.error.message).toContain("this order buys from plivo");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
  });

  it("verification pending at Plivo (a regulated country): recorded as ordered, not shown; unrented when the order is canceled", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo([{ number: "+493055501234", region: "", locality: "Berlin", lat: 52.5, lng: 13.4, type: "local" }]);
    plivo.verification.add("DE");
    edge(plivo);
    const id = await order(acct, { country: "DE", areaCode: "30", quantity: 1 });
    await work(acct);
    expect((await getOrder(acct, id)).numbers).toEqual([{ number: "+493055501234", state: "ordered", fallback: false }]);
    expect((await getPool(acct)).trackingNumbers).toEqual([]);
    expect((await api("DELETE", `/v1/orders/${id}`, { key: acct.adminKey })).status).toBe(200);
    await work(acct);
    expect(plivo.released).toEqual(["+493055501234"]);
  });
});

describe("autoscaling from Plivo", () => {
  it("a pool on Plivo first-fills to its min with numbers bought there, each on the application and marked", async () => {
    const acct = await world("plivo");
    const plivo = new FakePlivo(stock("510", 10));
    edge(plivo);
    await order(acct, { country: "US", areaCode: "510", quantity: 1 });
    await work(acct);
    const put = await api("PUT", "/v1/pools/ads/autoscale", {
      key: acct.adminKey,
      body: { numbers: { country: "US", areaCode: "510" }, min: 3, max: 5, target: 0.05, cooldownMinutes: 60 },
    });
    expect(put.status).toBe(200);
    for (let m = 5; m <= 30 && (await getPool(acct)).trackingNumbers.length < 3; m += 5) await work(acct, T0 + m * 60_000);
    const pool = await getPool(acct);
    expect(pool.trackingNumbers).toHaveLength(3);
    expect(plivo.purchases).toHaveLength(3);
    for (const n of plivo.owned.values()) expect(n.app).toBe(PLIVO_APP);
    const orders = (await api("GET", "/v1/orders", { key: acct.adminKey })).json.orders as { id: string; provider: string }[];
    expect(orders.every((o) => o.provider === "plivo")).toBe(true);
    expect(new Set([...plivo.owned.values()].map((n) => n.alias))).toEqual(new Set(orders.map((o) => o.id)));
  });
});
