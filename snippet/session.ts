/**
 * This page view's touch and the session token. The worker decides the session (continue, or begin
 * a new one on another campaign click: worker/domain/session.ts): the snippet sends the token of
 * its last answer with this page view's touch, and keeps the token the answer gives.
 */
import { CLICK_ID_PARAMS, OTHER_CLICK_ID_PARAMS, type SourceContext } from "../shared/protocol";
import { load } from "./cache";
import { FULL } from "./flags";
import { doc } from "./scan";

/** Sent as it is in the request's body (main.ts): its fields are the request's, none other. */
export interface Visit {
  /** The token of the worker's last answer (stored as "dni:t"); none before the first, or when kept in memory only. */
  token?: string;
  /** This page view's touch: the session's first touch when the worker begins one with it. */
  source: SourceContext;
}

/**
 * A URL with its click ids' values withheld (data-consent without ad consent): `gclid=withheld`.
 * The source rules still see that a click id was there (`gclid` matches), not which; the worker
 * never takes "withheld" for another campaign click. (dni.js leaves it out, the lists with it.)
 */
export const withhold = (href: string) => {
  const url = new URL(href);
  for (const name of [...CLICK_ID_PARAMS, ...OTHER_CLICK_ID_PARAMS]) if (url.searchParams.has(name)) url.searchParams.set(name, "withheld");
  return url.href;
};

/** A first-party cookie's raw value. */
const cookie = (name: string) => RegExp(`(?:^|; )${name}=([^;]+)`).exec(document.cookie)?.[1];

/**
 * This page view's touch: the landing URL (which carries utm_* and the click ids), the referrer,
 * the GA cookies as they are (`_ga=GA1.1.<id>`, `_ga_<STREAM>=GS2.1.s<session id>$…`: the worker
 * takes the client id and the GA session ids out of them). data-consent
 * (consent.ts): without ad consent (ads false) the click ids are withheld, without analytics
 * consent (ga false) no GA cookie; with ad consent granted (gcl) the Google click cookies' raw
 * values (`_gcl_aw`, `_gcl_gb`) too.
 */
export const touch = (ads = true, ga = true, gcl = false): SourceContext => {
  const source: SourceContext = {
    landing: FULL && !ads ? withhold(location.href) : location.href,
    referrer: doc.referrer,
    // Every GA cookie as "name=value" ([]: none): `_ga` and each stream's `_ga_<STREAM>`, whose
    // session id the call's GA4 event joins. Each cookie by its name, from the start of a "; "
    // part: not `__ga`, `x_ga` or `x-_ga`, nor `_ga=…` inside another cookie's value (`a=b|_ga=…`),
    // which a `\b` before `_ga` let through: a page's own cookie could have given the worker
    // another client id. The worker parses them (worker/domain/ga-cookies.ts); one expression,
    // not cookie(): fewer bytes in dni.js.
    gaClientId: FULL && !ga ? undefined : doc.cookie.split("; ").filter((c) => /^_ga(_\w+)?=./.test(c)),
  };
  if (FULL && gcl && (cookie("_gcl_aw") || cookie("_gcl_gb"))) source.clickIds = { gcl_aw: cookie("_gcl_aw"), gcl_gb: cookie("_gcl_gb") };
  return source;
};

/**
 * This page view: the stored token (or the one given: consent.ts, the session this page view already
 * had) and its touch. (`??`, not a default parameter: dni.js then makes the visit in place, fewer bytes.)
 */
export const session = (token?: string, ads?: boolean): Visit => ({ token: token ?? load("dni:t"), source: touch(ads, true, FULL && ads) });

/** A session never stored (data-consent, denied: consent.ts): no token, a touch without click ids or GA cookie. */
export const anonymous = (): Visit => ({ source: touch(false, false) });
