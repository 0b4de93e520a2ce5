/**
 * The account's call log (SQLite in the AccountObject): one row per provider call id, with its
 * full attribution and the exact answer we gave (replayed to repeated deliveries). Listing is
 * newest first with a keyset cursor on (started_at, id); every filter has an index.
 */
import type { CallFilter, CallPageQuery, CallStats } from "../schemas/calls";
import type { CallRow } from "./call-record";

export const CALLS_MIGRATION = `
  CREATE TABLE calls (
    id TEXT PRIMARY KEY,                    -- the provider's call id
    pool_id TEXT,                           -- NULL: the dialled number is not this account's
    tracking_number TEXT NOT NULL, caller TEXT,
    started_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
    attributed INTEGER NOT NULL, reason TEXT NOT NULL,  -- live | grace | overflow | no_lease | unknown_number
    session TEXT, source_name TEXT, referrer TEXT, landing TEXT,
    utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_term TEXT, utm_content TEXT,
    gclid TEXT, msclkid TEXT, fbclid TEXT, ga_client_id TEXT,
    lease_id INTEGER, leased_at INTEGER, lease_expires_at INTEGER, lease_ended_at INTEGER, lease_end_reason TEXT,
    action TEXT NOT NULL, routed_to TEXT,   -- transfer | whisper | fallback | hangup, and the number
    answer TEXT NOT NULL                    -- the actions JSON we answered with
  );
  CREATE INDEX calls_started ON calls (started_at, id);
  CREATE INDEX calls_pool_started ON calls (pool_id, started_at, id);
  CREATE INDEX calls_source_started ON calls (source_name, started_at, id);`;

const COLUMNS = [
  "id",
  "pool_id",
  "tracking_number",
  "caller",
  "started_at",
  "received_at",
  "attributed",
  "reason",
  "session",
  "source_name",
  "referrer",
  "landing",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "msclkid",
  "fbclid",
  "ga_client_id",
  "lease_id",
  "leased_at",
  "lease_expires_at",
  "lease_ended_at",
  "lease_end_reason",
  "action",
  "routed_to",
  "answer",
] as const satisfies readonly (keyof CallRow)[];

/** The list query, exported so a test can check it uses an index. */
export const LIST_ORDER = "ORDER BY started_at DESC, id DESC";

export class CallStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Store a call; false (and nothing changed) when its id is already stored. */
  insert(row: CallRow): boolean {
    const placeholders = COLUMNS.map(() => "?").join(", ");
    const values = COLUMNS.map((c) => row[c]);
    return this.sql.exec(`INSERT INTO calls (${COLUMNS.join(", ")}) VALUES (${placeholders}) ON CONFLICT (id) DO NOTHING`, ...values).rowsWritten > 0;
  }

  answerOf(id: string): string | null {
    return this.sql.exec<{ answer: string }>("SELECT answer FROM calls WHERE id = ?", id).toArray()[0]?.answer ?? null;
  }

  get(id: string): CallRow | null {
    return this.sql.exec<CallRow>("SELECT * FROM calls WHERE id = ?", id).toArray()[0] ?? null;
  }

  /** One page, newest first; `nextCursor` is null on the last page. Null when the cursor is not one of ours. */
  page(q: CallPageQuery): { rows: CallRow[]; nextCursor: string | null } | null {
    const { where, args } = conditions(q);
    if (q.cursor !== undefined) {
      const at = decodeCursor(q.cursor);
      if (!at) return null;
      where.push("(started_at < ? OR (started_at = ? AND id < ?))");
      args.push(at.startedAt, at.startedAt, at.id);
    }
    const rows = this.sql.exec<CallRow>(`SELECT * FROM calls ${whereClause(where)} ${LIST_ORDER} LIMIT ?`, ...args, q.limit + 1).toArray();
    const more = rows.length > q.limit;
    if (more) rows.pop();
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.started_at, last.id) : null };
  }

  /** Calls and attributed calls per UTC day and source name (null: no source). */
  stats(f: CallFilter): CallStats {
    const { where, args } = conditions(f);
    const days = this.sql
      .exec<{ day: string; source: string | null; calls: number; attributed: number }>(
        `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day, source_name AS source, COUNT(*) AS calls, SUM(attributed) AS attributed
         FROM calls ${whereClause(where)} GROUP BY day, source_name ORDER BY day, source_name`,
        ...args,
      )
      .toArray();
    const total = days.reduce((t, d) => ({ calls: t.calls + d.calls, attributed: t.attributed + d.attributed }), { calls: 0, attributed: 0 });
    return { days, total };
  }
}

function conditions(f: CallFilter): { where: string[]; args: SqlStorageValue[] } {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  const add = (condition: string, value: SqlStorageValue) => {
    where.push(condition);
    args.push(value);
  };
  if (f.pool !== undefined) add("pool_id = ?", f.pool);
  if (f.source !== undefined) add("source_name = ?", f.source);
  if (f.attributed !== undefined) add("attributed = ?", f.attributed ? 1 : 0);
  if (f.from !== undefined) add("started_at >= ?", f.from);
  if (f.to !== undefined) add("started_at < ?", f.to);
  return { where, args };
}

const whereClause = (where: string[]) => (where.length ? `WHERE ${where.join(" AND ")}` : "");

function encodeCursor(startedAt: number, id: string): string {
  return btoa(`${startedAt}~${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { startedAt: number; id: string } | null {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const m = /^(\d{1,16})~([A-Za-z0-9._:-]{1,128})$/.exec(text);
  return m ? { startedAt: Number(m[1]), id: m[2]! } : null;
}
