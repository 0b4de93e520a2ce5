/**
 * The snippet's sessions, decided here rather than in the browser (the snippet's size): a visit
 * keeps its session, and the session its first touch (landing URL, referrer, GA client id, Google
 * click cookies), until it lands through another campaign click: a new value of a click id (gclid,
 * gbraid, wbraid, dclid, msclkid, fbclid, ttclid, li_fat_id) or of utm_source or utm_medium. Then a
 * new session begins (crypto.randomUUID) with this page view's touch as its first.
 *
 * The snippet keeps the session as a token (`AllocateResponse.token`, opaque to it) and sends it
 * back with this page view's touch. The token is base64url of `{session, first, campaign, shown}`
 * (JSON; `shown`: the numbers the answer gave, by pool, which the page that sends it back shows:
 * domain/former-numbers.ts), not signed: it claims nothing a request could not claim itself (any session id, any first
 * touch), and it is validated like the rest of the body. A token that does not decode to one is
 * dropped (a new session), not refused: refusing would leave a visitor whose storage holds a broken
 * one without a number until it is cleared.
 *
 * Consent: a click id the page may not send arrives as "withheld" (snippet/session.ts). A withheld
 * value never starts a session (which click it was is unknown); a first touch whose click id was
 * withheld takes the real value when a later request of the session may send it (the visitor
 * granted ad consent), and a first touch without a GA client id or Google click cookies takes them
 * from a later request; its GA session ids are always the latest request's. Without ad consent
 * nothing of a click goes into a token; without analytics consent no GA client id or session id.
 */
import { z } from "@hono/zod-openapi";
import { CLICK_ID_PARAMS, MAX_POOLS_PER_ALLOCATION, OTHER_CLICK_ID_PARAMS, POOL_ID_PATTERN, SESSION_ID_PATTERN } from "../../shared/protocol";
import { parsedUrl } from "../../shared/url";
import { base64urlDecode, base64urlOfText } from "../platform/base64url";
import { type Source, SourceSchema } from "../schemas/allocate";
import type { Shown } from "./former-numbers";
import { GaSessionsSchema, laterGaSessions } from "./ga-cookies";
import { cut, cutSource, type Touch, URL_MAX, VALUE_MAX, WITHHELD } from "./source";

/** Campaign parameters: another value of any of them starts a new session. The first eight are click ids. */
export const CAMPAIGN = [...CLICK_ID_PARAMS, "utm_source", "utm_medium"] as const;
type CampaignKey = (typeof CAMPAIGN)[number];
const CLICK_IDS: ReadonlySet<string> = new Set(CLICK_ID_PARAMS);

/** A session as its token holds it. */
export interface Session {
  session: string;
  /**
   * The first touch as sent (cut to size, its GA cookies read), without the consent state (each
   * request sends its own). Its GA session ids are the latest page view's (decide()).
   */
  first: Touch;
  /** The first touch's campaign values (from its whole landing URL, cut to 200 characters). */
  campaign: Partial<Record<CampaignKey, string>>;
  /** The numbers the answer this token came with gave, by pool: what its page shows (none: undefined). */
  shown?: Shown | undefined;
}

const TokenSchema = z
  .object({
    session: z.string().regex(SESSION_ID_PATTERN),
    // Tokens from before the GA session ids hold the GA client id as a string too.
    // Made from a touch cut to size (source.ts): a longer URL (sent by anyone: the token is not
    // signed) is cut as the worker cuts one, not read whole (the source rules' globs run against it).
    first: SourceSchema.omit({ consent: true, gaClientId: true }).extend({
      landing: z
        .string()
        .transform((u) => cut(u, URL_MAX)!)
        .optional(),
      referrer: z
        .string()
        .transform((u) => cut(u, URL_MAX)!)
        .optional(),
      gaClientId: z.string().max(VALUE_MAX).optional(),
      gaSessions: GaSessionsSchema.optional(),
    }),
    campaign: z
      .object(Object.fromEntries(CAMPAIGN.map((k) => [k, z.string().max(VALUE_MAX)])) as Record<CampaignKey, z.ZodString>)
      .partial()
      .strict(),
    shown: z
      .record(z.string().regex(POOL_ID_PATTERN), z.string().regex(/^\+[1-9]\d{1,14}$/))
      .refine((shown) => Object.keys(shown).length <= MAX_POOLS_PER_ALLOCATION)
      .optional(),
  })
  .strict();

