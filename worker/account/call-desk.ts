/**
 * The call path inside an AccountObject: answer the provider's callbacks, store each call once,
 * merge its status reports into its outcome, queue its GA4 events and webhooks (the ring, then
 * `call.completed`), and deliver those from the object's alarm. Answering never waits on an
 * outbound delivery: the alarm sends them after the answer has gone.
 */

import { qualify } from "../domain/conversions";
import type { Turns } from "../domain/route";
import { liveEarlier, shardOf } from "../domain/shards";
import { poolShard } from "../platform/stubs";
import type { CallMatch, CallQuery } from "../pool/protocol";
import type { Call, CallFilter, CallGrouping, CallPage, CallPageQuery, CallStats, OrphanReport } from "../schemas/calls";
import type { AdPlatform } from "../schemas/conversions";
import type { IntegrationConfig } from "../schemas/voice";
import { hangupAnswer, ringAgentLeg, whisperAgentLeg, whisperText } from "../voice/actions";
import type { InboundCall } from "../voice/input";
import type { CallPlan } from "../voice/plan";
import type { Provider, StatusReport } from "../voice/providers/types";
import { type AdsContext, deliverAds } from "./ad-delivery";
import { AdUploader } from "./ad-uploads";
import { CallEvents } from "./call-events";
import { CallMonths } from "./call-months";
import { buildCallRow, type CallRow, callView, conversionsOf, routeOf, takenOf } from "./call-record";
import { CallRouting, type RouteRef } from "./call-route";
import { CallStore } from "./call-store";
import type { ConversionSetup } from "./conversion-settings";
import { attempt, ga4Payload, webhookPayload } from "./deliveries";
import { type AlertChannels, DeliveryAlerts } from "./delivery-alerts";
import { type DeliveryFilter, Outbox, type OutboxKind, type OutboxRow } from "./outbox";
import type { StoredPool } from "./registry";

/** What the desk needs to know about the account (read fresh for each callback). */
export interface DeskAccount {
  id: string;
  /** The account's voice provider (a pool may name another). */
  provider: Provider;
  fallback: string | null;
  integrations: IntegrationConfig;
  /** Ad platforms calls are uploaded to, and which calls qualify (no secrets). */
  conversions: ConversionSetup;
  /** The pool a tracking number of the account routed to at a time (removed numbers route for lease + grace). */
  ownerAt(number: string, at: number): string | null;
  /** A pool's config, also a deleted pool's while its numbers still route. */
  pool(id: string): StoredPool | null;
  /** Push a pool's config to its objects (one that was never configured answers nothing). */
  sync(poolId: string): Promise<void>;
}

export interface VoiceReply {
  /** The answer, byte for byte what the first delivery of this call got, in its provider's format. */
  answer: string;
  /** The provider whose format `answer` is in. */
  provider: Provider;
  duplicate: boolean;
}

/** What became of a status report: merged into its call, kept until the call arrives, or a repeat. */
export type ReportState = "merged" | "orphan" | "duplicate";

/** Outbox rows sent per alarm run; more are picked up by the next run, set at once. */
const BATCH = 25;
/** `call.completed` goes out this long after the first report that the call ended: a more precise one may follow. */
export const COMPLETED_SETTLE_MS = 10_000;

