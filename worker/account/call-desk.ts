/**
 * The call path inside an AccountObject, put together here; each part is one file:
 * - call-answer.ts: where a call is answered (attribution, the route's decision, stored once);
 * - agent-legs.ts: what the agent hears before the call is put through (whisper, press 1);
 * - call-route.ts: a routed call's callbacks after its answer (next attempt, who answered, recording);
 * - call-outcome.ts: status reports merged into the call's outcome, `call.completed` and ad uploads queued;
 * - delivery-run.ts: the alarm sends what is queued (webhooks, GA4, alerts, ad uploads);
 * - call-months.ts: where calls live over time (this object, a log per month, the archive).
 * The desk itself reads calls for the API, erases one, and runs the alarm's share of the call path.
 */

import { type ArchivedCall, dropMatchingArchived, findMatchingArchived } from "../calllog/archive";
import type { Call, CallFilter, CallGrouping, CallPage, CallPageQuery, CallStats, OrphanReport } from "../schemas/calls";
import type { CallConversion } from "../schemas/conversions";
import type { IntegrationConfig } from "../schemas/voice";
import type { RecordedCall } from "../voice/recordings";
import { type AdsContext, expireAdUploads } from "./ad-delivery";
import type { AdUploader } from "./ad-uploads";
import { AgentLegs } from "./agent-legs";
import { CallAnswers } from "./call-answer";
import { CallEvents } from "./call-events";
import { CallMonths } from "./call-months";
import { CallOutcomes } from "./call-outcome";
import { CallRouting } from "./call-route";
import { type CallerCall, CallStore, type ErasureKey } from "./call-store";
import { callView, gaSessionsView } from "./call-view";
import { type AdSteps, DeliveryRun } from "./delivery-run";
import { DmChecks } from "./dm-diagnostics";
import { ErasedCalls, erasedKey } from "./erased-calls";
import { ARCHIVE_DAYS_PER_ERASURE, ErasureProgress } from "./erasure-progress";
import { type DeliveryFilter, Outbox, type OutboxKind, type OutboxRow } from "./outbox";

export class CallDesk {
  private readonly calls: CallStore;
  private readonly outbox: Outbox;
  /** Where calls older than a few days live (one log per month), the archive, and the daily upkeep. */
  private readonly months: CallMonths;
  private readonly run: DeliveryRun;
  /** The Data Manager API's requests whose diagnostics are still to be asked. */
  private readonly checks: DmChecks;
  /** Calls erased lately, remembered against a provider sending them again. */
  private readonly erased: ErasedCalls;
  /** How far each erasure by caller has come through the archive. */
  private readonly progress: ErasureProgress;

