/**
 * The provider's status reports of the account's calls (SQLite in the AccountObject), and the
 * outcome they add up to. One row per call, level and status word: a repeated report changes
 * nothing (one that tells an answer the row did not replaces it, add()). Reports may come in any
 * order and before the inbound call is stored: they wait here (an orphan, with its reason) and are
 * merged when the call arrives; orphans are forgotten after ORPHAN_TTL_MS. The replay memory of signature schemes with a nonce or timestamp lives here too.
 */
import type { CallOutcome, OrphanReport } from "../schemas/calls";
import type { Provider, StatusReport } from "../voice/providers/types";

export const CALL_EVENTS_MIGRATION = `
  CREATE TABLE call_events (
    call_id TEXT NOT NULL, level TEXT NOT NULL,     -- dial (the forwarded leg) | call (the caller's call)
    status TEXT NOT NULL,                           -- the provider's word, as sent
    provider TEXT NOT NULL, outcome TEXT, ended INTEGER NOT NULL,
    talk_seconds INTEGER, ended_at INTEGER, received_at INTEGER NOT NULL,
    PRIMARY KEY (call_id, level, status)
  );
  CREATE INDEX call_events_received ON call_events (received_at);
  CREATE TABLE voice_replays (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
  CREATE INDEX voice_replays_until ON voice_replays (until);`;

/**
 * The level a leg's report is kept under, as sent, while its answer waits on its bridge (`ifBridged`:
 * Plivo's B-leg hangup, whose talk time counts only for the leg the bridge names): `held:<step>:<number>`
 * (the attempt and the leg's number, pickupKey). Plivo's `connected` and `hangup` are separate
 * requests that may cross, so a hangup may arrive before the bridge that gives it its meaning: it is
 * kept here and settled again once that leg is known to have taken the call (CallEvents.held). A held
 * row is never part of the outcome (outcomeOf reads `dial` and `call` only), is kept for stored
 * calls only (never an orphan), and goes with its call's other reports (erasure, archive).
 */
export const heldLevel = (key: string) => `held:${key}`;

/** How far a report's end may be after we received it (the two clocks' drift). */
const END_AFTER_RECEIPT_MS = 60_000;

/**
 * A report's end as the call's: the time it gives, unless no end can be then — before the call
 * started, or after we received the report telling it — in which case the time we received it (a
 * provider reports an end within seconds). A time written without a zone ("2031-01-05 10:00:00",
 * read as UTC) is such a case when the provider wrote it in another zone: Plivo gives its times in
 * the time zone set in its console (its Call object: "Timezone: Local timezone as updated in your
 * Plivo Console"), hours off either way.
 */
function endedOf(r: EventRow, startedAt: number): number | null {
  if (r.ended_at === null) return null;
  return r.ended_at < startedAt || r.ended_at > r.received_at + END_AFTER_RECEIPT_MS ? r.received_at : r.ended_at;
}

/** How long a report for a call we do not have is kept, waiting for its inbound callback. */
export const ORPHAN_TTL_MS = 2 * 86_400_000;

type EventRow = {
  call_id: string;
  level: "dial" | "call";
  status: string;
  provider: Provider;
  outcome: CallOutcome | null;
  ended: number;
  talk_seconds: number | null;
  ended_at: number | null;
  received_at: number;
};

export interface Outcome {
  outcome: CallOutcome | null;
  talkSeconds: number | null;
  endedAt: number | null;
  /** Whether some report says the call (or its forwarded leg) is over. */
  ended: boolean;
}

