/**
 * One call, from the callback and what the pool object matched to the stored row, the API view,
 * and the answer. Pure functions: the decision of where a call goes is made here and only here.
 */
import type { SourceContext } from "../../shared/protocol";
import { type RoutedPlan, routeCall, type Turns } from "../domain/route";
import type { CallMatch } from "../pool/protocol";
import type { Route } from "../schemas/route";
import type { StoredPool } from "./registry";

/**
 * Where a pool's calls go: its route when it has one, else its first destination; never a number
 * from the page or the callback.
 */
export interface CallRoute {
  poolId: string;
  poolName: string;
  destination: string;
  callerId: string | null;
  whisper: boolean;
  route: Route | null;
}

export function routeOf(pool: Pick<StoredPool, "id" | "name" | "destinations" | "callerId" | "whisper" | "route">): CallRoute {
  return {
    poolId: pool.id,
    poolName: pool.name,
    destination: pool.destinations[0]!,
    callerId: pool.callerId ?? null,
    whisper: pool.whisper ?? false,
    route: pool.route ?? null,
  };
}

import type { Call, CallAction, CallOutcome, CallReason, CallSource, Delivery } from "../schemas/calls";
import type { AdPlatform, CallConversion } from "../schemas/conversions";
import type { InboundCall } from "../voice/input";
import type { CallPlan, CallStep } from "../voice/plan";
import type { Provider } from "../voice/providers/types";

type Text = string | null;
type Time = number | null;

export type CallRow = {
  id: string;
  pool_id: Text;
  tracking_number: string;
  caller: Text;
  started_at: number;
  received_at: number;
  attributed: number;
  reason: CallReason;
  session: Text;
  source_name: Text;
  referrer: Text;
  landing: Text;
  utm_source: Text;
  utm_medium: Text;
  utm_campaign: Text;
  utm_term: Text;
  utm_content: Text;
  gclid: Text;
  msclkid: Text;
  fbclid: Text;
  ga_client_id: Text;
  lease_id: number | null;
  leased_at: Time;
  lease_expires_at: Time;
  lease_ended_at: Time;
  lease_end_reason: Text;
  action: CallAction;
  routed_to: Text;
  answer: string;
  provider: Provider;
  outcome: CallOutcome | null;
  talk_seconds: number | null;
  ended_at: Time;
  // Every click id and the consent state (conversions); `conversions`: JSON { platform: CallConversion }.
  gbraid: Text;
  wbraid: Text;
  dclid: Text;
  ttclid: Text;
  li_fat_id: Text;
  gcl_aw: Text;
  gcl_gb: Text;
  consent: Text;
  conversions: Text;
  /** The step list the route chose (null: no route, the pool's first destination). */
  route_list: Text;
  /** JSON RouteTaken: the plan as decided and why. */
  route_plan: Text;
  /** JSON RouteAttempt[]: each attempt that ended, in order. */
  route_log: string;
  answered_by: Text;
  recording_url: Text;
};

/** What the call record keeps of its route: the plan (every later attempt is rendered from it) and why. */
export interface RouteTaken {
  list: string | null;
  by: "weekly" | "exception" | "otherwise" | "start" | null;
  exception: string | null;
  plan: CallPlan;
}

/** One attempt of the plan that ended: its index, the provider's word, what it means. */
export interface RouteAttempt {
  step: number;
  status: string;
  outcome: CallOutcome | null;
  at: number;
}

export interface CallFacts {
  call: InboundCall;
  /** The owning pool, or null when the number is not this account's. */
  poolId: string | null;
  match: CallMatch | null;
  /** The pool's route (its config, also a deleted pool's last one while its numbers still route). */
  route: CallRoute | null;
  fallback: string | null;
  now: number;
  provider: Provider;
  /** The plan in the provider's format: the answer stored and replayed to repeats. */
  render: (plan: CallPlan) => string;
  /** Round robin turns and sticky agents (the account's storage); none: every rotation starts at its first agent. */
  turns?: Turns;
}

const NO_TURNS: Turns = { next: () => 0, lastAgent: () => null };

/**
 * Where the call goes: the pool's route (the list its schedule chooses now, or its start list); else
 * its first destination (with its whisper); else the account's fallback; else hang up. The only
 * place that decides; adapters render the plan as it is.
 */
