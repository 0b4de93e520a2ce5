/**
 * A pool shard's lease tables as stored: their schema steps, the rows the lease table reads and the
 * queries on the allocation and call paths (each an index lookup: test/worker/durability.test.ts).
 * `numbers` holds every number of the shard with its live lease whole; `leases` is the history of
 * ended leases, for late calls.
 */
export const LEASES_MIGRATION = `
  CREATE TABLE numbers (
    number TEXT PRIMARY KEY,
    retiring INTEGER NOT NULL DEFAULT 0,    -- removed from the pool: goes when its lease ends
    overflow INTEGER NOT NULL DEFAULT 0,    -- the shared overflow number: never leased
    lease_id INTEGER, session TEXT, leased_at INTEGER, expires_at INTEGER,  -- current lease, all NULL when free
    released_at INTEGER NOT NULL DEFAULT 0, -- when it last became free (in the future: held until then)
    last_shown_at INTEGER, last_called_at INTEGER,
    sessions_served INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX numbers_free ON numbers (released_at) WHERE session IS NULL AND retiring = 0 AND overflow = 0;
  CREATE INDEX numbers_expiry ON numbers (expires_at) WHERE session IS NOT NULL;
  CREATE UNIQUE INDEX numbers_session ON numbers (session) WHERE session IS NOT NULL;
  CREATE TABLE leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL, session TEXT NOT NULL, source TEXT,
    leased_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    ended_at INTEGER, end_reason TEXT       -- expired | recycled
  );
  CREATE INDEX leases_number_time ON leases (number, leased_at);
  CREATE INDEX leases_ended ON leases (ended_at) WHERE ended_at IS NOT NULL;
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`;

export type NumberRow = {
  number: string;
  retiring: number;
  overflow: number;
  lease_id: number | null;
  session: string | null;
  leased_at: number | null;
  expires_at: number | null;
  last_shown_at: number | null;
  client: string | null;
  client_block: string | null;
  parts: string | null;
  source: string | null;
};

export type LeaseRow = {
  id: number;
  number: string;
  session: string;
  source: string | null;
  leased_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
};

/** A new lease's columns, in the order lease() binds them (both lease queries write the same). */
const LEASE_SET =
  "lease_id = ?, session = ?, source = ?, leased_at = ?, expires_at = ?, last_shown_at = ?, client = ?, client_block = ?, sessions_served = sessions_served + 1";

/** The queries on the allocation path; each must be an index lookup (checked by a test). */
export const QUERIES = {
  own: "SELECT * FROM numbers WHERE session = ?",
  // A new lease on the number free longest, chosen and written in one statement (one statement
  // fewer per new session, profiled). released_at is "free since", or for a number held after
  // moving between shards "free from": in the future, so not free yet.
  take: `UPDATE numbers SET ${LEASE_SET}
         WHERE number = (SELECT number FROM numbers WHERE session IS NULL AND retiring = 0 AND overflow = 0 AND released_at <= ? ORDER BY released_at LIMIT 1)
         RETURNING number, parts`,
  // A new lease on a recycled number: free since now in between (as if freed, then taken), should the lease be undone.
  leaseNumber: `UPDATE numbers SET ${LEASE_SET}, released_at = ? WHERE number = ? RETURNING number, parts`,
  // The lease that ends first: the session seen longest ago (a lease or renewal sets its end a lease
  // length on), never one that asked more recently; on the expiry index, so a lease writes one index
  // entry fewer. (A renewal refused an extension at its client's cap keeps its end: it goes first.
  // Leases on retiring numbers are read past: only after numbers were removed from a full pool, and
  // each ends within a lease.)
  victim: "SELECT * FROM numbers WHERE session IS NOT NULL AND retiring = 0 AND overflow = 0 ORDER BY expires_at LIMIT 1",
  byClient: "SELECT COUNT(*) AS n FROM numbers WHERE client = ? AND session IS NOT NULL",
  byBlock: "SELECT COUNT(*) AS n FROM numbers WHERE client_block = ? AND session IS NOT NULL",
  due: "SELECT * FROM numbers WHERE session IS NOT NULL AND expires_at <= ? ORDER BY expires_at",
  nextExpiry: "SELECT MIN(expires_at) AS t FROM numbers WHERE session IS NOT NULL",
  oldestEnded: "SELECT MIN(ended_at) AS t FROM leases WHERE ended_at IS NOT NULL",
  // A renewal's source context, when it changed (no write otherwise).
  resource: "UPDATE numbers SET source = ? WHERE number = ? AND source IS NOT ?",
} as const;

/** The call path's query: the last ended lease of a number begun at or before a time (when its live lease began later). */
export const LEASE_AT = "SELECT * FROM leases WHERE number = ? AND leased_at <= ? ORDER BY leased_at DESC, id DESC LIMIT 1";
/** A number's live lease if it began at or before a time: the last lease begun by then (every ended one began before it). */
export const LIVE_AT =
  "SELECT lease_id AS id, number, session, source, leased_at, expires_at FROM numbers WHERE number = ? AND session IS NOT NULL AND leased_at <= ?";

/** Columns, indexes for the client caps and the recycle order (a later schema step). */
export const CLIENTS_MIGRATION = `
  ALTER TABLE numbers ADD COLUMN client TEXT;
  ALTER TABLE numbers ADD COLUMN client_block TEXT;
  CREATE INDEX numbers_client ON numbers (client) WHERE session IS NOT NULL;
  CREATE INDEX numbers_block ON numbers (client_block) WHERE session IS NOT NULL;
  CREATE INDEX numbers_idle ON numbers (last_shown_at) WHERE session IS NOT NULL AND retiring = 0 AND overflow = 0;`;

/**
 * Each number's parts as the snippet writes them (PhoneParts JSON), made when the number is added
 * (libphonenumber costs more than the rest of a first allocation's work in the object, profiled);
 * NULL for numbers added before this step (made when first leased, kept in memory).
 */
export const PARTS_MIGRATION = "ALTER TABLE numbers ADD COLUMN parts TEXT;";

/**
 * A live lease kept whole on its number (its source too), the history for ended leases only: a new
 * lease writes one row, not two (the INSERT was a fifth of a first allocation's time in the object,
 * profiled). Live leases' history rows move onto their numbers.
 */
export const LIVE_ON_NUMBER_MIGRATION = `
  ALTER TABLE numbers ADD COLUMN source TEXT;
  UPDATE numbers SET source = (SELECT source FROM leases WHERE leases.id = numbers.lease_id) WHERE lease_id IS NOT NULL;
  DELETE FROM leases WHERE ended_at IS NULL;`;

/**
 * The client caps' indexes hold only leases with a client (an IPv4 client has no /48 block; local
 * development, none): a NULL is never counted, and every index entry is one more write per lease
 * (profiled). `client = ?` implies `client IS NOT NULL`, so the counts still use them.
 */
export const CLIENT_INDEXES_MIGRATION = `
  DROP INDEX numbers_client;
  DROP INDEX numbers_block;
  CREATE INDEX numbers_client ON numbers (client) WHERE session IS NOT NULL AND client IS NOT NULL;
  CREATE INDEX numbers_block ON numbers (client_block) WHERE session IS NOT NULL AND client_block IS NOT NULL;`;

/**
 * The recycle victim is the lease that ends first (QUERIES.victim, on `numbers_expiry`), not the
 * row last shown longest ago: the same order wherever every renewal extends its lease by the pool's
 * lease length, and one index entry fewer for every lease and renewal to write (profiled: each is a
 * few percent of a first allocation).
 */
export const RECYCLE_BY_EXPIRY_MIGRATION = "DROP INDEX numbers_idle;";
