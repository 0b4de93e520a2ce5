/**
 * Vonage Voice API. The answer webhook is a GET by default with `uuid`, `conversation_uuid`, `to`
 * and `from` (numbers without '+') in the query; the answer is an NCCO (JSON array):
 *
 *   [{ "action": "connect", "from": "1…", "timeout": 20, "eventType": "synchronous",
 *      "eventUrl": ["…/next?call=…&step=0"], "eventMethod": "POST",
 *      "endpoint": [{ "type": "phone", "number": "1…", "onAnswer": { "url": "…/whisper?call=…&step=0" } }] }]
 *
 * `onAnswer` is Vonage's whisper: an NCCO run for the connected party before it joins the call
 * (the connect's endpoint: "the URL serves an NCCO to execute in the number being connected to,
 * before that call is joined to your existing conversation"): its request is the agent's pick-up,
 * whose time we keep. It ends with a `notify` to our bridge URL: notify is synchronous and POSTs
 * its `payload` ("The JSON body to send to your event URL") to its eventUrl, and an empty answer
 * lets the NCCO go on ("return an empty payload meaning the existing NCCO will continue to
 * execute", NCCO reference, Notify), so it runs out and the agent joins: the notify's arrival marks
 * the whisper's end. We read nothing from that body (`{"whisper":"ended"}`; the signed JWT covers
 * it). The NCCO reference lists no actions an onAnswer NCCO may or may not hold; if a notify there
 * were skipped, no report comes and the talk time stays the leg's `duration`.
 * Events are POSTed as JSON: the connect's `eventUrl` gets the forwarded leg's (`status`: ringing,
 * answered, completed with `duration`, busy, timeout, failed, rejected, cancelled, unanswered), the
 * application's event URL gets the call's own.
 *
 * Signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the account's signature secret (or RS256
 * with a public key), whose `payload_hash` is the hex SHA-256 of the payload: the raw body of a POST,
 * the query parameters as a compact JSON object (in their order) for a GET. `iat` must be within
 * 5 minutes and a token (its `jti`) is accepted once.
 */
import type { CallOutcome } from "../../schemas/calls";
import type { CallPlan } from "../plan";
import {
  callParam,
  continuesAfter,
  digits,
  e164,
  emptyReply,
  fromBase64,
  hex,
  httpsUrl,
  instant,
  jsonReply,
  nativeInbound,
  report,
  requestFields,
  sameText,
  seconds,
  sha256,
} from "./common";
import { type Adapter, type RenderContext, routeUrl, type Verdict, type VoiceRequest } from "./types";

export interface VonageCredentials {
  /** The account's signature secret (HS256). */
  signatureSecret?: string;
  /** Or a PEM public key (RS256). */
  publicKey?: string;
  /** When set, the token's `api_key` claim must be this. */
  apiKey?: string;
}

export const VONAGE_TOLERANCE_S = 300;

const dec = new TextDecoder();

