/**
 * Calls as ad conversions, the pure part: which calls qualify for which platform (and why not),
 * the conversion time in the ad account's time zone, and the rows each platform's API takes.
 * Field names follow Google Ads API ClickConversion (REST JSON, lowerCamelCase) and Microsoft
 * Advertising Campaign Management v13 OfflineConversion; the Data Manager API's Event is data-manager.ts.
 */
import { sha256Hex } from "../platform/crypto";
import type { Call } from "../schemas/calls";
import type { AdPlatform, CallConversion, ConversionRules } from "../schemas/conversions";
import { isCallerNumber } from "../voice/input";

export type ClickIdType = NonNullable<CallConversion["clickIdType"]>;

/** What an outbox row of kind google_ads / microsoft_ads carries: built once, when the outcome is known. */
export interface AdUpload {
  orderId: string;
  clickIdType: ClickIdType;
  clickId: string;
  /** When the call started (ms since epoch): the conversion time. */
  at: number;
  value: number | null;
  currency: string | null;
  /** Consent Mode v2 ad_user_data (else ad_storage) as known for the visit (null: no signal). */
  adUserData: "granted" | "denied" | null;
  /** Sent to the Data Manager API (its Consent takes it); Google Ads' ClickConversion does not. */
  adPersonalization: "granted" | "denied" | null;
  /** The caller's E.164 number, only when enhanced conversions are on (hashed when sent). */
  phone: string | null;
}

export type Qualified = { ok: true; upload: AdUpload } | { ok: false; reason: string };

/** The rule for a call's pool: the account's, with the pool's override on top. */
function ruleFor(rules: ConversionRules, pool: string | null) {
  const o = pool ? rules.pools[pool] : undefined;
  return {
    enabled: o?.enabled ?? true,
    minSeconds: o?.minSeconds ?? rules.minSeconds,
    value: o?.value !== undefined ? o.value : rules.value,
    currency: o?.currency !== undefined ? o.currency : rules.currency,
  };
}

/** The click id a platform takes from a call: Google gclid, else gbraid, else wbraid; Microsoft msclkid. */
export function clickIdOf(call: Call, platform: AdPlatform): { type: ClickIdType; id: string } | null {
  const c = call.source?.clickIds;
  if (!c) return null;
  if (platform === "microsoft_ads") return c.msclkid ? { type: "msclkid", id: c.msclkid } : null;
  if (c.gclid) return { type: "gclid", id: c.gclid };
  if (c.gbraid) return { type: "gbraid", id: c.gbraid };
  if (c.wbraid) return { type: "wbraid", id: c.wbraid };
  return null;
}

/**
 * The order id that makes re-uploads of a call idempotent on both platforms (≤ 64 characters):
 * `dni-` and the call id, or for a call id too long for that (a provider's, up to 128 characters),
 * its first 43 characters and a 64-bit hash of the whole: two calls never share one (Google takes
 * the second as ORDER_ID_ALREADY_IN_USE, a conversion lost).
 */
export const orderIdOf = (callId: string) => (callId.length <= 60 ? `dni-${callId}` : `dni-${callId.slice(0, 43)}-${hash64(callId)}`);

/** FNV-1a over UTF-16 code units, two 32-bit lanes (offsets apart), as 16 hex digits: synchronous, stable. */
function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 ^ 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/**
 * The visit's ad_user_data consent as every upload reads it (Consent Mode v2's, else its
 * ad_storage: a page that signals only ad_storage denied has denied ad data), null: no signal.
 */
export const adUserDataOf = (consent: { adUserData?: "granted" | "denied" | null; adStorage?: "granted" | "denied" | null } | null | undefined) =>
  consent?.adUserData ?? consent?.adStorage ?? null;

/**
 * Whether a call with a known outcome is uploaded to `platform`, and what is sent. The reason says
 * why not, in the words an agency checks: click id, consent, answered, talk time.
 */
