/**
 * The alarm's sending: the outbox rows that are due (webhooks, GA4 events, alerts, alert emails,
 * ad uploads), BATCH at a time, each with the account's current settings; each result is recorded
 * on its row and may open or close a failing episode (delivery-alerts.ts). Alerts (pool alerts,
 * scaling events) are queued here too, to the alert webhook and the alert email.
 */

import type { GaSessions } from "../domain/ga-cookies";
import { GoOn } from "../platform/go-on";
import type { IntegrationConfig } from "../schemas/voice";
import { type AdDeliveryDeps, type AdsContext, deliverAds } from "./ad-delivery";
import { AdUploader } from "./ad-uploads";
import { type Attempt, attempt, ga4AsSent } from "./deliveries";
import { type AlertChannels, DeliveryAlerts } from "./delivery-alerts";
import { checkDataManager, type DmChecks } from "./dm-diagnostics";
import type { Outbox, OutboxRow } from "./outbox";

/** Outbox rows picked per round of an alarm run; more are picked up by the next run, set at once. */
const BATCH = 25;
/** Rounds of sending in one run: a call's three events (call, call.completed, call.recording) can all go. */
const ROUNDS = 3;

export interface RunParts {
  storage: DurableObjectStorage;
  /** Records a call's upload state, wherever the call is now (call-months.ts). */
  setConversion: AdDeliveryDeps["setConversion"];
  outbox: Outbox;
  /** The Data Manager API's requests to ask its diagnostics about. */
  checks: DmChecks;
  /** Sets the account object's alarm (a queued alert is due). */
  schedule: () => Promise<void>;
  /** The GA session ids by stream a stored call's visit had (null: none, or no such call here). */
  gaSessions: (callId: string) => GaSessions | null;
}

/** What the ad platforms' steps of a run came to. */
export type AdSteps = "none" | "worked" | { failed: unknown };

export class DeliveryRun {
  private readonly alerts: DeliveryAlerts;
  /** OAuth access tokens of the ad platforms live as long as this object (the connection check shares them). */
  readonly uploader = new AdUploader();
  /** The account (alerts name it): set at the start of each alarm run, known from the first one on. */
  accountId = "";

  constructor(private readonly p: RunParts) {
    this.alerts = new DeliveryAlerts(p.storage.sql, () => this.accountId);
  }

  /**
   * Alerts (pool alerts, scaling events) go through the same outbox and alarm, to the alert webhook
   * and the alert email. A key already queued is skipped, so handing the same alert over twice sends it once.
   */
  async queueAlerts(items: readonly { key: string; payload: string }[], config: IntegrationConfig, now: number): Promise<number> {
    const channels = channelsOf(config);
    let queued = 0;
    this.p.storage.transactionSync(() => {
      for (const i of items) queued += this.alerts.queue(i.key, i.payload, channels, now);
    });
    await this.p.schedule();
    return queued;
  }

  /**
   * Send what is due at `now` with the account's current settings (the caller re-arms the alarm).
   * What the ad platforms' steps came to: none due, worked, or the first failure (told as its own
   * part of the alarm, so the webhooks are not put off with it).
   */
  async sendDue(config: IntegrationConfig, now: number, ads?: AdsContext): Promise<AdSteps> {
    const { outbox, setConversion } = this.p;
    const queueOnce = async (i: readonly { key: string; payload: string }[], t: number) => {
      await this.queueAlerts(i, config, t);
    };
    // The ad platforms' steps (the Data Manager API's diagnostics, then the uploads) run beside the
    // webhooks, GA4 and alerts, so a slow platform (15 s a request) holds none of them up. They may
    // throw (a call's conversion state written to a month's log that cannot be reached): the rest
    // goes all the same, and the failure is answered. An alert the diagnostics queue goes out in this
    // run (a round still to come, or the one after the ad steps).
    const adSteps = new GoOn();
    const all = outbox.due(now, BATCH);
    const channels = channelsOf(config);
    const isAd = (kind: string) => kind === "google_ads" || kind === "microsoft_ads";
    const due = all.filter((r) => !isAd(r.kind));
    const adRows = all.filter((r) => isAd(r.kind));
    const checksDue = (this.p.checks.nextDue() ?? Number.POSITIVE_INFINITY) <= now;
    const adsDone = (async () => {
      if (!ads) return;
      await adSteps.step(() => checkDataManager({ checks: this.p.checks, outbox, setConversion, uploader: this.uploader, queueOnce }, ads, now));
      if (adRows.length)
        await adSteps.step(() => deliverAds({ outbox, setConversion, uploader: this.uploader, queueOnce, checks: this.p.checks }, ads, adRows));
    })();
    // In rounds: a call's later event waits for its earlier one (Outbox IN_TURN), and goes in the
    // same run once that is delivered (call, then call.completed, then call.recording).
    const tried = new Set<number>();
    try {
      for (let batch = due, round = 0; batch.length > 0 && round < ROUNDS; round++) {
        for (const r of batch) tried.add(r.id);
        await this.sendEach(batch, config, now, channels);
        batch = outbox.due(now, BATCH).filter((r) => !isAd(r.kind) && !tried.has(r.id));
      }
    } finally {
      // Never left running past the run (its rows would be picked again by the next).
      await adsDone;
    }
    // What the ad steps queued meanwhile (an alert from the diagnostics, queued at its own time) goes in this run too.
    const queued = outbox.due(Date.now(), BATCH).filter((r) => !isAd(r.kind) && !tried.has(r.id));
    if (queued.length) await this.sendEach(queued, config, now, channels);
    if (adSteps.failed) return { failed: adSteps.failure };
    return ads && (adRows.length || checksDue) ? "worked" : "none";
  }

