/**
 * One provider callback, inside the account object: verify it with the provider's scheme and the
 * account's credentials (401 and nothing stored otherwise: a stranger learns nothing about the body),
 * refuse a replay, read it with the provider's adapter, then answer the call, merge the status
 * report, or tell the agent where the call came from.
 */
import { fail, ok, type Result } from "../platform/result";
import type { Fields, Issue, Parsed } from "../voice/input";
import { ADAPTERS, answerContentType, reference } from "../voice/providers";
import { type AgentReport, type Leg, type Provider, type Reply, routeUrl, type VoiceRequest } from "../voice/providers/types";
import { heldSeconds } from "./agent-pickups";
import type { CallDesk } from "./call-desk";
import type { ReportState } from "./call-outcome";
import { type ResolvedRef, type RouteRef, routeRef } from "./call-route";
import type { DeskAccount } from "./desk-account";

export interface CallbackReply extends Reply {
  /** An inbound call already answered before (the stored answer was replayed). */
  duplicate?: boolean;
  /** What became of a status report. */
  report?: ReportState;
}

export interface CallbackDeps {
  desk: CallDesk;
  account: DeskAccount;
  /** The provider's credentials for this account (the reference provider: its voice secret), or null. */
  credentials(provider: Provider): Promise<Result<unknown | null>>;
}

const unauthorized = (provider: Provider) =>
  fail(
    401,
    "unauthorized",
    provider === "reference" ? "Unknown account, wrong voice token or missing, stale or wrong signature" : `Missing or wrong ${provider} signature`,
  );

function badRequest<T>(p: Parsed<T>): { ok: false; error: ReturnType<typeof fail>["error"] } {
  const bad = p as { ok: false; code: string; message: string; issues?: Issue[] };
  const status = bad.code === "unsupported_media_type" ? 415 : 400;
  return fail(
    status,
    bad.code,
    bad.message,
    bad.issues?.map((i) => ({ path: i.path, message: i.message })),
  );
}

/** The answer URL prefix for this provider on this account (where whisper and status URLs go). */
function renderBase(req: VoiceRequest, accountId: string, provider: Provider): string {
  const origin = new URL(req.url).origin;
  if (provider !== "reference") return `${origin}/v1/voice/${accountId}/${provider}`;
  return req.token ? `${origin}/v1/voice/${accountId}/${req.token}` : `${origin}/v1/voice/${accountId}`;
}

export async function handleCallback(deps: CallbackDeps, provider: Provider, leg: Leg, req: VoiceRequest, now: number): Promise<Result<CallbackReply>> {
  const adapter = ADAPTERS[provider];
  const creds = await deps.credentials(provider);
  if (!creds.ok) return creds;
  if (creds.value === null) return unauthorized(provider);
  const verdict = await adapter.verify(req, creds.value, now);
  if (!verdict.ok) {
    console.warn("voice: refused callback", { account: deps.account.id, provider, leg, reason: verdict.reason });
    return unauthorized(provider);
  }
  const { events } = deps.desk;
  const fields: Parsed<Fields> = adapter.fields(req);
  const seen = !!verdict.replay && events.replayed(verdict.replay.key, now);
  if (seen) {
    // A provider that did not get our answer in time retries the very same signed request (Vonage
    // after 1-5 s, twice): an inbound call already answered (or being answered) gets that answer
    // again, a dial attempt's end the same next attempt, an agent's whisper (their pick-up: only the
    // first is noted) the same whisper, its end or keypress the same bridge, the reference agent leg
    // the same conference (all idempotent: only the first counts, nothing is stored twice; refused,
    // the agent's leg would fail and drop a caller an agent took). Any other replay is refused.
    const call = leg === "inbound" && fields.ok ? adapter.inbound(fields.value, now) : null;
    const sameAnswer = leg === "next" || leg === "whisper" || leg === "bridge" || leg === "confirm" || leg === "agent";
    if (!(sameAnswer || (call?.ok && (await deps.desk.answers.known(call.value.id, now))))) {
      console.warn("voice: replayed callback refused", { account: deps.account.id, provider, leg });
      return fail(401, "unauthorized", "This signed request was already received (replay)");
    }
  }
  if (!fields.ok) return badRequest(fields);
  let remembered = false;
  const remember = () => {
    if (verdict.replay) events.remember(verdict.replay.key, verdict.replay.until);
    remembered = true;
  };
  try {
    return await answerCallback(deps, adapter, provider, leg, req, fields.value, now, remember);
  } catch (err) {
    // Our answer failed (a pool object unreachable…): the provider sends the very same signed
    // request again, which must be taken as this one would have been, not refused as a replay.
    if (remembered && !seen && verdict.replay) events.forget(verdict.replay.key);
    throw err;
  }
}

