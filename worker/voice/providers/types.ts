/**
 * What every voice provider adapter provides: verify the provider's own signature, read its native
 * callbacks (inbound call, status / dial action, whisper leg), and render a call plan in its format.
 * Adapters are pure (WebCrypto only) and run inside the account object, which holds the credentials.
 */
import { type CallOutcome, VOICE_PROVIDERS } from "../../schemas/calls";
import type { Fields, InboundCall, Parsed } from "../input";
import type { CallPlan } from "../plan";

export const PROVIDERS = VOICE_PROVIDERS;
export type Provider = (typeof PROVIDERS)[number];

/** A provider callback as received: plain data, so it crosses RPC to the account object. */
export interface VoiceRequest {
  method: string;
  /** The full URL the provider requested, as it signed it. */
  url: string;
  /** Lower-case header names: only those a verification reads. */
  headers: Record<string, string>;
  /** The raw body (UTF-8). */
  body: string;
  /** The reference provider's path token (the voice secret in the URL), if any. */
  token?: string;
}

/**
 * Which callback of a call: the inbound call, its status, the agent's whisper leg (reference: agent);
 * and the URLs a route's answers hand out: `next` (a dial attempt ended: continue), `answered`
 * (who picked up a simultaneous ring), `confirm` (the agent's keypress), `bridge` (a whisper
 * without press 1 ended: the agent is bridged now), `recording` (its URL).
 */
export type Leg = "inbound" | "status" | "whisper" | "agent" | "next" | "answered" | "confirm" | "bridge" | "recording";

/**
 * A verified request; `replay` names it for the replay memory (a timestamp or nonce scheme): the
 * same key again before `until` is a replay and refused.
 */
export type Verdict = { ok: true; replay?: { key: string; until: number } } | { ok: false; reason: string };

/** What a status, hangup or dial-action callback says about a call. */
export interface StatusReport {
  /** Our call: the inbound call's id (a child leg's report names its parent). */
  callId: string;
  /** `dial`: about the forwarded leg (the agent); `call`: about the caller's call as a whole. */
  level: "dial" | "call";
  /** The provider's own status word, as sent (dedupes repeats: one report per call, level, status). */
  status: string;
  /** What it means for the call, null while it is not known (ringing, in progress). */
  outcome: CallOutcome | null;
  /** Whether this report says that leg is over. */
  ended: boolean;
  talkSeconds: number | null;
  endedAt: number | null;
  /**
   * The number whose leg this report is about, when its answer holds only if that leg was the one
   * bridged to the caller (Plivo's Dial callbackUrl `connected` and `hangup`: with confirmKey a leg
   * can pick up, hear the prompt and hang up without ever being connected, and its hangup has a
   * duration all the same). The routing keeps the answer only when the attempt's taker, as the
   * bridge named it, is this number (CallRouting.settle), and drops it otherwise.
   */
  ifBridged?: string;
}

export interface Reply {
  status: 200 | 204;
  body: string;
  contentType: string;
}

/** Where the adapter's answers point the provider back to (all on this account's voice URLs). */
export interface RenderContext {
  /** `https://host/v1/voice/{account}/{provider}` (reference: `…/{account}[/{token}]`). */
  base: string;
  callId: string;
  /** The tracking number that was called. */
  dialled: string;
  /** The plan's attempt to render (0: the answer to the inbound call, with the recording disclosure). */
  step: number;
}

/** Our URLs in an answer: each carries the call and the attempt it is about (query `call`, `step`). */
export function routeUrl(
  ctx: Pick<RenderContext, "base" | "callId">,
  leg: "next" | "answered" | "whisper" | "confirm" | "bridge" | "recording" | "status",
  step?: number,
): string {
  const q = new URLSearchParams({ call: ctx.callId });
  if (step !== undefined) q.set("step", String(step));
  return `${ctx.base}/${leg}?${q}`;
}

/**
 * Where the agent's leg reports back before it is bridged: `confirm` (their keypress, press 1) or
 * `bridge` (the whisper's end), and when they picked up (`heard`, ms: the whisper's request), for
 * providers whose report can carry it in our URL (the Twilio family). The pick-up and the report
 * bound the seconds the agent spent on the whisper or prompt, which are not talk time.
 */