export class CallDesk {
  private readonly calls: CallStore;
  private readonly outbox: Outbox;
  /** Callbacks being answered, by call id: a concurrent repeat waits for the first answer. */
  private readonly inflight = new Map<string, Promise<VoiceReply>>();
  /** OAuth access tokens of the ad platforms live as long as this object. */
  private readonly uploader = new AdUploader();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    /** Sets the account object's one alarm at its earliest deadline (deliveries are one of them). */
    private readonly schedule: () => Promise<void>,
  ) {
    this.calls = new CallStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx.storage.sql);
    this.events = new CallEvents(ctx.storage.sql);
    this.months = new CallMonths(ctx.storage, env, this.calls);
    this.alerts = new DeliveryAlerts(ctx.storage.sql, () => this.accountId);
    this.routing = new CallRouting(this.calls);
  }

  /** Where calls older than a few days live (one log per month), the archive, and the daily upkeep. */
  private readonly months: CallMonths;

  private readonly alerts: DeliveryAlerts;
  private accountId = "";

  readonly events: CallEvents;
  /** A routed call's callbacks after its answer (next attempt, who answered, press 1, recording). */
  readonly routing: CallRouting;

  /**
   * Answer an inbound call through `provider`, whose adapter renders the plan (`render`); a
   * repeated call id gets the stored answer and stores nothing.
   */
  inbound(acct: DeskAccount, provider: Provider, call: InboundCall, now: number, render: (plan: CallPlan) => string): Promise<VoiceReply> {
    const stored = this.calls.answerOf(call.id);
    if (stored !== null) return Promise.resolve({ ...stored, duplicate: true });
    const running = this.inflight.get(call.id);
    if (running) return running.then((r) => ({ ...r, duplicate: true }));
    const answering = this.answerNew(acct, provider, call, now, render).finally(() => this.inflight.delete(call.id));
    this.inflight.set(call.id, answering);
    return answering;
  }

  /**
   * Reference agent leg: SAY the source of the call whose conference this is, then join it; for a
   * simultaneous ring, (press 1, then) join it if no other agent did first.
   */
  agent(conference: string | null): VoiceReply {
    const row = conference ? this.calls.get(conference) : null;
    const first = row ? takenOf(row)?.plan.steps[0] : undefined;
    if (row && first?.kind === "dial" && first.to.length > 1) {
      const text = first.whisper || first.confirm ? whisperText(row.attributed ? row.source_name : null) : null;
      return { answer: JSON.stringify(ringAgentLeg(row.id, text, first.confirm)), provider: "reference", duplicate: false };
    }
    if (row?.action !== "whisper") {
      console.warn("voice: agent leg for no whispered call; hanging up", { conference });
      return { answer: JSON.stringify(hangupAnswer()), provider: "reference", duplicate: false };
    }
    return {
      answer: JSON.stringify(whisperAgentLeg(row.id, whisperText(row.attributed ? row.source_name : null))),
      provider: "reference",
      duplicate: false,
    };
  }

  /**
   * What the agent of a whispered call hears: its source ("Google Ads call"), and whether they must
   * press 1 to accept; null for no whispered call of ours. The attempt (`step`) says which one, from
   * the call's stored plan; a URL without one is a pool whisper from before routes.
   */
  whisperText(ref: RouteRef | null): { text: string; confirm: boolean } | null {
    if (ref?.step !== null && ref?.step !== undefined) {
      const agent = this.routing.agentStep(ref);
      if (!agent) return null;
      return { text: whisperText(agent.row.attributed ? agent.row.source_name : null), confirm: agent.step.confirm };
    }
    const row = ref ? this.calls.get(ref.callId) : null;
    if (row?.action !== "whisper") return null;
    return { text: whisperText(row.attributed ? row.source_name : null), confirm: false };
  }

  /**
   * A status report: stored once, merged into its call's outcome (a report for a call not stored
   * yet waits for it). When the call has ended, `call.completed` is queued.
   */
  async report(acct: DeskAccount, provider: Provider, r: StatusReport, now: number): Promise<ReportState> {
    const state = this.ctx.storage.transactionSync((): ReportState => {
      if (!this.events.add(r, provider, now)) return "duplicate";
      const row = this.calls.get(r.callId);
      if (!row) return "orphan";
      this.mergeOutcome(acct, row, now);
      return "merged";
    });
    if (state === "orphan")
      console.warn("voice: status report for a call not stored (yet); kept to merge", { account: acct.id, call: r.callId, status: r.status });
    // A merge may have queued call.completed; an orphan is forgotten after its time.
    if (state !== "duplicate") await this.schedule();
    return state;
  }

  /** Recompute a stored call's outcome from its reports; once it has ended, queue (or refresh) call.completed. */
  private mergeOutcome(acct: DeskAccount, row: CallRow, now: number): void {
    const o = this.events.outcomeOf(row.id, row.action !== "hangup");
    this.calls.setOutcome(row.id, o);
    if (!o.ended || o.outcome === null) return;
    const view = callView({ ...row, outcome: o.outcome, talk_seconds: o.talkSeconds, ended_at: o.endedAt }, []);
    const due = now + COMPLETED_SETTLE_MS;
    if (acct.integrations.webhook) this.outbox.upsertPending(row.id, "webhook", "call.completed", webhookPayload(acct.id, view, "call.completed"), due, now);
    const ga4 = acct.integrations.ga4 ? ga4Payload(view, true) : null;
    if (ga4) this.outbox.upsertPending(row.id, "ga4", "call.completed", ga4, due, now);
    this.queueConversions(acct.conversions, row, view, due, now);
  }

  /**
   * A call whose outcome is known, for each configured ad platform: queue its upload once (an
   * unsent one follows a more precise outcome), or record why it does not qualify. A call already
   * uploaded or finally refused is never queued again.
   */
  private queueConversions(setup: ConversionSetup, row: CallRow, view: Call, due: number, now: number): void {
    const states = conversionsOf(row.conversions);
    for (const platform of ["google_ads", "microsoft_ads"] as const satisfies readonly AdPlatform[]) {
      const cfg = setup[platform];
      if (!cfg) continue;
      const state = states[platform];
      if (state && (state.status === "uploaded" || state.status === "failed")) continue;
      const q = qualify(view, platform, setup.rules, cfg.enhancedConversions);
      if (q.ok) {
        this.outbox.upsertPending(row.id, platform, "call.completed", JSON.stringify(q.upload), due, now);
        if (state?.status !== "pending")
          this.calls.setConversion(row.id, platform, {
            platform,
            status: "pending",
            clickIdType: q.upload.clickIdType,
            orderId: q.upload.orderId,
            reason: null,
            updatedAt: now,
          });
      } else {
        if (this.outbox.cancelUnsent(row.id, platform) === false && state?.status === "pending") continue;
        this.calls.setConversion(row.id, platform, { platform, status: "skipped", clickIdType: null, orderId: null, reason: q.reason, updatedAt: now });
      }
    }
  }

  /**
   * Ask the shard that holds the number. After changes of the pool's shard count (any number of
   * them within one lease), the number may have been leased in the shard it had under an earlier
   * count: look in each, record on the one whose lease began last (leases of one number never
   * overlap in time, so that is the one that held it at the call).
   */
  private async attribute(acct: DeskAccount, pool: StoredPool, q: CallQuery): Promise<CallMatch> {
    const ask = async (shard: number, query: CallQuery): Promise<CallMatch> => {
      const stub = poolShard(this.env, acct.id, pool.id, shard);
      let match = await stub.attributeCall(query);
      if (!match) {
        // Never configured (an object from before the account kept its sync state): push, ask again.
        await acct.sync(pool.id);
        match = await stub.attributeCall(query);
      }
      return match ?? { lease: null, overflow: false };
    };
    const primary = shardOf(q.number, pool.shards);
    const shards = [...new Set([primary, ...liveEarlier(pool, q.at).map((count) => shardOf(q.number, count))])];
    if (shards.length === 1) return ask(primary, q);
    const peeks = await Promise.all(shards.map((shard) => ask(shard, { ...q, peek: true })));
    let best = 0;
    peeks.forEach((m, i) => {
      const top = peeks[best]!.lease;
      if (m.lease && (!top || m.lease.leasedAt > top.leasedAt)) best = i;
    });
    return ask(shards[best]!, q);
  }

  private async answerNew(acct: DeskAccount, provider: Provider, call: InboundCall, now: number, render: (plan: CallPlan) => string): Promise<VoiceReply> {
    const poolId = acct.ownerAt(call.dialled, call.startedAt);
    const pool = poolId === null ? null : acct.pool(poolId);
    let row: CallRow;
    if (!pool) {
      console.warn("voice: call on a number this account does not own", { account: acct.id, number: call.dialled, call: call.id, fallback: acct.fallback });
      row = buildCallRow({ call, poolId: null, match: null, route: null, fallback: acct.fallback, now, provider, render });
    } else {
      const expected = pool.numberProviders?.[call.dialled] ?? pool.provider ?? acct.provider;
      if (expected !== provider)
        console.warn("voice: call came through another provider than its pool's; answered in the caller's format", {
          account: acct.id,
          pool: pool.id,
          expected,
          provider,
        });
      const match = await this.attribute(acct, pool, { number: call.dialled, at: call.startedAt });
      const turns: Turns = {
        next: (key) => this.calls.nextTurn(key),
        lastAgent: (agents) => this.calls.lastAgent(pool.id, call.caller, agents),
      };
      row = buildCallRow({ call, poolId: pool.id, match, route: routeOf(pool), fallback: acct.fallback, now, provider, render, turns });
    }
    const view = callView(row, []);
    const stored = this.ctx.storage.transactionSync(() => {
      if (!this.calls.insert(row)) return false;
      if (acct.integrations.webhook) this.outbox.enqueue(row.id, "webhook", webhookPayload(acct.id, view), now);
      const ga4 = acct.integrations.ga4 ? ga4Payload(view) : null;
      if (ga4) this.outbox.enqueue(row.id, "ga4", ga4, now);
      // Status reports that came first are merged now.
      if (this.events.has(row.id)) this.mergeOutcome(acct, row, now);
      return true;
    });
    if (!stored) return { ...this.calls.answerOf(call.id)!, duplicate: true };
    await this.schedule();
    return { answer: row.answer, provider, duplicate: false };
  }

  async get(accountId: string, id: string): Promise<Call | null> {
    const row = await this.months.get(accountId, id);
    return row ? callView(row, this.outbox.forCalls([row.id]).get(row.id) ?? []) : null;
  }

  /** Null when the cursor is not one we issued. */
  async page(accountId: string, q: CallPageQuery): Promise<CallPage | null> {
    const page = await this.months.page(accountId, q);
    if (!page) return null;
    const deliveries = q.withDeliveries === false ? new Map<string, never[]>() : this.outbox.forCalls(page.rows.map((r) => r.id));
    return { calls: page.rows.map((r) => callView(r, deliveries.get(r.id) ?? [])), nextCursor: page.nextCursor };
  }

  /**
   * Erase a call everywhere (an erasure request): this object's row, its status reports and
   * deliveries (nothing more is sent about it), its month's log and the R2 archive. True when found.
   */
  async erase(accountId: string, id: string): Promise<boolean> {
    const found = await this.months.exclusive(async () => {
      const here = this.ctx.storage.transactionSync(() => {
        const calls = this.calls.delete([id]);
        const events = this.ctx.storage.sql.exec("DELETE FROM call_events WHERE call_id = ?", id).rowsWritten;
        const deliveries = this.outbox.forget(id);
        return calls + events + deliveries > 0;
      });
      return (await this.months.erase(accountId, id)) || here;
    });
    await this.schedule();
    return found;
  }

  orphanReports(limit: number): OrphanReport[] {
    return this.events.orphans(limit);
  }

  stats(accountId: string, f: CallFilter, groupBy?: CallGrouping): Promise<CallStats> {
    return this.months.stats(accountId, f, groupBy);
  }

  /**
   * Alerts (pool alerts, scaling events) go through the same outbox and alarm, to the alert webhook
   * and the alert email. A key already queued is skipped, so handing the same alert over twice sends it once.
   */
  async queueAlerts(items: readonly { key: string; payload: string }[], config: IntegrationConfig, now: number): Promise<void> {
    const channels = channelsOf(config);
    this.ctx.storage.transactionSync(() => {
      for (const i of items) this.alerts.queue(i.key, i.payload, channels, now);
    });
    await this.schedule();
  }

  /**
   * The alarm: send what is due with the account's current settings, run the daily upkeep of the
   * call storage when due (moves, retention, pruning), then re-arm for the next.
   */
  async deliver(config: IntegrationConfig, upkeep: { accountId: string; retentionDays: number }, ads?: AdsContext): Promise<void> {
    const accountId = upkeep.accountId;
    this.accountId = accountId;
    const now = Date.now();
    this.events.purge(now);
    await this.months.upkeep(upkeep.accountId, now, upkeep.retentionDays, (before) => this.outbox.prune(before));
    const all = this.outbox.due(now, BATCH);
    const channels = channelsOf(config);
    const isAd = (kind: string) => kind === "google_ads" || kind === "microsoft_ads";
    const due = all.filter((r) => !isAd(r.kind));
    const adRows = all.filter((r) => isAd(r.kind));
    if (adRows.length && ads)
      await deliverAds({ outbox: this.outbox, calls: this.calls, uploader: this.uploader, queueOnce: (i, t) => this.queueAlerts(i, config, t) }, ads, adRows);
    await Promise.all(
      due.map(async (row) => {
        const result = await attempt(row, config, accountId, now);
        const at = Date.now();
        this.ctx.storage.transactionSync(() => {
          if (result.ok) {
            this.outbox.delivered(row.id, result.status, at);
            this.alerts.settle(row, { ok: true }, channels, at);
          } else {
            const state = this.outbox.attemptFailed(row, result.status, result.error, at, result.final);
            this.alerts.settle(row, { ok: false, error: result.error, dead: state === "dead" }, channels, at);
          }
        });
        if (!result.ok) console.warn(`delivery ${row.id} (${row.kind} for ${row.call_id}) failed (attempt ${row.attempts + 1})`, result.error);
      }),
    );
    await this.schedule();
  }

  /** Deliveries newest first (see Outbox.list). */
  deliveries(filter: DeliveryFilter, kind: OutboxKind | null, beforeId: number | null, limit: number): OutboxRow[] {
    return this.outbox.list(filter, kind, beforeId, limit);
  }

  delivery(id: number): OutboxRow | null {
    return this.outbox.get(id);
  }

  /** Send a delivery once more with the same message id (null: no such delivery). */
  async redeliver(id: number, now: number): Promise<OutboxRow | null> {
    const row = this.outbox.redeliver(id, now);
    if (row) await this.schedule();
    return row;
  }

  /** When the next delivery, purge or upkeep is due (null: none). */
  nextDue(): number | null {
    const times = [this.outbox.nextDue(), this.events.nextPurge(), this.months.upkeepDue(Date.now())].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }
}

/** Where alerts can go with these settings. */
export function channelsOf(config: IntegrationConfig): AlertChannels {
  return { webhook: !!config.alertWebhook, email: !!config.alertEmail };
}
