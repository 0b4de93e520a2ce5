/**
 * (Over 300 lines: one adapter that three providers share, its verification, fields and answers,
 * and the header that says why each verb is written as it is.)
 *
 * Twilio and the providers that speak its language: SignalWire (cXML, LaML) and Telnyx (TeXML).
 * All three POST form fields `CallSid`, `From`, `To`, `CallStatus` and execute the same XML:
 *
 *   <Response><Dial callerId="…" timeout="20" action="…/next?call=…&step=0" method="POST">
 *     <Number url="…/whisper?call=…&step=0" method="POST">+1…</Number></Dial></Response>
 *
 * `<Number url>` is each one's whisper: a document run on the agent's leg "after they answer, but
 * before the parties are connected" (Twilio's Number noun; SignalWire's says the same, and Telnyx's
 * TeXML follows TwiML); the agent is bridged when that document ends. What it may hold is listed:
 * "privately <Play> or <Say> ... decline the phone call using <Gather> and <Hangup>. The url
 * attribute does not support any other TwiML verbs", and never <Dial>
 * (https://www.twilio.com/docs/voice/twiml/number#attributes-url; error 13201). So no <Redirect>:
 * the whisper's end is reported by its Gather instead, as Twilio's own whisper (the Whisper Twimlet,
 * twilio-labs/function-templates funlet-whisper) and our press 1 do. A whisper without press 1 is a
 * `<Gather numDigits="1" timeout="1" actionOnEmptyResult="true" action=bridge?…&heard=…>` around
 * its `<Say>`: once said (or a key pressed), the Gather posts to our bridge URL even with no digit
 * ("actionOnEmptyResult allows you to force <Gather> to send a webhook to the action url even when
 * there is no DTMF input", Twilio's Gather; SignalWire's Gather lists it too), that request is the
 * whisper's end, and our empty document lets the bridge go ahead. Telnyx's TeXML Gather page does
 * not list actionOnEmptyResult: should Telnyx ignore it, an empty Gather falls through, the
 * document ends and the agent is bridged with no report, the talk time staying the Dial's.
 * `<Dial action>` reports `DialCallStatus` / `DialCallDuration` when the forwarded leg ends, and its
 * answer continues the call: the route's next attempt (failover). The number's status callback
 * (`CallStatus`, `CallDuration`) reports the call as a whole.
 *
 * They differ in the signature:
 *   twilio      X-Twilio-Signature: base64 HMAC-SHA1(auth token, full URL + sorted form params);
 *               a JSON body is signed through the URL's `bodySHA256` (hex SHA-256 of the body)
 *   signalwire  X-SignalWire-Signature: the same scheme keyed with the project's Signing Key
 *   telnyx      telnyx-signature-ed25519 (base64) over `${telnyx-timestamp}|${raw body}` with the
 *               account's Ed25519 public key, timestamp within 5 minutes (replays are remembered)
 * Written by hand on WebCrypto: the SDKs' verifiers need Node's crypto and url modules; the tests
 * check these against the SDKs (test/providers).
 */
import type { Fields } from "../input";
import type { CallPlan } from "../plan";
import {
  attr,
  callParam,
  confirmPrompt,
  continuesAfter,
  e164,
  fromBase64,
  hangupReply,
  hex,
  hmac,
  httpsUrl,
  instant,
  nativeInbound,
  report,
  requestFields,
  sameText,
  seconds,
  sha256,
  twilioOutcome,
  XML_DECL,
  xmlEscape,
  xmlReply,
} from "./common";
import { type Adapter, type RenderContext, type Reply, routeUrl, type StatusReport, type Verdict, type VoiceRequest, withHeard } from "./types";

export interface TwilioCredentials {
  /** The account's Auth Token. */
  authToken: string;
  /** The secret of a Webhooks SharedKey, when a Twilio Webhooks Rule signs the callbacks with it. */
  webhookSharedKey?: string;
}
export interface SignalWireCredentials {
  /** The project's Signing Key. */
  signingKey: string;
}
export interface TelnyxCredentials {
  /** The account's Ed25519 public key (base64, 32 bytes), from the Mission Control portal. */
  publicKey: string;
}

