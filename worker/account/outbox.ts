/**
 * Outbound deliveries of calls (GA4 Measurement Protocol events, webhooks) and alerts waiting to be
 * sent, in the AccountObject's SQLite. A row is written in the same transaction as its call, so
 * nothing is lost; the object's one alarm is set to the earliest `next_attempt_at`. A failed attempt
 * is retried on RETRY_DELAYS_MS (with jitter, over more than 72 h), then the row is `dead` (the
 * dead letter): it stays listed until redelivered (`redeliver`), which sends one more copy.
 */
import type { Delivery, DeliveryEvent, DeliveryKind } from "../schemas/calls";

/**
 * Call deliveries (ga4, webhook), pool and account alerts to the alert webhook (alert) and by email
 * (alert_email); alert rows are keyed by the alert (`pool-alert/<pool>/<id>`), never a call id.
 */
export type OutboxKind = DeliveryKind | "alert" | "alert_email";

const MIN = 60_000;
const HOUR = 3_600_000;
/** The wait after each failed attempt, before jitter: 30 s … 8 h, then every 12 h; 75.7 h in all. */
export const RETRY_DELAYS_MS = [
  MIN / 2,
  2 * MIN,
  10 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  12 * HOUR,
  12 * HOUR,
  12 * HOUR,
  12 * HOUR,
  12 * HOUR,
];
/** The first attempt and one per retry delay; the last failure makes the row dead. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Jitter only ever lengthens a wait (by up to a quarter), so the retries span at least the schedule's 75.7 h. */
export const JITTER = 0.25;

/** Wait after the `attempts`-th failed attempt, before jitter. */
export function retryDelayMs(attempts: number): number {
  return RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1]!;
}

/** The wait with jitter: receivers that come back are not hit by every account's retries at once. */
export function jitteredDelayMs(attempts: number, random: number = Math.random()): number {
  return Math.round(retryDelayMs(attempts) * (1 + JITTER * random));
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
  one_shot: number;
  redeliveries: number;
};

/** Which deliveries a listing shows: `failing` (pending after a failed attempt), `dead`, or any status. */
export type DeliveryFilter = "failing" | "dead" | "pending" | "delivered" | "all";

/**
 * A call's webhook events go in the order they were queued (call, call.completed, call.recording):
 * a later one waits while an earlier one of the same call is pending with fewer than
 * IN_TURN_ATTEMPTS attempts (its first retries, some 12 minutes), and goes once that is delivered or
 * dead, or has failed that often: a receiver that keeps the latest body per call does not have a
 * newer one overwritten by an older one's retry, and one that refuses only the ring's event still
 * gets the others. (GA4 dates each event itself: not held.)
 */