export function qualify(call: Call, platform: AdPlatform, rules: ConversionRules, enhanced: boolean): Qualified {
  if (!call.attributed || !call.source) return { ok: false, reason: "not attributed to a visit" };
  // Consent first: a denied visit's click ids are never stored, so "no click id" would hide the cause.
  const consent = call.source.consent;
  const adUserData = adUserDataOf(consent);
  if (adUserData === "denied") return { ok: false, reason: "the visitor denied ad_user_data consent" };
  const click = clickIdOf(call, platform);
  if (!click) return { ok: false, reason: platform === "google_ads" ? "the visit had no gclid, gbraid or wbraid" : "the visit had no msclkid" };
  if (adUserData !== "granted" && rules.consent === "granted") return { ok: false, reason: "no ad_user_data consent signal (the account requires granted)" };
  const rule = ruleFor(rules, call.pool);
  if (!rule.enabled) return { ok: false, reason: `uploads are off for pool ${call.pool}` };
  if (call.outcome !== "answered") return { ok: false, reason: `not answered (${call.outcome ?? "no outcome"})` };
  const talk = call.talkSeconds ?? 0;
  if (talk < rule.minSeconds) return { ok: false, reason: `talk time ${talk} s is under the minimum of ${rule.minSeconds} s` };
  return {
    ok: true,
    upload: {
      orderId: orderIdOf(call.id),
      clickIdType: click.type,
      clickId: click.id,
      at: call.startedAt,
      value: rule.value,
      currency: rule.value === null ? null : (rule.currency ?? null),
      adUserData,
      adPersonalization: consent?.adPersonalization ?? null,
      phone: enhanced && isCallerNumber(call.caller) ? call.caller : null,
    },
  };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

/** "yyyy-mm-dd hh:mm:ss+|-hh:mm" of `ms` in `timeZone` (Google Ads conversion_date_time). */
export function googleDateTime(ms: number, timeZone: string): string {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    offsetFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const whole = Math.floor(ms / 1000) * 1000;
  const offsetMin = Math.round((Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - whole) / 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  return `${p.year}-${pad(p.month!)}-${pad(p.day!)} ${pad(p.hour!)}:${pad(p.minute!)}:${pad(p.second!)}${sign}${pad(Math.trunc(offsetMin / 60))}:${pad(offsetMin % 60)}`;
}

/** "yyyy-mm-ddThh:mm:ssZ": `ms` in UTC, to the second (Microsoft's ConversionTime, the Data Manager API's RFC 3339 eventTimestamp). */
export const utcSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

const CONSENT = { granted: "GRANTED", denied: "DENIED" } as const;

/**
 * One Google Ads ClickConversion (REST JSON). Its time is local to the account's zone, which a
 * google_ads_api setting always has (PATCH refuses one without); UTC stands in should it lack one.
 */
export async function googleClickConversion(u: AdUpload, cfg: { customerId: string; conversionActionId: string; timeZone: string | null }) {
  return {
    [u.clickIdType]: u.clickId,
    conversionAction: `customers/${cfg.customerId}/conversionActions/${cfg.conversionActionId}`,
    conversionDateTime: googleDateTime(u.at, cfg.timeZone ?? "UTC"),
    ...(u.value !== null ? { conversionValue: u.value } : {}),
    ...(u.value !== null && u.currency ? { currencyCode: u.currency } : {}),
    orderId: u.orderId,
    // ClickConversion takes ad_user_data only (ad_personalization is for customer match uploads);
    // without a signal the field is left out rather than sent as UNSPECIFIED.
    ...(u.adUserData ? { consent: { adUserData: CONSENT[u.adUserData] } } : {}),
    ...(u.phone
      ? { userIdentifiers: [{ hashedPhoneNumber: await sha256Hex(u.phone) /* enhanced conversions for leads: the E.164 number's SHA-256, hex */ }] }
      : {}),
  };
}

/** One Microsoft Advertising OfflineConversion (Campaign Management v13, REST JSON); times in UTC. */
export async function microsoftOfflineConversion(u: AdUpload, cfg: { conversionName: string }) {
  return {
    ConversionName: cfg.conversionName,
    ConversionTime: utcSeconds(u.at),
    MicrosoftClickId: u.clickId,
    ...(u.value !== null ? { ConversionValue: u.value } : {}),
    ...(u.value !== null && u.currency ? { ConversionCurrencyCode: u.currency } : {}),
    ...(u.phone ? { HashedPhoneNumber: await sha256Hex(u.phone) } : {}),
  };
}