  /** One attempt at each of `rows` at once, each's result recorded (and its alerts settled). */
  private async sendEach(rows: readonly OutboxRow[], config: IntegrationConfig, now: number, channels: AlertChannels): Promise<void> {
    const { storage, outbox } = this.p;
    const accountId = this.accountId;
    await Promise.all(
      rows.map(async (picked) => {
        // Read again: the ad uploads beside these and earlier rounds were awaited, and meanwhile the call may have been erased
        // (its rows deleted: nothing more goes out about it) or its outcome's body replaced.
        const current = outbox.get(picked.id);
        if (current?.status !== "pending" || current.attempts !== picked.attempts) return;
        // A GA4 body was built for the measurement id of its day: it goes to today's, with that
        // stream's session id (another stream's session is not this one's), dated no later than now.
        const row =
          current.kind === "ga4" && config.ga4
            ? { ...current, payload: ga4AsSent(current.payload, config.ga4.measurementId, this.p.gaSessions(current.call_id), now) }
            : current;
        // Asked again after the attempt's last await (the webhook's signing, its receiver's lookup),
        // right before the request goes: the call may have been erased meanwhile (its rows went with
        // it, as they do for every undelivered delivery: nothing is sent, nothing recorded), or the
        // body replaced (a more precise outcome): not sent stale, the row stays due, and goes as it
        // is now on the next run.
        // Whatever throws in one attempt (a stored secret that cannot be used, a payload that does
        // not parse) is that row's failed attempt: not a rejection that stops the alarm for every
        // other delivery, the account's upkeep and its numbers with it.
        const result = await attempt(row, config, accountId, now, () => outbox.unchanged(current)).catch(
          (e: unknown): Attempt => ({ ok: false, status: null, error: `could not be sent: ${e instanceof Error ? e.message : String(e)}`, final: false }),
        );
        if (!result) return;
        const at = Date.now();
        storage.transactionSync(() => {
          if (result.ok) {
            // The body as stored now: replaced while the request was out (a recording's URL came)?
            const newer = outbox.get(row.id)?.payload;
            outbox.delivered(row.id, result.status, at, current.payload);
            if (newer !== undefined && newer !== current.payload) recordingAfter(outbox, row, current.payload, newer, at);
            this.alerts.settle(row, { ok: true }, channels, at);
          } else {
            const state = outbox.attemptFailed(row, result.status, result.error, at, result.final, result.retryAfterMs);
            if (!result.notSent) this.alerts.settle(row, { ok: false, error: result.error, dead: state === "dead" }, channels, at);
          }
        });
        if (!result.ok) console.warn(`delivery ${row.id} (${row.kind} for ${row.call_id}) failed (attempt ${row.attempts + 1})`, result.error);
      }),
    );
  }
}

/**
 * A call.completed webhook delivered while its body was replaced (the call's recording URL came as
 * the request was out): the receiver has the body without it, so call.recording follows, as it does
 * for a recording that comes after call.completed went (call-outcome.ts recorded).
 */
function recordingAfter(outbox: Outbox, row: OutboxRow, sent: string, newer: string, now: number): void {
  if (row.kind !== "webhook" || row.event !== "call.completed") return;
  type Body = { type: string; call?: { recordingUrl?: string | null } };
  const [before, after] = [JSON.parse(sent) as Body, JSON.parse(newer) as Body];
  if (!after.call?.recordingUrl || before.call?.recordingUrl === after.call.recordingUrl) return;
  outbox.upsertPending(row.call_id, "webhook", "call.recording", JSON.stringify({ ...after, type: "call.recording" }), now, now);
}

/** Where alerts can go with these settings. */
export function channelsOf(config: IntegrationConfig): AlertChannels {
  return { webhook: !!config.alertWebhook, email: !!config.alertEmail };
}
