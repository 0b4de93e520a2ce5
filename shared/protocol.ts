/**
 * Wire protocol between the snippet and the worker. Types only: the worker validates every field
 * with zod (worker/schemas), the snippet imports nothing at run time from here.
 */

/** Characters allowed in a session id: 16 to 64 of [A-Za-z0-9_-]. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** Pool ids: caller-chosen, 1 to 64 of [A-Za-z0-9_.-], starting with a letter or digit. */
export const POOL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Most pools one allocation may name. */
export const MAX_POOLS_PER_ALLOCATION = 5;

/** First-touch context of a visit, as the snippet saw it. Every field optional and bounded. */
export interface SourceContext {
  /** The source rule's name that matched (e.g. "google-ads"), or "direct"/"referral". */
  name?: string;
  referrer?: string;
  landing?: string;
  utm?: Partial<Record<"source" | "medium" | "campaign" | "term" | "content", string>>;
  /**
   * Ad click ids from the landing URL, and the raw `_gcl_aw` / `_gcl_gb` first-party cookie values
   * ("GCL.<timestamp>.<click id>") when the page has them and consent allows.
   */
  clickIds?: Partial<Record<ClickIdKey, string>>;
  /**
   * The visitor's GA cookies. The snippet sends each `_ga` and `_ga_<STREAM>` cookie as it is,
   * "name=value" (`["_ga=GA1.1.1234567890.1700000000", "_ga_ABC123=GS2.1.s1747132561$o1$g0$t…"]`;
   * none: `[]`, from older snippets null): the worker takes the GA client id from `_ga` and, per GA4 stream
   * (the measurement id G-ABC123 without "G-"), the GA session id from `_ga_<STREAM>` (GS1 and GS2
   * formats), which the call's GA4 event carries as `session_id`. A string is the GA client id
   * itself ("1234567890.1700000000") or the raw `_ga` value (as older snippets send it). At most
   * 10 items of 200 characters.
   */
  gaClientId?: string | string[] | null;
  /** The visitor's consent state (Google Consent Mode v2 names), when the page has a consent signal. */
  consent?: ConsentState;
}

/** Every ad click id a visit can carry in its landing URL. */
export const CLICK_ID_PARAMS = ["gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id"] as const;
/**
 * Other ad platforms' click ids in a URL, which no upload of ours uses (X/Twitter, Yandex, Snapchat,
 * Pinterest, Reddit, impact.com, Quora): identifiers of the visitor's ad click all the same, withheld
 * with CLICK_ID_PARAMS where ad storage is denied (the snippet's withhold, the worker's first touch).
 */
export const OTHER_CLICK_ID_PARAMS = ["twclid", "yclid", "ScCid", "sccid", "epik", "rdt_cid", "irclid", "qclid"] as const;
/** The Google first-party cookies the snippet may send: `_gcl_aw` (gclid) and `_gcl_gb` (gbraid). */
export const CLICK_ID_COOKIES = ["gcl_aw", "gcl_gb"] as const;
export type ClickIdKey = (typeof CLICK_ID_PARAMS)[number] | (typeof CLICK_ID_COOKIES)[number];

export type ConsentValue = "granted" | "denied";
/** Consent Mode v2 signals; a missing one is unknown. */
export interface ConsentState {
  adStorage?: ConsentValue;
  adUserData?: ConsentValue;
  adPersonalization?: ConsentValue;
  analyticsStorage?: ConsentValue;
}

/** POST /v1/allocate request body (sent as text/plain JSON, so no CORS preflight). */
export interface AllocateRequest {
  /** Public site key (pk_…). */
  key: string;
  /**
   * The session token of an earlier answer (`AllocateResponse.token`), sent back as it came: the
   * worker keeps its session, or starts a new one when `source.landing` brings another campaign
   * click. The snippet sends this; none (and no `session`): a new session.
   */
  token?: string;
  /**
   * A session id the caller keeps itself (16-64 of [A-Za-z0-9_-]): that session, `source` its first
   * touch, no decision made. Not with `token`.
   */
  session?: string;
  /** Pools the visitor's source rule selects; omitted or empty means the account's default pool. */
  pools?: string[];
  /** The same as `pools`, as the snippet's data-pool writes them: ids separated by commas. Not with `pools`. */
  pool?: string;
  /**
   * The source rules (the snippet's data-sources, snippet/README.md): the worker applies them to
   * the session's first touch (its landing URL and referrer), names the source and picks the pools
   * (else `pools`).
   */
  sources?: string;
  /** This page view's touch (with `token`: the session's first touch only when it starts one). */
  source?: SourceContext;
}

