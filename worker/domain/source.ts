/**
 * The session's source context as stored with a lease. The snippet sends little (the rule's name,
 * the landing URL, the referrer, the GA cookies, the `_gcl_aw`/`_gcl_gb` cookie values, the
 * consent state) to stay small; utm_* and click ids are read here from the landing URL when not
 * sent. Over-long values are cut, not refused: losing a visitor's attribution to a long URL would
 * be worse than keeping its first 2 KB.
 *
 * Consent (the snippet's data-consent): a visit whose ad_storage is denied keeps no click ids, one
 * whose analytics_storage is denied no GA client id or GA session ids, whatever was sent; a click
 * id "withheld" (the snippet's stand-in, so the source rules still see that there was one) is
 * never stored.
 */

import { CLICK_ID_COOKIES, CLICK_ID_PARAMS, type ClickIdKey } from "../../shared/protocol";
import { parsedUrl } from "../../shared/url";
import { textOnly } from "../platform/text";
import type { Source } from "../schemas/allocate";
import { type GaSessions, gaClientIdOf, gaCookiesOf } from "./ga-cookies";

export const URL_MAX = 2048;
export const VALUE_MAX = 200;
const NAME_MAX = 64;

const UTM = ["source", "medium", "campaign", "term", "content"] as const;

/**
 * A value cut to `max`, without what is not text (a control character from a decoded query, a
 * surrogate the cut split): kept, not refused, as for an over-long one, but never stored to reach
 * the CSV export, GA4 or a webhook.
 */
export const cut = (s: string | undefined, max: number) => (s === undefined ? undefined : textOnly(s.slice(0, max)));

/** The snippet's value for a click id it may not send (snippet/session.ts). */
export const WITHHELD = "withheld";

/**
 * The click id inside a Google first-party cookie value: `_gcl_aw` and `_gcl_gb` hold
 * "GCL.<unix seconds>.<click id>" (the id itself may contain dots); null for anything else.
 */
export function clickIdFromGclCookie(value: string | undefined): string | null {
  if (!value) return null;
  const m = /^GCL\.\d{1,12}\.([A-Za-z0-9_.-]{8,})$/.exec(value.trim());
  return m ? m[1]! : null;
}

/**
 * A touch as the worker keeps it (a session's first touch, a lease's source): the GA cookies sent
 * read into the GA client id (as sent: the id or the raw `_ga` value; the lease's: the id) and the
 * GA session ids by stream (domain/ga-cookies.ts).
 */
export type Touch = Omit<Source, "gaClientId"> & { gaClientId?: string; gaSessions?: GaSessions };

/**
 * A source context with every value cut to the size it is stored at, its GA cookies read. A landing
 * URL too long to keep whole has its utm_* and click ids taken out first (what was sent for them
 * wins): the cut would lose those at the end of a long query.
 */
export function cutSource(input: Source): Touch {
  const { gaClientId: sent, ...rest } = input;
  const out: Touch = rest;
  const ga = gaCookiesOf(sent);
  if (ga.clientId !== undefined) out.gaClientId = cut(ga.clientId, VALUE_MAX)!;
  if (ga.sessions) out.gaSessions = ga.sessions;
  const params = input.landing && input.landing.length > URL_MAX ? parsedUrl(input.landing)?.searchParams : undefined;
  if (params) {
    const utm = Object.fromEntries(UTM.map((k) => [k, params.get(`utm_${k}`)]).filter(([, v]) => v));
    const clickIds = Object.fromEntries(CLICK_ID_PARAMS.map((k) => [k, params.get(k)]).filter(([, v]) => v));
    if (Object.keys(utm).length) out.utm = { ...utm, ...input.utm };
    if (Object.keys(clickIds).length) out.clickIds = { ...clickIds, ...input.clickIds };
  }
  if (input.name !== undefined) out.name = cut(input.name, NAME_MAX)!;
  if (input.referrer !== undefined) out.referrer = cut(input.referrer, URL_MAX)!;
  if (input.landing !== undefined) out.landing = cut(input.landing, URL_MAX)!;
  if (input.utm) out.utm = Object.fromEntries(Object.entries(input.utm).map(([k, v]) => [k, cut(v, VALUE_MAX)]));
  if (input.clickIds) out.clickIds = Object.fromEntries(Object.entries(input.clickIds).map(([k, v]) => [k, cut(v, VALUE_MAX)]));
  return out;
}

/**
 * The source context a lease keeps: the GA client id parsed, utm_* and click ids read from the
 * landing URL where not sent, and nothing its consent state does not allow.
 */
export function enrichSource(input: Touch | undefined): Touch | null {
  if (!input) return null;
  const out: Touch = {};
  if (input.name !== undefined) out.name = cut(input.name, NAME_MAX)!;
  if (input.referrer !== undefined) out.referrer = cut(input.referrer, URL_MAX)!;
  if (input.landing !== undefined) out.landing = cut(input.landing, URL_MAX)!;
  const gaClientId = gaClientIdOf(input.gaClientId);
  const analytics = input.consent?.analyticsStorage !== "denied";
  if (gaClientId && analytics) out.gaClientId = gaClientId;
  if (input.gaSessions && Object.keys(input.gaSessions).length && analytics) out.gaSessions = { ...input.gaSessions };
  if (input.consent !== undefined && Object.keys(input.consent).length) out.consent = { ...input.consent };
  const params = parsedUrl(input.landing)?.searchParams ?? null;
  const utm: NonNullable<Source["utm"]> = {};
  for (const k of UTM) {
    const v = input.utm?.[k] ?? params?.get(`utm_${k}`) ?? undefined;
    if (v) utm[k] = cut(v, VALUE_MAX)!;
  }
  if (Object.keys(utm).length) out.utm = utm;
  const clickIds: Partial<Record<ClickIdKey, string>> = {};
  for (const k of CLICK_ID_PARAMS) {
    const v = input.clickIds?.[k] ?? params?.get(k) ?? undefined;
    if (v) clickIds[k] = cut(v, VALUE_MAX)!;
  }
  for (const k of CLICK_ID_COOKIES) {
    const v = input.clickIds?.[k];
    if (v) clickIds[k] = cut(v, VALUE_MAX)!;
  }
  // The landing URL's click is the visit's own; the cookie's is the latest earlier ad click, taken
  // only when the URL brings none of Google's: an older gclid from a cookie beside the URL's wbraid
  // or gbraid would be the one uploaded (gclid first), a conversion given to the wrong click or
  // refused as expired.
  const landed = [clickIds.gclid, clickIds.gbraid, clickIds.wbraid].some((v) => v !== undefined && v !== WITHHELD);
  if (!landed) {
    clickIds.gclid ??= cut(clickIdFromGclCookie(clickIds.gcl_aw) ?? undefined, VALUE_MAX);
    clickIds.gbraid ??= cut(clickIdFromGclCookie(clickIds.gcl_gb) ?? undefined, VALUE_MAX);
  }
  for (const k of Object.keys(clickIds) as ClickIdKey[]) if (clickIds[k] === undefined || clickIds[k] === WITHHELD) delete clickIds[k];
  if (Object.keys(clickIds).length && input.consent?.adStorage !== "denied") out.clickIds = clickIds;
  return out;
}
