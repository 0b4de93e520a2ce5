/**
 * An account and pool stored by the version before one-hop allocation (the pool's numbers inside
 * its config JSON, one pushed snapshot per pool object) keep working after the upgrade: the
 * numbers move to the account's own index, the pool object is configured again on first use, and
 * a session's live lease survives.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS as ACCOUNT_MIGRATIONS } from "../../worker/account/account";
import { BUY_TRIES_MIGRATION, NUMBER_ADDED_MIGRATION } from "../../worker/account/number-orders";
import { migrate } from "../../worker/platform/sql";
import { MIGRATIONS as POOL_MIGRATIONS } from "../../worker/pool/pool";
import { accountStub, allocate, api, ORIGIN, poolStub, sessionId } from "./helpers";

const ID = "upgrade000000001";
const SITE_KEY = `pk_${ID}_site-key-before-the-upgrade`;
const ADMIN_KEY = `sk_${ID}_admin-key-before-the-upgrade-000000000000000`;
const NUMBERS = ["+18885557001", "+18885557002", "+18885557003"];

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("upgrade from the two-hop layout", () => {
  it("keeps the pool's numbers, its order, and a live lease", async () => {
    const now = Date.now();
    const config = {
      id: "web",
      name: "Web",
      country: null,
      trackingNumbers: NUMBERS,
      destinations: ["+12127365000"],
      leaseSeconds: 1800,
      graceSeconds: 3600,
      exhaustionPolicy: "recycle",
      overflowNumber: null,
      status: "recycle",
      isDefault: false,
      callerId: null,
      whisper: false,
      alertThreshold: 0.8,
      maxNewLeasesPerMinute: null,
      shards: 1,
      previousShards: null,
      reshardedAt: null,
      version: 3,
      createdAt: now,
      updatedAt: now,
    };
    const adminHash = await sha256Hex(ADMIN_KEY);
    await runInDurableObject(accountStub(ID), (_i, state) => {
      migrate(state.storage, ACCOUNT_MIGRATIONS.slice(0, 3));
      state.storage.sql.exec(
        "INSERT INTO account (id, name, admin_key_hash, site_key, allowed_origins, default_pool, created_at, updated_at, voice_secret) VALUES (?, 'Old', ?, ?, ?, 'web', ?, ?, ?)",
        ID,
        adminHash,
        SITE_KEY,
        JSON.stringify([ORIGIN]),
        now,
        now,
        `vs_${"a".repeat(43)}`,
      );
      state.storage.sql.exec("INSERT INTO pools (id, config) VALUES ('web', ?)", JSON.stringify(config));
      state.storage.sql.exec("UPDATE meta SET value = '3' WHERE key = 'version_seq'");
    });
    const session = sessionId();
    await runInDurableObject(poolStub(ID, "web"), (_i, state) => {
      migrate(state.storage, POOL_MIGRATIONS.slice(0, 1));
      for (const n of NUMBERS) state.storage.sql.exec("INSERT INTO numbers (number) VALUES (?)", n);
      const lease = state.storage.sql
        .exec<{ id: number }>(
          "INSERT INTO leases (number, session, source, leased_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
          NUMBERS[1],
          session,
          JSON.stringify({ name: "before-upgrade" }),
          now,
          now + 1_800_000,
        )
        .one().id;
      state.storage.sql.exec(
        "UPDATE numbers SET lease_id = ?, session = ?, leased_at = ?, expires_at = ? WHERE number = ?",
        lease,
        session,
        now,
        now + 1_800_000,
        NUMBERS[1],
      );
      migrate(state.storage, POOL_MIGRATIONS.slice(0, 2));
      state.storage.sql.exec("INSERT INTO meta (key, value) VALUES ('config', ?)", JSON.stringify({ ...config, accountId: ID, poolId: "web", active: true }));
    });
    await evictDurableObject(accountStub(ID));
    await evictDurableObject(poolStub(ID, "web"));

    const pool = await api("GET", "/v1/pools/web", { key: ADMIN_KEY });
    expect(pool.status).toBe(200);
    expect(pool.json).toMatchObject({ trackingNumbers: NUMBERS, isDefault: true, version: 3 });
    // The session holding a number before the upgrade keeps it; a new one gets another.
    expect((await allocate(SITE_KEY, session)).json.pools[0].number.e164).toBe(NUMBERS[1]);
    // Its lease moved whole onto its number (id and source); the history holds ended leases only.
    const moved = await runInDurableObject(poolStub(ID, "web"), (_i, state) => ({
      number: state.storage.sql.exec("SELECT lease_id, source FROM numbers WHERE session = ?", session).one(),
      history: state.storage.sql.exec("SELECT id FROM leases").toArray().length,
    }));
    expect(moved).toEqual({ number: { lease_id: 1, source: JSON.stringify({ name: "before-upgrade" }) }, history: 0 });
    const other = (await allocate(SITE_KEY, sessionId())).json.pools[0].number.e164;
    expect(NUMBERS.filter((n) => n !== NUMBERS[1])).toContain(other);
    // Changes after the upgrade go through the new index.
    const removed = await api("POST", "/v1/pools/web/numbers", { key: ADMIN_KEY, body: { remove: [NUMBERS[0]] } });
    expect(removed.json.trackingNumbers).toEqual(NUMBERS.slice(1));
  });
});

describe("upgrade: when bought numbers joined their pool", () => {
  it("numbers added or parked, and released ones of orders that neither failed nor were canceled, count as added; the others do not", async () => {
    const id = "upgrade000000002";
    const rows = await runInDurableObject(accountStub(id), (_i, state) => {
      const sql = state.storage.sql;
      migrate(state.storage, ACCOUNT_MIGRATIONS.slice(0, ACCOUNT_MIGRATIONS.indexOf(NUMBER_ADDED_MIGRATION)));
      const order = (oid: string, status: string) =>
        sql.exec(
          "INSERT INTO number_orders (id, pool_id, provider, request, origin, status, created_at, updated_at) VALUES (?, 'web', 'twilio', '{}', 'https://dni.test', ?, 1, 1)",
          oid,
          status,
        );
      const number = (n: string, oid: string, st: string) =>
        sql.exec(
          "INSERT INTO provider_numbers (number, provider, provider_id, order_id, pool_id, state, created_at) VALUES (?, 'twilio', 'PN', ?, 'web', ?, 5)",
          n,
          oid,
          st,
        );
      order("ord_done", "completed");
      order("ord_failed", "failed");
      number("+18885558001", "ord_done", "added");
      number("+18885558002", "ord_done", "parked");
      number("+18885558003", "ord_done", "released");
      number("+18885558004", "ord_done", "configured");
      number("+18885558005", "ord_failed", "released");
      migrate(state.storage, ACCOUNT_MIGRATIONS);
      return sql.exec<{ number: string; added_at: number | null }>("SELECT number, added_at FROM provider_numbers ORDER BY number").toArray();
    });
    expect(rows.map((r) => [r.number.slice(-1), r.added_at])).toEqual([
      ["1", 5],
      ["2", 5],
      ["3", 5],
      ["4", null],
      ["5", null],
    ]);
  });
});

describe("upgrade: the numbers an order is about to buy", () => {
  it("an order open before it keeps its row, with no tries recorded", async () => {
    const id = "upgrade000000003";
    const step = ACCOUNT_MIGRATIONS.indexOf(BUY_TRIES_MIGRATION);
    expect(step).toBeGreaterThan(0);
    const after = await runInDurableObject(accountStub(id), (_i, state) => {
      const sql = state.storage.sql;
      migrate(state.storage, ACCOUNT_MIGRATIONS.slice(0, step));
      sql.exec(
        "INSERT INTO number_orders (id, pool_id, provider, request, origin, status, next_attempt_at, created_at, updated_at) VALUES ('ord_open', 'web', 'vonage', '{}', 'https://dni.test', 'running', 9, 1, 1)",
      );
      migrate(state.storage, ACCOUNT_MIGRATIONS);
      return {
        order: sql.exec("SELECT id, status, next_attempt_at FROM number_orders").toArray(),
        tries: sql.exec("SELECT * FROM number_buy_tries").toArray(),
      };
    });
    expect(after).toEqual({ order: [{ id: "ord_open", status: "running", next_attempt_at: 9 }], tries: [] });
  });
});
