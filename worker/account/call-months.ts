/**
 * Where an account's calls live over time, and the daily upkeep that keeps its storage bounded:
 * - a call is written to the account object's own `calls` table (with its outbox rows, in one
 *   transaction) and stays there while its status reports and repeats may still arrive;
 * - after HOT_MS it moves to the CallLog object of its UTC month (`<account>/<YYYY-MM>`), so no
 *   object holds all of a busy account's calls; `call_months` lists the months that have a log;
 * - once its day is past the account's retention it is archived to R2 (NDJSON per day) and deleted;
 * - an archived day past the archive's own retention (when the account has one) is deleted from R2;
 * - delivered and given-up outbox rows are pruned after OUTBOX_KEEP_MS (or the calls' retention, if shorter);
 * - erasure deletes a call from all of these, the archive included.
 * Reads (a page, one call, stats) merge the account's table with the months' logs.
 */

import { type ArchivedCall, eraseArchived, eraseArchivedIn, pruneArchive } from "../calllog/archive";
import { callLogName, monthOf } from "../calllog/call-log";
import { decodeCursor, encodeCursor } from "../domain/call-cursor";
import { grouped, totalled } from "../domain/call-stats";
import type { CallFilter, CallGrouping, CallPageQuery, CallStats } from "../schemas/calls";
import type { CallConversion } from "../schemas/conversions";
import { ArchivedCalls } from "./archived-calls";
import type { CallRow } from "./call-row";
import type { CallerCall, CallStore, ErasureKey } from "./call-store";

const DAY_MS = 86_400_000;
/** How long a call stays in the account object: beyond the longest wait for its status reports (2 days). */
export const HOT_MS = 3 * DAY_MS;
/** A failed upkeep is tried again this much later. */
export const UPKEEP_RETRY_MS = 10 * 60_000;
/** Delivered (and given-up) outbox rows are kept this long to show on their call, then pruned. */
export const OUTBOX_KEEP_MS = 14 * DAY_MS;
/** Calls moved to call logs per upkeep run; more are moved by the next run, due at once. */
const MOVE_BATCH = 500;

export const CALL_MONTHS_MIGRATION = `
  CREATE TABLE call_months (
    month TEXT PRIMARY KEY,      -- YYYY-MM (UTC): a CallLog object holds calls of this month
    oldest INTEGER NOT NULL      -- the earliest started_at it may hold (archiving starts there)
  );`;

export const DEFAULT_RETENTION_DAYS = 395;

type MonthRow = { month: string; oldest: number };

const monthEnd = (month: string) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return Date.UTC(y, m, 1);
};
const startOfDay = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