export interface AgentReport {
  confirm: boolean;
  url: string;
  heard: number;
}

/**
 * `url` with our `heard` query parameter, verified with the request that brings it back where the
 * provider signs the URL it requests (Twilio, SignalWire). Telnyx signs the timestamp and body only,
 * so within its 5-minute window the same signed body could come again with another URL: a bridge or
 * keypress sent again is answered as the first was (voice-callback.ts) but counts only once, so only
 * whoever sends it first (Telnyx, over TLS) sets the pick-up time.
 */
export function withHeard(url: string, heard: number): string {
  const u = new URL(url);
  u.searchParams.set("heard", String(heard));
  return u.href;
}

export interface Adapter<C> {
  provider: Provider;
  /** Check the request's signature with the account's credentials for this provider. */
  verify(req: VoiceRequest, creds: C, nowMs: number): Promise<Verdict>;
  /** The callback's fields: its form or JSON body, or its query for a GET. */
  fields(req: VoiceRequest): Parsed<Fields>;
  inbound(fields: Fields, nowMs: number): Parsed<InboundCall>;
  status(fields: Fields, req: VoiceRequest): Parsed<StatusReport>;
  /**
   * Whether a callback on a status URL is one of the provider's documented events that report no
   * call status (Vonage's transfer, error, input, record and notify events reach the event URL
   * too): acknowledged with the status reply, nothing stored. Absent: every callback there is a
   * status report (one without a usable status is 400).
   */
  notAReport?(fields: Fields): boolean;
  /** The call a whisper leg is for (the `call` query parameter of the URL we gave). */
  whisperCall(fields: Fields, req: VoiceRequest): string | null;
  /** The plan's attempt `ctx.step` in the provider's format (past the last attempt: hang up). */
  answer(plan: CallPlan, ctx: RenderContext): Reply;
  /**
   * What the agent hears before being connected; with `report.confirm`, they press 1 to accept (our
   * confirm URL), else the whisper ends by reporting to our bridge URL where the provider can (null:
   * a whisper that names no attempt, nothing to report to).
   */
  whisper(text: string, report: AgentReport | null): Reply;
  /** When the agent picked up, as our confirm or bridge URL carries it (`heard`), or null. */
  heard(fields: Fields, req: VoiceRequest): number | null;
  /** The answer to a bridge callback: the whisper goes on to its end, and the agent is bridged. */
  bridgeReply(): Reply;
  /**
   * Whether a callback on `leg` is an agent's pick-up that the provider reports apart from the
   * bridge, its time kept by us for the bridge (Plivo's Dial callbackUrl `answer`, Vonage's onAnswer
   * request): the number that picked up (null: not named), unchecked; null for any other callback.
   */
  pickedUp(fields: Fields, leg: Leg): { number: string | null } | null;
  /** The answer to a status callback. */
  statusReply(): Reply;
  /** Whether a dial-action callback says the attempt ended without anyone taking the call (go on to the next). */
  continues(report: StatusReport): boolean;
  /** The answer to a dial-action callback when the call does not go on (answered, or no attempt left). */
  doneReply(report: StatusReport): Reply;
  /** The number a callback says picked up (the agent's leg's called number), unchecked. */
  answeredBy(fields: Fields): string | null;
  /** Whether that callback reports the bridge (after the agent's press 1) rather than the pick-up. */
  answeredIsBridge: boolean;
  /** Whether the agent's keypress accepts the call, and the answer for it (bridge, or hang up the agent). */
  confirmed(fields: Fields): boolean;
  confirmReply(accepted: boolean): Reply;
  /** The recording's URL in a recording callback. */
  recordingUrl(fields: Fields): string | null;
  /**
   * What finds that recording again once its URL has expired (stored beside it): Telnyx's
   * `<AccountSid>/<RecordingSid>`; null where the URL lasts.
   */
  recordingRef(fields: Fields): string | null;
  /** The answer to a recording callback (a voicemail's Record action continues here: hang up). */
  recordingReply(): Reply;
}
