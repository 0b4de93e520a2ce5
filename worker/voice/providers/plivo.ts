/**
 * Plivo: the answer URL gets a POST form (`CallUUID`, `From`, `To` with the country code and no '+',
 * `CallStatus`), and executes Plivo XML:
 *
 *   <Response><Dial callerId="1…" timeout="20" action="…/next?call=…&step=0" method="POST"
 *     callbackUrl="…/answered?call=…&step=0" callbackMethod="POST" confirmSound="…/whisper?call=…&step=0">
 *     <Number>1…</Number></Dial></Response>
 *
 * `confirmSound` is Plivo's whisper: XML (Speak) played to the called party when it answers.
 * `<Dial action>` reports `DialStatus` (completed, busy, failed, timeout, no-answer); the
 * application's hangup URL reports the call as a whole (`CallStatus`, `Duration`, `HangupCause`,
 * `EndTime`). The Dial's `callbackUrl` reports each B leg's events as `DialAction` (with
 * `DialBLegUUID`, `DialBLegTo`), https://www.plivo.com/docs/voice/xml/dial ("Parameters sent to
 * callbackUrl"):
 *   answer     the B leg picked up. With `confirmKey` that is before the key: the agent hears
 *              `confirmSound` and may never press it (or a voicemail box answered).
 *   connected  the B leg is bridged to the caller: with `confirmKey`, only once it was pressed;
 *              without, once `confirmSound` has played (right after `answer` with no sound).
 *              The only event that means someone took the call.
 *   hangup     the B leg ended: `DialBLegDuration` (seconds since it picked up, so a leg that
 *              answered and was never connected has one too), `DialBLegHangupCause`.
 *   digits     `digitsMatch` matched (not used).
 * Plivo's attribute table says `confirmSound` plays "when the call is answered", `confirmKey` is
 * "the digit to be pressed by the called party to accept the call" and `confirmTimeout` "starts
 * after the call is answered". The copy of its callbackUrl table we could read was cut short; the
 * events and their order (answer → connected → hangup for every answered B leg, confirmKey or not)
 * are also how Vobiz, which runs Plivo's XML, documents that lifecycle
 * (https://www.docs.vobiz.ai/xml/dial, "Dial status reporting").
 *
 * Talk starts at the bridge: a leg's `answer` → `connected` is its whisper (or the press-1 prompt
 * and the agent's decision), which its hangup's `DialBLegDuration` counts too. The confirmSound
 * document holds only Play, Wait and Speak ("all others are ignored"), so it cannot report its own
 * end; nor is its request a pick-up time: Plivo's open-source framework (plivo/plivoframework's
 * Dial) fetched it once, with no fields, as it dialled, and played it on each answering leg through
 * FreeSWITCH's group_confirm, the bridge following the sound (or the key). So the routing notes each
 * leg's `answer` as it arrives and, at that leg's `connected`, keeps the seconds between the two
 * (CallRouting.pickedUp, answered): bounded by our clock on two callbacks, not the provider's.
 *
 * Signature V3: X-Plivo-Signature-V3 (one or more, comma-separated) = base64 HMAC-SHA256(auth token,
 * `${url with its query sorted}${sorted POST params as name+value}.${X-Plivo-Signature-V3-Nonce}`)
 * (the URL gets '?' and, with both a query and POST params, a '.' before the params), as the Plivo
 * SDK's validateV3Signature builds it. V3 has a nonce but no timestamp: each nonce is accepted once
 * and remembered for NONCE_MEMORY_MS. Plivo signs each request twice: X-Plivo-Signature-V3 with the
 * auth token of the account the number is in (a subaccount's, for one), X-Plivo-Signature-Ma-V3
 * with the main account's; either verifying with the stored token is enough, so an owner may store
 * the main account's token or the subaccount's.
 */
import type { CallOutcome } from "../../schemas/calls";
import type { CallPlan } from "../plan";
import {
  attr,
  base64,
  callParam,
  confirmPrompt,
  continuesAfter,
  digits,
  e164,
  hangupReply,
  hmac,
  httpsUrl,
  instant,
  nativeInbound,
  report,
  requestFields,
  sameText,
  seconds,
  xmlEscape,
  xmlReply,
} from "./common";
import { type Adapter, type RenderContext, routeUrl, type StatusReport, type Verdict, type VoiceRequest } from "./types";

export interface PlivoCredentials {
  authToken: string;
}

/** How long a Plivo nonce is remembered (a request replayed within it is refused). */
export const NONCE_MEMORY_MS = 24 * 3_600_000;

function groupSorted(pairs: Iterable<[string, string]>): [string, string[]][] {
  const byName = new Map<string, string[]>();
  for (const [k, v] of pairs) byName.set(k, [...(byName.get(k) ?? []), v]);
  return [...byName.keys()].sort().map((k) => [k, byName.get(k)!.sort()]);
}

