/**
 * A call erased while the caller is still on the line (a GDPR or CCPA request does not wait for
 * the call to end). The erasure's own race: a resend or a report let in while the erasure waits
 * on a month's call log is not stored again.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callLogName } from "../../worker/calllog/call-log";
import { at, callBody, callId, callWorld, getCall, mockNetwork, ring, runAccountAlarms, storage, T0 } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";
import { CALLER } from "./route-helpers";

const HOOK = "https://hooks.example/calls";
const DAY = 86_400_000;

useTestClock(T0, { silence: ["warn"] });

const erase = (acct: Created, id: string) => api("DELETE", `/v1/calls/${encodeURIComponent(id)}`, { key: acct.adminKey });
const callIds = async (acct: Created) => ((await api("GET", "/v1/calls?limit=100", { key: acct.adminKey })).json.calls as { id: string }[]).map((c) => c.id);

async function withWebhook(acct: Created) {
  const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK } } });
  expect(r.status).toBe(200);
}

describe("the erasure's race: a resend and a report let in while it waits on a month's call log", () => {
  it("are not stored again: the id is remembered in the transaction that forgets the call's rows", async () => {
    const { acct, voice, tracking } = await callWorld(1);
    await withWebhook(acct);
    const net = mockNetwork();
    // A call four days old is in its month's log: erasing any call asks that log too (an RPC: other requests come in meanwhile).
    expect((await ring(voice.callbackUrl, callBody(callId("old"), tracking[0]!, Date.now(), { callerNo: "+13105550199" }))).status).toBe(200);
    at(T0 + 4 * DAY);
    await runAccountAlarms(acct.accountId, T0 + 4 * DAY);
    const month = await runInDurableObject(
      accountStub(acct.accountId),
      (_i, s) => s.storage.sql.exec<{ month: string }>("SELECT month FROM call_months").one().month,
    );
    const id = callId("live");
    const inbound = callBody(id, tracking[0]!, Date.now(), { callerNo: CALLER });
    const first = await ring(voice.callbackUrl, inbound);
    expect(first.status).toBe(200);
    await runAccountAlarms(acct.accountId, Date.now() + 60_000);
    net.seen.length = 0;

    // The month's log takes no request until released: the erasure waits there, its call's rows here gone.
    const log = env.CALL_LOGS.get(env.CALL_LOGS.idFromName(callLogName(acct.accountId, month)));
    let release = () => {};
    let holding = () => {};
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const blocked = runInDurableObject(log, (_i, state) =>
      state.blockConcurrencyWhile(async () => {
        holding();
        await new Promise<void>((r) => {
          release = r;
        });
      }),
    );
    await held;
    const erasing = erase(acct, id);
    const rowHere = () =>
      runInDurableObject(accountStub(acct.accountId), (_i, s) => s.storage.sql.exec("SELECT 1 FROM calls WHERE id = ?", id).toArray().length);
    for (let i = 0; (await rowHere()) > 0; i++) expect(i).toBeLessThan(1000);

    // In that window: the provider sends the call again, and reports its end.
    const again = await ring(voice.callbackUrl, inbound);
    expect([again.status, again.text]).toEqual([200, first.text]);
    expect((await ring(`${voice.callbackUrl}/status`, { callId: id, status: "completed", duration: 42 })).status).toBe(200);
    release();
    await blocked;
    expect((await erasing).status).toBe(204);

    expect((await getCall(acct, id)).status).toBe(404);
    expect(await callIds(acct)).not.toContain(id);
    await runAccountAlarms(acct.accountId, Date.now() + 3_600_000);
    expect(net.seen.filter((s) => s.body.includes(id))).toEqual([]);
    expect(await storage(acct)).not.toContain(id);
  });
});