export class CallEvents {
  /**
   * When the oldest report of a call not stored came, as last read (null: none), kept so the alarm's
   * reckoning (nextPurge, after every callback) does not walk every report of the last days to find
   * there is none; undefined: to be read (at wake, after a purge). A report for a call not stored
   * brings it forward; one whose call comes later leaves it early: a purge then finds nothing, and reads it again.
   */
  private oldestOrphan: number | null | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /**
   * Store a report; false when the same report (call, level, status) was stored before. A route's
   * attempts report under the same word (Plivo's `hangup`, Vonage's `completed`: one per leg), so a
   * later one that tells an answer, or a longer talk, replaces the earlier (failover: the number that
   * answered second), and a later one that ends the call replaces one the route went on from (failover:
   * A's no-answer, not the end, then B's, the end); a repeat, or one that tells less, changes nothing.
   */
  add(r: StatusReport, provider: Provider, now: number): boolean {
    return this.insert(
      r,
      r.level,
      provider,
      now,
      `DO UPDATE SET outcome = COALESCE(excluded.outcome, outcome), ended = MAX(ended, excluded.ended), talk_seconds = excluded.talk_seconds,
           ended_at = COALESCE(excluded.ended_at, ended_at), received_at = excluded.received_at
         WHERE (excluded.outcome = 'answered' AND (outcome IS NOT 'answered' OR excluded.talk_seconds > COALESCE(talk_seconds, -1)))
            OR (excluded.ended > ended AND outcome IS NOT 'answered')`,
    );
  }

  /** Keep a leg's report as sent until its bridge is known (heldLevel); a repeat changes nothing. */
  hold(r: StatusReport, key: string, provider: Provider, now: number): void {
    this.insert(r, heldLevel(key), provider, now, "DO NOTHING");
  }

  /** One report's row under `level`; `onConflict` says what a row already there for its status becomes. Whether it wrote. */
  private insert(r: StatusReport, level: string, provider: Provider, now: number, onConflict: string): boolean {
    const wrote =
      this.sql.exec(
        `INSERT INTO call_events (call_id, level, status, provider, outcome, ended, talk_seconds, ended_at, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ${onConflict}`,
        r.callId,
        level,
        r.status,
        provider,
        r.outcome,
        r.ended ? 1 : 0,
        r.talkSeconds,
        r.endedAt,
        now,
      ).rowsWritten > 0;
    if (wrote && this.oldestOrphan !== undefined && this.sql.exec("SELECT 1 FROM calls WHERE id = ?", r.callId).toArray().length === 0)
      this.oldestOrphan = Math.min(this.oldestOrphan ?? now, now);
    return wrote;
  }

  /** The reports held for the leg `key` of a call, as they were sent (their `ifBridged` is that leg's number). */
  held(callId: string, key: string): StatusReport[] {
    const number = key.slice(key.indexOf(":") + 1);
    return this.sql
      .exec<EventRow>("SELECT * FROM call_events WHERE call_id = ? AND level = ? ORDER BY received_at, rowid", callId, heldLevel(key))
      .toArray()
      .map((r) => ({
        callId: r.call_id,
        level: "dial",
        status: r.status,
        outcome: r.outcome,
        ended: r.ended === 1,
        talkSeconds: r.talk_seconds,
        endedAt: r.ended_at,
        ifBridged: number,
      }));
  }

  /** Whether the caller's call itself has reported its end (not only an attempt's). */
  callEnded(callId: string): boolean {
    return this.sql.exec("SELECT 1 FROM call_events WHERE call_id = ? AND level = 'call' AND ended = 1 LIMIT 1", callId).toArray().length > 0;
  }

  has(callId: string): boolean {
    return this.sql.exec("SELECT 1 FROM call_events WHERE call_id = ? LIMIT 1", callId).toArray().length > 0;
  }

