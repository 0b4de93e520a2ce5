/**
 * Property (docs/routing.md): whatever the page and the provider's callbacks send, every number in
 * every answer comes from the pool's stored route (its numbers and caller ids; Vonage's `from`
 * without a caller id is the pool's tracking number that was called). The page chooses the source
 * name (spoken to the agent), the landing URL and source rules; a callback may carry any extra
 * field, any number in any field, any status word, and name any attempt of any call.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { at, T0, voiceOf } from "./calls-helpers";
import { allocate, createAccount, createPool, freshNumbers, sessionId, useTestClock } from "./helpers";
import { elements, inboundFields, type Native, nativeId, providerWorld, send, signed, xml } from "./voice-helpers";

const A = "+12127365101";
const B = "+12127365102";
const C = "+12127365103";
const CID = "+12127365199";

// Refused and stray callbacks are logged by design; hundreds of them here.
useTestClock(T0, { silence: ["warn"] });

type P = Native | "reference";
const disclosure = { disclosure: "This call may be recorded." };
const tail = [
  { type: "roundRobin", to: [B, C], sticky: true, ringSeconds: 10 },
  { type: "failover", to: [A, C], ringSeconds: 10, callerId: CID },
  { type: "forward", to: C, callerId: CID, whisper: true },
  { type: "voicemail", greeting: "Leave a message" },
];
/** Each provider's route: every step it can render (Vonage: no simultaneous ring; reference: a ring, nothing after). */
const ROUTES: Record<P, unknown> = {
  twilio: { start: "m", recording: disclosure, lists: { m: [{ type: "ring", to: [A, B], confirm: true, whisper: true, callerId: CID }, ...tail] } },
  signalwire: { start: "m", recording: disclosure, lists: { m: [{ type: "ring", to: [A, B], whisper: true }, ...tail] } },
  telnyx: { start: "m", recording: disclosure, lists: { m: [{ type: "ring", to: [A, B], confirm: true }, ...tail] } },
  plivo: { start: "m", recording: disclosure, lists: { m: [{ type: "ring", to: [A, B], confirm: true, whisper: true }, ...tail] } },
  vonage: { start: "m", recording: disclosure, lists: { m: [{ type: "forward", to: A, whisper: true }, ...tail] } },
  reference: { start: "m", lists: { m: [{ type: "ring", to: [A, B, C], confirm: true, whisper: true, callerId: CID }] } },
};

const HOSTILE = ["+19005550199", "+447700900123", "12125550000", "+1 (900) 555-0199", "tel:+19005550100", "sip:+19005550101@evil.example", "0019005550102"];
const hostileNumber = fc.oneof(fc.constantFrom(...HOSTILE), fc.stringMatching(/^\+?[1-9]\d{9,13}$/));
const FIELDS = ["To", "Called", "From", "ForwardTo", "Dial", "Number", "DialBLegTo", "to", "from", "number", "no", "caller_id_no", "callerId", "destination"];
const extra = fc.dictionary(fc.constantFrom(...FIELDS), hostileNumber, { maxKeys: 4 });
const page = fc.record({
  name: fc.oneof(hostileNumber, fc.string({ maxLength: 40 }), fc.constant("google-ads")),
  landing: hostileNumber.map((n) => `https://www.shop.example/?to=${encodeURIComponent(n)}&utm_source=${encodeURIComponent(n)}`),
});
const callback = fc.record({
  leg: fc.constantFrom("next", "answered", "whisper", "confirm", "bridge", "recording", "status", "agent"),
  step: fc.oneof(fc.constant(0), fc.constant(1), fc.constant(2), fc.nat(12), fc.constant(undefined)),
  status: fc.constantFrom("no-answer", "busy", "failed", "completed", "answered", "canceled", "timeout", "ringing", "bogus"),
  digits: fc.constantFrom("1", "2", ""),
  otherCall: fc.constantFrom(false, false, false, true),
  extra,
});

interface World {
  p: P;
  acct: Awaited<ReturnType<typeof createAccount>>;
  keys: Awaited<ReturnType<typeof providerWorld>>["keys"] | null;
  tracking: string[];
  base: string;
  allowed: Set<string>;
}

