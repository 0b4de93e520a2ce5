/**
 * Vonage Voice API. The answer webhook is a GET by default with `uuid`, `conversation_uuid`, `to`
 * and `from` (numbers without '+') in the query; the answer is an NCCO (JSON array):
 *
 *   [{ "action": "connect", "from": "1…", "eventUrl": ["…/status?call=…"], "eventMethod": "POST",
 *      "endpoint": [{ "type": "phone", "number": "1…", "onAnswer": { "url": "…/whisper?call=…" } }] }]
 *
 * `onAnswer` is Vonage's whisper: an NCCO run for the connected party before it joins the call.
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
import { callParam, digits, emptyReply, fromBase64, hex, instant, jsonReply, nativeInbound, report, requestFields, sameText, seconds, sha256 } from "./common";
import type { Adapter, RenderContext, Verdict, VoiceRequest } from "./types";

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
      const spki = pemBody(c.publicKey);
      const key = spki && (await crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
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
  const id = typeof claims.jti === "string" && claims.jti ? claims.jti : s;
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

function answer(plan: CallPlan, ctx: RenderContext) {
  const ncco: Record<string, unknown>[] = [];
  const call = encodeURIComponent(ctx.callId);
  for (const step of plan.steps) {
    if (step.kind === "hangup") break; // An NCCO that runs out ends the call.
    const endpoint: Record<string, unknown> = { type: "phone", number: digits(step.to) };
    if (step.whisper) endpoint.onAnswer = { url: `${ctx.base}/whisper?call=${call}` };
    ncco.push({
      action: "connect",
      // Vonage shows a number of the account: the pool's callerId, else the tracking number called.
      from: digits(step.callerId ?? ctx.dialled),
      eventUrl: [`${ctx.base}/status?call=${call}`],
      eventMethod: "POST",
      endpoint: [endpoint],
    });
  }
  return jsonReply(ncco);
}

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
        const known =
          s === "completed" ? (talk !== null && talk > 0 ? { outcome: "answered" as const, ended: true } : { outcome: null, ended: true }) : STATUS[s];
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
  whisperCall: (_fields, req) => callParam(req),
  answer,
  whisper: (text) => jsonReply([{ action: "talk", text }]),
  statusReply: () => emptyReply,
};
