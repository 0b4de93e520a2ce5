/**
 * A call erased while the caller is still on the line (a GDPR or CCPA request does not wait for
 * the call to end): the erasure is whole at once — the call is gone from the API and the stats,
 * nothing is sent about it, nothing personal is kept — and the live call still routes to its end
 * as its plan says (erased-calls.ts): a no-answer goes on to the next step, an agent's whisper and
 * press 1 work, a provider's resend is answered with the plan it rings by; its later reports store
 * nothing, and what its route kept goes when the call ends. And the erasure's own race: a resend
 * or a report let in while the erasure waits on a month's call log is not stored again.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { callLogName } from "../../worker/calllog/call-log";
import { at, callBody, callId, callWorld, GOOGLE, getCall, mockNetwork, ring, runAccountAlarms, storage, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, useTestClock } from "./helpers";
import { connectOf, vonageEvent } from "./leg-helpers";
import { CALLER, callEnded, dialEnded, forwardThenVoicemail, inbound, post, read } from "./route-helpers";
import { elements, inboundFields, NATIVE, type Native, nativeId, providerWorld, send, signed, whisperThen, xml } from "./voice-helpers";

const A = "+12127365101";
const B = "+12127365102";
const C = "+12127365103";
const HOOK = "https://hooks.example/calls";
const DAY = 86_400_000;

useTestClock(T0, { silence: ["warn"] });

const erase = (acct: Created, id: string) => api("DELETE", `/v1/calls/${encodeURIComponent(id)}`, { key: acct.adminKey });
const callIds = async (acct: Created) => ((await api("GET", "/v1/calls?limit=100", { key: acct.adminKey })).json.calls as { id: string }[]).map((c) => c.id);
const totalCalls = async (acct: Created) => (await api("GET", "/v1/stats/calls", { key: acct.adminKey })).json.total.calls as number;

async function withWebhook(acct: Created) {
  const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url: HOOK } } });
  expect(r.status).toBe(200);
}

/** The routes erased calls keep now (erased-calls.ts), as stored: none once their calls ended. */
const keptRoutes = (acct: Created) =>
  runInDurableObject(accountStub(acct.accountId), (_i, state) =>
    state.storage.sql
      .exec<{ route: string }>("SELECT route FROM erased_calls WHERE route IS NOT NULL")
      .toArray()
      .map((r) => r.route),
  );

/** Nothing personal of the call stored by the account or its pool: not its id, its caller, its visit's click id. */
async function noTrace(acct: Created, id: string) {
  const stored = await storage(acct);
  for (const s of [id, CALLER.slice(1), "gclid-live"]) expect(stored).not.toContain(s);
}

/** Nothing of the call anywhere: not listed, not counted, not stored, nothing sent once the alarms ran. */
async function gone(acct: Created, id: string, net: ReturnType<typeof mockNetwork>) {
  expect((await getCall(acct, id)).status).toBe(404);
  expect(await callIds(acct)).toEqual([]);
  expect(await totalCalls(acct)).toBe(0);
  await runAccountAlarms(acct.accountId, Date.now() + 3_600_000);
  expect(net.seen.filter((s) => s.url.href === HOOK)).toEqual([]);
  await noTrace(acct, id);
}

const failover = { start: "main", lists: { main: [{ type: "failover", to: [A, B], ringSeconds: 15 }] } };
const touch = { ...GOOGLE, landing: "https://www.shop.example/?gclid=gclid-live", clickIds: { gclid: "gclid-live" } };

