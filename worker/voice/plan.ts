/**
 * A call plan: where a call goes, as an ordered list of provider-neutral attempts that each provider
 * adapter renders in its own format (TwiML/cXML/TeXML, Plivo XML, NCCO, the reference actions).
 * Plans are made only in domain/call-decision.ts `decide()`, from stored configuration, and stored
 * with the call: the provider's dial-action callback names the attempt that ended, and the next
 * one is rendered from the stored plan (never from the callback).
 *
 * The answer to the inbound call renders attempt 0; a dial that is not answered (no-answer, busy,
 * failed, not accepted) reports to our `next` URL, answered with attempt k+1. A message or a
 * voicemail ends the plan.
 */
import type { CallAction } from "../schemas/calls";

export type CallStep =
  /**
   * Ring every number of `to` at once (one: a plain forward) and bridge the first to answer.
   * `whisper`: the agent first hears where the call came from; `confirm`: and presses 1 to accept.
   * `ringSeconds` null: the provider's default.
   */
  | {
      kind: "dial";
      to: string[];
      callerId: string | null;
      whisper: boolean;
      confirm: boolean;
      ringSeconds: number | null;
      /**
       * Round robin: this attempt and the `count` - 1 after it are one rotation, still in the step's
       * own order; the call's order (its turn, a sticky agent) is decided when the call reaches this
       * attempt (domain/route.ts reachStep), and the marker then removed.
       */
      rotate?: { key: string; count: number; sticky: boolean };
    }
  /** Say `text`, then hang up. */
  | { kind: "message"; text: string }
  /** Say `greeting`, record up to `maxSeconds`; the recording's URL comes to our `recording` URL. */
  | { kind: "voicemail"; greeting: string; maxSeconds: number }
  | { kind: "hangup" };

export interface CallPlan {
  /** What the plan does first, as stored and reported. */
  action: CallAction;
  steps: CallStep[];
  /** Record answered calls: said to the caller before anything else. Null: no recording. */
  disclosure: string | null;
}

/** The numbers a plan may connect the call to or show (for checks: every one comes from stored config). */
export function planTargets(plan: CallPlan): string[] {
  return plan.steps.flatMap((s) => (s.kind === "dial" ? [...s.to, ...(s.callerId ? [s.callerId] : [])] : []));
}

/** Whether the plan has an attempt k (0-based). */
export const hasStep = (plan: CallPlan, k: number) => Number.isInteger(k) && k >= 0 && k < plan.steps.length;
