/**
 * A call as a CSV row (GET /v1/calls.csv): the export's columns, in order, and the Google Ads
 * offline conversion import's (conversions from clicks), filled for qualifying calls with a gclid.
 */
import { type CsvDelimiter, csvRow } from "../platform/csv";
import type { Call } from "../schemas/calls";
import type { ConversionRules } from "../schemas/conversions";
import { adUserDataOf, googleDateTime, qualify } from "./conversions";

/** The columns of Google Ads' "conversions from clicks" import template, in its order. */
export const GOOGLE_IMPORT_COLUMNS = ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"] as const;

export const CSV_COLUMNS = [
  "call_id",
  "started_at",
  "pool",
  "tracking_number",
  "caller",
  "attributed",
  "reason",
  "session",
  "source",
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
  "leased_at",
  "lease_expires_at",
  "lease_ended_at",
  "action",
  "routed_to",
  "provider",
  "outcome",
  "talk_seconds",
  "ended_at",
  "gbraid",
  "wbraid",
  "dclid",
  "ttclid",
  "li_fat_id",
  "ad_user_data_consent",
  "ga_session_ids",
  // Google Ads offline conversion import (conversions from clicks), filled for qualifying calls with a gclid.
  ...GOOGLE_IMPORT_COLUMNS,
] as const;

/**
 * How the Google import columns are filled: the account's rules, the action's name, its time zone
 * (null: none given, so UTC).
 */
export interface ImportSetup {
  rules: ConversionRules;
  conversionName: string;
  timeZone: string | null;
}

/**
 * The template's `Parameters:TimeZone=` value: the zone's IANA id, or without one `+0000` (Google's
 * GMT-offset form) — the Conversion Time cells then carry +00:00, and Google reads their own offset first.
 */
export const importTimeZone = (setup: ImportSetup) => setup.timeZone ?? "+0000";

/** The Google import cells of a call: empty unless it qualifies (answered, long enough, consent) and has a gclid. */
export function googleImportCells(call: Call, setup: ImportSetup): (string | number | null)[] {
  const q = qualify(call, "google_ads", setup.rules, false);
  if (!q.ok || q.upload.clickIdType !== "gclid") return [null, null, null, null, null];
  return [q.upload.clickId, setup.conversionName, googleDateTime(q.upload.at, setup.timeZone ?? "UTC"), q.upload.value, q.upload.currency];
}

/** The visit's GA session id per GA4 stream, as one cell, by stream: "ABC123=1747132561 DEF456=1747132000". */
const gaSessionsCell = (ids: Record<string, string> | null | undefined) =>
  ids
    ? Object.keys(ids)
        .sort()
        .map((stream) => `${stream}=${ids[stream]}`)
        .join(" ") || null
    : null;

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

export function csvLine(call: Call, setup: ImportSetup, delimiter: CsvDelimiter): string {
  const s = call.source;
  return csvRow(
    [
      call.id,
      iso(call.startedAt),
      call.pool,
      call.trackingNumber,
      call.caller,
      call.attributed,
      call.reason,
      call.session,
      s?.name,
      s?.referrer,
      s?.landing,
      s?.utm.source,
      s?.utm.medium,
      s?.utm.campaign,
      s?.utm.term,
      s?.utm.content,
      s?.clickIds.gclid,
      s?.clickIds.msclkid,
      s?.clickIds.fbclid,
      s?.gaClientId,
      iso(call.lease?.leasedAt),
      iso(call.lease?.expiresAt),
      iso(call.lease?.endedAt),
      call.route.action,
      call.route.to,
      call.provider,
      call.outcome,
      call.talkSeconds,
      iso(call.endedAt),
      s?.clickIds.gbraid,
      s?.clickIds.wbraid,
      s?.clickIds.dclid,
      s?.clickIds.ttclid,
      s?.clickIds.li_fat_id,
      adUserDataOf(s?.consent),
      gaSessionsCell(s?.gaSessionIds),
      ...googleImportCells(call, setup),
    ],
    delimiter,
  );
}