/** A phone number in the pieces the snippet needs to find and to write it. */
export interface PhoneParts {
  /** E.164, e.g. "+442079460958". */
  e164: string;
  /** Country calling code digits, e.g. "44". */
  cc: string;
  /** National significant number digits, e.g. "2079460958". */
  nsn: string;
  /** National trunk prefix written before the nsn in national form ("0" in GB, "1" in NANP, "" if none). */
  trunk: string;
  /**
   * National display form, e.g. "020 7946 0958" or "(800) 555-0199". (In a pair for a number written
   * in its country's own digits, shared/pairs.ts NATIVE_DIGITS, the tracking number's is in those:
   * "０１２０－１２３－４５６".)
   */
  national: string;
  /**
   * The nsn's digit groups as the national form writes them (its trunk prefix left out), e.g.
   * ["20", "7946", "0958"], ["800", "555", "0199"]: the snippet writes a tracking number of another
   * grouping than the destination's in these groups. (In a pair for a national form, the worker's
   * shared/pairs.ts findings, the first group may carry the trunk prefix to write, and a
   * destination's nsn its own; in place of a destination of one group, a tracking number's groups are
   * one, spaced: ["21 23 45 67"].)
   */
  groups: string[];
  /**
   * Only where the national form is not the nsn after the trunk prefix (Argentina's mobiles: nsn
   * 91123456789, nationally 011 15-2345-6789): the national form's groups after the trunk prefix,
   * ["11", "15", "2345", "6789"]; `groups` are then the international form's. The worker finds and
   * writes such a number's national forms by them (shared/pairs.ts); the snippet never reads it.
   */
  inland?: string[];
  /**
   * False for a number written without an area code (a mobile, toll-free, shared-cost or other
   * non-geographic number whose national form puts no parenthesis around its first group): in place
   * of an original with its area code in parentheses (`(020) 7946 0958`), it is written without
   * them (shared/pairs.ts findings). None: parts made before it was (taken as true).
   */
  area?: boolean;
}

/**
 * How a tracking number is written in place of its destination (shared/pairs.ts writeMode): 0 into
 * the original's digit places, 1 in its own groups, 2 its national form.
 */
export type WriteMode = 0 | 1 | 2;
/** The `dni:swap` event's detail (snippet/README.md): E.164 of the destination ("*": any number of a replaceAll pool) and of the number, the source name. */
export interface SwapDetail {
  destination: string;
  number: string;
  source: string;
}
/** A destination, its pool's number (null: none), how to write it and the detail of its `dni:swap` event (with a number). */
export type Pair = [destination: PhoneParts, number: PhoneParts | null, write: WriteMode, swap?: SwapDetail];

/**
 * A replaceAll pool's last "destination": any other phone number on the page (the pattern's group
 * for it finds every number of the pool's countries). Written as the tracking number's national
 * form (its cc matches no number's).
 */
export const ANY_NUMBER: PhoneParts = { e164: "*", cc: "", nsn: "", trunk: "", national: "", groups: [] };

export interface PoolAllocation {
  pool: string;
  /** The destination numbers the snippet may replace on the page (the pool's whitelist; with replaceAll, then ANY_NUMBER). */
  destinations: PhoneParts[];
  /** The tracking number to show, or null when the pool gives none (policy `none`, exhausted). */
  number: PhoneParts | null;
  /** Lease expiry, ms since epoch; null when no number. */
  expiresAt: number | null;
  /** True when the number is the pool's shared overflow number (unattributed). */
  overflow: boolean;
  /**
   * When to ask again (ms since epoch, server clock): a quarter of the lease before its end, sooner
   * in a pool that recycles numbers (a recycled visitor learns its new number then). The answer's
   * `renew` is the earliest of its pools', as a length: the snippet renews then, in the background
   * (its cached number stays in use until `lease` ends). Absent from older workers.
   */
  renewAt?: number | null;
}

/** 200 answer of POST /v1/allocate. */
export interface AllocateResponse {
  /** The session id (the worker's decision, or the caller's `session`). */
  session: string;
  /** What the snippet keeps and sends back as `AllocateRequest.token`: the session and its first touch, opaque to it. */
  token: string;
  /**
   * A RegExp source matching a landing URL that brings another campaign click than the session's
   * first touch: a view with a live cached answer asks first (the worker may start a new session).
   */
  campaign: string;
  /** Server time (ms since epoch) so the snippet can correct a skewed clock. */
  now: number;
  /** The session's source name: the matching source rule's, else "referral" or "direct". */
  source: string;
  /** One per pool asked; none when the source rules track nothing for this visitor. */
  pools: PoolAllocation[];
  /**
   * The pattern (a RegExp source, for the "g" flag) that finds the pools' destinations in order
   * (pools, then each pool's destinations), one group each, in any written form (shared/pattern.ts).
   */
  pattern: string;
  /**
   * Each destination (in the pattern's group order; once per written form where its forms are
   * written differently: shared/pairs.ts findings) with its pool's number, how to write it and its
   * dni:swap detail; a replaceAll pool's once more last.
   */
  pairs: Pair[];
  /**
   * How long the answer may be used, ms (shared/lease.ts): until the earliest lease ends by the
   * server's clock (5 min for a pool without a number), at most a day.
   */
  lease: number;
  /** When to renew, ms after the answer: the pools' earliest `renewAt`, else three quarters of `lease` (shared/lease.ts). */
  renew: number;
  /**
   * What was wrong with the request's source rules (`bad rule: …`, each malformed rule, which was
   * skipped: the others applied); none when nothing was. The debug report prints them.
   */
  warnings?: string[];
}

/**
 * GET /v1/region: where the caller's IP address is, as Cloudflare locates it (request.cf); the
 * snippet matches Consent Mode defaults scoped with `region` against it (snippet/consent.ts).
 */
export interface RegionResponse {
  /** ISO 3166-1 alpha-2 country, e.g. "ES"; null when unknown (or Tor). */
  country: string | null;
  /** ISO 3166-2 subdivision, e.g. "ES-CT", "US-TX"; null when unknown. */
  subdivision: string | null;
}

/** Every error the API returns has this shape. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
