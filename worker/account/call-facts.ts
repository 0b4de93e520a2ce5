/**
 * A new call's row: from the provider's callback, what the pool object matched (the lease and the
 * visit's source) and the route's decision (domain/call-decision.ts), the row stored once and the
 * answer replayed to repeats. Pure.
 */
import { type CallRoute, decide, firstTarget } from "../domain/call-decision";
import { storedGaSessions } from "../domain/ga-cookies";
import type { Turns } from "../domain/route";
import type { Touch } from "../domain/source";
import type { CallMatch } from "../pool/protocol";
import type { CallReason } from "../schemas/calls";
import type { InboundCall } from "../voice/input";
import type { CallPlan } from "../voice/plan";
import type { Provider } from "../voice/providers/types";
import type { CallRow, RouteTaken } from "./call-row";

type Text = string | null;

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

const str = (v: unknown, max = 2048): Text => (typeof v === "string" && v ? v.slice(0, max) : null);

/** The source context stored with the lease (domain/source.ts enrichSource; validated at allocation, read defensively all the same). */
function sourceOf(json: string | null): Touch {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Touch) : {};
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
    recording_ref: null,
    prompt_seconds: null,
    pickups: null,
    ga_session_ids: lease ? gaSessionsText(s.gaSessions) : null,
  };
}

/** The lease's GA session ids as stored (JSON by stream), or null when it has none well-formed. */
function gaSessionsText(v: unknown): Text {
  const sessions = storedGaSessions(v);
  return sessions ? JSON.stringify(sessions) : null;
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
