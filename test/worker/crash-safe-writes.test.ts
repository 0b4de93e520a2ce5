/**
 * Admin writes that span objects: the account object's registry, the pool objects it pushes to,
 * and the Directory's claims. A push that fails, or a crash of the account object half-way, must
 * not leave them disagreeing: the account's alarm finishes what the write began. Pool objects are
 * made unreachable (or to hang) only inside the account object, at its outbound stubs.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { mockNetwork } from "./calls-helpers";
import { accountStub, allocate, api, type Created, createAccount, createPool, directoryStub, freshNumbers, sessionId, useTestClock } from "./helpers";

const OLD_DEST = "+12127365000";
const NEW_DEST = "+12127365001";
/** Past the account's retry delay for a push or a journal entry left over (10 s). */
const RETRY = 11_000;

const clock = useTestClock(Date.UTC(2031, 5, 1, 12));

/** Inside the account object: pool objects (or the Directory) answer through `stub` instead. */
async function rewire(acct: Created, binding: "POOLS" | "DIRECTORY", stub: (real: DurableObjectStub) => object): Promise<void> {
  await runInDurableObject(accountStub(acct.accountId), (instance) => {
    const inner = instance as unknown as { env: Env; sync: { env: Env } };
    const real = env[binding] as unknown as DurableObjectNamespace;
    const ns = { idFromName: (n: string) => real.idFromName(n), get: (id: DurableObjectId) => stub(real.get(id)) };
    if (binding === "POOLS") inner.sync.env = { ...env, POOLS: ns } as unknown as Env;
    else inner.env = { ...env, DIRECTORY: ns } as unknown as Env;
  });
}

const destinationOf = async (acct: Created) => (await allocate(acct.siteKey, sessionId())).json.pools[0].destinations[0].e164;

async function world() {
  const acct = await createAccount();
  await createPool(acct, { id: "web", name: "Web", trackingNumbers: freshNumbers(4), destinations: [OLD_DEST], isDefault: true });
  expect(await destinationOf(acct)).toBe(OLD_DEST);
  return acct;
}

const never = () => new Promise<never>(() => {});