/** A verified, not replayed callback's work; `remember` records its replay key once it is taken. */
async function answerCallback(
  deps: CallbackDeps,
  adapter: (typeof ADAPTERS)[Provider],
  provider: Provider,
  leg: Leg,
  req: VoiceRequest,
  value: Fields,
  now: number,
  remember: () => void,
): Promise<Result<CallbackReply>> {
  const fields = { ok: true as const, value };
  if (leg === "inbound") {
    const call = adapter.inbound(fields.value, now);
    if (!call.ok) return badRequest(call);
    remember();
    const base = renderBase(req, deps.account.id, provider);
    const reply = await deps.desk.answers.inbound(
      deps.account,
      provider,
      call.value,
      now,
      (plan) => adapter.answer(plan, { base, callId: call.value.id, dialled: call.value.dialled, step: 0 }).body,
    );
    return ok({ status: 200, body: reply.answer, contentType: answerContentType(reply.provider), duplicate: reply.duplicate });
  }
  if ((leg === "status" || leg === "next") && adapter.notAReport?.(fields.value)) {
    // A documented event that reports no status (Vonage's transfer, error…): taken, nothing stored;
    // on a dial attempt's URL the call goes on as it is.
    remember();
    return ok(adapter.statusReply());
  }
  if (leg === "status") {
    const report = adapter.status(fields.value, req);
    if (!report.ok) return badRequest(report);
    remember();
    // No attempt named here: a leg's answer that needs its bridge (a Plivo B-leg hangup) cannot be told apart.
    const ref = await deps.desk.routing.resolve(routeRef(req.url));
    const state = await deps.desk.outcomes.report(deps.account, provider, deps.desk.routing.settle(ref, report.value), now);
    return ok({ ...adapter.statusReply(), report: state });
  }
  if (leg === "agent") {
    remember();
    const reply = await deps.desk.agents.agent(reference.agentConference(fields.value));
    return ok({ status: 200, body: reply.answer, contentType: answerContentType("reference") });
  }
  // Read against the call's route, stored or kept by an erasure while the call is on the line.
  const ref = await deps.desk.routing.resolve(routeRef(req.url));
  const base = renderBase(req, deps.account.id, provider);
  if (leg === "next") {
    // A dial attempt ended (the Dial action, Vonage's synchronous connect event): store it as a
    // status report, then answer with the plan's next attempt when nobody took the call.
    const report = adapter.status(fields.value, req);
    if (!report.ok) return badRequest(report);
    remember();
    // Read against the route first: a press-1 attempt nobody accepted did not answer, whatever its word.
    const settled = deps.desk.routing.settle(ref, report.value);
    const next = deps.desk.routing.ended(ref, settled, adapter.continues(settled), now);
    // An attempt the route goes on from did not end the call: stored as not ended, or call.completed
    // went out (10 s on) with this agent's no-answer while the next one took the call, and was never
    // corrected (a sent webhook or GA4 event is not sent again).
    const state = await deps.desk.outcomes.report(deps.account, provider, next ? { ...settled, ended: false } : settled, now);
    // An answered attempt names who took it: a leg's report that waited on that is settled now.
    await releaseHeld(deps, provider, ref, now);
    if (!next) return ok({ ...adapter.doneReply(settled), report: state });
    return ok({ ...adapter.answer(next.plan, { base, callId: settled.callId, dialled: next.dialled, step: next.next }), report: state });
  }
  if (leg === "answered") {
    remember();
    // Who took the call first (Plivo: the leg `connected` names, the seconds since its `answer`
    // being the whisper's or prompt's), then the report: Plivo's Dial callbackUrl also brings the
    // bridge and each B leg's hangup (talk time, counted only for the leg that was bridged),
    // merged as status reports.
    const picked = adapter.pickedUp(fields.value, leg);
    if (picked) deps.desk.routing.pickedUp(ref, picked.number, now);
    const by = adapter.answeredBy(fields.value);
    const found = deps.desk.routing.answered(ref, by, adapter.answeredIsBridge, now);
    const report = adapter.status(fields.value, req);
    let state: ReportState | undefined;
    if (report.ok && ref && report.value.callId === ref.callId) {
      // A leg's hangup before its bridge is kept as sent (holdKey), and settled once the bridge is known.
      const key = deps.desk.routing.holdKey(ref, report.value);
      const held = key ? { key, sent: report.value } : undefined;
      state = await deps.desk.outcomes.report(deps.account, provider, deps.desk.routing.settle(ref, report.value), now, held);
      await releaseHeld(deps, provider, ref, now);
    }
    if (!found && by !== null)
      console.warn("voice: answered callback names no number of that attempt", { account: deps.account.id, provider, call: ref?.callId });
    return ok({ ...adapter.statusReply(), ...(state ? { report: state } : {}) });
  }
  if (leg === "recording") {
    remember();
    const url = adapter.recordingUrl(fields.value);
    if (!deps.desk.routing.recording(ref, url, adapter.recordingRef(fields.value)))
      console.warn("voice: recording for no recording call of ours, or no https URL", { account: deps.account.id, provider });
    // Twilio's and Telnyx's come after the call's end: call.completed carries it if not yet sent,
    // else call.recording follows it.
    else if (ref) await deps.desk.outcomes.recorded(deps.account, ref.callId, now);
    return ok(adapter.recordingReply());
  }
  if (leg === "confirm") {
    remember();
    // The agent's keypress: only an attempt that asks for it can be accepted, by the first of its
    // agents to press 1 (the agent leg's called number); anyone later is hung up.
    const held = heldSeconds(adapter.heard(fields.value, req), now);
    const accepted = adapter.confirmed(fields.value) && deps.desk.routing.accepted(ref, adapter.answeredBy(fields.value), held);
    return ok(adapter.confirmReply(accepted));
  }
  if (leg === "bridge") {
    remember();
    // A whisper ended: its agent is bridged now, `heard` (their pick-up) to now was the whisper.
    // Whatever it names, the answer lets the bridge go ahead, as a whisper with no report would.
    if (!deps.desk.routing.bridged(ref, adapter.answeredBy(fields.value), adapter.heard(fields.value, req), now))
      console.warn("voice: whisper end for no whispered attempt, agent or pick-up time of ours", { account: deps.account.id, provider, call: ref?.callId });
    return ok(adapter.bridgeReply());
  }
  remember();
  const whisper = deps.desk.agents.whisperText(ref);
  if (whisper === null) console.warn("voice: whisper for no whispered call of this account", { account: deps.account.id, provider, call: ref?.callId });
  const picked = whisper ? adapter.pickedUp(fields.value, leg) : null;
  if (picked) deps.desk.routing.pickedUp(ref, picked.number, now);
  return ok(adapter.whisper(whisper?.text ?? "Untracked call", whisper && ref ? agentReport(base, ref, whisper.confirm, now) : null));
}