describe.each(NATIVE)("%s: a call erased while its first attempt rings", (p) => {
  it("goes on to the next attempt when nobody answers, and ends as planned; nothing of it is stored, counted or sent, before or after its end", async () => {
    const w = await providerWorld(p, { provider: p, route: failover });
    await withWebhook(w.acct);
    const net = mockNetwork();
    const v = await visit(w.acct, touch);
    const { id, answer } = await inbound(p, w, CALLER, v.number);
    expect(answer.targets).toEqual([A]);
    expect((await erase(w.acct, id)).status).toBe(204);
    // At once: not listed, not counted, nothing personal kept (only the route, under the id's hash).
    expect((await getCall(w.acct, id)).status).toBe(404);
    expect(await callIds(w.acct)).toEqual([]);
    expect(await totalCalls(w.acct)).toBe(0);
    await noTrace(w.acct, id);
    // A does not answer: the route goes on to B, as the plan says (not a hang-up on the caller).
    at(Date.now() + 15_000);
    const second = await post(p, w, answer.next!, dialEnded(p, id, "no-answer"));
    expect(second.status, second.text).toBe(200);
    const b = read(p, second.text);
    expect(b.targets).toEqual([B]);
    // B answers; the Dial ends with the conversation: the route ends there.
    at(Date.now() + 95_000);
    const done = await post(p, w, b.next!, dialEnded(p, id, "completed"));
    if (p === "vonage") expect(done.status).toBe(204);
    else expect(read(p, done.text)).toMatchObject({ targets: [], hangup: true });
    // The caller's call reports its end: taken, not kept; what its route kept goes too.
    expect((await keptRoutes(w.acct)).length).toBe(1);
    expect((await post(p, w, `${w.base}/status`, callEnded(p, id, v.number, 110))).status).toBeLessThan(300);
    expect(await keptRoutes(w.acct)).toEqual([]);
    await gone(w.acct, id, net);
  });

  it("goes on to the voicemail after a no-answer; the recording's URL is not kept", async () => {
    const w = await providerWorld(p, { provider: p, route: forwardThenVoicemail(A) });
    const net = mockNetwork();
    const v = await visit(w.acct, touch);
    const { id, answer } = await inbound(p, w, CALLER, v.number);
    expect((await erase(w.acct, id)).status).toBe(204);
    const mail = read(p, (await post(p, w, answer.next!, dialEnded(p, id, "no-answer"))).text);
    expect(mail).toMatchObject({ targets: [], said: ["Leave a message"] });
    expect(mail.record).toContain("/recording?");
    const url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE-erased";
    const rec: Record<string, string> =
      p === "vonage"
        ? { recording_url: url, recording_uuid: "r1", conversation_uuid: `CON-${id}` }
        : p === "plivo"
          ? { CallUUID: id, RecordUrl: url, RecordingID: "r1", RecordingDuration: "12" }
          : { CallSid: id, RecordingUrl: url, RecordingSid: "RE1", RecordingDuration: "12" };
    expect((await post(p, w, mail.record!, rec)).status).toBeLessThan(300);
    expect(await storage(w.acct)).not.toContain("RE-erased");
    await gone(w.acct, id, net);
  });
});

describe.each(["twilio", "signalwire", "telnyx"] as const)("%s: a call erased while every agent rings, press 1 to accept", (p) => {
  const route = {
    start: "team",
    lists: {
      team: [
        { type: "ring", to: [A, B, C], confirm: true, whisper: true },
        { type: "message", text: "Sorry, nobody is free" },
      ],
    },
  };
  const legOf = (id: string, agent: string) => ({ CallSid: nativeId(p), ParentCallSid: id, To: agent, From: CALLER, CallStatus: "in-progress" });

  it("the agent who picks up hears no source (its attribution is gone) and is asked to press 1; the first to press it takes the call, the route ends there", async () => {
    const w = await providerWorld(p, { provider: p, route });
    const net = mockNetwork();
    const v = await visit(w.acct, touch);
    const { id, answer } = await inbound(p, w, CALLER, v.number);
    expect(answer.targets).toEqual([A, B, C]);
    expect((await erase(w.acct, id)).status).toBe(204);
    const doc = xml((await post(p, w, answer.whisper!, legOf(id, B))).text);
    expect(elements(doc, "Say")[0]!.textContent).toBe("Untracked call. Press 1 to accept the call.");
    const confirm = elements(doc, "Gather")[0]!.getAttribute("action")!;
    // B presses 1: bridged (an empty document); A, later, is hung up.
    expect(xml((await post(p, w, confirm, { ...legOf(id, B), Digits: "1" })).text).documentElement!.childNodes.length).toBe(0);
    expect(elements(xml((await post(p, w, confirm, { ...legOf(id, A), Digits: "1" })).text), "Hangup")).toHaveLength(1);
    // The Dial ends answered (B took it): no "nobody is free" after the conversation.
    at(Date.now() + 60_000);
    expect(read(p, (await post(p, w, answer.next!, dialEnded(p, id, "completed"))).text)).toMatchObject({ targets: [], said: [], hangup: true });
    expect((await post(p, w, `${w.base}/status`, callEnded(p, id, v.number, 70))).status).toBeLessThan(300);
    expect(await keptRoutes(w.acct)).toEqual([]);
    await gone(w.acct, id, net);
  });
});

