/** Sessions and their first touch. */
import type { SourceContext } from "../shared/protocol";
import { load, save } from "./cache";
import { FULL } from "./flags";

export interface Session {
  /** Session id. */
  i: string;
  /** First touch (the worker names its source and picks its pools by the source rules). */
  s: SourceContext;
  /** The first touch's values of the CAMPAIGN parameters. */
  c: (string | null)[];
}

/** Campaign parameters: a new value of any of them starts a new session. The first eight are click ids. */
const CAMPAIGN = "gclid gbraid wbraid dclid msclkid fbclid ttclid li_fat_id utm_source utm_medium".split(" ");

/**
 * The session id: a random (version 4) UUID, which matches SESSION_ID_PATTERN. Taken from a blob
 * URL, which ends in one in every browser, also on http pages (crypto.randomUUID is https only),
 * in fewer bytes than formatting crypto.getRandomValues. The empty blob stays registered until the
 * page unloads: one per new session, a few bytes.
 */
export const newId = () => URL.createObjectURL(new Blob()).slice(-36);

/**
 * A URL with its click ids' values withheld (data-consent without ad consent): `gclid=withheld`.
 * The source rules still see that a click id was there (`gclid` matches), not which.
 */
export const withhold = (href: string) => {
  const u = new URL(href);
  for (const k of CAMPAIGN.slice(0, 8)) if (u.searchParams.has(k)) u.searchParams.set(k, "withheld");
  return u.href;
};

/** A first-party cookie's raw value. */
const cookie = (name: string) => (RegExp(`(?:^|; )${name}=([^;]+)`).exec(document.cookie) || [])[1];

/**
 * This page view's first touch: the landing URL (which carries utm_* and the click ids), the
 * referrer, the GA client id from the _ga cookie. data-consent (consent.ts): without ad consent
 * (ads false) the click ids are withheld, without analytics consent (ga false) no GA client id;
 * with ad consent granted (gcl) the Google click cookies' raw values (`_gcl_aw`, `_gcl_gb`) too.
 */
export const touch = (ads = true, ga = true, gcl = false): SourceContext => {
  const t: SourceContext = {
    landing: FULL && !ads ? withhold(location.href) : location.href,
    referrer: document.referrer,
    // The raw _ga value (GA1.1.<id>): the worker takes the client id out of it.
    gaClientId: FULL && !ga ? undefined : cookie("_ga"),
  };
  if (FULL && gcl && (cookie("_gcl_aw") || cookie("_gcl_gb"))) t.clickIds = { gcl_aw: cookie("_gcl_aw"), gcl_gb: cookie("_gcl_gb") };
  return t;
};

/**
 * This page view's session: the stored one, whose first touch is kept, unless there is none or this
 * visit comes from a different campaign click (a new click id: gclid, gbraid, wbraid, dclid, msclkid, fbclid, ttclid, li_fat_id; or another utm_source or
 * utm_medium than the first touch's); then a new one: a new id and a new first touch (the landing
 * URL, which carries utm_* and the click ids, the referrer, the GA client id from the _ga cookie).
 * A session has no idle timeout: the lease decides how long a number stays; a later visit keeps its
 * first touch.
 */
export const session = (id?: string, ads?: boolean): Session => {
  const q = new URLSearchParams(location.search),
    c = CAMPAIGN.map((k) => q.get(k));
  let o: Session | undefined = load("dni:s");
  // id (consent granted mid-page, consent.ts): the session this page view already had, now kept.
  if (!o || c.some((v, j) => v && v != o!.c[j]) || (FULL && id)) save("dni:s", (o = { i: (FULL && id) || newId(), s: touch(ads, true, FULL && ads), c }));
  return o;
};

/** A session never stored (data-consent, denied: consent.ts): a new id and a first touch without click ids or GA client id. */
export const anonymous = (): Session => ({ i: newId(), s: touch(false, false), c: [] });