  /** Status reports as received (merged into outcomes; orphans until their call arrives), and replayed signatures. */
  readonly events: CallEvents;
  readonly answers: CallAnswers;
  readonly agents: AgentLegs;
  /** A routed call's callbacks after its answer (next attempt, who answered, press 1, recording). */
  readonly routing: CallRouting;
  readonly outcomes: CallOutcomes;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    /** Sets the account object's one alarm at its earliest deadline (deliveries are one of them). */
    private readonly schedule: () => Promise<void>,
  ) {
    const storage = ctx.storage;
    this.calls = new CallStore(storage.sql);
    this.outbox = new Outbox(storage.sql);
    this.events = new CallEvents(storage.sql);
    this.months = new CallMonths(storage, env, this.calls);
    this.checks = new DmChecks(storage.sql);
    this.run = new DeliveryRun({
      storage,
      setConversion: this.setConversion,
      outbox: this.outbox,
      checks: this.checks,
      schedule,
      // A GA4 event goes within 72 h of its call, which stays here for HOT_MS (3 days): read from here.
      gaSessions: (id) => gaSessionsView(this.calls.get(id)?.ga_session_ids),
    });
    this.erased = new ErasedCalls(storage.sql);
    this.routing = new CallRouting(this.calls, this.erased);
    this.agents = new AgentLegs(this.routing);
    this.progress = new ErasureProgress(storage.sql);
    this.outcomes = new CallOutcomes({ storage, calls: this.calls, outbox: this.outbox, events: this.events, schedule, erased: this.erased });
    this.answers = new CallAnswers({
      ctx,
      env,
      calls: this.calls,
      outbox: this.outbox,
      events: this.events,
      outcomes: this.outcomes,
      schedule,
      erased: this.erased,
    });
  }

  /** A call's upload state on one platform, wherever the call is now. */
  private readonly setConversion = (callId: string, startedAt: number, state: CallConversion) =>
    this.months.setConversion(this.run.accountId, callId, startedAt, state);

  async get(accountId: string, id: string): Promise<Call | null> {
    const row = await this.months.get(accountId, id);
    return row ? callView(row, this.outbox.forCalls([row.id]).get(row.id) ?? []) : null;
  }

  /** A call's recording as GET /v1/calls/{id}/recording needs it (wherever the call is kept); null: no such call. */
  async recorded(accountId: string, id: string): Promise<RecordedCall | null> {
    const row = await this.months.get(accountId, id);
    return row ? { id: row.id, provider: row.provider, recordingUrl: row.recording_url ?? null, recordingRef: row.recording_ref ?? null } : null;
  }

  /** Null when the cursor is not one we issued. */
  async page(accountId: string, q: CallPageQuery): Promise<CallPage | null> {
    const page = await this.months.page(accountId, q);
    if (!page) return null;
    const deliveries = q.withDeliveries === false ? new Map<string, never[]>() : this.outbox.forCalls(page.rows.map((r) => r.id));
    return { calls: page.rows.map((r) => callView(r, deliveries.get(r.id) ?? [])), nextCursor: page.nextCursor };
  }

  /**
   * Erase the calls an erasure request names (a caller's number, a visit's session id), `limit` at a time: first those
   * here and in the months' logs, then, once none is left there, ARCHIVE_DAYS_PER_ERASURE days of
   * the archive a request, going on where the last request stopped (erasure-progress.ts). The
   * `before` hook is given each batch first (their visits' touches go; should it fail, the calls
   * are still there to be found again). `more`: call again.
   */
  async eraseMatching(
    accountId: string,
    key: ErasureKey,
    limit: number,
    before: (calls: CallerCall[]) => Promise<void>,
  ): Promise<{ erased: number; more: boolean }> {
    const out = await this.months.exclusive(async () => {
      const now = Date.now();
      const here = this.calls.matching(key, limit + 1);
      const found = here.length > limit ? here : [...here, ...(await this.months.matching(accountId, key, limit + 1 - here.length))];
      const batch = found.slice(0, limit);
      await before(batch);
      const ids = batch.map((c) => c.id);
      // Every one of the batch was found: remembered as its rows here go, before the logs' are erased.
      const local = (await this.forgetHere(ids, now, "all")).calls;
      const logged = await this.months.eraseMany(
        accountId,
        ids.filter((id) => !here.some((c) => c.id === id)),
      );
      if (found.length > limit) return { erased: local + logged, more: true };
      const progressKey = `${key.by}:${key.value}`;
      const look = await findMatchingArchived(this.env.ARCHIVE, accountId, key, await this.progress.after(progressKey, now), ARCHIVE_DAYS_PER_ERASURE);
      const archived = look.found.flatMap((d) => d.calls);
      await before(archived.map((c) => ({ id: c.id, session: c.session, pool_id: c.pool })));
      await dropMatchingArchived(
        this.env.ARCHIVE,
        look.found.map((d) => d.key),
        key,
      );
      await this.forgetHere(
        archived.map((c) => c.id),
        now,
        "found",
      );
      await this.months.forgetArchived(archived.map((c) => c.id));
      await this.progress.save(progressKey, look.next, now);
      return { erased: local + logged + archived.length, more: look.next !== null };
    });
    await this.schedule();
    return out;
  }

  /**
   * Erase a call everywhere (an erasure request): this object's row, its status reports and
   * deliveries (nothing more is sent about it), its month's log and the R2 archive. True when found.
   * A call still on the line goes on as its route says, and nothing of it is stored again
   * (erased-calls.ts).
   */
  /** Pools gone for good: their round robin turns go too. */
  poolsGone(poolIds: readonly string[]): void {
    if (poolIds.length) this.calls.forgetTurns(poolIds);
  }

  /** Erase a call everywhere; whether it was found, and the call as the archive held it (null: not archived). */
  async erase(accountId: string, id: string): Promise<{ found: boolean; archived: ArchivedCall | null }> {
    const done = await this.months.exclusive(async () => {
      const now = Date.now();
      const here = (await this.forgetHere([id], now, "found")).rows > 0;
      const elsewhere = await this.months.erase(accountId, id, here);
      // Only in a month's log or the archive: no row here for a resend to be taken for (it would have been anyway).
      if (elsewhere.found && !here) await this.erased.remember([id], now);
      return { found: here || elsewhere.found, archived: elsewhere.archived };
    });
    await this.schedule();
    return done;
  }

  /**
   * Erased calls' own rows in this object, in one transaction with remembering them (erased-calls.ts;
   * `remember`: those that had rows here, or all of `ids`, every one found elsewhere too): the
   * calls, their status reports, their deliveries (nothing more is sent about them) and their place
   * in the Data Manager API's requests still to be asked about (dm-diagnostics.ts); a call still
   * on the line keeps its route. The keys are made first: between forgetting a row and remembering
   * its id nothing may await, or a provider's resend or report of it let in then would be stored
   * again. How many calls, and rows in all, went.
   */
  private async forgetHere(ids: readonly string[], now: number, remember: "found" | "all"): Promise<{ calls: number; rows: number }> {
    if (!ids.length) return { calls: 0, rows: 0 };
    const keys = await Promise.all(ids.map(erasedKey));
    return this.ctx.storage.transactionSync(() => {
      let calls = 0;
      let rows = 0;
      ids.forEach((id, i) => {
        const row = this.calls.get(id);
        // On the line while the caller's call has not reported its end.
        const live = row && !this.events.callEnded(id) ? row : null;
        const n = this.calls.delete([id]);
        const went =
          n + this.ctx.storage.sql.exec("DELETE FROM call_events WHERE call_id = ?", id).rowsWritten + this.outbox.forget(id) + this.checks.forget(id);
        if (went > 0 || remember === "all") this.erased.rememberKey(keys[i]!, now, live);
        calls += n;
        rows += went;
      });
      return { calls, rows };
    });
  }

  orphanReports(limit: number): OrphanReport[] {
    return this.events.orphans(limit);
  }

  stats(accountId: string, f: CallFilter, groupBy?: CallGrouping): Promise<CallStats> {
    return this.months.stats(accountId, f, groupBy);
  }

  /** The ad platforms' client, with the access tokens the uploads cached (the connection check uses them too). */
  get adUploader(): AdUploader {
    return this.run.uploader;
  }

  /** Queue alerts to the alert webhook and email, once per key (see DeliveryRun.queueAlerts). */
  queueAlerts(items: readonly { key: string; payload: string }[], config: IntegrationConfig, now: number): Promise<number> {
    return this.run.queueAlerts(items, config, now);
  }

  /**
   * The alarm's daily upkeep of the call storage, when due (moves, retention, pruning): whether it
   * ran (false: not due). One that fails (a month's log, the archive) is tried again later.
   */
  upkeep(u: { accountId: string; retentionDays: number; archiveDays: number | null }): Promise<boolean> {
    this.run.accountId = u.accountId;
    const now = Date.now();
    return this.months.upkeep(u.accountId, now, u, async (before) => {
      this.outbox.prune(before);
      this.erased.prune(now);
      this.progress.prune(now);
      await expireAdUploads({ outbox: this.outbox, setConversion: this.setConversion }, now);
    });
  }

  /**
   * The alarm's deliveries: what is due, sent with the account's current settings; then re-armed for
   * the next. False: nothing was due; else what the ad platforms' steps came to.
   */
  async deliver(config: IntegrationConfig, accountId: string, ads?: AdsContext): Promise<AdSteps | false> {
    this.run.accountId = accountId;
    const now = Date.now();
    // The ad steps (`ads`: not while they back off) count as something due only when they may run.
    const due = Math.min(this.deliveriesDue() ?? Number.POSITIVE_INFINITY, ads ? (this.adsDue() ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY);
    if (due > now) return false;
    this.events.purge(now);
    const steps = await this.run.sendDue(config, now, ads);
    await this.schedule();
    return steps;
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

  /** An archive retention was set: the next upkeep looks at the archive, whatever it holds from before. */
  archiveRetentionSet(): void {
    this.months.lookAtArchive();
  }

  /** When the daily upkeep is due (null: no calls to keep). */
  upkeepDue(): number | null {
    return this.months.upkeepDue(Date.now());
  }

  /** When the next webhook, GA4 or alert delivery, or purge of call events, is due (null: none). */
  deliveriesDue(): number | null {
    const times = [this.outbox.nextDue("rest"), this.events.nextPurge()].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /** When the next ad platform upload or Data Manager diagnostics check is due (null: none). */
  adsDue(): number | null {
    const times = [this.outbox.nextDue("ads"), this.checks.nextDue()].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }
}
