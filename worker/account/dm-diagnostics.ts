/**
 * Google's Data Manager API takes a request whole (200 and a request id) and only then checks its
 * events: what it could not use (a click too old, consent, a click id from another account, terms
 * not accepted) shows only in its diagnostics for the request (requestStatus:retrieve), per reason
 * and count, never per event. Its guide: wait 30 minutes, then ask with exponential backoff until
 * the destination's status is SUCCESS, PARTIAL_SUCCESS or FAILED. So each request id that took
 * uploads is kept here with the calls it carried, and the alarm asks when it is due:
 * - every event refused (FAILED, or as many refusals as events): each call `failed` with Google's
 *   reasons, its delivery dead (listed, redeliverable), as a refusal in the answer leaves it;
 * - some refused (PARTIAL_SUCCESS): Google does not say which, so each call stays `uploaded` and
 *   its reason says how many of its request were refused and why;
 * - either way one `conversions.upload_refused` alert a day per set of reasons;
 * - a duplicate (the transaction id or click and time already there: a resend) is no refusal;
 * - what is recorded is read after Google answers: a call erased meanwhile gets nothing (a request
 *   left with none, no alert), nor does one whose upload was sent again since (its delivery is no
 *   longer the one this request made: its new request's diagnostics speak for it).
 * A request still processing after CHECK_DELAYS_MS (about three days) is given up with a warning.
 */
import type { CallConversion } from "../schemas/conversions";
import type { AdsContext } from "./ad-delivery";
import type { AdUploader } from "./ad-uploads";
import type { Outbox } from "./outbox";

export const DM_CHECKS_MIGRATION = `
  CREATE TABLE IF NOT EXISTS dm_checks (
    request_id TEXT PRIMARY KEY,
    uploads TEXT NOT NULL,            -- JSON [{ row, callId, at, orderId, clickIdType } | null (erased)]: what the request carried
    created_at INTEGER NOT NULL,      -- when it took them: its calls' deliveries' delivered_at
    checks INTEGER NOT NULL DEFAULT 0,
    next_check_at INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE INDEX IF NOT EXISTS dm_checks_due ON dm_checks (next_check_at);`;

const MIN = 60_000;
const HOUR = 3_600_000;
/** The first check 30 minutes after the request (the guide), then the waits between checks; 64 h in all. */
export const CHECK_DELAYS_MS = [30 * MIN, 30 * MIN, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR];
/** Checks asked per alarm run (each a GET); the others wait for the next run. */
const PER_RUN = 5;

/** One call a request carried: its outbox row and what its upload state is recorded with. */
export interface CheckedUpload {
  row: number;
  callId: string;
  at: number;
  orderId: string;
  clickIdType: CallConversion["clickIdType"];
}

/** GET /v1/account/conversions, googleAds.diagnostics. */
export interface DiagnosticsSummary {
  waiting: number;
  lastError: { requestId: string; error: string; checks: number } | null;
}

type CheckRow = {
  request_id: string;
  uploads: string;
  created_at: number;
  checks: number;
  next_check_at: number;
};

export class DmChecks {
  constructor(private readonly sql: SqlStorage) {}

  /** A request Google took: ask about it in 30 minutes (null: a call of it erased meanwhile). */
  add(requestId: string, uploads: readonly (CheckedUpload | null)[], now: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO dm_checks (request_id, uploads, created_at, next_check_at) VALUES (?, ?, ?, ?)",
      requestId,
      JSON.stringify(uploads),
      now,
      now + CHECK_DELAYS_MS[0]!,
    );
  }

  /** A request as kept now (null: done, or every call of it erased). */
  get(requestId: string): CheckRow | null {
    return this.sql.exec<CheckRow>("SELECT * FROM dm_checks WHERE request_id = ?", requestId).toArray()[0] ?? null;
  }

  due(now: number, limit: number): CheckRow[] {
    return this.sql.exec<CheckRow>("SELECT * FROM dm_checks WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?", now, limit).toArray();
  }

  /** Ask again after the next wait; false (and forgotten) when the waits are over. */
  later(c: CheckRow, error: string | null, now: number): boolean {
    const checks = c.checks + 1;
    const wait = CHECK_DELAYS_MS[checks];
    if (wait === undefined) {
      this.done(c.request_id);
      return false;
    }
    this.sql.exec("UPDATE dm_checks SET checks = ?, next_check_at = ?, last_error = ? WHERE request_id = ?", checks, now + wait, error, c.request_id);
    return true;
  }

  /**
   * An erased call leaves every request that carried it: its entry becomes null, so the request's
   * count (Google counts the request's events) stays; a request left with none is not asked about.
   * How many entries went.
   */
  forget(callId: string): number {
    let went = 0;
    const needle = `"callId":${JSON.stringify(callId)}`;
    const rows = this.sql
      .exec<{ request_id: string; uploads: string }>("SELECT request_id, uploads FROM dm_checks WHERE instr(uploads, ?) > 0", needle)
      .toArray();
    for (const r of rows) {
      const carried = JSON.parse(r.uploads) as (CheckedUpload | null)[];
      const uploads = carried.map((u) => (u?.callId === callId ? null : u));
      went += carried.filter((u) => u?.callId === callId).length;
      if (uploads.every((u) => u === null)) this.done(r.request_id);
      else this.sql.exec("UPDATE dm_checks SET uploads = ? WHERE request_id = ?", JSON.stringify(uploads), r.request_id);
    }
    return went;
  }

  done(requestId: string): void {
    this.sql.exec("DELETE FROM dm_checks WHERE request_id = ?", requestId);
  }

  /**
   * The requests still waiting for Google's final diagnostics, and of the newest whose last check
   * failed, why (its request, the error, how many checks it has had): what the settings' view shows, so an
   * owner whose diagnostics cannot be read (a refresh token without the Data Manager scope, Google
   * down) sees it before the checks are given up.
   */
  summary(): DiagnosticsSummary {
    const waiting = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dm_checks").one().n;
    const failing = this.sql
      .exec<{ request_id: string; last_error: string; checks: number }>(
        "SELECT request_id, last_error, checks FROM dm_checks WHERE last_error IS NOT NULL ORDER BY created_at DESC LIMIT 1",
      )
      .toArray()[0];
    return { waiting, lastError: failing ? { requestId: failing.request_id, error: failing.last_error, checks: failing.checks } : null };
  }

  nextDue(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_check_at) AS t FROM dm_checks").one().t;
  }
}