export function decide(route: CallRoute | null, fallback: string | null, at = 0, turns: Turns = NO_TURNS): { plan: CallPlan; taken: RoutedPlan | null } {
  if (route?.route) {
    const taken = routeCall(route.route, route.poolId, at, turns);
    const disclosure = route.route.recording?.disclosure ?? null;
    return { plan: { action: actionOf(taken.steps[0]), steps: taken.steps.length ? taken.steps : [{ kind: "hangup" }], disclosure }, taken };
  }
  const dial = (to: string, callerId: string | null, whisper: boolean): CallStep => ({
    kind: "dial",
    to: [to],
    callerId,
    whisper,
    confirm: false,
    ringSeconds: null,
  });
  if (route?.destination) {
    const whisper = route.whisper && !!route.callerId;
    return { plan: { action: whisper ? "whisper" : "transfer", steps: [dial(route.destination, route.callerId, whisper)], disclosure: null }, taken: null };
  }
  if (fallback) return { plan: { action: "fallback", steps: [dial(fallback, null, false)], disclosure: null }, taken: null };
  return { plan: { action: "hangup", steps: [{ kind: "hangup" }], disclosure: null }, taken: null };
}

function actionOf(step: CallStep | undefined): CallAction {
  if (!step || step.kind === "hangup") return "hangup";
  if (step.kind === "dial") return step.whisper ? "whisper" : "transfer";
  return step.kind;
}

/** The number a plan forwards to first (stored as the call's `routed_to`). */
const firstTarget = (plan: CallPlan) => {
  const dial = plan.steps.find((s) => s.kind === "dial");
  return dial?.kind === "dial" ? dial.to[0]! : null;
};

const str = (v: unknown, max = 2048): Text => (typeof v === "string" && v ? v.slice(0, max) : null);

/** The source context stored with the lease (validated at allocation; read defensively all the same). */
function sourceOf(json: string | null): SourceContext {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as SourceContext) : {};
  } catch {
    return {};
  }
}

export function buildCallRow(f: CallFacts): CallRow {
  const lease = f.match?.lease ?? null;
  const reason: CallReason = f.poolId === null ? "unknown_number" : f.match?.overflow ? "overflow" : lease ? (lease.inGrace ? "grace" : "live") : "no_lease";
  const s = sourceOf(lease?.source ?? null);
  const utm = (s.utm ?? {}) as Record<string, unknown>;
  const clicks = (s.clickIds ?? {}) as Record<string, unknown>;
  const { plan, taken } = decide(f.route, f.fallback, f.call.startedAt, f.turns);
  const routeTaken: RouteTaken = {
    list: taken?.list ?? null,
    by: taken ? (taken.match?.by ?? "start") : null,
    exception: taken?.match?.exception ?? null,
    plan,
  };
  return {
    id: f.call.id,
    pool_id: f.poolId,
    tracking_number: f.call.dialled,
    caller: f.call.caller,
    started_at: f.call.startedAt,
    received_at: f.now,
    attributed: lease ? 1 : 0,
    reason,
    session: lease?.session ?? null,
    source_name: lease ? str(s.name, 64) : null,
    referrer: lease ? str(s.referrer) : null,
    landing: lease ? str(s.landing) : null,
    utm_source: str(utm.source, 200),
    utm_medium: str(utm.medium, 200),
    utm_campaign: str(utm.campaign, 200),
    utm_term: str(utm.term, 200),
    utm_content: str(utm.content, 200),
    gclid: str(clicks.gclid, 200),
    msclkid: str(clicks.msclkid, 200),
    fbclid: str(clicks.fbclid, 200),
    ga_client_id: lease ? str(s.gaClientId, 64) : null,
    lease_id: lease?.id ?? null,
    leased_at: lease?.leasedAt ?? null,
    lease_expires_at: lease?.expiresAt ?? null,
    lease_ended_at: lease?.endedAt ?? null,
    lease_end_reason: lease?.endReason ?? null,
    action: plan.action,
    routed_to: firstTarget(plan),
    answer: f.render(plan),
    provider: f.provider,
    outcome: null,
    talk_seconds: null,
    ended_at: null,
    gbraid: str(clicks.gbraid, 200),
    wbraid: str(clicks.wbraid, 200),
    dclid: str(clicks.dclid, 200),
    ttclid: str(clicks.ttclid, 200),
    li_fat_id: str(clicks.li_fat_id, 200),
    gcl_aw: str(clicks.gcl_aw, 200),
    gcl_gb: str(clicks.gcl_gb, 200),
    consent: lease ? consentOf(s.consent) : null,
    conversions: null,
    route_list: routeTaken.list,
    route_plan: JSON.stringify(routeTaken),
    route_log: "[]",
    answered_by: null,
    recording_url: null,
  };
}