/**
 * The reports kept for the leg that took the attempt `ref` names (CallRouting.holdKey: Plivo's
 * hangup arriving before its `connected`, or before the Dial action that named a one-number
 * attempt's taker), settled against the route now that it is known, and merged. A repeat changes
 * nothing (CallEvents.add), so releasing them again on a later callback is harmless.
 */
async function releaseHeld(deps: CallbackDeps, provider: Provider, ref: ResolvedRef | null, now: number): Promise<void> {
  const key = deps.desk.routing.takerKey(ref);
  if (!ref || !key) return;
  for (const sent of deps.desk.events.held(ref.callId, key)) await deps.desk.outcomes.report(deps.account, provider, deps.desk.routing.settle(ref, sent), now);
}

/**
 * Where the agent's leg of an attempt reports back (its keypress, or its whisper's end), with when
 * they picked up (`heard`, ms): the provider requests the whisper as the agent answers and waits for
 * it, so that request and the report bound the seconds the agent heard the whisper or prompt. The
 * report is verified like every callback of ours. None for a pool whisper from before routes (no
 * attempt named).
 */
function agentReport(base: string, ref: RouteRef, confirm: boolean, now: number): AgentReport | null {
  if (ref.step === null) return null;
  return { confirm, url: routeUrl({ base, callId: ref.callId }, confirm ? "confirm" : "bridge", ref.step), heard: now };
}
