/**
 * The outbox table (outbox.ts) as stored: its schema steps, run in order by the account object's
 * migrations (account.ts MIGRATIONS).
 */

export const OUTBOX_MIGRATION = `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL, kind TEXT NOT NULL,        -- ga4 | webhook | alert (call_id: the alert's key)
    payload TEXT NOT NULL,                            -- the body, identical on every attempt
    status TEXT NOT NULL DEFAULT 'pending',           -- pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER, last_status INTEGER, last_error TEXT,
    created_at INTEGER NOT NULL, delivered_at INTEGER
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
  CREATE INDEX outbox_call ON outbox (call_id);`;

/** What a call delivery is about: the ring (`call`) or the call's outcome (`call.completed`). */
export const OUTBOX_EVENT_MIGRATION = "ALTER TABLE outbox ADD COLUMN event TEXT NOT NULL DEFAULT 'call';";

/**
 * Dead letters, redelivery and failing-delivery episodes: `failed` (the old give-up state) becomes
 * `dead`; `one_shot` marks a redelivered row (one more attempt, then dead again if it fails).
 */
export const OUTBOX_DEAD_LETTER_MIGRATION = `
  ALTER TABLE outbox ADD COLUMN one_shot INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN redeliveries INTEGER NOT NULL DEFAULT 0;
  UPDATE outbox SET status = 'dead' WHERE status = 'failed';
  CREATE INDEX outbox_status ON outbox (status, id);`;
