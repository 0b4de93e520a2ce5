/**
 * A routed call after its answer: the provider's callbacks on the URLs our answers hand out.
 * Every one names the call and the attempt (`call`, `step` in our URL, signed by the provider);
 * what happens next is read from the plan stored with the call, never from the callback: the next
 * attempt after one nobody took (failover, round robin, the next step), who answered (only a
 * number of that attempt), the agent's press 1, the recording's URL.
 */
import { CALL_ID } from "../voice/input";
import { type CallPlan, type CallStep, hasStep } from "../voice/plan";
import type { StatusReport } from "../voice/providers/types";
import { type CallRow, takenOf } from "./call-row";
import type { CallStore } from "./call-store";

/** The call and attempt a URL of ours names. */
export interface RouteRef {
  callId: string;
  step: number | null;
}

export function routeRef(url: string): RouteRef | null {
  const q = new URL(url).searchParams;
  const callId = q.get("call");
  if (!callId || !CALL_ID.test(callId)) return null;
  const raw = q.get("step");
  if (raw === null) return { callId, step: null };
  return /^\d{1,2}$/.test(raw) ? { callId, step: Number(raw) } : null;
}

type Dial = Extract<CallStep, { kind: "dial" }>;

export class CallRouting {
  constructor(private readonly calls: CallStore) {}

  /** The stored call and its plan's attempt `step`. */
  private attempt(ref: RouteRef | null): { row: CallRow; plan: CallPlan; step: CallStep; index: number } | null {
    if (!ref || ref.step === null) return null;
    const row = this.calls.get(ref.callId);
    const plan = row ? takenOf(row)?.plan : null;
    if (!row || !plan || !hasStep(plan, ref.step)) return null;
    return { row, plan, step: plan.steps[ref.step]!, index: ref.step };
  }

  /**
   * A dial attempt ended (its report already stored): log it, note who answered a one-number
   * attempt, and say which attempt comes next (null: none, the call does not go on).
   */
  ended(ref: RouteRef | null, report: StatusReport, goesOn: boolean, now: number): { plan: CallPlan; next: number; dialled: string } | null {
    const a = this.attempt(ref);
    if (!a || report.callId !== a.row.id) return null;
    this.calls.logAttempt(a.row.id, { step: a.index, status: report.status, outcome: report.outcome, at: now });
    if (a.step.kind === "dial" && report.outcome === "answered" && a.step.to.length === 1) this.calls.claimAnsweredBy(a.row.id, a.step.to[0]!);
    if (!goesOn || !hasStep(a.plan, a.index + 1)) return null;
    return { plan: a.plan, next: a.index + 1, dialled: a.row.tracking_number };
  }

  /**
   * What a report about an attempt's forwarded leg means, given who the route saw take the call
   * (`answered_by`: a bridge reported, a press 1 accepted; at most one per call, since an attempt
   * someone took ends the route):
   * - an answer that holds only if its leg was bridged (`ifBridged`: Plivo's B-leg hangup, whose
   *   talk time a leg that picked up and never pressed 1 has too) is kept only for the number the
   *   bridge named, on a number of that attempt; otherwise it says nothing of the outcome;
   * - a press-1 attempt that ended "answered" while nobody pressed 1 was not answered: it goes on
   *   to the next step (the provider's word for an agent who picked up and declined, or a voicemail
   *   box that answered, is not documented to be a no-answer);
   * - a press-1 attempt's talk time leaves out the seconds its agent was on the prompt
   *   (`prompt_seconds`): the Dial's duration is the dialed call's, from the agent's pick-up
   *   ("DialCallDuration: the duration, in seconds, of the dialed call", SignalWire's and Twilio's
   *   Dial action parameters), so it also counts the prompt and the agent's decision, which a
   *   conversion's `minSeconds` must not take for conversation.
   */
  settle(ref: RouteRef | null, report: StatusReport): StatusReport {
    const { ifBridged, ...r } = report;
    const a = r.callId === ref?.callId ? this.attempt(ref) : null;
    const dial = a?.step.kind === "dial" ? a.step : null;
    const taker = a?.row.answered_by ?? null;
    if (ifBridged !== undefined && !(dial?.to.includes(ifBridged) && taker === ifBridged)) return { ...r, outcome: null, ended: false, talkSeconds: null };
    if (dial?.confirm && r.level === "dial" && r.ended && r.outcome === "answered" && taker === null) return { ...r, outcome: "no-answer", talkSeconds: 0 };
    const prompt = dial?.confirm ? (a?.row.prompt_seconds ?? null) : null;
    if (prompt !== null && r.level === "dial" && r.outcome === "answered" && r.talkSeconds !== null)
      return { ...r, talkSeconds: Math.max(0, r.talkSeconds - prompt) };
    return r;
  }

  /**
   * Who picked up an attempt: recorded only when it is one of that attempt's numbers. `bridged`:
   * the provider reports the bridge (after any press 1, as Plivo's Dial callbackUrl `connected`
   * does); else it reports the pick-up, which is not accepting a press-1 attempt (`accepted`
   * records that).
   */
  answered(ref: RouteRef | null, number: string | null, bridged: boolean): boolean {
    const a = this.attempt(ref);
    if (a?.step.kind !== "dial" || (a.step.confirm && !bridged) || !number || !a.step.to.includes(number)) return false;
    return this.calls.claimAnsweredBy(a.row.id, number);
  }

  /**
   * An agent pressed 1 on a press-1 attempt: the first of that attempt's numbers to do so gets the
   * call and is recorded, with the seconds they were on the prompt (`promptSeconds`, null: not
   * known); a later one (or a number not rung by it) is refused, and hung up.
   */
  accepted(ref: RouteRef | null, number: string | null, promptSeconds: number | null): boolean {
    const a = this.attempt(ref);
    if (a?.step.kind !== "dial" || !a.step.confirm || !number || !a.step.to.includes(number)) return false;
    return this.calls.claimAnsweredBy(a.row.id, number, promptSeconds);
  }

  /** The dial attempt whose agent leg this is (whisper or press 1), or null. */
  agentStep(ref: RouteRef | null): { row: CallRow; step: Dial } | null {
    const a = this.attempt(ref);
    return a && a.step.kind === "dial" && (a.step.whisper || a.step.confirm) ? { row: a.row, step: a.step } : null;
  }

  /** A recording's URL, stored on a call whose plan records (a voicemail, or recording on). */
  recording(ref: RouteRef | null, url: string | null): boolean {
    const row = ref ? this.calls.get(ref.callId) : null;
    const plan = row ? takenOf(row)?.plan : null;
    if (!row || !plan || !url || !(plan.disclosure || plan.steps.some((s) => s.kind === "voicemail"))) return false;
    this.calls.setRecording(row.id, url);
    return true;
  }
}