export interface DiagnosticsDeps {
  checks: DmChecks;
  outbox: Outbox;
  uploader: AdUploader;
  setConversion(callId: string, startedAt: number, state: CallConversion): Promise<void>;
  queueOnce(items: readonly { key: string; payload: string }[], now: number): Promise<void>;
}

/** What to do about a reason, for the alert (Google's ProcessingErrorReason, its prefix dropped). */
const REMEDIES: Record<string, string> = {
  EVENT_TOO_OLD: "The calls came too long after their clicks for the conversion action's click-through window: nothing to fix for these.",
  DENIED_CONSENT: "Google holds ad_user_data as denied for these users or in the account's defaults: check the Google Ads account's consent settings.",
  NO_CONSENT: "Accept Google's terms for the Ads core platform services (customer data terms) in the Google Ads account.",
  UNKNOWN_CONSENT: 'Google could not tell the consent: set rules.consent to "granted" so only calls from visits that granted ad_user_data are sent.',
  INVALID_GCLID: "Google could not read the click ids: check that the snippet reads them unchanged from the landing URL.",
  INVALID_GBRAID: "Google could not read the click ids: check that the snippet reads them unchanged from the landing URL.",
  INVALID_WBRAID: "Google could not read the click ids: check that the snippet reads them unchanged from the landing URL.",
  OPERATING_ACCOUNT_MISMATCH_FOR_AD_IDENTIFIER:
    "The clicks were on ads of another Google Ads account: set googleAds.customerId to the account whose ads were clicked and that owns the conversion action.",
  DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED:
    "Accept the enhanced conversions terms in Google Ads, or set googleAds.enhancedConversions to false.",
  ONE_PER_CLICK_CONVERSION_ACTION_NOT_PERMITTED_WITH_BRAID: "Set the conversion action to count every conversion: Google takes gbraid and wbraid only so.",
};

const listOf = (refused: readonly { reason: string; count: number }[]) => refused.map((r) => `${r.reason} (${r.count})`).join(", ");

/**
 * Reasons that are Google's own trouble, not the events' (ProcessingErrorReason INTERNAL_ERROR): the
 * request's calls are sent again with backoff, as a failed attempt, instead of failing for good.
 * Google does not say which events it means, so all of them go: the ones it kept come back as
 * DUPLICATE_TRANSACTION_ID (the transaction id is the call's), no refusal.
 */
const RETRY_REASONS = new Set(["INTERNAL_ERROR"]);