  /**
   * What a call's reports add up to. The forwarded leg's reports (dial) beat the call's own (call):
   * the caller's call is "completed" even when nobody picked up at the destination. Within a level,
   * any report of an answer means answered (with the longest talk time reported); otherwise the
   * latest terminal word. `unattended`: what the call's own "answered" is when the plan rang
   * nobody (null: it rang someone). The provider answers every call to play our answer, so a call we
   * hung up on is failed, and a message or a voicemail nobody picked up. `startedAt`: the call's
   * start, below which no reported end can be (endedOf).
   */
  outcomeOf(callId: string, unattended: CallOutcome | null, startedAt: number): Outcome {
    const rows = this.sql
      .exec<EventRow>("SELECT * FROM call_events WHERE call_id = ? AND level IN ('dial', 'call') ORDER BY received_at, rowid", callId)
      .toArray();
    const ended = rows.some((r) => r.ended === 1);
    const endedAt = rows.reduce<number | null>((t, r) => {
      const at = endedOf(r, startedAt);
      return at !== null && (t === null || at > t) ? at : t;
    }, null);
    for (const level of ["dial", "call"] as const) {
      const at = rows.filter((r) => r.level === level && r.outcome !== null);
      if (!at.length) continue;
      const answered = at.filter((r) => r.outcome === "answered");
      if (answered.length) {
        if (level === "call" && unattended) return { outcome: unattended, talkSeconds: 0, endedAt, ended };
        const talks = answered.map((r) => r.talk_seconds).filter((t): t is number => t !== null);
        return { outcome: "answered", talkSeconds: talks.length ? Math.max(...talks) : null, endedAt, ended };
      }
      return { outcome: at[at.length - 1]!.outcome, talkSeconds: 0, endedAt, ended };
    }
    return { outcome: null, talkSeconds: null, endedAt, ended };
  }

  /** Reports whose call has not arrived (newest first), with why they wait and until when. */
  orphans(limit: number): OrphanReport[] {
    return this.sql
      .exec<EventRow>(
        "SELECT * FROM call_events WHERE NOT EXISTS (SELECT 1 FROM calls WHERE calls.id = call_events.call_id) ORDER BY received_at DESC, call_id LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({
        callId: r.call_id,
        provider: r.provider,
        level: r.level,
        status: r.status,
        outcome: r.outcome,
        talkSeconds: r.talk_seconds,
        endedAt: r.ended_at,
        receivedAt: r.received_at,
        reason: "No inbound callback with this call id has arrived (yet): kept to merge when it does.",
        expiresAt: r.received_at + ORPHAN_TTL_MS,
      }));
  }

  /** A replay key seen before (still remembered): the request is a replay. */
  replayed(key: string, now: number): boolean {
    return this.sql.exec("SELECT 1 FROM voice_replays WHERE key = ? AND until > ?", key, now).toArray().length > 0;
  }

  remember(key: string, until: number): void {
    this.sql.exec("INSERT INTO voice_replays (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until", key, until);
  }

  /** Forget a replay key remembered by a request that then failed: the provider's retry of it is taken. */
  forget(key: string): void {
    this.sql.exec("DELETE FROM voice_replays WHERE key = ?", key);
  }

  /** Forget old orphans (reports of calls never stored) and expired replay keys. */
  purge(now: number): void {
    this.sql.exec(
      "DELETE FROM call_events WHERE received_at <= ? AND NOT EXISTS (SELECT 1 FROM calls WHERE calls.id = call_events.call_id)",
      now - ORPHAN_TTL_MS,
    );
    this.sql.exec("DELETE FROM voice_replays WHERE until <= ?", now);
    this.oldestOrphan = undefined;
  }

  /** When purge() next has something to do. */
  nextPurge(): number | null {
    if (this.oldestOrphan === undefined)
      this.oldestOrphan = this.sql
        .exec<{ t: number | null }>("SELECT MIN(received_at) AS t FROM call_events WHERE NOT EXISTS (SELECT 1 FROM calls WHERE calls.id = call_events.call_id)")
        .one().t;
    const orphan = this.oldestOrphan;
    const replay = this.sql.exec<{ t: number | null }>("SELECT MIN(until) AS t FROM voice_replays").one().t;
    const times = [orphan === null ? null : orphan + ORPHAN_TTL_MS, replay].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }
}
