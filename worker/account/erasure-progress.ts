/**
 * How far an erasure by caller has come through the R2 archive. The archive is read a bounded
 * number of days a request (ARCHIVE_DAYS_PER_ERASURE), so a caller with years of archived calls is
 * erased over several requests (`more`); the next request naming the same caller goes on after the
 * last day looked at instead of reading every day again. Kept under a SHA-256 of what the request
 * names, not the number, and only while the erasure goes on: removed when the archive is done,
 * forgotten ERASURE_PROGRESS_KEEP_MS after the last request (the erasure then looks through the
 * archive again from its first day, which erases nothing twice: a day keeps no call of the caller).
 */
import { sha256Hex } from "../platform/crypto";

/** Archived days (R2 objects) an erasure request reads at most. */
export const ARCHIVE_DAYS_PER_ERASURE = 31;

/** How long an erasure's progress waits for its next request. */
export const ERASURE_PROGRESS_KEEP_MS = 86_400_000;

export const ERASURE_PROGRESS_MIGRATION = `
  CREATE TABLE erasure_progress (
    key_hash TEXT PRIMARY KEY,  -- SHA-256 of what the request names ("caller:+44…")
    after TEXT NOT NULL,        -- the last archived day (its R2 key) looked at
    until INTEGER NOT NULL      -- forgotten after
  );`;

export class ErasureProgress {
  constructor(private readonly sql: SqlStorage) {}

  /** The last archived day this erasure looked at (null: none yet). */
  async after(key: string, now: number): Promise<string | null> {
    const row = this.sql
      .exec<{ after: string }>("SELECT after FROM erasure_progress WHERE key_hash = ? AND until >= ?", await sha256Hex(key), now)
      .toArray()[0];
    return row?.after ?? null;
  }

  /** Where the next request goes on (null: the archive is done, the progress goes). */
  async save(key: string, after: string | null, now: number): Promise<void> {
    const hash = await sha256Hex(key);
    if (after === null) this.sql.exec("DELETE FROM erasure_progress WHERE key_hash = ?", hash);
    else this.sql.exec("INSERT OR REPLACE INTO erasure_progress (key_hash, after, until) VALUES (?, ?, ?)", hash, after, now + ERASURE_PROGRESS_KEEP_MS);
  }

  /** Forgets progress not resumed in time (from the daily upkeep). */
  prune(now: number): void {
    this.sql.exec("DELETE FROM erasure_progress WHERE until < ?", now);
  }
}