/** How far a Telnyx timestamp may be from our clock. */
export const TELNYX_TOLERANCE_S = 300;

// ---- Twilio's signature ----

/** The URL as Twilio may have signed it: as received, and without / with the default port. */
function urlCandidates(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const host = authority.replace(/:\d+$/, "");
  const port = scheme.toLowerCase() === "https" ? "443" : "80";
  return [...new Set([url, `${scheme}://${host}${rest}`, `${scheme}://${host}:${port}${rest}`])];
}

/** Form params as Twilio signs them: names sorted, each name + value (repeated names: values sorted, deduplicated). */
export function twilioSignedData(url: string, params: URLSearchParams | null): string {
  if (!params) return url;
  const byName = new Map<string, string[]>();
  for (const [k, v] of params) byName.set(k, [...(byName.get(k) ?? []), v]);
  let data = url;
  for (const name of [...byName.keys()].sort()) {
    const values = byName.get(name)!;
    data +=
      values.length > 1
        ? [...new Set(values)]
            .sort()
            .map((v) => name + v)
            .join("")
        : name + values[0];
  }
  return data;
}

export async function twilioSignature(key: string, url: string, params: URLSearchParams | null, hash: "SHA-1" | "SHA-256" = "SHA-1"): Promise<string> {
  return btoa(String.fromCharCode(...(await hmac(hash, key, twilioSignedData(url, params)))));
}

/**
 * Which secret and hash signed a Twilio callback. A Webhooks Rule that matches the URL signs the
 * same data with its SharedKey and names it, with the hash, in X-Twilio-Webhooks-Signature-Settings
 * (`key=<sharedKeyId>,algorithm=HMAC_SHA256`, as the twilio SDK's getSignatureAlgorithm reads it);
 * without that header, the Auth Token and HMAC-SHA1.
 */
function twilioSigner(req: VoiceRequest, c: TwilioCredentials): { key: string; hash: "SHA-1" | "SHA-256" } | { error: string } {
  const settings = req.headers["x-twilio-webhooks-signature-settings"];
  if (!settings) return { key: c.authToken, hash: "SHA-1" };
  const field = (name: string) =>
    settings
      .split(",")
      .map((part) => part.split("="))
      .find(([k]) => k?.trim() === name)?.[1]
      ?.trim();
  const algorithm = (field("algorithm") ?? "HMAC_SHA1").toUpperCase();
  const hash = algorithm === "HMAC_SHA256" ? "SHA-256" : algorithm === "HMAC_SHA1" ? "SHA-1" : null;
  if (!hash) return { error: `unsupported signature algorithm ${algorithm}` };
  if (!field("key")) return { key: c.authToken, hash };
  return c.webhookSharedKey ? { key: c.webhookSharedKey, hash } : { error: "signed with a Webhooks SharedKey: set credentials.twilio.webhookSharedKey" };
}

async function verifyTwilioScheme(req: VoiceRequest, key: string, header: string | undefined, hash: "SHA-1" | "SHA-256" = "SHA-1"): Promise<Verdict> {
  if (!key) return { ok: false, reason: "no credentials for this provider" };
  if (!header) return { ok: false, reason: "no signature" };
  const bodyHash = new URL(req.url).searchParams.get("bodySHA256");
  const isForm = (req.headers["content-type"] ?? "").toLowerCase().includes("application/x-www-form-urlencoded");
  let params: URLSearchParams | null = null;
  if (bodyHash !== null) {
    // A JSON (or other) body: the URL carries its hash, and the signature covers the URL alone.
    if (!sameText(hex(await sha256(req.body)), bodyHash.toLowerCase())) return { ok: false, reason: "body does not match bodySHA256" };
  } else if (req.method === "POST") {
    if (!isForm) return { ok: false, reason: "an unsigned body (no bodySHA256)" };
    params = new URLSearchParams(req.body);
  }
  for (const url of urlCandidates(req.url)) if (sameText(await twilioSignature(key, url, params, hash), header.trim())) return { ok: true };
  return { ok: false, reason: "signature mismatch" };
}

