/**
 * Where a call is answered. An inbound callback: find the pool that owns the dialled number at the
 * call's start, ask its shard which visit held the number (attribution), decide where the call goes
 * (domain/call-decision.ts), store the call once with the answer in its provider's format, and queue
 * its ring webhook and GA4 event. A repeated call id, also one that arrives while the first is still
 * being answered, gets the stored answer and stores nothing. Answering never waits on a delivery:
 * the alarm sends them after the answer has gone.
 */

import { routeOf } from "../domain/call-decision";
import type { Turns } from "../domain/route";
import { liveEarlier, shardOf } from "../domain/shards";
import { poolShard } from "../platform/stubs";
import type { CallMatch, CallQuery } from "../pool/protocol";
import type { InboundCall } from "../voice/input";
import type { CallPlan } from "../voice/plan";
import type { Provider } from "../voice/providers/types";
import type { CallEvents } from "./call-events";
import { buildCallRow } from "./call-facts";
import type { CallOutcomes } from "./call-outcome";
import type { CallRow } from "./call-row";
import type { CallStore } from "./call-store";
import { callView } from "./call-view";
import { ga4Payload, webhookPayload } from "./deliveries";
import type { DeskAccount } from "./desk-account";
import { type ErasedCalls, erasedKey } from "./erased-calls";
import type { Outbox } from "./outbox";
import type { StoredPool } from "./registry";

export interface VoiceReply {
  /** The answer, byte for byte what the first delivery of this call got, in its provider's format. */
  answer: string;
  /** The provider whose format `answer` is in. */
  provider: Provider;
  duplicate: boolean;
}

export interface AnswerParts {
  ctx: DurableObjectState;
  env: Env;
  calls: CallStore;
  outbox: Outbox;
  events: CallEvents;
  /** Status reports that came before their call are merged once it is stored. */
  outcomes: CallOutcomes;
  /** Calls erased lately: sent again, they are answered and not stored (erased-calls.ts). */
  erased: ErasedCalls;
  /** Sets the account object's alarm (the call's deliveries are due). */
  schedule: () => Promise<void>;
}

export class CallAnswers {
  /** Callbacks being answered, by call id: a concurrent repeat waits for the first answer. */
  private readonly inflight = new Map<string, Promise<VoiceReply>>();

  constructor(private readonly p: AnswerParts) {}

  /** Whether a call was answered, or is being answered, or was erased since (a retry of it gets an answer). */
  async known(callId: string, now: number): Promise<boolean> {
    return this.inflight.has(callId) || this.p.calls.answerOf(callId) !== null || (await this.p.erased.has(callId, now));
  }

  /**
   * Answer an inbound call through `provider`, whose adapter renders the plan (`render`); a
   * repeated call id gets the stored answer and stores nothing.
   */
  inbound(acct: DeskAccount, provider: Provider, call: InboundCall, now: number, render: (plan: CallPlan) => string): Promise<VoiceReply> {
    const stored = this.p.calls.answerOf(call.id);
    if (stored !== null) return Promise.resolve({ ...stored, duplicate: true });
    const running = this.inflight.get(call.id);
    if (running) return running.then((r) => ({ ...r, duplicate: true }));
    const answering = this.answerNew(acct, provider, call, now, render).finally(() => this.inflight.delete(call.id));
    this.inflight.set(call.id, answering);
    return answering;
  }

  /**
   * Ask the shard that holds the number. After changes of the pool's shard count (any number of
   * them within one lease), the number may have been leased in the shard it had under an earlier
   * count: look in each, record on the one whose lease began last (leases of one number never
   * overlap in time, so that is the one that held it at the call).
   */
  private async attribute(acct: DeskAccount, pool: StoredPool, q: CallQuery): Promise<CallMatch> {
    const ask = async (shard: number, query: CallQuery): Promise<CallMatch> => {
      const stub = poolShard(this.p.env, acct.id, pool.id, shard);
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
    const { calls, outbox, events } = this.p;
    // Erased since it first came: answered with the plan it is being routed by while on the line
    // (erased-calls.ts: decided again, a round robin or the schedule may have moved on), else as
    // its pool routes it now; nothing of it kept (the pool only looked at, not told of a ring, no
    // round robin turn counted).
    const erased = await this.p.erased.has(call.id, now);
    const kept = erased ? this.p.erased.route(await erasedKey(call.id)) : null;
    if (kept) return { answer: render(kept.plan), provider, duplicate: true };
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
      const match = await this.attribute(acct, pool, { number: call.dialled, at: call.startedAt, ...(erased ? { peek: true } : {}) }).catch(
        (error: unknown): CallMatch => {
          // The pool's object unreachable (reset by a deploy, overloaded, broken): the caller is
          // still put through, unattributed. An error answer would drop the call: Twilio, Telnyx and
          // SignalWire do not retry a 5xx but play an error (or ask a fallback URL), as do the others.
          console.error("voice: attribution failed; the call is put through unattributed", {
            account: acct.id,
            pool: pool.id,
            call: call.id,
            error: String(error),
          });
          return { lease: null, overflow: false };
        },
      );
      // An erased call's resend takes no turn, like the ring it does not tell the pool of: with no
      // route kept (its call reported over, or nothing after the first answer) it is decided again,
      // and counting a turn for it would make the next real call skip an agent.
      const turns: Turns = {
        next: (key, agents) => (erased ? calls.peekTurn(key, agents) : calls.nextTurn(key, agents)),
        lastAgent: (agents) => calls.lastAgent(pool.id, call.caller, agents),
      };
      row = buildCallRow({ call, poolId: pool.id, match, route: routeOf(pool), fallback: acct.fallback, now, provider, render, turns });
    }
    if (erased) return { answer: row.answer, provider, duplicate: true };
    const view = callView(row, []);
    const stored = this.p.ctx.storage.transactionSync(() => {
      if (!calls.insert(row)) return false;
      if (acct.integrations.webhook) outbox.enqueue(row.id, "webhook", webhookPayload(acct.id, view), now);
      const ga4 = acct.integrations.ga4 ? ga4Payload(view, acct.integrations.ga4.measurementId) : null;
      if (ga4) outbox.enqueue(row.id, "ga4", ga4, now);
      // Status reports that came first are merged now.
      if (events.has(row.id)) this.p.outcomes.merge(acct, row, now);
      return true;
    });
    if (!stored) return { ...calls.answerOf(call.id)!, duplicate: true };
    await this.p.schedule();
    return { answer: row.answer, provider, duplicate: false };
  }
}