const CONSENT_KEYS = ["adStorage", "adUserData", "adPersonalization", "analyticsStorage"] as const;

/** The consent state as stored (JSON with only granted/denied values), or null when the visit sent none. */
function consentOf(v: unknown): Text {
  if (!v || typeof v !== "object") return null;
  const out: Record<string, string> = {};
  for (const k of CONSENT_KEYS) {
    const x = (v as Record<string, unknown>)[k];
    if (x === "granted" || x === "denied") out[k] = x;
  }
  return Object.keys(out).length ? JSON.stringify(out) : null;
}

function consentView(json: Text): CallSource["consent"] {
  if (!json) return null;
  const c = JSON.parse(json) as Record<string, "granted" | "denied" | undefined>;
  return {
    adStorage: c.adStorage ?? null,
    adUserData: c.adUserData ?? null,
    adPersonalization: c.adPersonalization ?? null,
    analyticsStorage: c.analyticsStorage ?? null,
  };
}

/** The call's uploads to ad platforms, as stored on its row. */
export function conversionsOf(json: Text): Partial<Record<AdPlatform, CallConversion>> {
  return json ? (JSON.parse(json) as Partial<Record<AdPlatform, CallConversion>>) : {};
}

/** The stored route of a call (older rows, from before routes: their plan is not kept). */
export function takenOf(row: Pick<CallRow, "route_plan">): RouteTaken | null {
  if (!row.route_plan) return null;
  try {
    return JSON.parse(row.route_plan) as RouteTaken;
  } catch {
    return null;
  }
}

export function logOf(row: Pick<CallRow, "route_log">): RouteAttempt[] {
  try {
    const v = JSON.parse(row.route_log || "[]") as unknown;
    return Array.isArray(v) ? (v as RouteAttempt[]) : [];
  } catch {
    return [];
  }
}

export function callView(r: CallRow, deliveries: Delivery[]): Call {
  const source: CallSource | null = r.attributed
    ? {
        name: r.source_name,
        referrer: r.referrer,
        landing: r.landing,
        utm: { source: r.utm_source, medium: r.utm_medium, campaign: r.utm_campaign, term: r.utm_term, content: r.utm_content },
        clickIds: {
          gclid: r.gclid,
          gbraid: r.gbraid,
          wbraid: r.wbraid,
          dclid: r.dclid,
          msclkid: r.msclkid,
          fbclid: r.fbclid,
          ttclid: r.ttclid,
          li_fat_id: r.li_fat_id,
          gcl_aw: r.gcl_aw,
          gcl_gb: r.gcl_gb,
        },
        gaClientId: r.ga_client_id,
        consent: consentView(r.consent),
      }
    : null;
  return {
    id: r.id,
    pool: r.pool_id,
    trackingNumber: r.tracking_number,
    caller: r.caller,
    startedAt: r.started_at,
    receivedAt: r.received_at,
    attributed: r.attributed === 1,
    reason: r.reason,
    session: r.session,
    source,
    lease: r.leased_at !== null ? { leasedAt: r.leased_at, expiresAt: r.lease_expires_at!, endedAt: r.lease_ended_at, endReason: r.lease_end_reason } : null,
    route: routeView(r),
    recordingUrl: r.recording_url ?? null,
    provider: r.provider,
    outcome: r.outcome,
    talkSeconds: r.talk_seconds,
    endedAt: r.ended_at,
    deliveries,
    conversions: Object.values(conversionsOf(r.conversions)),
  };
}

/** The route a call took, for the API: the list, why, each attempt tried with its result, who answered. */
function routeView(r: CallRow): Call["route"] {
  const taken = takenOf(r);
  const log = logOf(r);
  const attempts = (taken?.plan.steps ?? []).flatMap((step, i) => {
    const ended = log.filter((a) => a.step === i).at(-1);
    const tried = i === 0 || log.some((a) => a.step === i - 1);
    if (!tried) return [];
    const to = step.kind === "dial" ? step.to : [];
    return [{ step: i, kind: step.kind, to, status: ended?.status ?? null, outcome: ended?.outcome ?? null }];
  });
  return {
    action: r.action,
    to: r.routed_to,
    list: taken?.list ?? null,
    by: taken?.by ?? null,
    exception: taken?.exception ?? null,
    attempts,
    answeredBy: r.answered_by ?? null,
  };
}
