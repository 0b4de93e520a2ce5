/**
 * Calls erased lately, so that a provider sending one of them again does not store it again. A
 * provider resends an inbound call it got no answer to in time (Vonage twice within seconds, others
 * on a timeout), and reports its status until it ends, hours later for a long call: erased while it
 * rang, such a call would come back whole. For ERASED_KEEP_MS after an erasure its id (as a SHA-256
 * hash: nothing of the call is kept) makes the inbound request get its answer — the caller is still
 * connected — with nothing stored or sent about it, and its status reports ignored.
 *
 * Remembering an id and forgetting its call's rows happen in one transaction (CallDesk.forgetHere):
 * the key is made first, since hashing awaits, so no request can come in between and store a
 * resend or a report of a call whose row is gone but whose id is not yet remembered.
 */
import { sha256Hex } from "../platform/crypto";

/** How long an erased call id is remembered: the longest a provider's reports of a call may come (as HOT_MS allows for). */
export const ERASED_KEEP_MS = 2 * 86_400_000;

export const ERASED_CALLS_MIGRATION = `
  CREATE TABLE erased_calls (
    id_hash TEXT PRIMARY KEY,   -- SHA-256 of the provider's call id
    until INTEGER NOT NULL      -- forgotten after
  );`;

/** The key an erased call is remembered by. */
export const erasedKey = (id: string): Promise<string> => sha256Hex(id);

export class ErasedCalls {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Remembers an erased call by its key (made beforehand) until ERASED_KEEP_MS from now; forgets
   * those past their time. No await: it runs in the transaction that forgets the call's rows.
   */
  rememberKey(key: string, now: number): void {
    this.sql.exec("INSERT OR REPLACE INTO erased_calls (id_hash, until) VALUES (?, ?)", key, now + ERASED_KEEP_MS);
    this.prune(now);
  }

  /** Remembers these call ids (none of them here: erased from a month's log). */
  async remember(ids: readonly string[], now: number): Promise<void> {
    const keys = await Promise.all(ids.map(erasedKey));
    for (const key of keys) this.rememberKey(key, now);
  }

  /** Forgets the ids past their time (also from the daily upkeep). */
  prune(now: number): void {
    this.sql.exec("DELETE FROM erased_calls WHERE until < ?", now);
  }

  /** Whether this call was erased lately. */
  async has(id: string, now: number): Promise<boolean> {
    if (this.sql.exec("SELECT 1 FROM erased_calls LIMIT 1").toArray().length === 0) return false;
    return this.sql.exec("SELECT 1 FROM erased_calls WHERE id_hash = ? AND until >= ?", await erasedKey(id), now).toArray().length > 0;
  }
}