// ---- Telnyx's signature ----

export async function verifyTelnyx(req: VoiceRequest, publicKey: string, nowMs: number): Promise<Verdict> {
  const ts = req.headers["telnyx-timestamp"] ?? "";
  const sigText = req.headers["telnyx-signature-ed25519"] ?? "";
  const key = fromBase64(publicKey);
  const sig = fromBase64(sigText);
  if (key?.length !== 32) return { ok: false, reason: "no credentials for this provider" };
  if (!/^\d{1,12}$/.test(ts) || !sig || sig.length !== 64) return { ok: false, reason: "missing or malformed signature" };
  if (Math.abs(Number(ts) * 1000 - nowMs) > TELNYX_TOLERANCE_S * 1000) return { ok: false, reason: "timestamp outside the window" };
  let valid = false;
  try {
    const k = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    valid = await crypto.subtle.verify({ name: "Ed25519" }, k, sig, new TextEncoder().encode(`${ts}|${req.body}`));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "signature mismatch" };
  // Remembered by the signature's bytes, not the header's text: base64 spells the same bytes several
  // ways (with or without padding, the URL-safe alphabet), and a replay respelled is still a replay.
  return { ok: true, replay: { key: `telnyx:${hex(sig)}`, until: (Number(ts) + TELNYX_TOLERANCE_S) * 1000 + 60_000 } };
}

// ---- TwiML ----

/**
 * One attempt of the plan. A dial reports to `next` when it ends (its `action`), which answers
 * with the following attempt; several numbers ring at once and the first to answer wins, each
 * number's answered event naming who did; `url` on a number is the whisper (and the press-1
 * Gather), run on the agent's leg before the bridge: with press 1, the first agent whose keypress
 * reaches our confirm URL takes the call. Recording: `record` on the Dial, from answer.
 */
function stepXml(plan: CallPlan, ctx: RenderContext): string {
  const step = plan.steps[ctx.step];
  if (!step || step.kind === "hangup") return "<Hangup/>";
  if (step.kind === "message") return `<Say>${xmlEscape(step.text)}</Say><Hangup/>`;
  // The voicemail's URL comes to our recording URL twice over: as the action's RecordingUrl (Twilio,
  // SignalWire) and by recordingStatusCallback, the only way Telnyx's TeXML gives it ("Telnyx will
  // deliver the URL for the recording to that address once the call has ended"; valid 10 minutes;
  // its method is POST by default, and Telnyx's Record lists no recordingStatusCallbackMethod).
  if (step.kind === "voicemail")
    return `<Say>${xmlEscape(step.greeting)}</Say><Record${attr("action", routeUrl(ctx, "recording"))} method="POST"${attr("maxLength", step.maxSeconds)} playBeep="true" finishOnKey="#"${attr("recordingStatusCallback", routeUrl(ctx, "recording"))}/><Hangup/>`;
  const several = step.to.length > 1;
  const leg = step.whisper || step.confirm ? `${attr("url", routeUrl(ctx, "whisper", ctx.step))} method="POST"` : "";
  // Who picked up a simultaneous ring; with press 1, picking up is not taking the call: the
  // keypress (our confirm URL) says who did, so no answered event is asked for.
  const answered =
    several && !step.confirm ? `${attr("statusCallback", routeUrl(ctx, "answered", ctx.step))} statusCallbackEvent="answered" statusCallbackMethod="POST"` : "";
  const record = plan.disclosure
    ? ` record="record-from-answer-dual"${attr("recordingStatusCallback", routeUrl(ctx, "recording"))} recordingStatusCallbackMethod="POST"`
    : "";
  const numbers = step.to.map((n) => `<Number${leg}${answered}>${xmlEscape(n)}</Number>`).join("");
  return `<Dial${attr("callerId", step.callerId)}${attr("timeout", step.ringSeconds)}${attr("action", routeUrl(ctx, "next", ctx.step))} method="POST"${record}>${numbers}</Dial>`;
}

