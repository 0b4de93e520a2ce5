/**
 * A routed call after its answer: the provider's callbacks on the URLs our answers hand out.
 * Every one names the call and the attempt (`call`, `step` in our URL, signed by the provider);
 * what happens next is read from the plan stored with the call, never from the callback: the next
 * attempt after one nobody took (failover, round robin, the next step), who answered (only a
 * number of that attempt), the agent's press 1, the recording's URL.
 *
 * A call erased while still on the line has no row: its route goes on from what the erasure kept
 * of it (erased-calls.ts: the plan, the number dialled, who took it), with nothing logged or
 * stored about it, so the caller is not dropped by a business erasing their data.
 */
import { reachStep, type Turns } from "../domain/route";
import type { CallAction } from "../schemas/calls";
import { CALL_ID } from "../voice/input";
import { type CallPlan, type CallStep, hasStep } from "../voice/plan";
import type { StatusReport } from "../voice/providers/types";
import { heldSeconds, pickupKey, pickupOf } from "./agent-pickups";
import { takenOf } from "./call-row";
import type { CallStore } from "./call-store";
import { type ErasedCalls, erasedKey } from "./erased-calls";

/** The call and attempt a URL of ours names. */
export interface RouteRef {
  callId: string;
  step: number | null;
}

/**
 * A RouteRef with the key the call would be remembered by were it erased (CallRouting.resolve):
 * hashing awaits, so it is made once, before a callback reads the route, and the route is found
 * whether the call is stored or was erased, even while the callback runs.
 */
export interface ResolvedRef extends RouteRef {
  key: string;
}

/** What a route reads of its call: the stored row, or what an erased call still on the line keeps. */
export interface RoutedCall {
  id: string;
  /** Null: a call from before routes (its plan was not kept). */
  plan: CallPlan | null;
  action: CallAction;
  dialled: string;
  /** The pool and caller a sticky round robin reads (null: unknown, an erased call). */
  poolId: string | null;
  caller: string | null;
  answeredBy: string | null;
  promptSeconds: number | null;
  /** JSON {"<step>:<number>": ms}: when agents picked up, where the bridge's report cannot carry it (agent-pickups.ts). */
  pickups: string | null;
  /** The source an agent's whisper names: null when the call was not attributed, or was erased. */
  source: string | null;
  /** False: erased while on the line (nothing of it is logged or stored). */
  stored: boolean;
}

export function routeRef(url: string): RouteRef | null {
  const q = new URL(url).searchParams;
  const callId = q.get("call");
  if (!callId || !CALL_ID.test(callId)) return null;
  const raw = q.get("step");
  if (raw === null) return { callId, step: null };
  // A plan has up to 160 attempts (8 steps of a round robin of 20 agents).
  return /^\d{1,3}$/.test(raw) ? { callId, step: Number(raw) } : null;
}

type Dial = Extract<CallStep, { kind: "dial" }>;

/** Whether an attempt plays the agent something before the bridge (a whisper, the press-1 prompt). */
const screened = (d: Dial) => d.whisper || d.confirm;

export class CallRouting {
  constructor(
    private readonly calls: CallStore,
    private readonly erased: ErasedCalls,
  ) {}

  /** A callback's ref, with its call's erased key (see ResolvedRef). */
  async resolve(ref: RouteRef | null): Promise<ResolvedRef | null> {
    return ref ? { ...ref, key: await erasedKey(ref.callId) } : null;
  }

  /** The call a ref names, read now: its row, else the route it kept when erased on the line. */
  call(ref: ResolvedRef | null): RoutedCall | null {
    if (!ref) return null;
    const row = this.calls.get(ref.callId);
    if (row) {
      const plan = takenOf(row)?.plan ?? null;
      return {
        id: row.id,
        plan,
        action: row.action,
        dialled: row.tracking_number,
        poolId: row.pool_id,
        caller: row.caller,
        answeredBy: row.answered_by,
        promptSeconds: row.prompt_seconds,
        pickups: row.pickups,
        source: row.attributed ? row.source_name : null,
        stored: true,
      };
    }
    const kept = this.erased.route(ref.key);
    if (!kept) return null;
    const { plan, dialled, answeredBy } = kept;
    return {
      id: ref.callId,
      plan,
      action: plan.action,
      dialled,
      poolId: null,
      caller: null,
      answeredBy,
      promptSeconds: null,
      pickups: null,
      source: null,
      stored: false,
    };
  }

  /** The call and its plan's attempt `step`. */
  private attempt(ref: ResolvedRef | null): { call: RoutedCall; plan: CallPlan; step: CallStep; index: number } | null {
    if (!ref || ref.step === null) return null;
    const call = this.call(ref);
    const plan = call?.plan;
    if (!call || !plan || !hasStep(plan, ref.step)) return null;
    return { call, plan, step: plan.steps[ref.step]!, index: ref.step };
  }

