/**
 * Admin writes that span the Directory and this account object, made crash-safe. The Directory is
 * another object, so a change of tracking numbers is two writes in two places: a claim there before
 * the pool is saved here, a release there after. Each is written here first, in the same
 * transaction as the step before it, and struck off when the step after it is done; what a crash
 * (or an unreachable Directory) leaves behind, the account's alarm finishes: a claim whose pool was
 * never saved is given back, a release that was never told is told again.
 */

export const CLAIM_JOURNAL_MIGRATION = `
  CREATE TABLE directory_journal (
    number TEXT PRIMARY KEY,
    op TEXT NOT NULL,      -- 'claim': asked of the Directory, not yet saved here; 'release': saved here, not yet told there
    until_at INTEGER,      -- release: the claim stays the account's until then (lease + grace)
    at INTEGER NOT NULL    -- when written: the alarm finishes entries older than RETRY_MS
  );`;

/** An entry this old was left by a write that did not finish (or whose Directory call failed). */
export const RETRY_MS = 10_000;

export class ClaimJournal {
  constructor(private readonly sql: SqlStorage) {}

  /** Before asking the Directory for `numbers`. */
  claiming(numbers: readonly string[], now: number): void {
    for (const n of numbers) this.sql.exec("INSERT OR REPLACE INTO directory_journal (number, op, until_at, at) VALUES (?, 'claim', NULL, ?)", n, now);
  }

  /** The claims were saved here, or refused there: nothing to undo. */
  claimed(numbers: readonly string[]): void {
    for (const n of numbers) this.sql.exec("DELETE FROM directory_journal WHERE number = ? AND op = 'claim'", n);
  }

  /** In the transaction that removed `numbers` here: the Directory is still to be told. */
  releasing(numbers: readonly string[], until: number, now: number): void {
    for (const n of numbers) this.sql.exec("INSERT OR REPLACE INTO directory_journal (number, op, until_at, at) VALUES (?, 'release', ?, ?)", n, until, now);
  }

  /** The Directory took the release. */
  released(numbers: readonly string[], until: number): void {
    for (const n of numbers) this.sql.exec("DELETE FROM directory_journal WHERE number = ? AND op = 'release' AND until_at = ?", n, until);
  }

  /**
   * The Directory could not be told (it failed or could not be reached): the entries are due again
   * RETRY_MS from now, not at once (their time stayed that of their write: the alarm was set in the
   * past and ran again and again against a Directory that was failing).
   */
  retryLater(numbers: readonly string[], now: number): void {
    for (const n of numbers) this.sql.exec("UPDATE directory_journal SET at = ? WHERE number = ?", now, n);
  }

  /** Entries left over by a write that did not finish. */
  due(now: number): { claims: string[]; releases: Map<number, string[]> } {
    const rows = this.sql
      .exec<{ number: string; op: string; until_at: number | null }>("SELECT number, op, until_at FROM directory_journal WHERE at <= ?", now - RETRY_MS)
      .toArray();
    const releases = new Map<number, string[]>();
    for (const r of rows.filter((r) => r.op === "release")) {
      const list = releases.get(r.until_at ?? now);
      if (list) list.push(r.number);
      else releases.set(r.until_at ?? now, [r.number]);
    }
    return { claims: rows.filter((r) => r.op === "claim").map((r) => r.number), releases };
  }

  nextDue(): number | null {
    const t = this.sql.exec<{ t: number | null }>("SELECT MIN(at) AS t FROM directory_journal").one().t;
    return t === null ? null : t + RETRY_MS;
  }
}