const IN_TURN_ATTEMPTS = 3;
const IN_TURN = `(kind <> 'webhook' OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.call_id = outbox.call_id AND e.kind = outbox.kind AND e.id < outbox.id AND e.status = 'pending' AND e.attempts < ${IN_TURN_ATTEMPTS}))`;

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

  /** Whether a call's delivery of `event` by `kind` has gone out at least once (its body is then what was sent: fixed). */
  attempted(callId: string, kind: DeliveryKind, event: DeliveryEvent): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM outbox WHERE call_id = ? AND kind = ? AND event = ? AND (attempts > 0 OR status <> 'pending')", callId, kind, event)
        .toArray().length > 0
    );
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

  /**
   * Ad uploads still pending (paused or retrying) that were queued before `before`: given up
   * (dead, with `reason`), and returned.
   */
  giveUpAds(before: number, reason: string, now: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>(
        "UPDATE outbox SET status = 'dead', next_attempt_at = NULL, last_error = ?, delivered_at = ? WHERE status = 'pending' AND kind IN ('google_ads', 'microsoft_ads') AND created_at < ? RETURNING *",
        reason,
        now,
        before,
      )
      .toArray();
  }

  /** Paused rows of `kind` are due again (new credentials). */
  resume(kind: OutboxKind, now: number): void {
    this.sql.exec("UPDATE outbox SET next_attempt_at = ? WHERE kind = ? AND status = 'pending' AND next_attempt_at IS NULL", now, kind);
  }

  due(now: number, limit: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>(`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND ${IN_TURN} ORDER BY next_attempt_at, id LIMIT ?`, now, limit)
      .toArray();
  }

  /**
   * A delivery taken, with the body that went (`sent`): one replaced while the request was on its way
   * never went (after call.completed went out, as after any delivery); a redelivery sends what the receiver got.
   */
  delivered(id: number, status: number, now: number, sent: string): void {
    this.sql.exec(
      "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, next_attempt_at = NULL, delivered_at = ?, payload = ?, one_shot = 0 WHERE id = ?",
      status,
      now,
      sent,
      id,
    );
  }

  /**
   * A delivered ad upload the platform refused afterwards (the Data Manager API's diagnostics): dead,
   * with the reason, as a refusal in the answer would have left it (listed, redeliverable).
   */
  refusedLater(id: number, error: string): void {
    this.sql.exec("UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ? AND status = 'delivered'", error.slice(0, 500), id);
  }

  /** Record a failed attempt: retry later, or give up — dead letter (`final`, a redelivered copy, or after MAX_ATTEMPTS). */
  attemptFailed(row: OutboxRow, status: number | null, error: string, now: number, final = false, notBeforeMs = 0): "pending" | "dead" {
    const attempts = row.attempts + 1;
    const giveUp = final || row.one_shot === 1 || attempts >= MAX_ATTEMPTS;
    this.sql.exec(
      "UPDATE outbox SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, one_shot = 0 WHERE id = ?",
      giveUp ? "dead" : "pending",
      attempts,
      status,
      error.slice(0, 500),
      giveUp ? null : now + Math.max(jitteredDelayMs(attempts), notBeforeMs),
      row.id,
    );
    return giveUp ? "dead" : "pending";
  }

  get(id: number): OutboxRow | null {
    return this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE id = ?", id).toArray()[0] ?? null;
  }

  /**
   * Whether a row read before an await is still as it was: pending, with the same attempts and body.
   * False once its call was erased (its rows went with it) or the row changed (a body replaced, an
   * attempt recorded, an upload cancelled): what was read must not be sent.
   */
  unchanged(row: OutboxRow): boolean {
    const stored = this.get(row.id);
    return stored?.status === "pending" && stored.attempts === row.attempts && stored.payload === row.payload;
  }

  /**
   * Send a delivery again, with the same body and message id: a delivered or dead one gets one more
   * attempt (dead again if it fails); a pending one is tried now, keeping its retry schedule.
   */
  redeliver(id: number, now: number): OutboxRow | null {
    const row = this.get(id);
    if (!row) return null;
    // A row retrying goes now and keeps its schedule; a delivered or dead one gets one attempt (a
    // second click before it went keeps it one: not 75 hours of retries and an alert).
    const oneShot = row.status === "pending" ? row.one_shot : 1;
    this.sql.exec(
      "UPDATE outbox SET status = 'pending', next_attempt_at = ?, one_shot = ?, redeliveries = redeliveries + 1, delivered_at = NULL WHERE id = ?",
      now,
      oneShot,
      id,
    );
    return this.get(id);
  }

  /** Deliveries newest first, `limit` after the cursor id (exclusive); `failing`: pending after a failed attempt. */
  list(filter: DeliveryFilter, kind: OutboxKind | null, beforeId: number | null, limit: number): OutboxRow[] {
    const where = {
      failing: "status = 'pending' AND attempts > 0",
      dead: "status = 'dead'",
      pending: "status = 'pending'",
      delivered: "status = 'delivered'",
      all: "1 = 1",
    }[filter];
    return this.sql
      .exec<OutboxRow>(
        `SELECT * FROM outbox WHERE ${where} AND (? IS NULL OR kind = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`,
        kind,
        kind,
        beforeId,
        beforeId,
        limit,
      )
      .toArray();
  }

  /** When the next pending row is due: every kind, or only the ad platforms' uploads, or only the rest. */
  nextDue(of: "all" | "ads" | "rest" = "all"): number | null {
    const kinds = of === "all" ? "" : `AND kind ${of === "ads" ? "IN" : "NOT IN"} ('google_ads', 'microsoft_ads')`;
    return this.sql.exec<{ t: number | null }>(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending' ${kinds} AND ${IN_TURN}`).one().t;
  }

  forCalls(ids: readonly string[]): Map<string, Delivery[]> {
    const out = new Map<string, Delivery[]>();
    for (const id of ids) out.set(id, []);
    if (!ids.length) return out;
    // One JSON parameter: a page can name more calls than SQLite in a Durable Object may bind.
    const rows = this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE call_id IN (SELECT value FROM json_each(?)) ORDER BY id", JSON.stringify(ids)).toArray();
    for (const r of rows) {
      if (r.kind === "alert" || r.kind === "alert_email") continue;
      out.get(r.call_id)?.push({
        id: String(r.id),
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

  /** Prune rows that are done (delivered or given up) since before `before`; pending rows stay. */
  prune(before: number): number {
    return this.sql.exec(
      "DELETE FROM outbox WHERE (status = 'delivered' AND delivered_at < ?) OR (status IN ('dead', 'failed') AND COALESCE(delivered_at, created_at) < ?)",
      before,
      before,
    ).rowsWritten;
  }

  /** Forget every delivery of a call (erasure): nothing more is sent about it. */
  forget(callId: string): number {
    return this.sql.exec("DELETE FROM outbox WHERE call_id = ? AND kind <> 'alert'", callId).rowsWritten;
  }
}