/** The alarm's share: ask about the requests that are due, record what Google refused. */
export async function checkDataManager(deps: DiagnosticsDeps, ads: AdsContext, now: number): Promise<void> {
  const due = deps.checks.due(now, PER_RUN);
  if (!due.length) return;
  const cfg = ads.setup.google_ads;
  // No Google setting any more: nothing to ask with, nothing to record on.
  if (!cfg) {
    for (const c of due) deps.checks.done(c.request_id);
    return;
  }
  // Which PATCH wrote Google's setting, read in the same turn as the credentials are opened.
  const written = ads.written("google_ads");
  const creds = await ads.credentials("google_ads");
  /** A PATCH wrote Google's setting since: the credentials opened are not the ones the owner wants used. */
  const replaced = () => ads.written("google_ads") !== written;
  const recorded: Promise<void>[] = [];
  for (const { request_id } of due) {
    // The requests left wait for the next run, asked with the setting as it is then.
    if (replaced()) break;
    const answer = creds
      ? await deps.uploader.requestStatus(ads.accountId, creds, request_id)
      : ({ state: "later", error: "the stored credentials do not open with SECRETS_KEY" } as const);
    // Read again after the await (and the alerts of the requests before): a call erased meanwhile
    // has left the request (its entry null; the request gone with its last one).
    const c = deps.checks.get(request_id);
    if (!c) continue;
    if ("reauth" in answer || answer.state === "later" || answer.state === "processing") {
      // Not answered, with credentials replaced meanwhile (the refusal may be theirs): not one of its tries.
      if ("error" in answer && replaced()) break;
      const error = "reauth" in answer ? null : answer.state === "later" ? answer.error : null;
      if (!deps.checks.later(c, error, Date.now()))
        console.warn(`conversions: no final diagnostics from Google for request ${c.request_id}; no longer asked`, error);
      continue;
    }
    deps.checks.done(c.request_id);
    if (answer.state === "gone") {
      console.warn(`conversions: Google has no diagnostics for request ${c.request_id}`, answer.error);
      continue;
    }
    // null: a call erased since (its entry kept, for Google's counts are of the request's events).
    const uploads = JSON.parse(c.uploads) as (CheckedUpload | null)[];
    const n = uploads.length;
    // FAILED without a reason counted is still every event refused: said as such, not taken for a success.
    if (answer.failed && !answer.duplicates && !answer.refused.length) answer.refused.push({ reason: "NO_REASON_GIVEN", count: n });
    if (!answer.refused.length) continue;
    // The calls still as this request left them: their delivery delivered by it (one sent again
    // since is its new request's, whose diagnostics speak for it). No await from here to the writes.
    const mine = uploads.filter((u): u is CheckedUpload => {
      const row = u && deps.outbox.get(u.row);
      return !!row && row.status === "delivered" && row.delivered_at === c.created_at;
    });
    if (!mine.length) continue;
    const at = Date.now();
    if (answer.refused.some((r) => RETRY_REASONS.has(r.reason))) {
      const why = `Google took the upload, then had an internal error with it (diagnostics of request ${c.request_id}: ${listOf(answer.refused)}): sent again`;
      for (const u of mine) {
        const again = deps.outbox.attemptFailed(deps.outbox.get(u.row)!, null, why, at);
        recorded.push(
          deps.setConversion(u.callId, u.at, {
            platform: "google_ads",
            status: again === "pending" ? "pending" : "failed",
            clickIdType: u.clickIdType,
            orderId: u.orderId,
            reason: why.slice(0, 400),
            requestId: c.request_id,
            updatedAt: at,
          }),
        );
      }
      console.warn(`conversions: Google had an internal error with request ${c.request_id} after taking it; its calls are sent again`);
      continue;
    }
    const refusedCount = answer.refused.reduce((s, r) => s + r.count, 0);
    const all = (answer.failed && !answer.duplicates) || refusedCount >= n;
    const reason = all
      ? `Google took the upload, then refused it (diagnostics of request ${c.request_id}): ${listOf(answer.refused)}`
      : `uploaded, but Google then refused ${refusedCount} of the ${n} calls of its request (diagnostics of request ${c.request_id}: ${listOf(answer.refused)}); it does not say which`;
    for (const u of mine) {
      if (all) deps.outbox.refusedLater(u.row, reason);
      recorded.push(
        deps.setConversion(u.callId, u.at, {
          platform: "google_ads",
          status: all ? "failed" : "uploaded",
          clickIdType: u.clickIdType,
          orderId: u.orderId,
          reason: reason.slice(0, 400),
          requestId: c.request_id,
          updatedAt: at,
        }),
      );
    }
    console.warn(`conversions: Google refused ${all ? "every" : "some"} upload of request ${c.request_id} after taking it`, listOf(answer.refused));
    if (!ads.alerts) continue;
    const reasons = answer.refused.map((r) => r.reason).sort();
    const day = new Date(at).toISOString().slice(0, 10);
    const remedies = [...new Set(reasons.map((r) => REMEDIES[r]).filter((m): m is string => !!m))].map((message) => ({ message }));
    const payload = JSON.stringify({
      type: "conversions.upload_refused",
      accountId: ads.accountId,
      platform: "google_ads",
      requestId: c.request_id,
      calls: n,
      refused: answer.refused,
      message: `Google Ads refused ${all ? "every one" : `${refusedCount}`} of ${n} uploaded call conversions after taking them (${listOf(answer.refused)}).${all ? " Those calls are marked failed." : " Google does not say which calls; each shows it in its reason."}`,
      remedies: [
        ...remedies,
        { message: "The calls show Google's reasons (GET /v1/calls/{id}, conversions[]); Google Ads shows the conversion action's own diagnostics." },
      ],
      at,
    });
    // One alert a day per set of reasons, however many requests Google refuses for them.
    await deps.queueOnce([{ key: `conversions-refused/google_ads/${day}/${reasons.join("+")}`, payload }], at);
  }
  await Promise.all(recorded);
}
