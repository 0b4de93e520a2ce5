/**
 * A calls table (call-schema.ts) read and written: one row per provider call id, with its full
 * attribution and the exact answer we gave (replayed to repeated deliveries). The AccountObject
 * keeps its recent calls in one; older calls live in one CallLog object per month
 * (worker/calllog/), with the same table and this same class. Listing is newest first with a
 * keyset cursor on (started_at, id) (domain/call-cursor.ts); every filter has an index.
 */
import { decodeCursor } from "../domain/call-cursor";
import { totalled } from "../domain/call-stats";
import { type LastTurn, turnAfter } from "../domain/route";
import { localTime } from "../domain/schedule";
import type { CallFilter, CallGroup, CallGrouping, CallStats } from "../schemas/calls";
import { isCallerNumber } from "../voice/input";
import type { CallPlan } from "../voice/plan";
import { type CallRow, logOf, type RouteAttempt } from "./call-row";
import { CALL_COLUMNS } from "./call-schema";

/** A quarter of an hour: the unit every time zone's offset is a multiple of. */
const QUARTER_MS = 900_000;

/** The column each grouping of `GET /v1/stats/calls?groupBy=` reads (landing: normalised to the page by domain/call-stats.ts `landingPage`). */
export const GROUP_COLUMNS = { source: "source_name", campaign: "utm_campaign", landing: "landing", pool: "pool_id" } as const satisfies Record<
  CallGrouping,
  keyof CallRow
>;

/**
 * A landing URL as its page in SQL (domain/call-stats.ts landingPage: up to its first ? or #), so
 * that a month's rows come back one per page: grouped by the whole URL, nearly every paid call (its
 * own gclid) was a row of its own, tens of MB a busy month through one RPC.
 */
const LANDING_PAGE = `substr(landing, 1, CASE
     WHEN instr(landing, '?') = 0 AND instr(landing, '#') = 0 THEN length(landing)
     WHEN instr(landing, '?') = 0 THEN instr(landing, '#') - 1
     WHEN instr(landing, '#') = 0 THEN instr(landing, '?') - 1
     ELSE min(instr(landing, '?'), instr(landing, '#')) - 1 END)`;

/** The grouped totals query (before its WHERE is filled in), exported so a test can check it uses an index. */
export const groupQuery = (by: CallGrouping, where: string) => {
  const key = by === "landing" ? LANDING_PAGE : GROUP_COLUMNS[by];
  return `SELECT ${key} AS key, COUNT(*) AS calls, SUM(attributed) AS attributed,
     SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered, COALESCE(SUM(CASE WHEN outcome = 'answered' THEN talk_seconds END), 0) AS talkSeconds
   FROM calls ${where} GROUP BY key`;
};

/** The list query, exported so a test can check it uses an index. */
export const LIST_ORDER = "ORDER BY started_at DESC, id DESC";

/** A call found for an erasure by caller or visit: its id, and its visit's session and pool (its touch on the lease is forgotten too). */
export type CallerCall = { id: string; session: string | null; pool_id: string | null };
/** What an erasure request names: the caller's number, or the visit's session id. */
export type ErasureKey = { by: "caller" | "session"; value: string };

