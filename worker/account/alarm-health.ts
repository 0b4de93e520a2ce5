/**
 * How the parts of the account's alarm fare (upkeep, deliveries, pushes, numbers, the Directory
 * journal, resealing). A part that throws is tried again after its own backoff (30 s doubling to 5
 * minutes: `retry_at`), which defers that part's deadline in the one alarm and nothing else's: a
 * month's log down delays no webhook. One that has failed every time it ran for FAILING_AFTER_MS
 * (and at least FAILING_RUNS times) opens an episode: a `task.failing` alert to the alert webhook and
 * email, once (marked told only when a channel took it); the first run of it that works closes it
 * with `task.recovered`. A part that had nothing to do neither ends nor extends its failing run.
 */
import { textOnly } from "../platform/text";

export const ALARM_HEALTH_MIGRATION = `
  CREATE TABLE alarm_failures (
    part TEXT PRIMARY KEY,
    since INTEGER NOT NULL,        -- the first failure of this run of failures
    failures INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    retry_at INTEGER NOT NULL,     -- the part is not run again before this
    alerted_at INTEGER             -- task.failing queued (the episode is open)
  );`;

/** The alarm's parts, in the order they run. */
export const ALARM_PARTS = ["journal", "pushes", "upkeep", "deliveries", "ads", "numbers", "reseal"] as const;
export type AlarmPart = (typeof ALARM_PARTS)[number];

/** A part failing this long, every run, is told (transient failures come back within minutes). */
export const FAILING_AFTER_MS = 15 * 60_000;
export const FAILING_RUNS = 3;
/** A failed part's next try: 30 s after, doubling with each failure in a row, at most 5 minutes. */
export const ALARM_RETRY_MS = 30_000;
export const ALARM_RETRY_MAX_MS = 5 * 60_000;

/** What a part failing stops, told in its alert. */
const STOPS: Record<AlarmPart, string> = {
  journal: "numbers claimed or given back wait to be told to the Directory",
  pushes: "pool changes are saved, but some pool objects do not have them yet",
  upkeep:
    "calls are not moved to their month's log, archived or expired past their retention, and delivered payloads are not pruned (a month's log or the R2 archive failing)",
  deliveries: "webhook, GA4 and alert deliveries are not sent (this alert goes out once they are)",
  ads: "conversion uploads to Google Ads or Microsoft Advertising, or what their answers say about each call, are not stored (the webhooks and GA4 go all the same)",
  numbers: "number orders, releases and autoscaling wait",
  reseal: "secrets sealed with an older SECRETS_KEY are not sealed again, so that key cannot be removed yet",
};

type Row = { part: AlarmPart; since: number; failures: number; last_error: string; retry_at: number; alerted_at: number | null };

const backoff = (failures: number) => Math.min(ALARM_RETRY_MS * 2 ** Math.min(failures - 1, 10), ALARM_RETRY_MAX_MS);

/** An alert to queue: its once-only key and JSON body; `failing`: task.failing (else task.recovered). */
export interface HealthAlert {
  key: string;
  payload: string;
  failing: boolean;
}

export class AlarmHealth {
  constructor(
    private readonly sql: SqlStorage,
    private readonly accountId: () => string,
  ) {}

  /** A part threw: counted, its next try put off; the alert when it has failed long enough and was not told yet. */
  failed(part: AlarmPart, err: unknown, now: number): HealthAlert | null {
    const error = textOnly(err instanceof Error ? err.message : String(err)).slice(0, 500);
    this.sql.exec(
      `INSERT INTO alarm_failures (part, since, failures, last_error, retry_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (part) DO UPDATE SET failures = failures + 1, last_error = excluded.last_error`,
      part,
      now,
      error,
      now + backoff(1),
    );
    const row = this.row(part)!;
    this.sql.exec("UPDATE alarm_failures SET retry_at = ? WHERE part = ?", now + backoff(row.failures), part);
    if (row.alerted_at !== null || row.failures < FAILING_RUNS || now - row.since < FAILING_AFTER_MS) return null;
    return this.alert("task.failing", row, now);
  }

  /** The failing alert was taken by a channel: not told again in this episode. */
  told(part: AlarmPart, now: number): void {
    this.sql.exec("UPDATE alarm_failures SET alerted_at = ? WHERE part = ? AND alerted_at IS NULL", now, part);
  }

  /** A part did its work: its failing run ends, told when it had been alerted. */
  worked(part: AlarmPart, now: number): HealthAlert | null {
    const row = this.row(part);
    if (!row) return null;
    this.sql.exec("DELETE FROM alarm_failures WHERE part = ?", part);
    return row.alerted_at === null ? null : this.alert("task.recovered", row, now);
  }

  /** Whether the part's next try is still to come. */
  waiting(part: AlarmPart, now: number): boolean {
    const row = this.row(part);
    return !!row && row.retry_at > now;
  }

  /**
   * The part's deadline in the alarm: `due` (its own, null: none), put off to its next try while it
   * is failing; a failing part with nothing due is tried again at that time all the same.
   */
  deferred(part: AlarmPart, due: number | null, now: number): number | null {
    const row = this.row(part);
    if (!row) return due;
    // Its try already past with nothing due (its run found nothing to do): no deadline, never one in the past.
    if (due === null) return row.retry_at > now ? row.retry_at : null;
    return Math.max(due, row.retry_at);
  }

  private row(part: AlarmPart): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM alarm_failures WHERE part = ?", part).toArray()[0];
  }

  private alert(type: "task.failing" | "task.recovered", row: Row, now: number): HealthAlert {
    const openedAt = row.alerted_at ?? now;
    const message =
      type === "task.failing"
        ? `The account's ${row.part} has failed every time since ${new Date(row.since).toISOString()} (${row.failures} tries; last: ${row.last_error}): ${STOPS[row.part]}. It goes on being tried, at most 5 minutes apart.`
        : `The account's ${row.part} works again (failing since ${new Date(row.since).toISOString()}).`;
    return {
      failing: type === "task.failing",
      key: `task-alert/${row.part}/${row.since}/${type === "task.failing" ? "failing" : "recovered"}`,
      payload: JSON.stringify({
        type,
        accountId: this.accountId(),
        at: now,
        message,
        task: { name: row.part, failingSince: row.since, failures: row.failures, lastError: row.last_error },
        episode: { openedAt, endedAt: type === "task.recovered" ? now : null },
      }),
    };
  }
}
