/**
 * Alerts about our own deliveries, and the queueing of every alert (pool, scaling, delivery) to the
 * alert webhook and the alert email. A kind of delivery (ga4, webhook, alert, alert_email) opens a
 * failing episode when one of its rows has failed FAILING_AFTER attempts in a row or went dead
 * (`delivery.failing`, once), and the episode ends with the next delivery of that kind that succeeds
 * once no row of the kind is still failing its retries (`delivery.recovered`). An alert about a failing channel is not sent through that channel.
 */
import type { OutboxRow } from "./outbox";
import { Outbox, type OutboxKind } from "./outbox";

export const DELIVERY_EPISODES_MIGRATION = `
  CREATE TABLE delivery_episodes (kind TEXT PRIMARY KEY, opened_at INTEGER NOT NULL, last_error TEXT);`;

/** Failed attempts of one delivery that open a failing episode (30 s + 2 min + 10 min of retries). */
export const FAILING_AFTER = 3;

export interface AlertChannels {
  webhook: boolean;
  email: boolean;
}

export class DeliveryAlerts {
  private readonly outbox: Outbox;

  constructor(
    private readonly sql: SqlStorage,
    private readonly accountId: () => string,
  ) {
    this.outbox = new Outbox(sql);
  }

  /**
   * Queue one alert (a pool alert, a scaling event, a delivery alert) to every configured channel,
   * once per `key` and channel: handing the same alert over twice sends it once. `except`: a channel
   * that is itself failing.
   */
  queue(key: string, payload: string, channels: AlertChannels, now: number, except?: OutboxKind): number {
    let queued = 0;
    if (channels.webhook && except !== "alert" && this.outbox.enqueueOnce(key, "alert", payload, now)) queued++;
    if (channels.email && except !== "alert_email" && this.outbox.enqueueOnce(key, "alert_email", payload, now)) queued++;
    return queued;
  }

  /** After an attempt at `row`: open or close its kind's failing episode, queueing the alert. */
  settle(row: OutboxRow, result: { ok: boolean; error?: string; dead?: boolean }, channels: AlertChannels, now: number): void {
    const open = this.sql.exec<{ opened_at: number }>("SELECT opened_at FROM delivery_episodes WHERE kind = ?", row.kind).toArray()[0];
    if (result.ok) {
      if (!open) return;
      // Not while a row of the kind is still failing its retries (one the receiver always refuses,
      // others delivered between its attempts): the episode flapped failing/recovered at each retry.
      // It ends with the first success once none is left failing (delivered, or dead).
      if (this.sql.exec("SELECT 1 FROM outbox WHERE kind = ? AND status = 'pending' AND attempts >= ? LIMIT 1", row.kind, FAILING_AFTER).toArray().length)
        return;
      this.sql.exec("DELETE FROM delivery_episodes WHERE kind = ?", row.kind);
      this.queue(
        `delivery-alert/${row.kind}/${open.opened_at}/recovered`,
        this.payload("delivery.recovered", row, open.opened_at, null, now),
        channels,
        now,
        row.kind,
      );
      return;
    }
    if (open || (row.attempts + 1 < FAILING_AFTER && !result.dead)) return;
    this.sql.exec("INSERT INTO delivery_episodes (kind, opened_at, last_error) VALUES (?, ?, ?)", row.kind, now, result.error ?? null);
    this.queue(`delivery-alert/${row.kind}/${now}/failing`, this.payload("delivery.failing", row, now, result.error ?? null, now), channels, now, row.kind);
  }

  private payload(type: "delivery.failing" | "delivery.recovered", row: OutboxRow, openedAt: number, error: string | null, now: number): string {
    const what = LABEL[row.kind] ?? row.kind;
    const message =
      type === "delivery.failing"
        ? `${what} deliveries are failing: delivery ${row.id} failed ${row.attempts + 1} attempt(s), last: ${error ?? "unknown"}. They are retried for 72 h; see GET /v1/deliveries?status=failing.`
        : `${what} deliveries work again (failing since ${new Date(openedAt).toISOString()}).`;
    return JSON.stringify({
      type,
      accountId: this.accountId(),
      at: now,
      message,
      delivery: { kind: row.kind, id: String(row.id), lastError: error },
      episode: { openedAt, endedAt: type === "delivery.recovered" ? now : null },
    });
  }
}

const LABEL: Partial<Record<OutboxKind, string>> = { ga4: "GA4", webhook: "Calls webhook", alert: "Alert webhook", alert_email: "Alert email" };