export class CallStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Store a call; false (and nothing changed) when its id is already stored. */
  insert(row: CallRow): boolean {
    const placeholders = CALL_COLUMNS.map(() => "?").join(", ");
    const values = CALL_COLUMNS.map((c) => row[c]);
    return this.sql.exec(`INSERT INTO calls (${CALL_COLUMNS.join(", ")}) VALUES (${placeholders}) ON CONFLICT (id) DO NOTHING`, ...values).rowsWritten > 0;
  }

  /** The answer a stored call got, in its provider's format. */
  answerOf(id: string): { answer: string; provider: CallRow["provider"] } | null {
    return this.sql.exec<{ answer: string; provider: CallRow["provider"] }>("SELECT answer, provider FROM calls WHERE id = ?", id).toArray()[0] ?? null;
  }

  /** Record the outcome merged from the call's status reports. */
  setOutcome(id: string, o: { outcome: CallRow["outcome"]; talkSeconds: number | null; endedAt: number | null }): void {
    this.sql.exec("UPDATE calls SET outcome = ?, talk_seconds = ?, ended_at = ? WHERE id = ?", o.outcome, o.talkSeconds, o.endedAt, id);
  }

  /** Record where a call's upload to one ad platform stands (merged into its `conversions` JSON). */
  /** A call's upload state on one platform; false when the call is not here (moved to its month's log). */
  setConversion(id: string, platform: string, state: unknown): boolean {
    return (
      this.sql.exec("UPDATE calls SET conversions = json_set(COALESCE(conversions, '{}'), ?, json(?)) WHERE id = ?", `$.${platform}`, JSON.stringify(state), id)
        .rowsWritten > 0
    );
  }

  /** Append an attempt's end to the call's route log (once per attempt and status). */
  logAttempt(id: string, attempt: RouteAttempt): void {
    const row = this.sql.exec<{ route_log: string }>("SELECT route_log FROM calls WHERE id = ?", id).toArray()[0];
    if (!row) return;
    const log = logOf(row);
    if (log.some((a) => a.step === attempt.step && a.status === attempt.status)) return;
    this.sql.exec("UPDATE calls SET route_log = ? WHERE id = ?", JSON.stringify([...log, attempt]), id);
  }

  /** Who took the call, as stored (null: nobody yet, or no such call). */
  private answeredBy(id: string): string | null {
    return this.sql.exec<{ answered_by: string | null }>("SELECT answered_by FROM calls WHERE id = ?", id).toArray()[0]?.answered_by ?? null;
  }

  /**
   * Who took the call: the first to claim it keeps it (a late agent of a simultaneous ring, or a
   * repeated callback, changes nothing). True when `number` is the call's answerer now.
   */
  claimAnsweredBy(id: string, number: string, promptSeconds: number | null = null): boolean {
    this.sql.exec("UPDATE calls SET answered_by = ?, prompt_seconds = ? WHERE id = ? AND answered_by IS NULL", number, promptSeconds, id);
    return this.answeredBy(id) === number;
  }

  /**
   * The agent who was bridged after `promptSeconds` on the whisper: they take the call if nobody has,
   * and the seconds are kept for whoever took it when they are that agent and none were known (a
   * number's answered event, a one-number attempt's answer, may have named them first). A later
   * report (a repeat, a late one) or another agent's changes nothing. True when `number` has the call.
   */
  claimBridged(id: string, number: string, promptSeconds: number): boolean {
    this.sql.exec(
      "UPDATE calls SET answered_by = ?, prompt_seconds = ? WHERE id = ? AND COALESCE(answered_by, ?) = ? AND prompt_seconds IS NULL",
      number,
      promptSeconds,
      id,
      number,
      number,
    );
    return this.answeredBy(id) === number;
  }

  /** When an agent picked up (`key`: "<step>:<number>"): the first report is kept. */
  notePickup(id: string, key: string, at: number): void {
    const path = `$."${key}"`;
    this.sql.exec(
      "UPDATE calls SET pickups = json_set(COALESCE(pickups, '{}'), ?, ?) WHERE id = ? AND json_extract(COALESCE(pickups, '{}'), ?) IS NULL",
      path,
      at,
      id,
      path,
    );
  }

  /** The call's plan as it goes on (a round robin's order decided when the call reached it). */
  setPlan(id: string, plan: CallPlan): void {
    this.sql.exec("UPDATE calls SET route_plan = json_set(route_plan, '$.plan', json(?)) WHERE id = ? AND route_plan IS NOT NULL", JSON.stringify(plan), id);
  }

  /**
   * The recording's URL, and what finds it again: a later report of the same URL without it keeps
   * it; another URL (another recording) brings its own, or none.
   */
  setRecording(id: string, url: string, ref: string | null): void {
    this.sql.exec(
      "UPDATE calls SET recording_ref = CASE WHEN ? IS NOT NULL THEN ? WHEN recording_url = ? THEN recording_ref END, recording_url = ? WHERE id = ?",
      ref,
      ref,
      url,
      url,
      id,
    );
  }

  /**
   * Who answered this caller's latest answered call in the pool, when it is one of `agents`. None
   * for a withheld caller id ("anonymous", `+266696687`…): every caller who withholds it sends the same.
   */
  lastAgent(poolId: string, caller: string | null, agents: readonly string[]): string | null {
    if (!isCallerNumber(caller)) return null;
    const r = this.sql
      .exec<{ answered_by: string }>(
        "SELECT answered_by FROM calls WHERE pool_id = ? AND caller = ? AND answered_by IS NOT NULL ORDER BY started_at DESC LIMIT 1",
        poolId,
        caller,
      )
      .toArray()[0];
    return r && agents.includes(r.answered_by) ? r.answered_by : null;
  }

  /** What the rotation `key` keeps of its last turn (null: none yet). */
  private lastTurn(key: string): LastTurn | null {
    const r = this.sql
      .exec<{ n: number; last: string | null; agents: string | null }>("SELECT n, last, agents FROM route_turns WHERE key = ?", key)
      .toArray()[0];
    return r ? { n: r.n, agent: r.last, agents: r.agents ? (JSON.parse(r.agents) as string[]) : null } : null;
  }

  /** Forget the round robin turns of pools gone for good (keys `<pool>/…`: domain/route.ts). */
  forgetTurns(poolIds: readonly string[]): void {
    // The keys of a pool sort from "<pool>/" to just before "<pool>0" ("0" follows "/").
    for (const id of poolIds) this.sql.exec("DELETE FROM route_turns WHERE key >= ? AND key < ?", `${id}/`, `${id}0`);
  }

  /** Where a rotation's next call would start in `agents`, not counted (a resend of an erased call, which rings no one new). */
  peekTurn(key: string, agents: readonly string[]): number {
    return turnAfter(this.lastTurn(key), agents);
  }

  /** Where a rotation's turn for this call starts in `agents` (turnAfter), counted: kept as whose turn it was, and the agents then. */
  nextTurn(key: string, agents: readonly string[]): number {
    const k = turnAfter(this.lastTurn(key), agents);
    this.sql.exec(
      "INSERT INTO route_turns (key, n, last, agents) VALUES (?, 0, ?, ?) ON CONFLICT (key) DO UPDATE SET n = n + 1, last = excluded.last, agents = excluded.agents",
      key,
      agents[k]!,
      JSON.stringify(agents),
    );
    return k;
  }

  get(id: string): CallRow | null {
    return this.sql.exec<CallRow>("SELECT * FROM calls WHERE id = ?", id).toArray()[0] ?? null;
  }

  /** Up to `n` matching calls after the query's cursor, newest first (null: not a cursor of ours). */
  after(q: CallFilter & { cursor?: string | undefined }, n: number): CallRow[] | null {
    const { where, args } = conditions(q);
    if (q.cursor !== undefined) {
      const at = decodeCursor(q.cursor);
      if (!at) return null;
      where.push("(started_at < ? OR (started_at = ? AND id < ?))");
      args.push(at.startedAt, at.startedAt, at.id);
    }
    return this.sql.exec<CallRow>(`SELECT * FROM calls ${whereClause(where)} ${LIST_ORDER} LIMIT ?`, ...args, n).toArray();
  }

  /**
   * Calls, attributed and answered calls and talk time per day and source name (null: no source),
   * without the total (merged with the month logs' days: call-months.ts): UTC days, or
   * `f.timeZone`'s. For a zone, SQL counts per quarter hour (every zone's offset and change of
   * offset falls on one) and each quarter goes to its local day.
   */
  statDays(f: CallFilter): CallStats["days"] {
    const { where, args } = conditions(f);
    const counts = `source_name AS source, COUNT(*) AS calls, SUM(attributed) AS attributed,
           SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered, COALESCE(SUM(CASE WHEN outcome = 'answered' THEN talk_seconds END), 0) AS talkSeconds
         FROM calls ${whereClause(where)}`;
    if (f.timeZone === undefined)
      return this.sql
        .exec<CallStats["days"][number]>(
          `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day, ${counts} GROUP BY day, source_name ORDER BY day, source_name`,
          ...args,
        )
        .toArray();
    const quarters = this.sql
      .exec<Omit<CallStats["days"][number], "day"> & { quarter: number }>(
        `SELECT started_at / ${QUARTER_MS} AS quarter, ${counts} GROUP BY quarter, source_name`,
        ...args,
      )
      .toArray();
    // The quarters of one local day summed (totalled merges a day and source), in the order of the UTC query's.
    // Each quarter's local date made once, however many sources called in it (Intl formatting is the slow part).
    const dates = new Map<number, string>();
    const dateOf = (quarter: number) => {
      let date = dates.get(quarter);
      if (date === undefined) {
        date = localTime(quarter * QUARTER_MS, f.timeZone!).date;
        dates.set(quarter, date);
      }
      return date;
    };
    return totalled(quarters.map(({ quarter, ...d }) => ({ ...d, day: dateOf(quarter) }))).days;
  }

  /** Calls, attributed and answered calls and talk time per group (unsorted, landing URLs not yet normalised: see `grouped`). */
  groupRows(f: CallFilter, by: CallGrouping): CallGroup[] {
    const { where, args } = conditions(f);
    return this.sql.exec<CallGroup>(groupQuery(by, whereClause(where)), ...args).toArray();
  }

  /** Calls received before `before` (oldest first): the ones that move to their month's call log. */
  receivedBefore(before: number, limit: number): CallRow[] {
    return this.sql.exec<CallRow>("SELECT * FROM calls WHERE received_at < ? ORDER BY received_at, id LIMIT ?", before, limit).toArray();
  }

  /** Up to `limit` calls an erasure request names (a caller's, or a visit's): what erasing each needs. */
  matching(key: ErasureKey, limit: number): CallerCall[] {
    return this.sql.exec<CallerCall>(matchingQuery(key.by), key.value, limit).toArray();
  }

  /** Delete calls by id (moved to a call log, archived, or erased); answers how many were deleted. */
  delete(ids: readonly string[]): number {
    if (!ids.length) return 0;
    return this.sql.exec("DELETE FROM calls WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids)).rowsWritten;
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls").one().n;
  }
}

/** The query an erasure request finds its calls with (by the calls_caller or calls_session index). */
export const matchingQuery = (by: ErasureKey["by"]) => `SELECT id, session, pool_id FROM calls WHERE ${by === "caller" ? "caller" : "session"} = ? LIMIT ?`;

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
  if (f.outcome === "pending") where.push("outcome IS NULL");
  else if (f.outcome !== undefined) add("outcome = ?", f.outcome);
  if (f.from !== undefined) add("started_at >= ?", f.from);
  if (f.to !== undefined) add("started_at < ?", f.to);
  return { where, args };
}

const whereClause = (where: string[]) => (where.length ? `WHERE ${where.join(" AND ")}` : "");
