/**
 * A CallLog: one Durable Object per account and UTC month (`<account>/<YYYY-MM>`), holding that
 * month's calls once they have left the account object (a few days after they were received), so
 * no single object holds all of a busy account's calls. Its `calls` table is the account's own
 * (the same CallStore and columns). Calls past the account's retention are archived from here to
 * R2 (NDJSON, one object per account and day) and then deleted; erasure deletes a call here too.
 */
import { DurableObject } from "cloudflare:workers";
import type { CallRow } from "../account/call-row";
import { CALL_LOG_MIGRATIONS } from "../account/call-schema";
import { type CallerCall, CallStore, type ErasureKey } from "../account/call-store";
import { callView } from "../account/call-view";
import { hasSchema, migrate } from "../platform/sql";
import type { CallFilter, CallGroup, CallGrouping, CallStats } from "../schemas/calls";
import type { CallConversion } from "../schemas/conversions";
import { archiveKey, mergeArchive } from "./archive";

export const callLogName = (accountId: string, month: string) => `${accountId}/${month}`;

/** A call's month (UTC), the name part of its log. */
export const monthOf = (t: number) => new Date(t).toISOString().slice(0, 7);

export class CallLog extends DurableObject<Env> {
  private readonly store: CallStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new CallStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      if (hasSchema(ctx.storage)) migrate(ctx.storage, CALL_LOG_MIGRATIONS);
    });
  }

  /** Store calls moved from the account object (a call already here is left as it is). */
  put(rows: CallRow[]): number {
    if (!hasSchema(this.ctx.storage)) migrate(this.ctx.storage, CALL_LOG_MIGRATIONS);
    let stored = 0;
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) if (this.store.insert(r)) stored++;
    });
    return stored;
  }

  /** Up to `n` matching calls after the cursor, newest first; null when the cursor is not ours. */
  after(q: CallFilter & { cursor?: string | undefined }, n: number): CallRow[] | null {
    return hasSchema(this.ctx.storage) ? this.store.after(q, n) : [];
  }

  get(id: string): CallRow | null {
    return hasSchema(this.ctx.storage) ? this.store.get(id) : null;
  }

  statDays(f: CallFilter): CallStats["days"] {
    return hasSchema(this.ctx.storage) ? this.store.statDays(f) : [];
  }

  groupRows(f: CallFilter, by: CallGrouping): CallGroup[] {
    return hasSchema(this.ctx.storage) ? this.store.groupRows(f, by) : [];
  }

  count(): number {
    return hasSchema(this.ctx.storage) ? this.store.count() : 0;
  }

  /** A moved call's upload state on one platform (an upload retried, resumed or given up after the move); false when it is not here. */
  setConversion(id: string, platform: string, state: CallConversion): boolean {
    return hasSchema(this.ctx.storage) && this.store.setConversion(id, platform, state);
  }

  /** Up to `limit` calls an erasure request names. */
  matching(key: ErasureKey, limit: number): CallerCall[] {
    return hasSchema(this.ctx.storage) ? this.store.matching(key, limit) : [];
  }

  /** Erase calls; how many were here. */
  eraseMany(ids: string[]): number {
    return hasSchema(this.ctx.storage) ? this.store.delete(ids) : 0;
  }

  /** Erase one call; true when it was here. */
  erase(id: string): boolean {
    return this.eraseMany([id]) > 0;
  }

  /** The calls archiveBefore(cutoff) would archive, with their days (the account indexes them first). */
  archivable(cutoff: number): { id: string; day: string }[] {
    if (!hasSchema(this.ctx.storage)) return [];
    return this.ctx.storage.sql
      .exec<{ id: string; day: string }>("SELECT id, strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day FROM calls WHERE started_at < ?", cutoff)
      .toArray();
  }

  /**
   * Archive every call that started before `cutoff` to R2, one NDJSON object per UTC day (merged
   * with what an earlier run archived for that day), then delete them here. Answers how many were
   * archived and how many calls stay; with none left the object's storage is deleted entirely.
   */
  async archiveBefore(accountId: string, cutoff: number): Promise<{ archived: number; remaining: number }> {
    if (!hasSchema(this.ctx.storage)) return { archived: 0, remaining: 0 };
    const sql = this.ctx.storage.sql;
    const days = sql
      .exec<{ day: string }>("SELECT DISTINCT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day FROM calls WHERE started_at < ? ORDER BY day", cutoff)
      .toArray()
      .map((d) => d.day);
    let archived = 0;
    for (const day of days) {
      const start = Date.parse(`${day}T00:00:00Z`);
      const rows = sql
        .exec<CallRow>(
          "SELECT * FROM calls WHERE started_at >= ? AND started_at < ? AND started_at < ? ORDER BY started_at, id",
          start,
          start + 86_400_000,
          cutoff,
        )
        .toArray();
      if (!rows.length) continue;
      const key = archiveKey(accountId, day);
      const existing = await this.env.ARCHIVE.get(key);
      const body = mergeArchive(
        existing ? await existing.text() : "",
        rows.map((r) => callView(r, [])),
      );
      // Written (and so readable) before anything is deleted: a crash in between archives them again.
      await this.env.ARCHIVE.put(key, body, { httpMetadata: { contentType: "application/x-ndjson" } });
      archived += this.store.delete(rows.map((r) => r.id));
    }
    const remaining = this.store.count();
    if (remaining === 0) await this.ctx.storage.deleteAll();
    return { archived, remaining };
  }
}
