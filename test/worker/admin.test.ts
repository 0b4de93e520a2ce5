import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { accountStub, allocate, api, createAccount, createPool, directoryStub, dump, freshNumbers, OPERATOR, poolStub, sessionId } from "./helpers";

const DEST = "+12127365000";

describe("operator and accounts", () => {
  it("only the operator token creates accounts; the admin key is shown once and stored hashed", async () => {
    expect((await api("POST", "/v1/accounts", { body: { name: "x" } })).status).toBe(401);
    expect((await api("POST", "/v1/accounts", { key: "wrong", body: { name: "x" } })).json.error.code).toBe("unauthorized");
    const r = await api("POST", "/v1/accounts", {
      key: OPERATOR,
      body: { name: "Acme", allowedOrigins: ["www.acme.example", "http://localhost:8787", "HTTPS://*.Acme.Example:443"] },
    });
    expect(r.status).toBe(201);
    expect(r.json.adminKey).toMatch(/^sk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(r.json.siteKey).toMatch(/^pk_[a-z0-9]{16}_[A-Za-z0-9_-]{22}$/);
    expect(r.json.account.allowedOrigins).toEqual(["https://www.acme.example", "http://localhost:8787", "https://*.acme.example"]);
    const stored = await dump(accountStub(r.json.account.id));
    expect(stored).not.toContain(r.json.adminKey);
    const me = await api("GET", "/v1/account", { key: r.json.adminKey });
    expect(me.status).toBe(200);
    expect(JSON.stringify(me.json)).not.toContain(r.json.adminKey);
    const list = await api("GET", "/v1/accounts", { key: OPERATOR });
    expect(list.json.accounts.map((a: { id: string }) => a.id)).toContain(r.json.account.id);
  });

  it("refuses bad account input and stores nothing", async () => {
    const before = await dump(directoryStub());
    for (const body of [
      {},
      { name: "" },
      { name: "x", allowedOrigins: ["https://a.example/path"] },
      { name: "x", allowedOrigins: ["ftp://a.example"] },
      { name: "x", extra: 1 },
      { name: "x", allowedOrigins: ["*.com"] },
    ]) {
      const r = await api("POST", "/v1/accounts", { key: OPERATOR, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toMatch(/^invalid_/);
    }
    expect(await dump(directoryStub())).toBe(before);
  });

  it("rotates keys: the old one stops working at once", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST], isDefault: true });
    const admin = await api("POST", "/v1/account/keys/rotate", { key: acct.adminKey, body: { key: "admin" } });
    expect(admin.status).toBe(200);
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).status).toBe(401);
    expect((await api("GET", "/v1/account", { key: admin.json.value })).status).toBe(200);
    const site = await api("POST", "/v1/account/keys/rotate", { key: admin.json.value, body: { key: "site" } });
    expect((await allocate(acct.siteKey, sessionId())).status).toBe(401);
    expect((await allocate(site.json.value, sessionId())).status).toBe(200);
  });

  it("changes allowed origins", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(2), destinations: [DEST], isDefault: true });
    const r = await api("PATCH", "/v1/account", { key: acct.adminKey, body: { allowedOrigins: ["https://new.example"] } });
    expect(r.json.allowedOrigins).toEqual(["https://new.example"]);
    expect((await allocate(acct.siteKey, sessionId())).status).toBe(403);
    expect((await allocate(acct.siteKey, sessionId(), { origin: "https://new.example" })).status).toBe(200);
  });
});