describe("admin writes are never left half-done", () => {
  it("a push that fails answers 503 not_propagated; the alarm brings the pool object up to date", async () => {
    const acct = await world();
    await rewire(acct, "POOLS", () => ({ sync: async () => Promise.reject(new Error("pool object unreachable")) }));
    const r = await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { destinations: [NEW_DEST] } });
    expect([r.status, r.json.error.code]).toEqual([503, "not_propagated"]);
    // Saved in the account, not yet in the pool object.
    expect((await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.destinations).toEqual([NEW_DEST]);
    expect(await destinationOf(acct)).toBe(OLD_DEST);
    await abortAllDurableObjects(); // the account object comes back with its real stubs
    clock.advance(RETRY);
    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    expect(await destinationOf(acct)).toBe(NEW_DEST);
  });

  it("pushes that failed, then made by a later PATCH: the failing run ends at the next alarm, which is never set in the past", async () => {
    const acct = await world();
    await rewire(acct, "POOLS", () => ({ sync: async () => Promise.reject(new Error("pool object unreachable")) }));
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { destinations: [NEW_DEST] } })).status).toBe(503);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    clock.advance(RETRY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    const failing = () => runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.sql.exec("SELECT part FROM alarm_failures").toArray());
    expect(await failing()).toEqual([{ part: "pushes" }]);
    // The objects back; a PATCH pushes everything (nothing is left due for the alarm's pushes).
    await abortAllDurableObjects();
    expect((await api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { destinations: [OLD_DEST] } })).status).toBe(200);
    clock.advance(5 * 60_000);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(await failing()).toEqual([]);
    const alarm = await runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.getAlarm());
    expect(alarm === null || alarm > Date.now()).toBe(true);
    errors.mockRestore();
  });

  it("a site key rotated while pool objects cannot be reached: 503 says where the new key is, not to rotate again", async () => {
    const acct = await world();
    const before = (await api("GET", "/v1/account", { key: acct.adminKey })).json.siteKey;
    await rewire(acct, "POOLS", () => ({ setGate: async () => Promise.reject(new Error("pool object unreachable")) }));
    const r = await api("POST", "/v1/account/keys/rotate", { key: acct.adminKey, body: { key: "site" } });
    expect([r.status, r.json.error.code]).toEqual([503, "not_propagated"]);
    expect(r.json.error.message).toContain("GET /v1/account shows it");
    expect(r.json.error.message).not.toContain("Retry");
    const now = (await api("GET", "/v1/account", { key: acct.adminKey })).json.siteKey;
    expect(now).not.toBe(before);
    // The alarm brings the objects the new key: it allocates.
    await abortAllDurableObjects();
    clock.advance(RETRY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect((await allocate(now, sessionId())).status).toBe(200);
  });

  it("a crash of the account object mid-push: the alarm pushes what was saved", async () => {
    const acct = await world();
    await rewire(acct, "POOLS", () => ({ sync: never }));
    const patch = api("PATCH", "/v1/pools/web", { key: acct.adminKey, body: { destinations: [NEW_DEST] } }).catch(() => null);
    await vi.waitFor(async () => expect((await api("GET", "/v1/pools/web", { key: acct.adminKey })).json.destinations).toEqual([NEW_DEST]));
    await abortAllDurableObjects(); // the crash: the push never finished, nothing after it ran
    await patch;
    expect(await destinationOf(acct)).toBe(OLD_DEST);
    clock.advance(RETRY);
    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    expect(await destinationOf(acct)).toBe(NEW_DEST);
  });

  it("a crash between the Directory's claim and the save: the alarm gives the claim back, so no account is locked out", async () => {
    const acct = await world();
    const other = await createAccount(["https://other.example"]);
    const [number] = freshNumbers(1);
    await rewire(acct, "DIRECTORY", (real) => ({
      claim: async (...args: unknown[]) => {
        await (real as unknown as { claim: (...a: unknown[]) => Promise<unknown> }).claim(...args);
        return never();
      },
    }));
    const create = api("POST", "/v1/pools", {
      key: acct.adminKey,
      body: { id: "late", name: "Late", trackingNumbers: [number], destinations: [OLD_DEST] },
    }).catch(() => null);
    await vi.waitFor(async () => expect(await directoryStub().lookup(number!, Date.now())).toBe(acct.accountId));
    await abortAllDurableObjects();
    await create;
    // Half-done: the Directory says the number is the account's, the account never saved the pool.
    expect((await api("GET", "/v1/pools/late", { key: acct.adminKey })).status).toBe(404);
    const body = { id: "mine", name: "Mine", trackingNumbers: [number], destinations: ["+12125550100"] };
    expect((await api("POST", "/v1/pools", { key: other.adminKey, body })).status).toBe(409);
    clock.advance(RETRY);
    expect(await runDurableObjectAlarm(accountStub(acct.accountId))).toBe(true);
    expect(await directoryStub().lookup(number!, Date.now())).toBeNull();
    expect((await api("POST", "/v1/pools", { key: other.adminKey, body })).status).toBe(201);
  });

  it("a release not yet told survives a refused claim of the same number (added back beside another account's number)", async () => {
    const acct = await world();
    const other = await createAccount(["https://o.example"]);
    const [number, theirs] = freshNumbers(2) as [string, string];
    await createPool(other, { id: "x", name: "X", trackingNumbers: [theirs], destinations: ["+12125550100"] });
    await createPool(acct, { id: "p", name: "P", trackingNumbers: [number], destinations: [OLD_DEST], leaseSeconds: 60, graceSeconds: 60 });
    // The Directory takes claims but not releases for now.
    await rewire(acct, "DIRECTORY", (real) => ({
      claim: (...args: unknown[]) => (real as unknown as { claim: (...a: unknown[]) => unknown }).claim(...args),
      release: async () => Promise.reject(new Error("directory unreachable")),
    }));
    expect((await api("POST", "/v1/pools/p/numbers", { key: acct.adminKey, body: { remove: [number] } })).status).toBe(200);
    const back = await api("POST", "/v1/pools/p/numbers", { key: acct.adminKey, body: { add: [number, theirs] } });
    expect([back.status, back.json.error.code]).toEqual([409, "number_conflict"]);
    await abortAllDurableObjects();
    clock.advance(RETRY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    // The release was told: the account's until lease + grace from the removal, then anyone's.
    expect(await directoryStub().lookup(number, Date.now())).toBe(acct.accountId);
    expect(await directoryStub().lookup(number, Date.now() + 120_000)).toBeNull();
  });

  it("while the Directory keeps failing, a release is tried again RETRY_MS later, not by an alarm set in the past", async () => {
    const acct = await world();
    const [number] = freshNumbers(1);
    await createPool(acct, { id: "gone", name: "Gone", trackingNumbers: [number], destinations: [OLD_DEST], leaseSeconds: 60, graceSeconds: 60 });
    await rewire(acct, "DIRECTORY", () => ({ release: async () => Promise.reject(new Error("directory unreachable")) }));
    expect((await api("DELETE", "/v1/pools/gone", { key: acct.adminKey })).status).toBe(204);
    for (let i = 0; i < 3; i++) {
      // The alarm as set (the journal's own retry, or later while its failures back off).
      const due = await runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.getAlarm());
      clock.at(Math.max(due!, Date.now() + 1));
      await runDurableObjectAlarm(accountStub(acct.accountId));
      const alarm = await runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.getAlarm());
      expect(alarm! - Date.now()).toBeGreaterThanOrEqual(RETRY - 1_001);
    }
  });

  it("a Directory that refuses every release for 15 minutes is told once (task.failing, journal); its first release taken, task.recovered", async () => {
    const acct = await world();
    const alerts = "https://hooks.example/alerts";
    expect((await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { alertWebhook: { url: alerts } } })).status).toBe(200);
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const told = () =>
      net.seen.filter((r) => r.url.href === alerts).map((r) => JSON.parse(r.body) as { type: string; task: { name: string; failures: number } });
    const [number] = freshNumbers(1);
    await createPool(acct, { id: "gone", name: "Gone", trackingNumbers: [number], destinations: [OLD_DEST], leaseSeconds: 60, graceSeconds: 60 });
    await rewire(acct, "DIRECTORY", () => ({ release: async () => Promise.reject(new Error("directory unreachable")) }));
    expect((await api("DELETE", "/v1/pools/gone", { key: acct.adminKey })).status).toBe(204);
    const start = Date.now();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const warns = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const runUntil = async (t: number) => {
      for (let i = 0; i < 200; i++) {
        const next = await runInDurableObject(accountStub(acct.accountId), (_i, st) => st.storage.getAlarm());
        if (next === null || next > t) break;
        clock.at(Math.max(next, Date.now() + 1));
        await runDurableObjectAlarm(accountStub(acct.accountId));
      }
    };
    await runUntil(start + 14 * 60_000);
    expect(told()).toEqual([]);
    // Tries 30 s, 1, 2, 4, then 5 minutes apart: the first past 15 minutes of failing is told.
    await runUntil(start + 21 * 60_000);
    expect(told().map((a) => [a.type, a.task.name])).toEqual([["task.failing", "journal"]]);
    expect(told()[0]!.task.failures).toBeGreaterThanOrEqual(3);
    // The Directory back: the next try takes the release, and says so once.
    await rewire(acct, "DIRECTORY", (real) => real);
    await runUntil(start + 27 * 60_000);
    expect(told().map((a) => a.type)).toEqual(["task.failing", "task.recovered"]);
    expect(await directoryStub().lookup(number!, Date.now() + 120_000)).toBeNull();
    errors.mockRestore();
    warns.mockRestore();
  });

  it("a release the Directory did not take is told again by the alarm", async () => {
    const acct = await world();
    const [number] = freshNumbers(1);
    await createPool(acct, { id: "gone", name: "Gone", trackingNumbers: [number], destinations: [OLD_DEST], leaseSeconds: 60, graceSeconds: 60 });
    await rewire(acct, "DIRECTORY", () => ({ release: async () => Promise.reject(new Error("directory unreachable")) }));
    expect((await api("DELETE", "/v1/pools/gone", { key: acct.adminKey })).status).toBe(204);
    await abortAllDurableObjects();
    clock.advance(RETRY);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    // Released: the account's own until lease + grace from the delete, then anyone's.
    expect(await directoryStub().lookup(number!, Date.now())).toBe(acct.accountId);
    expect(await directoryStub().lookup(number!, Date.now() + 120_000)).toBeNull();
  });
});