function json(part: string): Record<string, unknown> | null {
  const bytes = fromBase64(part);
  if (!bytes) return null;
  try {
    const v = JSON.parse(dec.decode(bytes)) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> | null {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem);
  return m ? fromBase64(m[1]!.replace(/\s+/g, "")) : null;
}

/** An RS256 key for callbacks: `pem` holds an RSA public key WebCrypto imports (checked when it is set). */
export async function rs256Key(pem: string): Promise<CryptoKey | null> {
  const spki = pemBody(pem);
  try {
    return spki && (await crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
  } catch {
    return null;
  }
}

/** The payload Vonage hashes: the POST body as sent, or the GET query as a compact JSON object. */
export function vonagePayload(req: Pick<VoiceRequest, "method" | "url" | "body">): string {
  return req.method === "GET" ? JSON.stringify(Object.fromEntries(new URL(req.url).searchParams)) : req.body;
}

async function verify(req: VoiceRequest, c: VonageCredentials, nowMs: number): Promise<Verdict> {
  const auth = req.headers.authorization ?? "";
  const token = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(auth.trim())?.[1];
  if (!c.signatureSecret && !c.publicKey) return { ok: false, reason: "no credentials for this provider" };
  if (!token) return { ok: false, reason: "no signed token" };
  const [h, p, s] = token.split(".") as [string, string, string];
  const header = json(h);
  const claims = json(p);
  const sig = fromBase64(s);
  if (!header || !claims || !sig) return { ok: false, reason: "malformed token" };
  const data = new TextEncoder().encode(`${h}.${p}`);
  let valid = false;
  try {
    if (header.alg === "HS256" && c.signatureSecret) {
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(c.signatureSecret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
      valid = await crypto.subtle.verify("HMAC", key, sig, data);
    } else if (header.alg === "RS256" && c.publicKey) {
      const key = await rs256Key(c.publicKey);
      valid = !!key && (await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig, data));
    }
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "signature mismatch" };
  const iat = claims.iat;
  if (typeof iat !== "number" || Math.abs(iat * 1000 - nowMs) > VONAGE_TOLERANCE_S * 1000) return { ok: false, reason: "iat outside the window" };
  if (typeof claims.exp === "number" && claims.exp * 1000 < nowMs) return { ok: false, reason: "token expired" };
  if (c.apiKey && claims.api_key !== c.apiKey) return { ok: false, reason: "another api_key" };
  if (typeof claims.payload_hash !== "string" || !sameText(hex(await sha256(vonagePayload(req))), claims.payload_hash.toLowerCase()))
    return { ok: false, reason: "payload does not match payload_hash" };
  // Without a jti, the signature's bytes (not its text: the last base64url character has bits no
  // byte uses, so one token has several spellings, and a replay respelled is still a replay).
  const id = typeof claims.jti === "string" && claims.jti ? claims.jti : hex(sig);
  return { ok: true, replay: { key: `vonage:${id}`, until: (iat + VONAGE_TOLERANCE_S) * 1000 + 60_000 } };
}

const STATUS: Record<string, { outcome: CallOutcome | null; ended: boolean }> = {
  answered: { outcome: "answered", ended: false },
  busy: { outcome: "busy", ended: true },
  rejected: { outcome: "busy", ended: true },
  timeout: { outcome: "no-answer", ended: true },
  unanswered: { outcome: "no-answer", ended: true },
  failed: { outcome: "failed", ended: true },
  cancelled: { outcome: "canceled", ended: true },
};

/**
 * One attempt of the plan as an NCCO. A connect is synchronous with its own event URL (`next`):
 * when its leg ends unanswered (timeout, busy, rejected, failed, unanswered) the NCCO we answer
 * that event with replaces the call's (failover). `onAnswer` is the whisper. The connect rings one
 * endpoint and has no accept-by-keypress, so simultaneous ring and press 1 are refused for Vonage
 * pools (domain/route.ts). Recording: a `record` action before everything, for the conversation.
 */
function answer(plan: CallPlan, ctx: RenderContext) {
  const ncco: Record<string, unknown>[] = [];
  if (ctx.step === 0 && plan.disclosure)
    ncco.push(
      { action: "talk", text: plan.disclosure },
      { action: "record", split: "conversation", eventUrl: [routeUrl(ctx, "recording")], eventMethod: "POST" },
    );
  const step = plan.steps[ctx.step];
  if (step?.kind === "message") ncco.push({ action: "talk", text: step.text });
  else if (step?.kind === "voicemail")
    ncco.push(
      { action: "talk", text: step.greeting },
      { action: "record", endOnKey: "#", timeOut: step.maxSeconds, beepStart: true, eventUrl: [routeUrl(ctx, "recording")], eventMethod: "POST" },
    );
  else if (step?.kind === "dial") {
    const endpoint: Record<string, unknown> = { type: "phone", number: digits(step.to[0]!) };
    if (step.whisper) endpoint.onAnswer = { url: routeUrl(ctx, "whisper", ctx.step) };
    ncco.push({
      action: "connect",
      // Vonage shows a number of the account: the step's callerId, else the tracking number called.
      from: digits(step.callerId ?? ctx.dialled),
      ...(step.ringSeconds !== null ? { timeout: step.ringSeconds } : {}),
      eventType: "synchronous",
      eventUrl: [routeUrl(ctx, "next", ctx.step)],
      eventMethod: "POST",
      endpoint: [endpoint],
    });
  }
  // Nothing (a hangup, or past the last attempt): an NCCO that runs out ends the call.
  return jsonReply(ncco);
}

/**
 * The event URL gets every event of the call, and only some report a status: a transfer
 * (`conversation_uuid_from`, `conversation_uuid_to`: a leg moved to another conversation, as a
 * connect does), an error (`reason`), an input (`dtmf`, `speech`), a record (`recording_url`) or a
 * notify (`payload`) carries no `status` (Vonage's Voice API webhook reference; its SDKs tell the
 * event types apart by these same fields). A non-2xx answer is a failed webhook to Vonage, which
 * then tries the application's fallback URL.
 */
const NON_STATUS_FIELDS = ["conversation_uuid_from", "reason", "dtmf", "speech", "recording_url", "payload"];
const notAReport = (fields: Record<string, unknown>) => fields.status === undefined && NON_STATUS_FIELDS.some((name) => fields[name] !== undefined);

export const vonage: Adapter<VonageCredentials> = {
  provider: "vonage",
  verify,
  fields: requestFields,
  inbound: (fields, now) => nativeInbound(fields, now, { id: "uuid", to: "to", from: "from" }),
  status: (fields, req) => {
    // Our connect's eventUrl names the inbound call: those events are the forwarded leg's.
    const parent = callParam(req);
    return report(
      fields,
      { id: "uuid", status: "status" },
      (s) => {
        const talk = seconds(fields.duration);
        // The inbound leg's own `answered` is Vonage taking the call to run our NCCO (as Twilio's
        // in-progress is), before the agent's phone has even rung: only a connect's leg answering
        // (the `next` URL) is someone taking the call. Its `completed` is the call's end whatever
        // its duration (Vonage answered it to run our NCCO: an empty one, our hang-up, lasts 0 s),
        // as a TwiML provider's completed is; a connect's leg completed in 0 s answered nobody.
        const known =
          s === "completed"
            ? (talk !== null && talk > 0) || !parent
              ? { outcome: "answered" as const, ended: true }
              : { outcome: null, ended: true }
            : s === "answered" && !parent
              ? { outcome: null, ended: false }
              : STATUS[s];
        return {
          level: parent ? "dial" : "call",
          outcome: known?.outcome ?? null,
          ended: known?.ended ?? false,
          talkSeconds: s === "completed" ? talk : known?.outcome && known.outcome !== "answered" ? 0 : null,
          endedAt: known?.ended ? (instant(fields.end_time) ?? instant(fields.timestamp)) : null,
        };
      },
      parent,
    );
  },
  notAReport,
  whisperCall: (_fields, req) => callParam(req),
  answer,
  whisper: (text, report) =>
    jsonReply([
      { action: "talk", text },
      ...(report ? [{ action: "notify", payload: { whisper: "ended" }, eventUrl: [report.url], eventMethod: "POST" }] : []),
    ]),
  // The pick-up is the whisper's request (kept by us), not a URL parameter.
  heard: () => null,
  // 204: nothing replaces the whisper's NCCO, which runs out: the agent joins the call.
  bridgeReply: () => emptyReply,
  // The onAnswer request; its query may name the agent (`to`), else the connect's one endpoint is.
  pickedUp: (fields, leg) => (leg === "whisper" ? { number: e164(fields.to) } : null),
  statusReply: () => emptyReply,
  continues: continuesAfter,
  // 204: the call's NCCO goes on as it is (ringing, answered, completed).
  doneReply: () => emptyReply,
  answeredBy: (fields) => (fields.status === "answered" ? e164(fields.to) : null),
  answeredIsBridge: false,
  confirmed: () => false,
  confirmReply: () => emptyReply,
  recordingUrl: (fields) => httpsUrl(fields.recording_url),
  recordingRef: () => null,
  recordingReply: () => emptyReply,
};