  /** The first of an attempt's numbers to take the call keeps it: on its row, or on an erased call's kept route. */
  private claim(ref: ResolvedRef, call: RoutedCall, number: string, promptSeconds: number | null = null): boolean {
    return call.stored ? this.calls.claimAnsweredBy(call.id, number, promptSeconds) : this.erased.claim(ref.key, number);
  }

  /** An agent bridged `seconds` after their pick-up (CallStore.claimBridged); an erased call keeps who, not the seconds. */
  private claimBridged(ref: ResolvedRef, call: RoutedCall, number: string, seconds: number): boolean {
    return call.stored ? this.calls.claimBridged(call.id, number, seconds) : this.erased.claim(ref.key, number);
  }

  /**
   * A dial attempt ended (its report already stored): log it, note who answered a one-number
   * attempt, and say which attempt comes next (null: none, the call does not go on).
   */
  ended(ref: ResolvedRef | null, report: StatusReport, goesOn: boolean, now: number): { plan: CallPlan; next: number; dialled: string } | null {
    const a = this.attempt(ref);
    if (!ref || !a || report.callId !== a.call.id) return null;
    if (a.call.stored) this.calls.logAttempt(a.call.id, { step: a.index, status: report.status, outcome: report.outcome, at: now });
    if (a.step.kind === "dial" && report.outcome === "answered" && a.step.to.length === 1) this.claim(ref, a.call, a.step.to[0]!);
    if (!goesOn || !hasStep(a.plan, a.index + 1)) return null;
    return { plan: this.reach(ref, a.call, a.plan, a.index + 1), next: a.index + 1, dialled: a.call.dialled };
  }

  /**
   * The plan as the call reaches attempt `k`: a round robin starting there gets this call's order
   * now (its turn counted once), kept with the call so a repeated callback gets the same answer.
   */
  private reach(ref: ResolvedRef, call: RoutedCall, plan: CallPlan, k: number): CallPlan {
    const { poolId, caller } = call;
    const turns: Turns = {
      next: (key, agents) => this.calls.nextTurn(key, agents),
      lastAgent: (agents) => (poolId === null ? null : this.calls.lastAgent(poolId, caller, agents)),
    };
    const steps = reachStep(plan.steps, k, turns);
    if (!steps) return plan;
    const reached = { ...plan, steps };
    if (call.stored) this.calls.setPlan(call.id, reached);
    else this.erased.setPlan(ref.key, reached);
    return reached;
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
   * - a whispered or press-1 attempt's talk time leaves out the seconds its agent was on the
   *   whisper or prompt (`prompt_seconds`, when known): the leg's duration is the dialed call's,
   *   from the agent's pick-up ("DialCallDuration: the duration, in seconds, of the dialed call",
   *   SignalWire's and Twilio's Dial action parameters; Plivo's `DialBLegDuration`, Vonage's
   *   `duration` likewise), so it also counts what the agent heard before the bridge, which a
   *   conversion's `minSeconds` must not take for conversation.
   */
  settle(ref: ResolvedRef | null, report: StatusReport): StatusReport {
    const { ifBridged, ...r } = report;
    const a = r.callId === ref?.callId ? this.attempt(ref) : null;
    const dial = a?.step.kind === "dial" ? a.step : null;
    const taker = a?.call.answeredBy ?? null;
    if (ifBridged !== undefined && !(dial?.to.includes(ifBridged) && taker === ifBridged)) return { ...r, outcome: null, ended: false, talkSeconds: null };
    if (dial?.confirm && r.level === "dial" && r.ended && r.outcome === "answered" && taker === null) return { ...r, outcome: "no-answer", talkSeconds: 0 };
    const prompt = dial && screened(dial) && taker !== null && dial.to.includes(taker) ? (a?.call.promptSeconds ?? null) : null;
    if (prompt !== null && r.level === "dial" && r.outcome === "answered" && r.talkSeconds !== null)
      return { ...r, talkSeconds: Math.max(0, r.talkSeconds - prompt) };
    return r;
  }

  /**
   * The leg a report is kept for while its answer waits on the bridge (`pickupKey` of the attempt
   * and the leg's number; null: not to be kept): a report that holds only if its leg was bridged
   * (`ifBridged`, Plivo's B-leg hangup), on a number of the attempt `ref` names, of a stored call
   * that nobody has taken yet. Plivo's `connected` and `hangup` are separate requests that may
   * arrive in either order: settled now, such a hangup says nothing; kept, it is settled again when
   * its leg takes the call (`takerKey`), so its talk time is not lost to the order of arrival.
   */
  holdKey(ref: ResolvedRef | null, report: StatusReport): string | null {
    const number = report.ifBridged;
    const a = number !== undefined && report.callId === ref?.callId ? this.attempt(ref) : null;
    if (!a?.call.stored || a.step.kind !== "dial" || !a.step.to.includes(number!) || a.call.answeredBy !== null) return null;
    return pickupKey(a.index, number!);
  }