export const encodeToken = ({ session, first, campaign, shown }: Session): string => base64urlOfText(JSON.stringify({ session, first, campaign, shown }));

/** The session a token holds, or null for anything that is not one of ours. */
export function decodeToken(token: string): Session | null {
  const bytes = base64urlDecode(token);
  if (!bytes) return null;
  try {
    const parsed = TokenSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? (parsed.data as Session) : null;
  } catch {
    return null;
  }
}

const adsDenied = (touch: Source | undefined) => touch?.consent?.adStorage === "denied";

/** The campaign values a touch brings (empty ones are none); its click ids withheld without ad consent. */
function campaignOf(touch: Source | undefined): Session["campaign"] {
  const params = parsedUrl(touch?.landing)?.searchParams;
  const out: Session["campaign"] = {};
  for (const k of CAMPAIGN) {
    const v = params?.get(k);
    if (v) out[k] = CLICK_IDS.has(k) && adsDenied(touch) ? WITHHELD : v.slice(0, VALUE_MAX);
  }
  return out;
}

/** A first touch's landing URL, to change (its own copy: parsedUrl's are shared). */
const ownUrl = (landing: string | undefined): URL | null => {
  const url = parsedUrl(landing);
  return url ? new URL(url.href) : null;
};

/**
 * Google's linker parameters: `_gl` (Consent Mode's url_passthrough and cross-domain links: the GA
 * client id and the ad click, encoded), `_ga` (its older form) and `gclsrc`.
 */
const LINKER = ["_gl", "_ga", "gclsrc"];

/**
 * A first touch with nothing the consent does not allow: no GA client id without analytics
 * storage; no click ids without ad storage, in its fields or in its landing and referrer URLs
 * (withheld there; a same-site referrer is the landing page with its click id); no linker
 * parameters with either denied. The snippet withholds some already; anything may send them anyway.
 */
function withheld(first: Touch, consent: Source["consent"]): Touch {
  const ads = consent?.adStorage === "denied";
  const analytics = consent?.analyticsStorage === "denied";
  if (!ads && !analytics) return first;
  const out: Touch = { ...first };
  if (analytics) {
    delete out.gaClientId;
    delete out.gaSessions;
  }
  if (ads) delete out.clickIds;
  for (const field of ["landing", "referrer"] as const) {
    const url = ownUrl(out[field]);
    if (!url) continue;
    // Only a URL with something to take out is written anew (a query re-serializes otherwise).
    const clicks = ads ? [...CLICK_ID_PARAMS, ...OTHER_CLICK_ID_PARAMS].filter((k) => url.searchParams.get(k) && url.searchParams.get(k) !== WITHHELD) : [];
    const linker = LINKER.filter((k) => url.searchParams.has(k));
    if (!clicks.length && !linker.length) continue;
    for (const k of clicks) url.searchParams.set(k, WITHHELD);
    for (const k of linker) url.searchParams.delete(k);
    // Written anew, its query is percent-encoded (`/ : ,` in values): cut to size again.
    out[field] = cut(url.href, URL_MAX)!;
  }
  return out;
}

/** A touch as a first touch: cut to size, no consent state, nothing the consent sent with it does not allow. */
function firstOf(touch: Source | undefined): Touch {
  const { consent, ...rest } = touch ?? {};
  return withheld(cutSource(rest), consent);
}

