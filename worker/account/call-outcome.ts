/**
 * Where a call's status reports go: each is stored once and merged into its call's outcome (a
 * report for a call not stored yet waits for it, call-events.ts). Once the call has ended,
 * `call.completed` is queued to the webhook and GA4, and the call's upload to each configured ad
 * platform (or why it does not qualify), all sent by the alarm after COMPLETED_SETTLE_MS.
 */
import { qualify } from "../domain/conversions";
import type { Call } from "../schemas/calls";
import type { AdPlatform } from "../schemas/conversions";
import type { Provider, StatusReport } from "../voice/providers/types";
import type { CallEvents } from "./call-events";
import { type CallRow, conversionsOf, takenOf } from "./call-row";
import type { CallStore } from "./call-store";
import { callView } from "./call-view";
import type { ConversionSetup } from "./conversion-settings";
import { ga4Payload, webhookPayload } from "./deliveries";
import type { DeskAccount } from "./desk-account";
import type { ErasedCalls } from "./erased-calls";
import type { Outbox } from "./outbox";

/** What became of a status report: merged into its call, kept until the call arrives, or a repeat. */
export type ReportState = "merged" | "orphan" | "duplicate";

/** `call.completed` goes out this long after the first report that the call ended: a more precise one may follow. */
export const COMPLETED_SETTLE_MS = 10_000;

export interface OutcomeParts {
  storage: DurableObjectStorage;
  calls: CallStore;
  outbox: Outbox;
  events: CallEvents;
  /** Sets the account object's alarm (call.completed may be due). */
  schedule: () => Promise<void>;
  /** Calls erased lately: their reports are not kept (erased-calls.ts). */
  erased: ErasedCalls;
}

/**
 * A call whose every dial attempt asks for press 1 and nobody pressed it (no `answered_by`): the
 * call's own report says "completed" with its whole length because the provider answered the
 * caller, and only the Dial's result (settled against the route, CallRouting.settle) says whether
 * an agent took it. Without that result (the provider documents none for a screened-out leg, and
 * the Dial action may not come when the caller hangs up during the prompt) the call was not
 * answered: an agent who picked up and never pressed 1, or a voicemail box, never had it.
 */
function pressOneUnaccepted(row: CallRow): boolean {
  if (row.answered_by) return false;
  const dials = (takenOf(row)?.plan.steps ?? []).filter((s) => s.kind === "dial");
  return dials.length > 0 && dials.every((s) => s.kind === "dial" && s.confirm);
}

export class CallOutcomes {
  constructor(private readonly p: OutcomeParts) {}

  /**
   * A status report: stored once, merged into its call's outcome (a report for a call not stored
   * yet waits for it). When the call has ended, `call.completed` is queued. `held`: the report as
   * sent, kept under its leg `key` until that leg's bridge is known (CallRouting.holdKey).
   */
  async report(acct: DeskAccount, provider: Provider, r: StatusReport, now: number, held?: { key: string; sent: StatusReport }): Promise<ReportState> {
    if (await this.p.erased.has(r.callId, now)) {
      // Not kept. The caller's call is over: nothing more of it is routed, its kept route goes too.
      if (r.level === "call" && r.ended) await this.p.erased.over(r.callId);
      return "duplicate";
    }
    const state = this.p.storage.transactionSync((): ReportState => {
      // A leg's report whose answer waits on its bridge is kept as sent too (CallEvents.hold).
      if (held) this.p.events.hold(held.sent, held.key, provider, now);
      if (!this.p.events.add(r, provider, now)) return "duplicate";
      const row = this.p.calls.get(r.callId);
      if (!row) return "orphan";
      this.merge(acct, row, now);
      return "merged";
    });
    if (state === "orphan")
      console.warn("voice: status report for a call not stored (yet); kept to merge", { account: acct.id, call: r.callId, status: r.status });
    // A merge may have queued call.completed; an orphan is forgotten after its time.
    if (state !== "duplicate") await this.p.schedule();
    return state;
  }

  /**
   * A stored call whose recording's URL came (often after the call ended): a call.completed not yet
   * sent is built again with it; one already sent (its body fixed: sent 10 s after the end, while a
   * recording may take minutes) is followed by `call.recording` to the webhook, the call with its URL.
   */
  async recorded(acct: DeskAccount, callId: string, now: number): Promise<void> {
    const row = this.p.calls.get(callId);
    if (!row) return;
    this.merge(acct, row, now);
    if (acct.integrations.webhook && row.recording_url && this.p.outbox.attempted(callId, "webhook", "call.completed")) {
      const view = callView(this.p.calls.get(callId)!, []);
      this.p.outbox.upsertPending(callId, "webhook", "call.recording", webhookPayload(acct.id, view, "call.recording"), now, now);
    }
    await this.p.schedule();
  }

  /** Recompute a stored call's outcome from its reports; once it has ended, queue (or refresh) call.completed. */
  merge(acct: DeskAccount, row: CallRow, now: number): void {
    const { calls, outbox } = this.p;
    // A plan that dials nobody (a hang-up, a closed-hours message, a voicemail) is never answered;
    // nor one whose every dial asks for press 1 while nobody pressed it.
    const unattended = row.routed_to === null ? (row.action === "hangup" ? "failed" : "no-answer") : pressOneUnaccepted(row) ? "no-answer" : null;
    const o = this.p.events.outcomeOf(row.id, unattended, row.started_at);
    calls.setOutcome(row.id, o);
    if (!o.ended || o.outcome === null) return;
    const view = callView({ ...row, outcome: o.outcome, talk_seconds: o.talkSeconds, ended_at: o.endedAt }, []);
    const due = now + COMPLETED_SETTLE_MS;
    if (acct.integrations.webhook) outbox.upsertPending(row.id, "webhook", "call.completed", webhookPayload(acct.id, view, "call.completed"), due, now);
    const ga4 = acct.integrations.ga4 ? ga4Payload(view, acct.integrations.ga4.measurementId, true) : null;
    if (ga4) outbox.upsertPending(row.id, "ga4", "call.completed", ga4, due, now);
    this.queueConversions(acct.conversions, row, view, due, now);
  }

  /**
   * A call whose outcome is known, for each configured ad platform: queue its upload once (an
   * unsent one follows a more precise outcome), or record why it does not qualify. A call already
   * uploaded or finally refused is never queued again.
   */
  private queueConversions(setup: ConversionSetup, row: CallRow, view: Call, due: number, now: number): void {
    const { calls, outbox } = this.p;
    const states = conversionsOf(row.conversions);
    for (const platform of ["google_ads", "microsoft_ads"] as const satisfies readonly AdPlatform[]) {
      const cfg = setup[platform];
      if (!cfg) continue;
      const state = states[platform];
      if (state && (state.status === "uploaded" || state.status === "failed")) continue;
      const q = qualify(view, platform, setup.rules, cfg.enhancedConversions);
      if (q.ok) {
        outbox.upsertPending(row.id, platform, "call.completed", JSON.stringify(q.upload), due, now);
        if (state?.status !== "pending")
          calls.setConversion(row.id, platform, {
            platform,
            status: "pending",
            clickIdType: q.upload.clickIdType,
            orderId: q.upload.orderId,
            reason: null,
            updatedAt: now,
          });
      } else {
        if (outbox.cancelUnsent(row.id, platform) === false && state?.status === "pending") continue;
        calls.setConversion(row.id, platform, { platform, status: "skipped", clickIdType: null, orderId: null, reason: q.reason, updatedAt: now });
      }
    }
  }
}