describe("pools", () => {
  afterEach(() => vi.useRealTimers());

  it("create, read, list, update, delete, with numbers normalised to E.164", async () => {
    const acct = await createAccount();
    const created = await createPool(acct, {
      id: "uk-ads",
      name: "UK ads",
      country: "GB",
      trackingNumbers: ["020 7946 0001", "+44 (0)20 7946 0002", "+442079460003"],
      destinations: ["020 7946 0958"],
    });
    expect(created).toMatchObject({
      id: "uk-ads",
      trackingNumbers: ["+442079460001", "+442079460002", "+442079460003"],
      destinations: ["+442079460958"],
      leaseSeconds: 1800,
      graceSeconds: 3600,
      exhaustionPolicy: "recycle",
      status: "recycle",
      overflowNumber: null,
      isDefault: false,
    });
    expect(
      (await api("POST", "/v1/pools", { key: acct.adminKey, body: { id: "uk-ads", name: "again", trackingNumbers: ["+18882000001"], destinations: [DEST] } }))
        .status,
    ).toBe(409);
    expect((await api("GET", "/v1/pools/uk-ads", { key: acct.adminKey })).json.name).toBe("UK ads");
    const patched = await api("PATCH", "/v1/pools/uk-ads", { key: acct.adminKey, body: { leaseSeconds: 900, status: "warning", isDefault: true } });
    expect(patched.json).toMatchObject({ leaseSeconds: 900, status: "warning", isDefault: true });
    expect((await api("GET", "/v1/account", { key: acct.adminKey })).json.defaultPool).toBe("uk-ads");
    await createPool(acct, { id: "second", name: "Second", trackingNumbers: freshNumbers(1), destinations: [DEST], isDefault: true });
    const list = await api("GET", "/v1/pools", { key: acct.adminKey });
    expect(list.json.pools.map((p: { id: string; isDefault: boolean }) => [p.id, p.isDefault])).toEqual([
      ["second", true],
      ["uk-ads", false],
    ]);
    expect((await api("DELETE", "/v1/pools/uk-ads", { key: acct.adminKey })).status).toBe(204);
    expect((await api("GET", "/v1/pools/uk-ads", { key: acct.adminKey })).json.error.code).toBe("pool_not_found");
    expect((await api("DELETE", "/v1/pools/uk-ads", { key: acct.adminKey })).status).toBe(404);
  });

  it("refuses invalid numbers, prefixes and conflicts, storing nothing", async () => {
    const acct = await createAccount();
    const other = await createAccount(["https://o.example"]);
    const mine = freshNumbers(2);
    await createPool(acct, { id: "a", name: "A", trackingNumbers: mine, destinations: [DEST, "+12125550123"] });
    const theirs = freshNumbers(1);
    await createPool(other, { id: "t", name: "T", trackingNumbers: theirs, destinations: ["+12125550100"] });
    const before = [await dump(accountStub(acct.accountId)), await dump(directoryStub())].join();
    const base = { id: "b", name: "B", trackingNumbers: freshNumbers(1), destinations: [DEST] };
    const cases: [string, Record<string, unknown>, number, string][] = [
      ["country code only destination", { ...base, destinations: ["+1"] }, 400, "invalid_request"],
      ["country code only, spaced", { ...base, destinations: ["+1 "] }, 400, "invalid_number"],
      ["country code only, UK", { ...base, destinations: ["+44"] }, 400, "invalid_number"],
      ["short prefix destination", { ...base, destinations: ["+1800"] }, 400, "invalid_number"],
      ["national without country", { ...base, trackingNumbers: ["020 7946 0001"] }, 400, "invalid_number"],
      ["a country with no numbering plan (all numbers international)", { ...base, country: "ZZ" }, 400, "invalid_request"],
      ["garbage", { ...base, trackingNumbers: ["call us!"] }, 400, "invalid_number"],
      ["duplicate numbers", { ...base, trackingNumbers: ["+18005550100", "+1 (800) 555-0100"] }, 400, "invalid_number"],
      ["tracking equals destination", { ...base, trackingNumbers: [DEST] }, 400, "invalid_number"],
      ["tracking number of my other pool", { ...base, trackingNumbers: [mine[0]] }, 409, "number_conflict"],
      ["tracking number of another account", { ...base, trackingNumbers: [theirs[0]] }, 409, "number_conflict"],
      ["destination is a tracking number", { ...base, destinations: [mine[1]] }, 409, "number_conflict"],
      ["tracking is another pool's destination", { ...base, trackingNumbers: ["+12125550123"] }, 409, "number_conflict"],
      ["lease too short", { ...base, leaseSeconds: 1 }, 400, "invalid_request"],
      ["bad policy", { ...base, exhaustionPolicy: "random" }, 400, "invalid_request"],
      ["overflow number not in pool", { ...base, exhaustionPolicy: "overflow", overflowNumber: "+18005550100" }, 400, "invalid_overflow_number"],
      [
        "overflow number with another policy",
        { ...base, exhaustionPolicy: "recycle", overflowNumber: base.trackingNumbers[0] },
        400,
        "invalid_overflow_number",
      ],
      ["overflow number with the default policy", { ...base, overflowNumber: base.trackingNumbers[0] }, 400, "invalid_overflow_number"],
      ["unknown field", { ...base, colour: "red" }, 400, "invalid_request"],
      ["bad id", { ...base, id: "a b" }, 400, "invalid_request"],
      ["no numbers", { ...base, trackingNumbers: [] }, 400, "invalid_request"],
    ];
    for (const [label, body, status, code] of cases) {
      const r = await api("POST", "/v1/pools", { key: acct.adminKey, body });
      expect({ label, status: r.status, code: r.json?.error?.code }).toEqual({ label, status, code });
    }
    const bad = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, trackingNumbers: ["+18005550100", "nope"] } });
    expect(bad.json.error.details[0]).toMatchObject({ path: "trackingNumbers[1]", value: "nope" });
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, raw: "{oops", headers: { "Content-Type": "application/json" } })).json.error.code).toBe(
      "invalid_json",
    );
    const huge = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, name: "x".repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    expect((await api("PATCH", "/v1/pools/a", { key: acct.adminKey, body: { destinations: ["+44"] } })).status).toBe(400);
    expect((await api("PATCH", "/v1/pools/zzz", { key: acct.adminKey, body: { name: "n" } })).status).toBe(404);
    expect([await dump(accountStub(acct.accountId)), await dump(directoryStub())].join()).toBe(before);
    // Another account's claim is only "not available": nothing about how that account uses it.
    const taken = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, trackingNumbers: [theirs[0]] } });
    expect(taken.json.error.details).toEqual([{ value: theirs[0], message: "not available" }]);
    // Destinations are not exclusive across accounts: another account's destination may be tracked here.
    expect((await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, trackingNumbers: ["+12125550100"] } })).status).toBe(201);
  });

  it("adds and removes numbers; a leased number retires when its lease ends", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2031-03-01T00:00:00Z"));
    const acct = await createAccount();
    const [n1, n2, n3] = freshNumbers(3) as [string, string, string];
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: [n1], destinations: [DEST], leaseSeconds: 60, graceSeconds: 30, isDefault: true });
    const s1 = sessionId();
    expect((await allocate(acct.siteKey, s1)).json.pools[0].number.e164).toBe(n1);
    const added = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { add: [n2, n3], remove: [n1] } });
    expect(added.status).toBe(200);
    expect(added.json.trackingNumbers).toEqual([n2, n3]);
    // s1 keeps n1 until its lease ends (not extended); nobody else gets n1.
    vi.setSystemTime(Date.now() + 30_000);
    const again = await allocate(acct.siteKey, s1);
    expect(again.json.pools[0].number.e164).toBe(n1);
    expect(again.json.pools[0].expiresAt).toBe(Date.parse("2031-03-01T00:01:00Z"));
    const others = [await allocate(acct.siteKey, sessionId()), await allocate(acct.siteKey, sessionId())].map((r) => r.json.pools[0].number.e164);
    expect(others.sort()).toEqual([n2, n3].sort());
    // The removed number stays claimed (routing calls) for lease + grace.
    const other = await createAccount(["https://o.example"]);
    const early = await api("POST", "/v1/pools", { key: other.adminKey, body: { id: "x", name: "X", trackingNumbers: [n1], destinations: ["+12125550100"] } });
    expect(early.status).toBe(409);
    vi.setSystemTime(Date.now() + 91_000);
    await runDurableObjectAlarm(poolStub(acct.accountId, "web"));
    expect((await poolStub(acct.accountId, "web").liveLeases(Date.now())).map((l) => l.number)).not.toContain(n1);
    await runDurableObjectAlarm(directoryStub());
    const later = await api("POST", "/v1/pools", { key: other.adminKey, body: { id: "x", name: "X", trackingNumbers: [n1], destinations: ["+12125550100"] } });
    expect(later.status).toBe(201);
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [n1] } })).json.error.code).toBe("number_not_in_pool");
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: {} })).status).toBe(400);
  });

  it("a pool with no grace: a number removed under a lease stays claimed a minute past the lease (a renewal taken meanwhile may run that long)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2031-03-01T00:00:00Z"));
    const acct = await createAccount();
    const [n1, n2] = freshNumbers(2) as [string, string];
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: [n1, n2], destinations: [DEST], leaseSeconds: 60, graceSeconds: 0, isDefault: true });
    expect((await allocate(acct.siteKey, sessionId())).json.pools[0].number.e164).toBe(n1);
    const removedAt = Date.now();
    expect((await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [n1] } })).status).toBe(200);
    const other = await createAccount(["https://o.example"]);
    const claim = () => api("POST", "/v1/pools", { key: other.adminKey, body: { id: "x", name: "X", trackingNumbers: [n1], destinations: ["+12125550100"] } });
    // Past the lease (no grace), within the minute: still this account's.
    vi.setSystemTime(removedAt + 60_000 + 30_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    await runDurableObjectAlarm(directoryStub());
    expect((await claim()).status).toBe(409);
    vi.setSystemTime(removedAt + 60_000 + 61_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    await runDurableObjectAlarm(directoryStub());
    expect((await claim()).status).toBe(201);
  });

  it("numbers added to a pool count against its 20,000 as a created pool's do, and nothing is stored over it", async () => {
    const acct = await createAccount();
    const numbers = [...freshNumbers(20_000), ...freshNumbers(1)];
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: numbers.slice(0, 20_000), destinations: [DEST] });
    const before = await dump(accountStub(acct.accountId));
    const over = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { add: numbers.slice(20_000) } });
    expect(over.status).toBe(400);
    expect(over.json.error.code).toBe("too_many_numbers");
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    // One out, one in: still 20,000.
    const swap = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { add: numbers.slice(20_000), remove: numbers.slice(0, 1) } });
    expect(swap.status).toBe(200);
    expect(swap.json.trackingNumbers).toHaveLength(20_000);
  });

  it("an overflow number is refused with another policy, set or patched; a policy patched away from overflow drops it", async () => {
    const acct = await createAccount();
    const [n1, n2] = freshNumbers(2) as [string, string];
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: [n1, n2], destinations: [DEST], exhaustionPolicy: "overflow", overflowNumber: n2 });
    const before = await dump(accountStub(acct.accountId));
    const r = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { exhaustionPolicy: "none", overflowNumber: n1 } });
    expect([r.status, r.json.error.code]).toEqual([400, "invalid_overflow_number"]);
    expect(await dump(accountStub(acct.accountId))).toBe(before);
    const none = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { exhaustionPolicy: "none" } });
    expect(none.json).toMatchObject({ exhaustionPolicy: "none", overflowNumber: null });
    const stray = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { overflowNumber: n1 } });
    expect([stray.status, stray.json.error.code]).toEqual([400, "invalid_overflow_number"]);
    // Clearing it (null) is no conflict.
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { overflowNumber: null } })).status).toBe(200);
  });

  it("an overflow pool emptied of its numbers says it has no overflow number (null), as its schema does", async () => {
    const acct = await createAccount();
    const [n1] = freshNumbers(1) as [string];
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: [n1], destinations: [DEST], exhaustionPolicy: "overflow" });
    const emptied = await api("POST", "/v1/pools/web/numbers", { key: acct.adminKey, body: { remove: [n1] } });
    expect(emptied.status).toBe(200);
    expect(emptied.json).toMatchObject({ trackingNumbers: [], exhaustionPolicy: "overflow", overflowNumber: null });
    expect((await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.overflowNumber).toBeNull();
  });
});