function dialXml(plan: CallPlan, ctx: RenderContext): string {
  const disclosure = ctx.step === 0 && plan.disclosure ? `<Say>${xmlEscape(plan.disclosure)}</Say>` : "";
  return `<Response>${disclosure}${stepXml(plan, ctx)}</Response>`;
}

/**
 * Whether a callback's `DialCallStatus` is a Dial's result. It is on the Dial's `action` (our
 * `next` URL, where the route settles it against the attempt: a press-1 Dial nobody accepted is no
 * answer). Telnyx's status callback for the call repeats the last Dial's `DialCallStatus` and
 * `DialCallDuration` (its TexmlCallCompletedWebhook,
 * https://developers.telnyx.com/api-reference/callbacks/texml-call-completed) and is marked
 * `CallbackSource=call-progress-events` ("On Status Callbacks, this value is always
 * call-progress-events", https://developers.telnyx.com/docs/voice/programmable-voice/texml-verbs/hangup).
 * Read as the Dial's, that echo names no attempt, so an agent who picked up, heard the press-1
 * prompt and hung up ("completed", with the seconds they listened) would replace the attempt's
 * settled no-answer with an answer and talk time: there it is the call's report (`CallStatus`).
 */
function isDialResult(fields: Fields, req: VoiceRequest): boolean {
  if (fields.DialCallStatus === undefined || fields.DialCallStatus === "") return false;
  const statusCallback = String(fields.CallbackSource ?? "").trim() === "call-progress-events";
  return !statusCallback || new URL(req.url).pathname.endsWith("/next");
}

/** A TwiML-family status / dial-action callback: `DialCallStatus` (the forwarded leg) or `CallStatus` (the call). */
function twimlStatus(fields: Fields, req: VoiceRequest): ReturnType<typeof report> {
  const dial = isDialResult(fields, req);
  return report(fields, { id: "CallSid", status: dial ? "DialCallStatus" : "CallStatus" }, (status): Omit<StatusReport, "callId" | "status"> => {
    const { outcome, ended: callEnded } = twilioOutcome(status);
    const talk = seconds(dial ? fields.DialCallDuration : fields.CallDuration);
    // The Dial action ends the forwarded leg whatever its word ("answered" is Telnyx/SignalWire's completed).
    const ended = dial ? outcome !== null : callEnded;
    return {
      level: dial ? "dial" : "call",
      outcome,
      ended,
      talkSeconds: outcome === "answered" ? talk : 0,
      // `Timestamp` is when the event fired: a ringing or in-progress event's (Telnyx sends them to
      // the status URL, as Twilio does with more statusCallbackEvents) is no end of the call.
      endedAt: ended ? (instant(fields.EndTime) ?? instant(fields.Timestamp)) : null,
    };
  });
}

/** A leg's CallStatus when it has picked up: Twilio's answered event says in-progress; answered as Telnyx's TeXML may word it. */
const ANSWERED_LEG = new Set(["in-progress", "answered"]);

/**
 * A forwarded leg's own event on a status URL: its `ParentCallSid` names the call that dialled it
 * (Telnyx's call-progress webhooks carry one, https://developers.telnyx.com/api-reference/callbacks/texml-call-answered).
 * It is no report of that call (whose own reports and Dial action tell its outcome) nor of a call of
 * ours: taken, nothing stored (it waited two days as an orphan). A Dial action is the parent's: never this.
 */
function legEvent(fields: Fields): boolean {
  const parent = String(fields.ParentCallSid ?? "").trim();
  return parent !== "" && parent !== String(fields.CallSid ?? "").trim() && (fields.DialCallStatus === undefined || fields.DialCallStatus === "");
}

/** Our `heard` query parameter (ms), as the confirm and bridge URLs we hand out carry it. */
function heardParam(req: VoiceRequest): number | null {
  const heard = new URL(req.url).searchParams.get("heard");
  return heard !== null && /^\d{1,15}$/.test(heard) ? Number(heard) : null;
}

const SID = /^[A-Za-z0-9-]{1,64}$/;

