/**
 * The call path inside an AccountObject: answer the provider's callbacks, store each call once,
 * merge its status reports into its outcome, queue its GA4 events and webhooks (the ring, then
 * `call.completed`), and deliver those from the object's alarm. Answering never waits on an
 * outbound delivery: the alarm sends them after the answer has gone.
 */

import type { Turns } from "../domain/route";
import { shardOf } from "../domain/shards";
import { poolShard } from "../platform/stubs";
import type { CallMatch, CallQuery } from "../pool/protocol";
import type { Call, CallFilter, CallPage, CallPageQuery, CallStats, OrphanReport } from "../schemas/calls";
import type { IntegrationConfig } from "../schemas/voice";
import { hangupAnswer, whisperAgentLeg, whisperText } from "../voice/actions";
import type { InboundCall } from "../voice/input";
import type { CallPlan } from "../voice/plan";
import type { Provider, StatusReport } from "../voice/providers/types";
import { CallEvents } from "./call-events";
import { buildCallRow, type CallRow, callView, routeOf } from "./call-record";
import { CallRouting, type RouteRef } from "./call-route";
import { CallStore } from "./call-store";
import { attempt, ga4Payload, webhookPayload } from "./deliveries";
import { Outbox, type OutboxKind } from "./outbox";
import type { StoredPool } from "./registry";

/** What the desk needs to know about the account (read fresh for each callback). */
export interface DeskAccount {
  id: string;
  /** The account's voice provider (a pool may name another). */
  provider: Provider;
  fallback: string | null;
  integrations: IntegrationConfig;
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

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    /** Sets the account object's one alarm at its earliest deadline (deliveries are one of them). */
    private readonly schedule: () => Promise<void>,
  ) {
    this.calls = new CallStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx.storage.sql);
    this.events = new CallEvents(ctx.storage.sql);
    this.routing = new CallRouting(this.calls);
  }

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

  /** Reference whisper agent leg: SAY the source of the call whose conference this is, then join it. */
  agent(conference: string | null): VoiceReply {
    const row = conference ? this.calls.get(conference) : null;
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
  }

  /**
   * Ask the shard that holds the number. Right after the pool's shard count changed, the number may
   * have been leased in its previous shard: look in both, record on the one whose lease began last.
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
    const older = pool.previousShards ? shardOf(q.number, pool.previousShards) : primary;
    if (older === primary) return ask(primary, q);
    const [a, b] = await Promise.all([ask(primary, { ...q, peek: true }), ask(older, { ...q, peek: true })]);
    const useOlder = !!b.lease && (!a.lease || b.lease.leasedAt > a.lease.leasedAt);
    return ask(useOlder ? older : primary, q);
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

  get(id: string): Call | null {
    const row = this.calls.get(id);
    return row ? callView(row, this.outbox.forCalls([row.id]).get(row.id) ?? []) : null;
  }

  /** Null when the cursor is not one we issued. */
  page(q: CallPageQuery): CallPage | null {
    const page = this.calls.page(q);
    if (!page) return null;
    const deliveries = q.withDeliveries === false ? new Map<string, never[]>() : this.outbox.forCalls(page.rows.map((r) => r.id));
    return { calls: page.rows.map((r) => callView(r, deliveries.get(r.id) ?? [])), nextCursor: page.nextCursor };
  }

  orphanReports(limit: number): OrphanReport[] {
    return this.events.orphans(limit);
  }

  stats(f: CallFilter): CallStats {
    return this.calls.stats(f);
  }

  /**
   * Deliveries that are not about a call (pool alerts) go through the same outbox and alarm.
   * A key already queued is skipped, so handing the same item over twice sends it once.
   */
  async queueOnce(items: readonly { key: string; kind: OutboxKind; payload: string }[], now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const i of items) this.outbox.enqueueOnce(i.key, i.kind, i.payload, now);
    });
    await this.schedule();
  }

  /** The alarm: send what is due with the account's current settings, then re-arm for the next. */
  async deliver(config: IntegrationConfig): Promise<void> {
    const now = Date.now();
    this.events.purge(now);
    const due = this.outbox.due(now, BATCH);
    await Promise.all(
      due.map(async (row) => {
        const result = await attempt(row, config, now);
        const at = Date.now();
        if (result.ok) this.outbox.delivered(row.id, result.status, at);
        else {
          this.outbox.attemptFailed(row, result.status, result.error, at, result.final);
          console.warn(`delivery ${row.kind} of call ${row.call_id} failed (attempt ${row.attempts + 1})`, result.error);
        }
      }),
    );
    await this.schedule();
  }

  /** When the next delivery is due (null: none pending). */
  nextDue(): number | null {
    const times = [this.outbox.nextDue(), this.events.nextPurge()].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }
}
