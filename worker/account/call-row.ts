/**
 * A stored call as the `calls` table holds it (call-schema.ts), and readers of its JSON columns:
 * the route it took, each attempt's end, its uploads to ad platforms. Built from a new call in
 * call-facts.ts, shown by the API through call-view.ts.
 */
import type { CallAction, CallOutcome, CallReason } from "../schemas/calls";
import type { AdPlatform, CallConversion } from "../schemas/conversions";
import type { CallPlan } from "../voice/plan";
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
  /** What the provider needs to find the recording again (call-schema.ts CALLS_RECORDING_REF_MIGRATION). */
  recording_ref: Text;
  /**
   * How long the agent who took the call was on the whisper or the press-1 prompt before being
   * bridged (s): not talk time, taken off the attempt's.
   */
  prompt_seconds: number | null;
  /** JSON {"<step>:<number>": ms}: when each agent picked up, where the bridge's report cannot carry it (Plivo, Vonage). */
  pickups: Text;
  /** JSON {"<STREAM>": "<GA session id>"}: the visit's GA session ids by GA4 stream (null: none known). */
  ga_session_ids: Text;
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
