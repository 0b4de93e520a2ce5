/**
 * A call plan: where a call goes, as an ordered list of provider-neutral steps that each provider
 * adapter renders in its own format (TwiML/cXML/TeXML, Plivo XML, NCCO, the reference actions).
 * Plans are made only in account/call-record.ts `decide()`, from stored configuration; routing
 * features (schedules, failover, simultaneous ring, voicemail) are new kinds of step.
 */
import type { CallAction } from "../schemas/calls";

export type CallStep =
  /** Ring `to` and bridge the caller; `whisper`: the agent first hears where the call came from. */
  { kind: "dial"; to: string; callerId: string | null; whisper: boolean } | { kind: "hangup" };

export interface CallPlan {
  /** What the plan does, as stored and reported: transfer | whisper | fallback | hangup. */
  action: CallAction;
  steps: CallStep[];
}

/** The numbers a plan may connect the call to (for checks: every one comes from stored config). */
export function planTargets(plan: CallPlan): string[] {
  return plan.steps.flatMap((s) => (s.kind === "dial" ? [s.to, ...(s.callerId ? [s.callerId] : [])] : []));
}
