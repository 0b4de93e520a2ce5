/**
 * A forwarded leg's reports in any order. Each provider reports one leg more than once, in
 * separate requests that may cross or come again (Plivo's Dial callbackUrl `connected` and
 * `hangup`, its Dial action and hangup URL; the Twilio family's Dial action and status callback;
 * Vonage's connect `answered` and `completed`): whichever order they arrive in, and with repeats,
 * the call ends the same — outcome, talk time, end, the ad conversion's eligibility, and one
 * call.completed webhook carrying them. Sent as each provider sends them (signed with its own
 * scheme, test/providers/signers.ts) to the real worker in workerd.
 */
import { describe, expect, it } from "vitest";
import { GOOGLE, getCall, mockNetwork, runAccountAlarms, T0, visit } from "./calls-helpers";
import { conversionOf, conversions, GOOGLE_SETTINGS, GRANTED } from "./conversions-helpers";
import { api, useTestClock } from "./helpers";
import { plivoHangup, plivoLeg } from "./leg-helpers";
import { CALLER, read } from "./route-helpers";
import { inboundFields, type Native, nativeId, providerWorld, send, signed } from "./voice-helpers";

const clock = useTestClock(T0, { silence: ["warn"] });

const AGENT = "+12127365111";
const HOOK = "https://hooks.example/leg-order";
const END = "2031-03-01T10:01:52.000Z";
/** What every order must end with: the agent talked 42 s (the leg's duration), the call ended at END. */
const TALK = 42;

type World = Awaited<ReturnType<typeof providerWorld>>;
/** Where a report goes: our status URL (the console's), or a URL our answer handed out. */
type Target = "status" | "next" | "answered";
interface Report {
  to: Target;
  fields: (id: string, w: World) => Record<string, string>;
}

const twimlReports = (p: "twilio" | "signalwire" | "telnyx"): Record<string, Report> => ({
  // The Dial action: the agent's leg ended after 42 s of talk.
  dial: {
    to: "next",
    fields: (id) => ({
      CallSid: id,
      From: CALLER,
      CallStatus: "in-progress",
      DialCallSid: `${id}-leg`,
      DialCallStatus: "completed",
      DialCallDuration: String(TALK),
    }),
  },
  // The number's status callback: the caller's call as a whole (Telnyx's repeats the Dial's result).
  call: {
    to: "status",
    fields: (id, w): Record<string, string> =>
      p === "telnyx"
        ? {
            AccountSid: "f5586561-8ff0-4291-a51b-c7dfe4139ff9",
            CallSid: id,
            CallSidLegacy: id,
            CallStatus: "completed",
            CallbackSource: "call-progress-events",
            ConnectionId: "1234567890",
            From: CALLER,
            To: w.tracking[0]!,
            CallDuration: "50",
            DialCallStatus: "completed",
            DialCallDuration: String(TALK),
            EndTime: END,
            Timestamp: END,
          }
        : { CallSid: id, From: CALLER, To: w.tracking[0]!, CallStatus: "completed", CallDuration: "50", Timestamp: new Date(END).toUTCString() },
  },
});

const plivoEnd: Report = {
  to: "status",
  fields: (id, w) => ({
    CallUUID: id,
    From: CALLER.slice(1),
    To: w.tracking[0]!.slice(1),
    CallStatus: "completed",
    Event: "Hangup",
    Duration: "50",
    HangupCause: "NORMAL_CLEARING",
    EndTime: END.replace("T", " ").replace(".000Z", ""),
  }),
};
const plivoReports: Record<string, Report> = {
  // The Dial callbackUrl: the B leg bridged (who took the call), and its hangup (talk time).
  connected: { to: "answered", fields: (id) => plivoLeg(id, AGENT, "connected") },
  hangup: { to: "answered", fields: (id) => plivoHangup(id, AGENT, TALK) },
  // The Dial action (the attempt's result) and the hangup URL (the caller's call).
  dial: {
    to: "next",
    fields: (id) => ({ CallUUID: id, DialALegUUID: id, DialBLegUUID: `b-${AGENT.slice(1)}`, DialStatus: "completed", DialHangupCause: "NORMAL_CLEARING" }),
  },
  call: plivoEnd,
};