/** A new session, this touch its first (`campaign`: the touch's, when the caller has it already). */
export const begin = (touch: Source | undefined, session: string = crypto.randomUUID(), campaign = campaignOf(touch)): Session => ({
  session,
  first: firstOf(touch),
  campaign,
});

/**
 * This request's session: the token's, unless there is none (or it is not one of ours) or this
 * touch brings another campaign click; then a new one. A kept session's first touch takes what it
 * lacked and this touch may now send (a click id it withheld, the GA client id, the Google click
 * cookies), and this touch's GA session ids.
 */
export function decide(token: string | undefined, touch: Source | undefined): Session & { continued: boolean } {
  const had = token === undefined ? null : decodeToken(token);
  const now = campaignOf(touch);
  if (!had) return { ...begin(touch, undefined, now), continued: false };
  // What the page shows goes with it whichever session this request is in (domain/former-numbers.ts).
  const { shown } = had;
  const fresh = CAMPAIGN.some((k) => {
    const v = now[k];
    if (!v || v === had.campaign[k]) return false;
    return !(CLICK_IDS.has(k) && (v === WITHHELD || had.campaign[k] === WITHHELD));
  });
  if (fresh) return { ...begin(touch, undefined, now), shown, continued: false };
  const first: Touch = { ...had.first };
  const campaign = { ...had.campaign };
  const extra = firstOf(touch);
  for (const k of CLICK_ID_PARAMS)
    if (campaign[k] === WITHHELD && now[k] && now[k] !== WITHHELD) {
      campaign[k] = now[k];
      first.clickIds = { ...first.clickIds, [k]: now[k] };
    }
  first.gaClientId ??= extra.gaClientId;
  // The GA session this page view is in: a call joins the one it came from (GA4 begins another
  // after 30 minutes idle by default; ours goes on until another campaign click).
  const gaSessions = laterGaSessions(first.gaSessions, extra.gaSessions);
  if (gaSessions) first.gaSessions = gaSessions;
  if (extra.clickIds?.gcl_aw || extra.clickIds?.gcl_gb) {
    first.clickIds = { ...first.clickIds };
    first.clickIds.gcl_aw ??= extra.clickIds.gcl_aw;
    first.clickIds.gcl_gb ??= extra.clickIds.gcl_gb;
  }
  // Consent withdrawn since the first touch (ads now denied): what it kept goes too.
  if (adsDenied(touch)) for (const k of CLICK_ID_PARAMS) if (campaign[k]) campaign[k] = WITHHELD;
  return { session: had.session, first: withheld(first, touch?.consent), campaign, shown, continued: true };
}

const asWritten = (v: string) => encodeURIComponent(v).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `AllocateResponse.campaign`: a RegExp source that matches a landing URL (as the snippet sends it)
 * bringing another campaign click than the session's first touch, which decide() may answer with
 * a new session: a view with a live cached answer asks first instead of using it. It may match
 * more than decide() starts a session for (the same value encoded otherwise), never less.
 */
export function campaignPattern(campaign: Session["campaign"]): string {
  // Parameters refusing the same values share one alternative: (?:gbraid|wbraid|…)=(?!…)
  const byValues = new Map<string, string[]>();
  for (const k of CAMPAIGN) {
    const v = campaign[k];
    const click = CLICK_IDS.has(k);
    const own = v && v !== WITHHELD ? asWritten(v) : "";
    const same = click ? (own ? `${WITHHELD}|${own}` : WITHHELD) : own;
    const ahead = same ? `(?!(?:${same})(?:[&#]|$))` : "";
    const keys = byValues.get(ahead);
    if (keys) keys.push(k);
    else byValues.set(ahead, [k]);
  }
  let alternatives = "";
  for (const [ahead, keys] of byValues) alternatives += `${alternatives ? "|" : ""}(?:${keys.join("|")})=${ahead}`;
  return `[?&](?:${alternatives})[^&#]`;
}
