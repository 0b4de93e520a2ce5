/**
 * Outbound deliveries of calls (GA4 Measurement Protocol events, webhooks) waiting to be sent, in
 * the AccountObject's SQLite. A row is written in the same transaction as its call, so nothing is
 * lost; the object's one alarm is set to the earliest `next_attempt_at`. A failed attempt is
 * retried with exponential backoff until MAX_ATTEMPTS, then the row is `failed`.
 */
import type { Delivery, DeliveryEvent, DeliveryKind } from "../schemas/calls";

/** Call deliveries (ga4, webhook) and pool alerts (alert: keyed `pool-alert/<pool>/<id>`, never a call id). */
export type OutboxKind = DeliveryKind | "alert";

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

export const MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 6 * 3_600_000;

/** Wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min … capped at 6 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
}

export type OutboxRow = {
  id: number;
  call_id: string;
  kind: OutboxKind;
  event: DeliveryEvent;
  payload: string;
  status: Delivery["status"];
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
};

export class Outbox {
  constructor(private readonly sql: SqlStorage) {}

  enqueue(callId: string, kind: OutboxKind, payload: string, now: number, event: DeliveryEvent = "call"): void {
    this.sql.exec(
      "INSERT INTO outbox (call_id, kind, event, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      callId,
      kind,
      event,
      payload,
      now,
      now,
    );
  }

  /**
   * Queue a call's `event` delivery of `kind` once, due at `dueAt`; while it has not been tried yet,
   * a later call replaces its body (the outcome became more precise before it went out).
   */
  upsertPending(callId: string, kind: DeliveryKind, event: DeliveryEvent, payload: string, dueAt: number, now: number): void {
    const row = this.sql
      .exec<{ id: number; attempts: number; status: string }>(
        "SELECT id, attempts, status FROM outbox WHERE call_id = ? AND kind = ? AND event = ?",
        callId,
        kind,
        event,
      )
      .toArray()[0];
    if (!row)
      this.sql.exec(
        "INSERT INTO outbox (call_id, kind, event, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        callId,
        kind,
        event,
        payload,
        dueAt,
        now,
      );
    else if (row.status === "pending" && row.attempts === 0) this.sql.exec("UPDATE outbox SET payload = ? WHERE id = ?", payload, row.id);
  }

  /** Enqueue unless a row with this key and kind exists (a repeated hand-over); true when enqueued. */
  enqueueOnce(key: string, kind: OutboxKind, payload: string, now: number): boolean {
    return (
      this.sql.exec(
        "INSERT INTO outbox (call_id, kind, payload, next_attempt_at, created_at) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE call_id = ? AND kind = ?)",
        key,
        kind,
        payload,
        now,
        now,
        key,
        kind,
      ).rowsWritten > 0
    );
  }

  /**
   * Drop a call's `kind` row that was never attempted (its call stopped qualifying); false when a
   * row was already attempted (it stays), null when there is none.
   */
  cancelUnsent(callId: string, kind: OutboxKind): boolean | null {
    const row = this.sql.exec<{ id: number; attempts: number }>("SELECT id, attempts FROM outbox WHERE call_id = ? AND kind = ?", callId, kind).toArray()[0];
    if (!row) return null;
    if (row.attempts > 0) return false;
    this.sql.exec("DELETE FROM outbox WHERE id = ? AND status = 'pending'", row.id);
    return true;
  }

  /** Stop trying rows until resume() (an ad platform's credentials no longer work): pending, not due. */
  pause(ids: readonly number[], error: string): void {
    for (const id of ids)
      this.sql.exec("UPDATE outbox SET next_attempt_at = NULL, last_error = ? WHERE id = ? AND status = 'pending'", error.slice(0, 500), id);
  }

  /** Paused rows of `kind` are due again (new credentials). */
  resume(kind: OutboxKind, now: number): void {
    this.sql.exec("UPDATE outbox SET next_attempt_at = ? WHERE kind = ? AND status = 'pending' AND next_attempt_at IS NULL", now, kind);
  }

  due(now: number, limit: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?", now, limit)
      .toArray();
  }

  delivered(id: number, status: number, now: number): void {
    this.sql.exec(
      "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, next_attempt_at = NULL, delivered_at = ? WHERE id = ?",
      status,
      now,
      id,
    );
  }

  /** Record a failed attempt: retry later, or give up (`final`, or after MAX_ATTEMPTS). */
  attemptFailed(row: OutboxRow, status: number | null, error: string, now: number, final = false): void {
    const attempts = row.attempts + 1;
    const giveUp = final || attempts >= MAX_ATTEMPTS;
    this.sql.exec(
      "UPDATE outbox SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
      giveUp ? "failed" : "pending",
      attempts,
      status,
      error.slice(0, 500),
      giveUp ? null : now + retryDelayMs(attempts),
      row.id,
    );
  }

  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'").one().t;
  }

  forCalls(ids: readonly string[]): Map<string, Delivery[]> {
    const out = new Map<string, Delivery[]>();
    for (const id of ids) out.set(id, []);
    if (!ids.length) return out;
    // One JSON parameter: a page can name more calls than SQLite in a Durable Object may bind.
    const rows = this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE call_id IN (SELECT value FROM json_each(?)) ORDER BY id", JSON.stringify(ids)).toArray();
    for (const r of rows) {
      if (r.kind === "alert") continue;
      out.get(r.call_id)?.push({
        kind: r.kind,
        event: r.event,
        status: r.status,
        attempts: r.attempts,
        lastStatus: r.last_status,
        lastError: r.last_error,
        nextAttemptAt: r.next_attempt_at,
        deliveredAt: r.delivered_at,
        createdAt: r.created_at,
      });
    }
    return out;
  }
}