/** `<AccountSid>/<RecordingSid>` of a Telnyx recording callback, when both are plain ids. */
function telnyxRecordingRef(fields: Fields): string | null {
  const account = String(fields.AccountSid ?? "").trim();
  const recording = String(fields.RecordingSid ?? "").trim();
  return SID.test(account) && SID.test(recording) ? `${account}/${recording}` : null;
}

function twimlFamily<C>(provider: "twilio" | "signalwire" | "telnyx", verify: Adapter<C>["verify"]): Adapter<C> {
  return {
    provider,
    verify,
    fields: requestFields,
    inbound: (fields, now) => nativeInbound(fields, now, { id: "CallSid", to: "To", from: "From" }),
    status: (fields, req) => twimlStatus(fields, req),
    notAReport: legEvent,
    whisperCall: (_fields, req) => callParam(req),
    answer: (plan, ctx): Reply => xmlReply(dialXml(plan, ctx)),
    whisper: (text, report) => {
      if (report?.confirm) {
        const action = attr("action", withHeard(report.url, report.heard));
        return xmlReply(
          `<Response><Gather numDigits="1" timeout="10"${action} method="POST"><Say>${xmlEscape(confirmPrompt(text))}</Say></Gather><Hangup/></Response>`,
        );
      }
      const say = `<Say>${xmlEscape(text)}</Say>`;
      if (!report) return xmlReply(`<Response>${say}</Response>`);
      // Only Play, Say, Gather and Hangup run here: the Gather's action (sent with no digit too) is the whisper's end.
      const action = attr("action", withHeard(report.url, report.heard));
      return xmlReply(`<Response><Gather numDigits="1" timeout="1" actionOnEmptyResult="true"${action} method="POST">${say}</Gather></Response>`);
    },
    heard: (_fields, req) => heardParam(req),
    // An empty document ends the whisper: the agent is bridged.
    bridgeReply: () => xmlReply("<Response/>"),
    pickedUp: () => null,
    statusReply: () => hangupReply(),
    continues: continuesAfter,
    doneReply: () => hangupReply(),
    // The answered event of a number's leg: its To is the number that picked up. Only an answer
    // says so: another event of the leg on that URL (its ringing, or its completed, no-answer or
    // busy, sent when a provider sends more than the answered event asked for) names nobody.
    answeredBy: (fields) => (ANSWERED_LEG.has(String(fields.CallStatus ?? "in-progress").trim()) ? e164(fields.To ?? fields.Called) : null),
    answeredIsBridge: false,
    confirmed: (fields) => String(fields.Digits ?? "").trim() === "1",
    // An empty document ends the whisper: the agent is bridged. Hanging up leaves the others ringing.
    confirmReply: (accepted) => xmlReply(accepted ? "<Response/>" : "<Response><Hangup/></Response>"),
    recordingUrl: (fields) => httpsUrl(fields.RecordingUrl),
    // Telnyx's RecordingUrl is a presigned link valid 10 minutes; its TeXML REST API gives a fresh
    // one for the account and recording (GET /v2/texml/Accounts/{AccountSid}/Recordings/{RecordingSid}.json).
    recordingRef: (fields) => (provider === "telnyx" ? telnyxRecordingRef(fields) : null),
    recordingReply: () => hangupReply(),
  };
}

export const twilio = twimlFamily<TwilioCredentials>("twilio", (req, c) => {
  const signer = twilioSigner(req, c);
  return "error" in signer
    ? Promise.resolve({ ok: false, reason: signer.error })
    : verifyTwilioScheme(req, signer.key, req.headers["x-twilio-signature"], signer.hash);
});
export const signalwire = twimlFamily<SignalWireCredentials>("signalwire", (req, c) =>
  verifyTwilioScheme(req, c.signingKey, req.headers["x-signalwire-signature"] ?? req.headers["x-twilio-signature"]),
);
export const telnyx = twimlFamily<TelnyxCredentials>("telnyx", (req, c, now) => verifyTelnyx(req, c.publicKey, now));

export { XML_DECL };
