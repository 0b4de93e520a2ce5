/**
 * Which archived day holds each archived call, so that erasing one call (`DELETE /v1/calls/{id}`)
 * reads the day that holds it instead of every day of the archive (an R2 read each: years of them
 * took seconds a request and, past ten thousand, the platform's subrequest limit). A call is
 * indexed by a hash of its id (nothing of the call itself is kept here) before it is archived, and
 * forgotten when it is erased or its day is pruned. Calls archived before the index existed (the
 * days up to `archive_indexed_from`, kept in meta by the migration) are still looked for day by day.
 */
import { sha256Hex } from "../platform/crypto";

export const ARCHIVED_CALLS_MIGRATION = `
  CREATE TABLE archived_calls (
    id_hash TEXT NOT NULL,   -- the first 16 hex digits of the SHA-256 of the provider's call id
    day TEXT NOT NULL,       -- YYYY-MM-DD: the archived day (calls/<account>/<day>.ndjson)
    PRIMARY KEY (id_hash, day)
  ) WITHOUT ROWID;
  CREATE INDEX archived_calls_day ON archived_calls (day);
  INSERT OR REPLACE INTO meta (key, value) VALUES ('archive_indexed_from', strftime('%Y-%m-%d', 'now'));`;

/** An id's key here: 64 bits of its SHA-256 (two ids sharing one only make a day more to read). */
const idHash = async (id: string) => (await sha256Hex(id)).slice(0, 16);

export class ArchivedCalls {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {}

  /** Notes where these calls are about to be archived (before they are: a crash between leaves a day more to read, never a call unfound). */
  async add(calls: readonly { id: string; day: string }[]): Promise<void> {
    const rows = await Promise.all(calls.map(async (c) => [await idHash(c.id), c.day] as const));
    this.storage.transactionSync(() => {
      for (const [hash, day] of rows) this.sql.exec("INSERT OR IGNORE INTO archived_calls (id_hash, day) VALUES (?, ?)", hash, day);
    });
  }

  /** The archived days that may hold this call. */
  async daysOf(id: string): Promise<string[]> {
    return this.sql
      .exec<{ day: string }>("SELECT day FROM archived_calls WHERE id_hash = ? ORDER BY day", await idHash(id))
      .toArray()
      .map((r) => r.day);
  }

  /** The last day that may hold calls archived before the index existed (null: none). */
  unindexedThrough(): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'archive_indexed_from'").toArray()[0]?.value ?? null;
  }

  /** Forgets erased calls. */
  async forget(ids: readonly string[]): Promise<void> {
    const hashes = await Promise.all(ids.map(idHash));
    this.storage.transactionSync(() => {
      for (const h of hashes) this.sql.exec("DELETE FROM archived_calls WHERE id_hash = ?", h);
    });
  }

  /** Forgets the calls of archived days up to `day` (pruned: archive retention). */
  forgetThrough(day: string): void {
    this.sql.exec("DELETE FROM archived_calls WHERE day <= ?", day);
  }
}
