/**
 * The reference voice API (shared/reference/voice-callback-actions.txt): JSON or form callbacks
 * (`callId`, `callerNo`, `calledNo`, `startTime`, or Twilio-style names), authenticated by the
 * account's voice secret in the path or an X-DNI-Signature, answered with `{ "actions": [...] }`.
 * Its documented format has no status callback: `…/status` takes ours (docs/calls.md):
 * `callId`, `status` (answered | completed | busy | no-answer | failed | canceled), `duration`
 * (talk seconds), `endTime`.
 */
import { safeEqual } from "../../platform/crypto";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../platform/signing";
import type { CallOutcome } from "../../schemas/calls";
import { type Action, hangupAnswer, ringCallerLeg, transferAnswer, whisperCallerLeg } from "../actions";
import { agentConference, inboundCall } from "../input";
import type { CallPlan } from "../plan";
import { callParam, instant, jsonReply, report, requestFields, seconds } from "./common";
import type { Adapter, RenderContext, Reply, Verdict, VoiceRequest } from "./types";

export interface ReferenceCredentials {
  /** The account's voice secret. */
  secret: string;
}

async function verify(req: VoiceRequest, c: ReferenceCredentials, nowMs: number): Promise<Verdict> {
  if (!c.secret) return { ok: false, reason: "no voice secret" };
  if (req.token !== undefined) return (await safeEqual(req.token, c.secret)) ? { ok: true } : { ok: false, reason: "wrong voice token" };
  const ts = req.headers[TIMESTAMP_HEADER.toLowerCase()];
  const sig = req.headers[SIGNATURE_HEADER.toLowerCase()];
  if (!ts || !sig) return { ok: false, reason: "unsigned" };
  if (sig.trim().startsWith("v1=")) return { ok: false, reason: "v1 signatures do not cover the endpoint; sign with v3" };
  const url = new URL(req.url);
  const signed = await verifySignature(c.secret, { method: req.method, path: url.pathname + url.search }, req.body, ts, sig, nowMs);
  // Accepted once: the same signed request again is a replay (voice-callback.ts answers an inbound
  // call's retry with its stored answer and refuses the rest).
  if (signed) return { ok: true, replay: { key: `reference:${signed.hex}`, until: signed.until } };
  // Why not, said apart in the log for whoever writes the provider's side (verifySignature refuses
  // them): v2 on a URL with a query; a signature of the path without the query (as v2 was before it
  // covered the query), which would be good for any call.
  if (url.search && sig.trim().startsWith("v2="))
    return { ok: false, reason: "a v2 signature does not part a URL's query from the body in one way only; sign with v3" };
  if (url.search && (await verifySignature(c.secret, { method: req.method, path: url.pathname }, req.body, ts, sig, nowMs)))
    return { ok: false, reason: "the signature does not cover the URL's query; sign the path with its query" };
  return { ok: false, reason: "missing, stale or wrong signature" };
}

const OUTCOMES: Record<string, CallOutcome> = {
  answered: "answered",
  completed: "answered",
  busy: "busy",
  "no-answer": "no-answer",
  failed: "failed",
  canceled: "canceled",
};

/**
 * The plan's first attempt (TRANSFER reports no result, so routes on this provider never have a
 * second: domain/route.ts refuses them): TRANSFER, the whisper conference, the simultaneous ring
 * conference (every agent DIALled from callerId), or SAY then HANGUP.
 */
function answer(plan: CallPlan, ctx: RenderContext): Reply {
  const step = plan.steps[ctx.step];
  const actions: Action[] = [];
  if (step?.kind === "dial" && step.to.length > 1 && step.callerId) return jsonReply(ringCallerLeg(ctx.callId, step.to, step.callerId));
  if (step?.kind === "dial") {
    if (step.whisper && step.callerId) return jsonReply(whisperCallerLeg(ctx.callId, step.to[0]!, step.callerId));
    actions.push(...transferAnswer(step.to[0]!, step.callerId).actions);
  } else if (step?.kind === "message") actions.push({ type: "SAY", params: { text: step.text } }, ...hangupAnswer().actions);
  else actions.push(...hangupAnswer().actions);
  return jsonReply({ actions });
}

export const reference: Adapter<ReferenceCredentials> & { agentConference: typeof agentConference } = {
  provider: "reference",
  verify,
  fields: requestFields,
  inbound: (fields, now) => inboundCall(fields, now),
  status: (fields) =>
    report({ ...fields, callId: fields.callId ?? fields.call_id ?? fields.CallSid }, { id: "callId", status: "status" }, (s) => {
      const outcome = OUTCOMES[s] ?? null;
      return {
        level: "dial",
        outcome,
        ended: outcome !== null && s !== "answered",
        talkSeconds: outcome === "answered" ? seconds(fields.duration) : outcome ? 0 : null,
        endedAt: instant(fields.endTime ?? fields.end_time),
      };
    }),
  whisperCall: (_fields, req) => callParam(req),
  answer,
  whisper: (text) => jsonReply({ actions: [{ type: "SAY", params: { text } }] }),
  // Its agent leg joins a conference: no bridge URL, no pick-up report.
  heard: () => null,
  bridgeReply: () => jsonReply({ actions: [] }),
  pickedUp: () => null,
  statusReply: () => jsonReply({ actions: [] }),
  // No dial-action callback, keypress or recording: none of those URLs are handed out here.
  continues: () => false,
  doneReply: () => jsonReply({ actions: [] }),
  answeredBy: () => null,
  answeredIsBridge: false,
  confirmed: () => false,
  confirmReply: () => jsonReply({ actions: [{ type: "HANGUP" }] }),
  recordingUrl: () => null,
  recordingRef: () => null,
  recordingReply: () => jsonReply({ actions: [] }),
  agentConference,
};