const vonageLeg = (id: string, status: string, extra: Record<string, string> = {}) => ({
  uuid: "b-leg-1",
  conversation_uuid: `CON-${id}`,
  from: CALLER.slice(1),
  to: AGENT.slice(1),
  direction: "outbound",
  status,
  timestamp: "2031-03-01T10:00:10.000Z",
  ...extra,
});
const vonageReports: Record<string, Report> = {
  answered: { to: "next", fields: (id) => vonageLeg(id, "answered") },
  completed: { to: "next", fields: (id) => vonageLeg(id, "completed", { duration: String(TALK), end_time: "2031-03-01T10:01:51.000Z" }) },
  call: {
    to: "status",
    fields: (id, w) => ({
      uuid: id,
      conversation_uuid: `CON-${id}`,
      from: CALLER.slice(1),
      to: w.tracking[0]!.slice(1),
      direction: "inbound",
      status: "completed",
      duration: "50",
      end_time: END,
    }),
  },
};

interface Case {
  p: Native;
  reports: Record<string, Report>;
  orders: string[][];
  /** The pool's route (a whisper), and what comes before the reports (the agent's pick-up). */
  route?: Record<string, unknown>;
  prelude?: Report;
  /** The leg's talk time once the whisper's seconds are taken off. */
  talk?: number;
}

const forward = { start: "m", lists: { m: [{ type: "forward", to: AGENT }] } };
const CASES: Case[] = [
  ...(["twilio", "signalwire", "telnyx"] as const).map(
    (p): Case => ({
      p,
      reports: twimlReports(p),
      orders: [
        ["dial", "call"],
        ["call", "dial"],
        ["dial", "call", "dial"],
        ["call", "dial", "call"],
      ],
    }),
  ),
  {
    p: "plivo",
    reports: plivoReports,
    orders: [
      ["connected", "hangup", "dial", "call"],
      ["hangup", "connected", "dial", "call"],
      ["hangup", "dial", "connected", "call"],
      ["call", "hangup", "dial", "connected"],
      ["hangup", "hangup", "connected", "connected", "dial", "call"],
      ["connected", "hangup", "connected", "hangup", "dial", "call"],
      ["dial", "call", "hangup", "connected"],
    ],
  },
  {
    // A whispered agent: picked up (`answer`) 5 s before their bridge (`connected`), which is not talk.
    p: "plivo",
    route: { start: "m", lists: { m: [{ type: "forward", to: AGENT, whisper: true }] } },
    prelude: { to: "answered", fields: (id) => plivoLeg(id, AGENT, "answer") },
    reports: { connected: plivoReports.connected!, hangup: plivoReports.hangup!, call: plivoEnd },
    orders: [
      ["connected", "hangup", "call"],
      ["hangup", "connected", "call"],
      ["hangup", "call", "connected", "hangup"],
    ],
    talk: TALK - 5,
  },
  {
    p: "vonage",
    reports: vonageReports,
    orders: [
      ["answered", "completed", "call"],
      ["completed", "answered", "call"],
      ["call", "completed", "answered"],
      ["completed", "answered", "completed", "answered", "call"],
    ],
  },
];

const rows = CASES.flatMap((c) => c.orders.map((order) => ({ ...c, order, name: `${c.p}${c.route ? " (whisper)" : ""}: ${order.join(" → ")}` })));

