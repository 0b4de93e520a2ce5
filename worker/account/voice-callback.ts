/**
 * One provider callback, inside the account object: verify it with the provider's scheme and the
 * account's credentials (401 and nothing stored otherwise: a stranger learns nothing about the body),
 * refuse a replay, read it with the provider's adapter, then answer the call, merge the status
 * report, or tell the agent where the call came from.
 */
import { fail, ok, type Result } from "../platform/result";
import type { Fields, Issue, Parsed } from "../voice/input";
import { ADAPTERS, answerContentType, reference } from "../voice/providers";
import type { Leg, Provider, Reply, VoiceRequest } from "../voice/providers/types";
import type { CallDesk, DeskAccount, ReportState } from "./call-desk";

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
  if (verdict.replay && events.replayed(verdict.replay.key, now)) {
    console.warn("voice: replayed callback refused", { account: deps.account.id, provider, leg });
    return fail(401, "unauthorized", "This signed request was already received (replay)");
  }
  const fields: Parsed<Fields> = adapter.fields(req);
  if (!fields.ok) return badRequest(fields);
  const remember = () => {
    if (verdict.replay) events.remember(verdict.replay.key, verdict.replay.until);
  };

  if (leg === "inbound") {
    const call = adapter.inbound(fields.value, now);
    if (!call.ok) return badRequest(call);
    remember();
    const base = renderBase(req, deps.account.id, provider);
    const reply = await deps.desk.inbound(
      deps.account,
      provider,
      call.value,
      now,
      (plan) => adapter.answer(plan, { base, callId: call.value.id, dialled: call.value.dialled }).body,
    );
    return ok({ status: 200, body: reply.answer, contentType: answerContentType(reply.provider), duplicate: reply.duplicate });
  }
  if (leg === "status") {
    const report = adapter.status(fields.value, req);
    if (!report.ok) return badRequest(report);
    remember();
    const state = await deps.desk.report(deps.account, provider, report.value, now);
    return ok({ ...adapter.statusReply(), report: state });
  }
  if (leg === "agent") {
    remember();
    const reply = deps.desk.agent(reference.agentConference(fields.value));
    return ok({ status: 200, body: reply.answer, contentType: answerContentType("reference") });
  }
  remember();
  const callId = adapter.whisperCall(fields.value, req);
  const text = deps.desk.whisperText(callId);
  if (text === null) console.warn("voice: whisper for no whispered call of this account", { account: deps.account.id, provider, call: callId });
  return ok(adapter.whisper(text ?? "Untracked call"));
}