describe("vonage: a call erased while its agent hears the whisper", () => {
  it("the whisper's notify (its end) takes the call for that agent on the kept route, with no pick-up time kept, and logs nothing naming the call", async () => {
    const p = "vonage";
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const w = await providerWorld(p, { provider: p, route: whisperThen(A, B) });
    const net = mockNetwork();
    const v = await visit(w.acct, touch);
    const { id, text } = await inbound(p, w, CALLER, v.number);
    const connect = connectOf(text)!;
    for (const s of ["started", "ringing"]) expect((await post(p, w, connect.eventUrl[0], vonageEvent(id, "leg-a", A, s))).status).toBe(204);
    const whisper = await send(await signed(p, w.keys, connect.endpoint[0].onAnswer.url, { uuid: "leg-a", conversation_uuid: `CON-${id}` }, Date.now()));
    const notify = (JSON.parse(whisper.text) as Record<string, any>[])[1]!;
    expect((await erase(w.acct, id)).status).toBe(204);
    at(Date.now() + 6_000);
    expect((await post(p, w, notify.eventUrl[0], notify.payload)).status).toBe(204);
    expect((await keptRoutes(w.acct)).map((r) => JSON.parse(r).answeredBy)).toEqual([A]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(id);
    at(Date.now() + 42_000);
    expect((await post(p, w, connect.eventUrl[0], vonageEvent(id, "leg-a", A, "completed", { duration: "48" }))).status).toBe(204);
    await gone(w.acct, id, net);
  });
});

describe("a provider resending a call erased while it rings", () => {
  it.each(["telnyx", "plivo", "vonage"] as const satisfies readonly Native[])(
    "%s: gets the answer it first got, from the plan it is being routed by (a round robin does not turn again); nothing is stored",
    async (p) => {
      const w = await providerWorld(p, { provider: p, route: { start: "rr", lists: { rr: [{ type: "roundRobin", to: [A, B, C], ringSeconds: 10 }] } } });
      const net = mockNetwork();
      const v = await visit(w.acct, touch);
      const id = nativeId(p);
      const request = await signed(p, w.keys, w.base, inboundFields(p, id, v.number, CALLER), Date.now());
      const first = await send(request);
      expect(read(p, first.text).targets).toEqual([A]);
      expect((await erase(w.acct, id)).status).toBe(204);
      // The provider got no answer in time and sends the very same request again.
      const again = await send(request);
      expect([again.status, again.text]).toEqual([200, first.text]);
      // Its attempts go on by that plan: A's no-answer rings B.
      expect(read(p, (await post(p, w, read(p, first.text).next!, dialEnded(p, id, "no-answer"))).text).targets).toEqual([B]);
      await gone(w.acct, id, net);
    },
  );
});

describe("a provider resending a call erased while it rang, after its end", () => {
  it.each(["telnyx", "plivo", "vonage"] as const satisfies readonly Native[])(
    "%s: its route forgotten, it is decided again without taking a round robin turn: the next call rings the next agent",
    async (p) => {
      const w = await providerWorld(p, { provider: p, route: { start: "rr", lists: { rr: [{ type: "roundRobin", to: [A, B, C], ringSeconds: 10 }] } } });
      const v = await visit(w.acct, touch);
      const id = nativeId(p);
      const request = await signed(p, w.keys, w.base, inboundFields(p, id, v.number, CALLER), Date.now());
      expect(read(p, (await send(request)).text).targets).toEqual([A]);
      expect((await erase(w.acct, id)).status).toBe(204);
      expect((await post(p, w, `${w.base}/status`, callEnded(p, id, v.number, 30))).status).toBeLessThan(300);
      expect(await keptRoutes(w.acct)).toEqual([]);
      // The provider's late resend of the inbound call: answered as the pool routes now, the turn only looked at.
      const again = await send(request);
      expect([again.status, read(p, again.text).targets]).toEqual([200, [B]]);
      const next = await inbound(
        p,
        w,
        "+13105550999",
        w.tracking.find((n) => n !== v.number),
      );
      expect(next.answer.targets).toEqual([B]);
      expect((await getCall(w.acct, id)).status).toBe(404);
      expect(await callIds(w.acct)).toEqual([next.id]);
    },
  );
});

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