/** The string Plivo's V3 signature covers (before `.nonce`). */
export function plivoSignedData(method: string, url: string, body: string): string {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}${u.pathname}`;
  const query = groupSorted(u.searchParams)
    .flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`))
    .join("&");
  if (method === "GET") return query ? `${base}?${query}` : base;
  const post = groupSorted(new URLSearchParams(body));
  let out = base;
  if (query || post.length) out += `?${query}`;
  if (query && post.length) out += ".";
  return out + post.flatMap(([k, vs]) => vs.map((v) => k + v)).join("");
}

export async function plivoSignature(authToken: string, method: string, url: string, body: string, nonce: string): Promise<string> {
  return base64(await hmac("SHA-256", authToken, `${plivoSignedData(method, url, body)}.${nonce}`));
}

async function verify(req: VoiceRequest, c: PlivoCredentials, nowMs: number): Promise<Verdict> {
  const nonce = req.headers["x-plivo-signature-v3-nonce"] ?? "";
  // The account's signature, then the main account's (the same scheme, another token).
  const header = [req.headers["x-plivo-signature-v3"], req.headers["x-plivo-signature-ma-v3"]].filter(Boolean).join(",");
  if (!c.authToken) return { ok: false, reason: "no credentials for this provider" };
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(nonce) || !header) return { ok: false, reason: "missing signature or nonce" };
  if (req.method === "POST" && !(req.headers["content-type"] ?? "").toLowerCase().includes("application/x-www-form-urlencoded"))
    return { ok: false, reason: "Plivo posts forms" };
  const expected = await plivoSignature(c.authToken, req.method, req.url, req.body, nonce);
  if (!header.split(",").some((s) => sameText(s.trim(), expected))) return { ok: false, reason: "signature mismatch" };
  return { ok: true, replay: { key: `plivo:${nonce}`, until: nowMs + NONCE_MEMORY_MS } };
}

/** Plivo's `timeout` is a connection that failed (a carrier's or Plivo's own delay: its dial status reporting guide), not a call no one answered. */
const DIAL_STATUS: Record<string, CallOutcome> = { completed: "answered", busy: "busy", failed: "failed", timeout: "failed", "no-answer": "no-answer" };
const CALL_STATUS: Record<string, CallOutcome> = { ...DIAL_STATUS, cancel: "canceled" };

function status(fields: Record<string, unknown>): ReturnType<typeof report> {
  if (fields.DialAction !== undefined) {
    // The Dial's callbackUrl: the B legs' events. Only `connected` is someone taking the call; a
    // hangup's talk time is an answer only for the leg that was connected, which this callback
    // alone cannot tell: the routing checks `ifBridged` against the number `connected` named.
    return report(
      fields,
      { id: "CallUUID", status: "DialAction" },
      (action): Omit<StatusReport, "callId" | "status"> => {
        const leg = e164(fields.DialBLegTo);
        if (action === "connected" && leg) return { level: "dial", outcome: "answered", ended: false, talkSeconds: null, endedAt: null, ifBridged: leg };
        const talk = seconds(fields.DialBLegDuration);
        if (action === "hangup" && talk !== null && talk > 0 && leg)
          return { level: "dial", outcome: "answered", ended: true, talkSeconds: talk, endedAt: null, ifBridged: leg };
        // answer (picked up, not yet taking the call), digits, a leg that never picked up.
        return { level: "dial", outcome: null, ended: false, talkSeconds: null, endedAt: null };
      },
      typeof fields.DialALegUUID === "string" ? fields.DialALegUUID : undefined,
    );
  }
  if (fields.DialStatus !== undefined) {
    return report(
      fields,
      { id: "DialALegUUID", status: "DialStatus" },
      (s) => {
        const outcome = DIAL_STATUS[s] ?? null;
        return { level: "dial", outcome, ended: outcome !== null, talkSeconds: outcome === "answered" ? null : 0, endedAt: null };
      },
      typeof fields.DialALegUUID === "string" ? fields.DialALegUUID : typeof fields.CallUUID === "string" ? fields.CallUUID : undefined,
    );
  }
  return report(fields, { id: "CallUUID", status: "CallStatus" }, (s): Omit<StatusReport, "callId" | "status"> => {
    const outcome = CALL_STATUS[s] ?? null;
    const hungUp = fields.Event === "Hangup" || fields.HangupCause !== undefined || (outcome !== null && s !== "completed");
    return {
      level: "call",
      outcome: hungUp ? outcome : null,
      ended: hungUp && outcome !== null,
      talkSeconds: outcome === "answered" ? seconds(fields.Duration) : 0,
      endedAt: instant(fields.EndTime),
    };
  });
}