const worlds = new Map<P, World>();
async function world(p: P): Promise<World> {
  let w = worlds.get(p);
  if (w) return w;
  if (p === "reference") {
    const acct = await createAccount();
    const tracking = freshNumbers(2);
    await createPool(acct, { id: "web", name: "Web", trackingNumbers: tracking, destinations: [A], isDefault: true, route: ROUTES.reference });
    w = { p, acct, keys: null, tracking, base: (await voiceOf(acct)).callbackUrl, allowed: new Set() };
  } else {
    const pw = await providerWorld(p, { provider: p, route: ROUTES[p] });
    w = { p, acct: pw.acct, keys: pw.keys, tracking: pw.tracking, base: pw.base, allowed: new Set() };
  }
  for (const n of [A, B, C, CID, ...w.tracking]) w.allowed.add(n.replace(/^\+/, ""));
  worlds.set(p, w);
  return w;
}

/** Every string an answer holds (XML attributes and text, JSON values), but our own URLs. */
function strings(text: string): string[] {
  const out: string[] = [];
  const t = text.trim();
  if (!t) return out;
  if (t.startsWith("<")) {
    for (const e of elements(xml(t), "*")) {
      for (let i = 0; i < e.attributes.length; i++) out.push(e.attributes[i]!.value);
      for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 3) out.push(n.nodeValue ?? "");
    }
  } else {
    const walk = (v: unknown) => {
      if (typeof v === "string" || typeof v === "number") out.push(String(v));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          out.push(k);
          walk(x);
        }
    };
    walk(JSON.parse(t));
  }
  return out.filter((s) => !/^https:\/\/dni\.test\//.test(s));
}

/** The numbers in an answer not from the route: digit runs of 7+ (separators removed), the call's own id aside. */
function strangers(text: string, w: World, callId: string): string[] {
  return strings(text)
    .map((s) =>
      s
        .split(callId)
        .join(" ")
        .replace(/[\s().-]/g, ""),
    )
    .flatMap((s) => s.match(/\d{7,}/g) ?? [])
    .filter((d) => !w.allowed.has(d));
}

/** A callback of `leg` as provider `p` sends it about call `id`. */
function fieldsOf(p: P, leg: string, id: string, c: CallbackCase): Record<string, string> {
  const base: Record<string, string> =
    p === "plivo"
      ? {
          CallUUID: id,
          DialALegUUID: id,
          DialStatus: c.status,
          DialAction: leg === "answered" ? "connected" : "hangup",
          RecordUrl: "https://media.plivo.com/r.mp3",
        }
      : p === "vonage"
        ? { uuid: crypto.randomUUID(), conversation_uuid: `CON-${id}`, status: c.status, recording_url: "https://api.nexmo.com/v1/files/r" }
        : p === "reference"
          ? { callId: id, status: c.status, sessionData: JSON.stringify({ conference_name: c.otherCall ? "someone-else" : id }) }
          : { CallSid: id, CallStatus: "in-progress", DialCallStatus: c.status, Digits: c.digits, RecordingUrl: "https://api.twilio.com/r" };
  return { ...base, ...c.extra };
}
type CallbackCase = { leg: string; step: number | undefined; status: string; digits: string; otherCall: boolean; extra: Record<string, string> };

async function deliver(w: World, url: string, fields: Record<string, string>, get = false) {
  if (w.p === "reference") return send({ url, method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(fields) });
  return send(await signed(w.p, w.keys!, url, fields, Date.now(), { get }));
}

