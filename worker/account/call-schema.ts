/**
 * The `calls` table: its migrations (the AccountObject runs them in its own list; a CallLog, which
 * keeps older calls one month an object, runs CALL_LOG_MIGRATIONS) and the columns a row is
 * inserted with. One row per provider call id (call-row.ts), with its attribution and the exact
 * answer we gave. Kept whole: the migrations are the table's history, read top to bottom.
 */
import type { CallRow } from "./call-row";

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

/** Real providers: which one brought the call (its answer's format) and the call's outcome. */
export const CALLS_OUTCOME_MIGRATION = `
  ALTER TABLE calls ADD COLUMN provider TEXT NOT NULL DEFAULT 'reference';
  ALTER TABLE calls ADD COLUMN outcome TEXT;         -- answered | busy | no-answer | failed | canceled, NULL: none yet
  ALTER TABLE calls ADD COLUMN talk_seconds INTEGER;
  ALTER TABLE calls ADD COLUMN ended_at INTEGER;`;

/**
 * Call routing (docs/routing.md): the route a call took (its plan, kept so every later attempt is
 * rendered from it), each attempt's result, who answered, the recording; round robin turns.
 */
export const CALLS_ROUTE_MIGRATION = `
  ALTER TABLE calls ADD COLUMN route_list TEXT;                -- the step list the route chose
  ALTER TABLE calls ADD COLUMN route_plan TEXT;                -- JSON RouteTaken (call-row.ts)
  ALTER TABLE calls ADD COLUMN route_log TEXT NOT NULL DEFAULT '[]';  -- JSON RouteAttempt[]
  ALTER TABLE calls ADD COLUMN answered_by TEXT;
  ALTER TABLE calls ADD COLUMN recording_url TEXT;
  CREATE INDEX calls_pool_caller ON calls (pool_id, caller, started_at);
  CREATE TABLE route_turns (key TEXT PRIMARY KEY, n INTEGER NOT NULL);`;
/**
 * Whose round robin turn was last, and the rotation's agents then (JSON, in order): after a change
 * to the agents the next turn follows the old order (domain/route.ts turnAfter). The account's only.
 */
export const ROUTE_TURNS_LAST_MIGRATION = `
  ALTER TABLE route_turns ADD COLUMN last TEXT;
  ALTER TABLE route_turns ADD COLUMN agents TEXT;`;
/**
 * How long the agent who took a press-1 attempt was on the prompt, from their pick-up to their
 * keypress: the Dial's duration counts from the pick-up, so this is not talk time.
 */
export const CALLS_PROMPT_MIGRATION = `
  ALTER TABLE calls ADD COLUMN prompt_seconds INTEGER;`;
/**
 * An erasure request finds a caller's or a visit's calls by these, in the account's table and in
 * each month's log, instead of reading every call of the month (`calls_pool_caller` needs the pool
 * first). Partial: a call with no caller number or no visit is never looked up by it.
 */
export const CALLS_ERASURE_INDEX_MIGRATION = `
  CREATE INDEX calls_caller ON calls (caller) WHERE caller IS NOT NULL;
  CREATE INDEX calls_session ON calls (session) WHERE session IS NOT NULL;`;
/**
 * When each agent of a whispered or press-1 attempt picked up, where no pick-up time can travel in
 * the URL that reports the bridge (Plivo's Dial callbackUrl `answer` before its `connected`, Vonage's
 * onAnswer request before its notify): JSON {"<step>:<number>": ms}. The seconds to the bridge
 * become prompt_seconds.
 */
export const CALLS_PICKUPS_MIGRATION = `
  ALTER TABLE calls ADD COLUMN pickups TEXT;`;
/**
 * The visit's GA session ids by GA4 stream, JSON { "<STREAM>": "<session id>" } (the latest page
 * view's before the call): the call's GA4 event joins the session of its measurement id's stream.
 */
export const CALLS_GA_SESSIONS_MIGRATION = `
  ALTER TABLE calls ADD COLUMN ga_session_ids TEXT;`;
/**
 * What the provider needs to find a call's recording again once its URL has expired: Telnyx's
 * TeXML `<AccountSid>/<RecordingSid>` (its URL is a presigned link valid 10 minutes; GET
 * /v1/calls/{id}/recording asks Telnyx for a fresh one). NULL for the others: their URL lasts.
 */
export const CALLS_RECORDING_REF_MIGRATION = `
  ALTER TABLE calls ADD COLUMN recording_ref TEXT;`;
/** Every click id a visit can carry, the raw Google cookie values, the consent state, ad uploads. */
export const CALLS_CLICK_IDS_MIGRATION = `
  ALTER TABLE calls ADD COLUMN gbraid TEXT;
  ALTER TABLE calls ADD COLUMN wbraid TEXT;
  ALTER TABLE calls ADD COLUMN dclid TEXT;
  ALTER TABLE calls ADD COLUMN ttclid TEXT;
  ALTER TABLE calls ADD COLUMN li_fat_id TEXT;
  ALTER TABLE calls ADD COLUMN gcl_aw TEXT;
  ALTER TABLE calls ADD COLUMN gcl_gb TEXT;
  -- consent: JSON { adStorage, adUserData, … } or NULL: no signal;
  -- conversions: JSON { google_ads: CallConversion, microsoft_ads: … }. (No comment after the last
  -- statement: alone in a CallLog migration, SQLite would read it as an empty statement.)
  ALTER TABLE calls ADD COLUMN consent TEXT;
  ALTER TABLE calls ADD COLUMN conversions TEXT;`;
/**
 * The calls table of a CallLog: the account's, in one step. A migration that adds a column to the
 * account's calls table must be appended here too (a test compares both tables' columns).
 */
export const CALL_LOG_MIGRATIONS: string[] = [
  `${CALLS_MIGRATION}
   ${CALLS_OUTCOME_MIGRATION}`,
  CALLS_CLICK_IDS_MIGRATION,
  CALLS_ROUTE_MIGRATION,
  CALLS_PROMPT_MIGRATION,
  CALLS_ERASURE_INDEX_MIGRATION,
  CALLS_PICKUPS_MIGRATION,
  CALLS_GA_SESSIONS_MIGRATION,
  CALLS_RECORDING_REF_MIGRATION,
];

/** Every column of a row, in insert order. */
export const CALL_COLUMNS = [
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
  "provider",
  "outcome",
  "talk_seconds",
  "ended_at",
  "gbraid",
  "wbraid",
  "dclid",
  "ttclid",
  "li_fat_id",
  "gcl_aw",
  "gcl_gb",
  "consent",
  "conversions",
  "route_list",
  "route_plan",
  "route_log",
  "answered_by",
  "recording_url",
  "prompt_seconds",
  "pickups",
  "ga_session_ids",
  "recording_ref",
] as const satisfies readonly (keyof CallRow)[];