/** The Dial callbackUrl's event word (answer, connected, hangup, digits), lower case. */
const dialAction = (fields: Record<string, unknown>) =>
  String(fields.DialAction ?? "")
    .trim()
    .toLowerCase();

/**
 * One attempt of the plan. `<Dial action>` gets `DialStatus` when it ends and its answer continues
 * the call (failover); several `<Number>` ring at once; `confirmSound` + `confirmKey="1"` is the
 * press-1 accept (confirmSound alone: the whisper); `callbackUrl` reports the B legs' answer,
 * bridge (`connected`, `DialBLegTo`: who took the call) and hangup (talk time). Recording:
 * `<Record startOnDialAnswer callbackUrl>`.
 */
function stepXml(plan: CallPlan, ctx: RenderContext): string {
  const step = plan.steps[ctx.step];
  if (!step || step.kind === "hangup") return "<Hangup/>";
  if (step.kind === "message") return `<Speak>${xmlEscape(step.text)}</Speak><Hangup/>`;
  if (step.kind === "voicemail")
    return `<Speak>${xmlEscape(step.greeting)}</Speak><Record${attr("action", routeUrl(ctx, "recording"))} method="POST"${attr("maxLength", step.maxSeconds)} playBeep="true" finishOnKey="#"/><Hangup/>`;
  // callbackUrl, not action: with startOnDialAnswer Plivo requests the action at once, before anyone
  // answers (duration -1, a URL to no recording; its CTO's answer in plivo/plivo-java#36); callbackUrl
  // is requested when the recorded file is ready.
  const record = plan.disclosure
    ? `<Record${attr("callbackUrl", routeUrl(ctx, "recording"))} callbackMethod="POST" startOnDialAnswer="true" maxLength="14400"/>`
    : "";
  const sound = step.whisper || step.confirm ? `${attr("confirmSound", routeUrl(ctx, "whisper", ctx.step))}` : "";
  const answered = routeUrl(ctx, "answered", ctx.step);
  const numbers = step.to.map((n) => `<Number>${digits(n)}</Number>`).join("");
  return `${record}<Dial${attr("callerId", step.callerId ? digits(step.callerId) : null)}${attr("timeout", step.ringSeconds)}${attr("action", routeUrl(ctx, "next", ctx.step))} method="POST"${attr("callbackUrl", answered)} callbackMethod="POST"${sound}${step.confirm ? ' confirmKey="1"' : ""}>${numbers}</Dial>`;
}

function answer(plan: CallPlan, ctx: RenderContext) {
  const disclosure = ctx.step === 0 && plan.disclosure ? `<Speak>${xmlEscape(plan.disclosure)}</Speak>` : "";
  return xmlReply(`<Response>${disclosure}${stepXml(plan, ctx)}</Response>`);
}

export const plivo: Adapter<PlivoCredentials> = {
  provider: "plivo",
  verify,
  fields: requestFields,
  inbound: (fields, now) => nativeInbound(fields, now, { id: "CallUUID", to: "To", from: "From" }),
  status: (fields) => status(fields),
  whisperCall: (_fields, req) => callParam(req),
  answer,
  // The confirmSound document: Plivo waits for confirmKey itself.
  whisper: (text, report) => xmlReply(`<Response><Speak>${xmlEscape(report?.confirm ? confirmPrompt(text) : text)}</Speak></Response>`),
  // No bridge URL is handed out: the callbackUrl's `answer` and `connected` bound the whisper.
  heard: () => null,
  bridgeReply: () => xmlReply("<Response/>"),
  pickedUp: (fields, leg) => (leg === "answered" && dialAction(fields) === "answer" ? { number: e164(fields.DialBLegTo) } : null),
  statusReply: () => hangupReply(),
  continues: continuesAfter,
  doneReply: () => hangupReply(),
  // Who took the call: the leg `connected` names (with confirmKey, once the agent pressed it). An
  // `answer` is only a pick-up: an agent who then does not press 1 never had the call.
  answeredBy: (fields) => (dialAction(fields) === "connected" ? e164(fields.DialBLegTo) : null),
  answeredIsBridge: true,
  // confirmKey is Plivo's own: no keypress callback reaches us.
  confirmed: () => false,
  confirmReply: () => hangupReply(),
  // RecordUrl: the voicemail Record's action and (as documented for the action) the recording's
  // callbackUrl; record_url: the form Plivo's REST recording callbacks use, taken too.
  recordingUrl: (fields) => httpsUrl(fields.RecordUrl ?? fields.record_url),
  recordingRef: () => null,
  recordingReply: () => hangupReply(),
};