/** Cases always run beside the random ones: each provider's later attempts and agent legs, a page's number in its source name. */
const hostilePage = { name: "google-ads 1 900 555 0199", landing: "https://www.shop.example/?to=%2B19005550199" };
const cb = (leg: string, step: number, status = "no-answer", digits = "1"): CallbackCase => ({
  leg,
  step,
  status,
  digits,
  otherCall: false,
  extra: { To: "+19005550199", DialBLegTo: "19005550199", to: "19005550199" },
});
const EXAMPLES: [P, typeof hostilePage, boolean, Record<string, string>, string, CallbackCase[]][] = (
  ["twilio", "signalwire", "telnyx", "plivo", "vonage", "reference"] as const
).map((p) => [
  p,
  hostilePage,
  true,
  { ForwardTo: "+19005550199", callerId: "+19005550199" },
  "+19005550199",
  [cb("agent", 0), cb("confirm", 0), cb("bridge", 0), cb("next", 0), cb("next", 1, "busy"), cb("next", 2, "failed")],
]);

describe("property: every number in every answer comes from the pool's stored route", () => {
  it("whatever the page and every callback (inbound, next, answered, whisper, confirm, bridge, recording, status, agent) send", async () => {
    const providers: P[] = ["twilio", "signalwire", "telnyx", "plivo", "vonage", "reference"];
    // Not vacuous: later attempts and agent legs were answered, with a page's source spoken.
    const covered = { next: 0, agent: 0, spoken: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...providers),
        page,
        fc.boolean(),
        extra,
        hostileNumber,
        fc.array(callback, { minLength: 1, maxLength: 5 }),
        async (p, pageSource, attributed, inboundExtra, caller, callbacks) => {
          const w = await world(p);
          at(Date.now() + 61_000);
          let dialled = w.tracking[0]!;
          if (attributed) {
            const r = await allocate(w.acct.siteKey, sessionId(), { source: pageSource });
            if (r.status === 200 && r.json.pools[0]?.number?.e164) dialled = r.json.pools[0].number.e164;
          }
          const id = p === "reference" ? `call-${crypto.randomUUID()}` : nativeId(p);
          // Any field may carry anything but the dialled number, which must stay a tracking number for the call to be ours.
          const native: Record<string, string> =
            p === "reference" ? { callId: id, callerNo: caller, calledNo: dialled } : { ...inboundFields(p, id, dialled, caller) };
          const dialledField: Record<string, string> =
            p === "reference" ? { calledNo: dialled } : p === "plivo" ? { To: dialled.slice(1) } : p === "vonage" ? { to: dialled.slice(1) } : { To: dialled };
          const first = await deliver(w, w.base, { ...native, ...inboundExtra, ...dialledField });
          expect(first.status, first.text).toBe(200);
          const seen: string[] = [first.text];
          for (const c of callbacks) {
            const leg = p === "reference" ? (c.leg === "agent" ? "agent" : "status") : c.leg === "agent" ? "whisper" : c.leg;
            const q = new URLSearchParams({ call: c.otherCall ? nativeId("twilio") : id });
            if (c.step !== undefined) q.set("step", String(c.step));
            const url = p === "reference" ? `${w.base}/${leg}` : `${w.base}/${leg}?${q}`;
            const res = await deliver(w, url, fieldsOf(p, leg, id, c), p === "vonage" && leg === "whisper");
            if (res.status >= 300) continue;
            seen.push(res.text);
            if (leg === "next" && /<Number|"connect"/.test(res.text)) covered.next++;
            if (leg === "whisper" || leg === "agent") covered.agent++;
            if (/(Say|Speak)>[^<]*[A-Za-z]+ call|"text":"[^"]*[A-Za-z]+ call/.test(res.text) && !res.text.includes("Untracked call")) covered.spoken++;
          }
          for (const text of seen) expect(strangers(text, w, id), text).toEqual([]);
        },
      ),
      { numRuns: 24, examples: EXAMPLES },
    );
    expect(covered.next).toBeGreaterThan(0);
    expect(covered.agent).toBeGreaterThan(0);
  });

  it("the check itself finds a number the route does not have", async () => {
    const w = await world("twilio");
    expect(strangers("<Response><Dial><Number>+19005550199</Number></Dial><Say>Call 1 (900) 555-0100</Say></Response>", w, "CA1")).toEqual([
      "19005550199",
      "19005550100",
    ]);
    expect(strangers(JSON.stringify([{ action: "connect", from: "19005550199", endpoint: [{ number: A.slice(1) }] }]), w, "x")).toEqual(["19005550199"]);
  });
});