describe("a leg's reports in any order, and again, end the call the same", () => {
  it.each(rows)("$name", async ({ p, reports, order, route, prelude, talk = TALK }) => {
    const net = mockNetwork(() => new Response(null, { status: 204 }));
    const w = await providerWorld(p, { provider: p, route: route ?? forward });
    await api("PATCH", "/v1/account/integrations", { key: w.acct.adminKey, body: { webhook: { url: HOOK } } });
    expect(
      (await conversions(w.acct, { googleAds: GOOGLE_SETTINGS, rules: { minSeconds: 30, value: null, currency: null, consent: "granted", pools: {} } })).status,
    ).toBe(200);
    const v = await visit(w.acct, { ...GOOGLE, consent: GRANTED });
    const id = nativeId(p);
    const answer = await send(await signed(p, w.keys, w.base, inboundFields(p, id, v.number), T0));
    expect(answer.status, answer.text).toBe(200);
    const a = read(p, answer.text);
    expect(a.targets).toEqual([AGENT]);
    const urls: Record<Target, string> = { status: `${w.base}/status`, next: a.next!, answered: a.answered ?? "" };
    const post = async (r: Report, at: number) => {
      clock.at(at);
      const res = await send(await signed(p, w.keys, urls[r.to], r.fields(id, w), at, { get: false }));
      expect(res.status, `${r.to}: ${res.text}`).toBeLessThan(300);
    };
    if (prelude) await post(prelude, T0 + 55_000);
    // The whisper's seconds are the arrival times of its pick-up and bridge: the reports arrive in one second.
    for (const [i, name] of order.entries()) await post(reports[name]!, prelude ? T0 + 60_000 : T0 + 60_000 + i * 1000);

    const call = (await getCall(w.acct, id)).json;
    expect(call).toMatchObject({ outcome: "answered", talkSeconds: talk, endedAt: Date.parse(END), route: { answeredBy: AGENT } });
    expect(await conversionOf(w.acct, id)).toMatchObject({ status: "pending", reason: null });

    await runAccountAlarms(w.acct.accountId, T0 + 600_000);
    const completed = net.seen.filter((s) => s.url.href === HOOK && s.headers.get("X-DNI-Event") === "call.completed");
    expect(completed).toHaveLength(1);
    expect(JSON.parse(completed[0]!.body).call).toMatchObject({ outcome: "answered", talkSeconds: talk, endedAt: Date.parse(END) });
  });
});

describe("Plivo: a press-1 ring's legs hang up before the bridge is reported", () => {
  const B = "+12127365112";
  it.each([
    ["the bridge first", ["connectedB", "hangupA", "hangupB"]],
    ["both hangups first", ["hangupA", "hangupB", "connectedB"]],
    ["the taker's hangup first", ["hangupB", "connectedB", "hangupA"]],
  ])("%s: only the leg that pressed 1 is talk time, less its prompt", async (_, order) => {
    const p = "plivo";
    const route = { start: "m", lists: { m: [{ type: "ring", to: [AGENT, B], confirm: true }] } };
    const w = await providerWorld(p, { provider: p, route });
    const id = nativeId(p);
    const answer = read(p, (await send(await signed(p, w.keys, w.base, inboundFields(p, id, w.tracking[0]!), T0))).text);
    expect(answer.targets).toEqual([AGENT, B]);
    const post = async (fields: Record<string, string>, at: number) => {
      clock.at(at);
      expect((await send(await signed(p, w.keys, answer.answered!, fields, at))).status).toBe(200);
    };
    // Both pick up and hear the prompt; A (a voicemail box, say) never presses 1 and stays on 100 s; B presses 1 after 5 s.
    await post(plivoLeg(id, AGENT, "answer"), T0 + 55_000);
    await post(plivoLeg(id, B, "answer"), T0 + 55_000);
    const events: Record<string, Record<string, string>> = {
      connectedB: plivoLeg(id, B, "connected"),
      hangupA: plivoHangup(id, AGENT, 100),
      hangupB: plivoHangup(id, B, TALK),
    };
    for (const name of order) await post(events[name]!, T0 + 60_000);
    clock.at(T0 + 160_000);
    await send(await signed(p, w.keys, `${w.base}/status`, plivoEnd.fields(id, w), T0 + 160_000));
    expect((await getCall(w.acct, id)).json).toMatchObject({ outcome: "answered", talkSeconds: TALK - 5, route: { answeredBy: B } });
  });
});
