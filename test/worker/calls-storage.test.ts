import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../worker/account/account";
import { buildCallRow } from "../../worker/account/call-facts";
import { CALL_LOG_MIGRATIONS } from "../../worker/account/call-schema";
import { CallStore } from "../../worker/account/call-store";
import { migrate } from "../../worker/platform/sql";
import { reference } from "../../worker/voice/providers";
import { accountStub } from "./helpers";

describe("call storage", () => {
  it("an account made before the call path gets a voice secret and empty call tables on upgrade", async () => {
    const id = "legacy0000000001";
    const stub = accountStub(id);
    await runInDurableObject(stub, (_i, state) => {
      migrate(state.storage, MIGRATIONS.slice(0, 1));
      state.storage.sql.exec(
        "INSERT INTO account (id, name, admin_key_hash, site_key, allowed_origins, default_pool, created_at, updated_at) VALUES (?, 'Old', 'h', 'pk', '[]', NULL, 1, 1)",
        id,
      );
    });
    await evictDurableObject(stub);
    const settings = await accountStub(id).voiceSettings();
    expect(settings.ok && settings.value.secret).toMatch(/^vs_[0-9a-f]{64}$/);
    expect(settings.ok && settings.value.fallbackNumber).toBeNull();
    const page = await accountStub(id).listCalls({ limit: 10 });
    expect(page).toEqual({ ok: true, value: { calls: [], nextCursor: null } });
    // A stray id still creates nothing.
    const stray = env.ACCOUNTS.get(env.ACCOUNTS.idFromName("stray00000000001"));
    expect((await stray.voiceSettings()).ok).toBe(false);
  });

  it("a call id is stored once even past the in-memory guard", async () => {
    const id = "legacy0000000002";
    const stub = accountStub(id);
    const outcome = await runInDurableObject(stub, (_i, state) => {
      migrate(state.storage, MIGRATIONS);
      const store = new CallStore(state.storage.sql);
      const row = buildCallRow({
        call: { id: "c-1", caller: null, dialled: "+18005550100", startedAt: 1 },
        poolId: null,
        match: null,
        route: null,
        fallback: null,
        now: 2,
        provider: "reference",
        render: (plan) => reference.answer(plan, { base: "https://dni.test/v1/voice/x", callId: "c-1", dialled: "+18005550100", step: 0 }).body,
      });
      const first = store.insert(row);
      const second = store.insert({ ...row, answer: "changed" });
      return { first, second, answer: store.answerOf("c-1"), count: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls").one().n };
    });
    expect(outcome).toEqual({
      first: true,
      second: false,
      answer: { answer: JSON.stringify({ actions: [{ type: "HANGUP" }] }), provider: "reference" },
      count: 1,
    });
  });

  it("a month's call log has exactly the account's calls columns (a new column must be added to both)", async () => {
    const columns = (state: DurableObjectState) =>
      state.storage.sql
        .exec<{ name: string; type: string }>("SELECT name, type FROM pragma_table_info('calls') ORDER BY name")
        .toArray()
        .map((c) => `${c.name} ${c.type}`);
    const account = await runInDurableObject(accountStub("legacy0000000003"), (_i, state) => {
      migrate(state.storage, MIGRATIONS);
      return columns(state);
    });
    const log = await runInDurableObject(env.CALL_LOGS.get(env.CALL_LOGS.idFromName("legacy0000000003/2031-03")), (_i, state) => {
      migrate(state.storage, CALL_LOG_MIGRATIONS);
      return columns(state);
    });
    expect(account.length).toBeGreaterThan(30);
    expect(log).toEqual(account);
  });
});