  /** The leg (`pickupKey`) that took the call, when it is a number of the attempt `ref` names; else null. */
  takerKey(ref: ResolvedRef | null): string | null {
    const a = this.attempt(ref);
    const taker = a?.call.answeredBy ?? null;
    if (!a?.call.stored || a.step.kind !== "dial" || taker === null || !a.step.to.includes(taker)) return null;
    return pickupKey(a.index, taker);
  }

  /**
   * Who picked up an attempt: recorded only when it is one of that attempt's numbers. `bridged`:
   * the provider reports the bridge (after any press 1 or whisper, as Plivo's Dial callbackUrl
   * `connected` does), and the seconds since that agent's pick-up (`pickedUp`) are the whisper's or
   * prompt's; else it reports the pick-up, which is not accepting a press-1 attempt (`accepted`
   * records that).
   */
  answered(ref: ResolvedRef | null, number: string | null, bridged: boolean, now: number): boolean {
    const a = this.attempt(ref);
    if (!ref || a?.step.kind !== "dial" || (a.step.confirm && !bridged) || !number || !a.step.to.includes(number)) return false;
    const held = bridged && screened(a.step) ? heldSeconds(pickupOf(a.call.pickups, pickupKey(a.index, number)), now) : null;
    return held === null ? this.claim(ref, a.call, number) : this.claimBridged(ref, a.call, number, held);
  }

  /**
   * An agent of a whispered or press-1 attempt picked up, where the provider reports it apart from
   * the bridge (Plivo's `answer`, Vonage's onAnswer request): when, kept for their bridge
   * (`answered`, `bridged`). Only the attempt's numbers (a one-number attempt's own when the
   * callback names none); the first report is kept; nothing is kept of an erased call.
   */
  pickedUp(ref: ResolvedRef | null, number: string | null, now: number): boolean {
    const a = this.agentOf(ref, number);
    if (!a || !screened(a.step)) return false;
    if (a.call.stored) this.calls.notePickup(a.call.id, pickupKey(a.index, a.agent), now);
    return true;
  }

  /**
   * A whisper without press 1 ended and its agent is being bridged (our bridge URL, requested as
   * the whisper ends: the TwiML Gather's action, Vonage's notify): they take the call, and the
   * seconds since their pick-up (`heard`, as the URL carries it, else as noted by `pickedUp`) are
   * not talk time. The agent is `number` (a
   * one-number attempt's own when the callback names none); a press-1 attempt's bridge is its
   * keypress (`accepted`), not this.
   */
  bridged(ref: ResolvedRef | null, number: string | null, heard: number | null, now: number): boolean {
    const a = this.agentOf(ref, number);
    if (!ref || !a?.step.whisper || a.step.confirm) return false;
    // An erased call keeps who took it, not the seconds: nor its pick-ups (Vonage's onAnswer), so
    // no pick-up time is needed for it.
    if (!a.call.stored) return this.erased.claim(ref.key, a.agent);
    const seconds = heldSeconds(heard ?? pickupOf(a.call.pickups, pickupKey(a.index, a.agent)), now);
    return seconds !== null && this.claimBridged(ref, a.call, a.agent, seconds);
  }

  /** The dial attempt `ref` names and its agent `number` (null: a one-number attempt's own), or null. */
  private agentOf(ref: ResolvedRef | null, number: string | null): { call: RoutedCall; step: Dial; index: number; agent: string } | null {
    const a = this.attempt(ref);
    if (a?.step.kind !== "dial") return null;
    const agent = number ?? (a.step.to.length === 1 ? a.step.to[0]! : null);
    return agent && a.step.to.includes(agent) ? { call: a.call, step: a.step, index: a.index, agent } : null;
  }

  /**
   * An agent pressed 1 on a press-1 attempt: the first of that attempt's numbers to do so gets the
   * call and is recorded, with the seconds they were on the prompt (`promptSeconds`, null: not
   * known); a later one (or a number not rung by it) is refused, and hung up.
   */
  accepted(ref: ResolvedRef | null, number: string | null, promptSeconds: number | null): boolean {
    const a = this.attempt(ref);
    if (!ref || a?.step.kind !== "dial" || !a.step.confirm || !number || !a.step.to.includes(number)) return false;
    return this.claim(ref, a.call, number, promptSeconds);
  }

  /** The dial attempt whose agent leg this is (whisper or press 1), or null. */
  agentStep(ref: ResolvedRef | null): { call: RoutedCall; step: Dial } | null {
    const a = this.attempt(ref);
    return a && a.step.kind === "dial" && (a.step.whisper || a.step.confirm) ? { call: a.call, step: a.step } : null;
  }

  /**
   * A recording's URL, stored on a call whose plan records (a voicemail, or recording on). An
   * erased call's is taken and not kept: its URL leads to the caller's voice.
   */
  recording(ref: ResolvedRef | null, url: string | null, recordingRef: string | null): boolean {
    const call = this.call(ref);
    const plan = call?.plan;
    if (!call || !plan || !url || !(plan.disclosure || plan.steps.some((s) => s.kind === "voicemail"))) return false;
    if (call.stored) this.calls.setRecording(call.id, url, recordingRef);
    return true;
  }
}