export class CallMonths {
  private readonly sql: SqlStorage;
  /** Which archived day holds each archived call. */
  private readonly archived: ArchivedCalls;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly hot: CallStore,
  ) {
    this.sql = storage.sql;
    this.archived = new ArchivedCalls(storage);
  }

  private log(accountId: string, month: string) {
    return this.env.CALL_LOGS.get(this.env.CALL_LOGS.idFromName(callLogName(accountId, month)));
  }

  /** Months with a call log, newest first. */
  months(): MonthRow[] {
    return this.sql.exec<MonthRow>("SELECT month, oldest FROM call_months ORDER BY month DESC").toArray();
  }

  /** The months a filter (and a cursor's start time) can reach, newest first. */
  private reachable(f: CallFilter, before?: number): MonthRow[] {
    return this.months().filter((m) => {
      const start = Date.parse(`${m.month}-01T00:00:00Z`);
      if (f.from !== undefined && monthEnd(m.month) <= f.from) return false;
      if (f.to !== undefined && start >= f.to) return false;
      return before === undefined || start <= before;
    });
  }

  /**
   * One page over the account's table and the months' logs, newest first: the keyset cursor is the
   * same everywhere. Logs are read newest month first, and only until the page is certain.
   */
  async page(accountId: string, q: CallPageQuery): Promise<{ rows: CallRow[]; nextCursor: string | null } | null> {
    const want = q.limit + 1;
    const hot = this.hot.after(q, want);
    if (!hot) return null;
    const at = q.cursor !== undefined ? decodeCursor(q.cursor) : null;
    const byId = new Map(hot.map((r) => [r.id, r]));
    for (const m of this.reachable(q, at?.startedAt)) {
      // Rows at or after this month's end beat everything in it: stop once there are enough.
      const end = monthEnd(m.month);
      if ([...byId.values()].filter((r) => r.started_at >= end).length >= want) break;
      const rows = (await this.log(accountId, m.month).after(q, want)) ?? [];
      for (const r of rows) if (!byId.has(r.id)) byId.set(r.id, r);
    }
    const rows = [...byId.values()].sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, want);
    const more = rows.length > q.limit;
    if (more) rows.pop();
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.started_at, last.id) : null };
  }

  async get(accountId: string, id: string): Promise<CallRow | null> {
    const row = this.hot.get(id);
    if (row) return row;
    for (const m of this.months()) {
      const found = await this.log(accountId, m.month).get(id);
      if (found) return found;
    }
    return null;
  }

  /**
   * A call's upload state on one platform, wherever the call is: here, or (moved after HOT_MS: an
   * upload retried, resumed after new credentials or given up days later) in the log of the month
   * it started in (`startedAt`).
   */
  async setConversion(accountId: string, id: string, startedAt: number, state: CallConversion): Promise<void> {
    if (!this.hot.setConversion(id, state.platform, state)) await this.log(accountId, monthOf(startedAt)).setConversion(id, state.platform, state);
  }

  /** Per day and source, the total, and with `groupBy` the totals per group. */
  async stats(accountId: string, f: CallFilter, groupBy?: CallGrouping): Promise<CallStats> {
    const logs = this.reachable(f).map((m) => this.log(accountId, m.month));
    const parts = await Promise.all(logs.map((log) => log.statDays(f)));
    const stats = totalled([...this.hot.statDays(f), ...parts.flat()]);
    if (!groupBy) return stats;
    const groups = await Promise.all(logs.map((log) => log.groupRows(f, groupBy)));
    return { ...stats, groupBy, groups: grouped([...this.hot.groupRows(f, groupBy), ...groups.flat()], groupBy) };
  }

  /** Up to `limit` calls an erasure request names, in the months' logs. */
  async matching(accountId: string, key: ErasureKey, limit: number): Promise<CallerCall[]> {
    const out: CallerCall[] = [];
    for (const m of this.months()) {
      if (out.length >= limit) break;
      out.push(...(await this.log(accountId, m.month).matching(key, limit - out.length)));
    }
    return out;
  }

  /** Erase calls from the months' logs (not the archive: eraseMatchingArchived); run it exclusive(). */
  async eraseMany(accountId: string, ids: string[]): Promise<number> {
    let n = 0;
    for (const m of this.months()) n += await this.log(accountId, m.month).eraseMany(ids);
    return n;
  }

  /**
   * Erase a call from its log(s) and the archive: the days the index names, else (archived before
   * there was an index) the days up to then. The account's own tables are the caller's; run it
   * exclusive(). Whether it was found, and the call as the archive held it (its visit's touch is
   * still to be forgotten on the leases: account.ts eraseCall).
   */
  async erase(accountId: string, id: string, foundHere = false): Promise<{ found: boolean; archived: ArchivedCall | null }> {
    let found = false;
    for (const m of this.months()) if (await this.log(accountId, m.month).erase(id)) found = true;
    let archived = await eraseArchivedIn(this.env.ARCHIVE, accountId, id, await this.archived.daysOf(id));
    // The days archived before the index are read only for a call found nowhere else: one in the
    // account object or a month's log is newer than they are (each erasure read them all, up to
    // hundreds of R2 reads, near the subrequest limit).
    if (!archived && !found && !foundHere) {
      const through = this.archived.unindexedThrough();
      if (through) archived = await eraseArchived(this.env.ARCHIVE, accountId, id, through);
    }
    await this.archived.forget([id]);
    return { found: found || archived !== null, archived };
  }

  /** Erased archived calls (an erasure by caller or visit) leave the index. */
  forgetArchived(ids: readonly string[]): Promise<void> {
    return this.archived.forget(ids);
  }

  /**
   * Move calls received before `before` to their months' logs (written there first, then deleted
   * here with their status reports, whose outcome is merged into the call). True when more remain.
   */
  async move(accountId: string, before: number): Promise<boolean> {
    const rows = this.hot.receivedBefore(before, MOVE_BATCH);
    const byMonth = new Map<string, CallRow[]>();
    for (const r of rows) byMonth.set(monthOf(r.started_at), [...(byMonth.get(monthOf(r.started_at)) ?? []), r]);
    for (const [month, list] of byMonth) {
      const oldest = Math.min(...list.map((r) => r.started_at));
      // Listed before the log is written: a crash in between leaves a month to look in, never a lost one.
      this.sql.exec(
        "INSERT INTO call_months (month, oldest) VALUES (?, ?) ON CONFLICT (month) DO UPDATE SET oldest = MIN(oldest, excluded.oldest)",
        month,
        oldest,
      );
      await this.log(accountId, month).put(list);
      const ids = list.map((r) => r.id);
      this.storage.transactionSync(() => {
        this.hot.delete(ids);
        this.sql.exec("DELETE FROM call_events WHERE call_id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
      });
    }
    return rows.length === MOVE_BATCH;
  }

  /** Archive (to R2) and delete every call whose UTC day ended more than `retentionMs` ago. */
  async expire(accountId: string, now: number, retentionMs: number): Promise<void> {
    const cutoff = startOfDay(now - retentionMs);
    for (const m of this.months()) {
      if (m.oldest >= cutoff) continue;
      const log = this.log(accountId, m.month);
      await this.archived.add(await log.archivable(cutoff));
      const left = await log.archiveBefore(accountId, cutoff);
      // The archive now has days to look after (pruneArchived).
      if (left.archived > 0) this.lookAtArchive();
      if (left.remaining === 0 && monthEnd(m.month) <= cutoff) this.sql.exec("DELETE FROM call_months WHERE month = ?", m.month);
      else this.sql.exec("UPDATE call_months SET oldest = MAX(oldest, ?) WHERE month = ?", cutoff, m.month);
    }
  }

  /**
   * Delete the archived days past the archive's retention (`archiveDays` after the calls' own
   * retention), a thousand a run; true when more are due. An archive found empty needs no more upkeep.
   */
  async pruneArchived(accountId: string, now: number, retentionDays: number, archiveDays: number | null): Promise<boolean> {
    if (archiveDays === null || !this.archiveToLookAt()) return false;
    const before = new Date(startOfDay(now - (retentionDays + archiveDays) * DAY_MS)).toISOString().slice(0, 10);
    const { through, more, empty } = await pruneArchive(this.env.ARCHIVE, accountId, before);
    if (through) this.archived.forgetThrough(through);
    if (empty) this.sql.exec("DELETE FROM meta WHERE key = 'archived'");
    return more;
  }

  /** The archive may hold days (archived before the upkeep kept count of it): upkeep looks at it. */
  lookAtArchive(): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('archived', '1')");
  }

  /** Whether the archive may hold days for upkeep to look after. */
  private archiveToLookAt(): boolean {
    return this.sql.exec("SELECT 1 FROM meta WHERE key = 'archived'").toArray().length > 0;
  }

  /** Whether upkeep has anything to look after: calls here or in logs, outbox rows that are done, the archive. */
  private hasWork(): boolean {
    return (
      this.archiveToLookAt() ||
      this.sql.exec("SELECT 1 FROM calls LIMIT 1").toArray().length > 0 ||
      this.sql.exec("SELECT 1 FROM call_months LIMIT 1").toArray().length > 0 ||
      this.sql.exec("SELECT 1 FROM outbox WHERE status <> 'pending' LIMIT 1").toArray().length > 0
    );
  }

  /** When the next upkeep is due: a day after the last one (null: nothing to look after). */
  upkeepDue(now: number): number | null {
    if (!this.hasWork()) return null;
    const last = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'upkeep_at'").toArray()[0];
    if (last) return Number(last.value) + DAY_MS;
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('upkeep_at', ?)", String(now));
    return now + DAY_MS;
  }

  /**
   * The daily upkeep (from the alarm, when due): move calls older than HOT_MS to their logs,
   * archive and delete those past retention, delete archived days past the archive's retention,
   * prune finished outbox rows (`prune`).
   */
  async upkeep(
    accountId: string,
    now: number,
    { retentionDays, archiveDays }: { retentionDays: number; archiveDays: number | null },
    prune: (before: number) => Promise<void>,
  ): Promise<boolean> {
    const due = this.upkeepDue(now);
    if (due === null || now < due) return false;
    return this.exclusive(async () => {
      try {
        let more = await this.move(accountId, now - HOT_MS);
        await this.expire(accountId, now, retentionDays * DAY_MS);
        if (await this.pruneArchived(accountId, now, retentionDays, archiveDays)) more = true;
        // Never kept past the calls' own retention: a payload holds the caller's number and click ids.
        await prune(now - Math.min(OUTBOX_KEEP_MS, retentionDays * DAY_MS));
        // More to move: due again at once.
        this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('upkeep_at', ?)", String(more ? now - DAY_MS : now));
        return true;
      } catch (err) {
        // A month's log or the archive failing: tried again UPKEEP_RETRY_MS later, not at every alarm.
        this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('upkeep_at', ?)", String(now - DAY_MS + UPKEEP_RETRY_MS));
        throw err;
      }
    });
  }

  /** Moving, archiving and erasing one at a time: an erasure never races a call's move to its log. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private lock: Promise<unknown> = Promise.resolve();
}
