import { z } from "@hono/zod-openapi";
import { CLICK_ID_COOKIES, CLICK_ID_PARAMS, type ClickIdKey, MAX_POOLS_PER_ALLOCATION, POOL_ID_PATTERN, SESSION_ID_PATTERN } from "../../shared/protocol";
import { PoolIdSchema } from "./common";

// Generous caps here (the body itself is capped at 24 KiB); domain/source.ts cuts values to size.
const short = z.string().max(1000);
/**
 * A page's URL as the snippet sends it (location.href, document.referrer: never cut in the browser,
 * the snippet's bytes). Only the body's cap bounds it: a long one (ad platforms' click ids, a site's
 * own state in the query) still gets a number; its utm_* and click ids are read before it is cut.
 */
const url = z.string();
const consentValue = z.enum(["granted", "denied"]);
/**
 * How many GA cookies a touch may send, and each one's longest: what a browser can hold (about 180
 * cookies a site, 4 KiB a cookie), so no page's cookies cost its visitor a number. The worker reads
 * `_ga` and a few streams' `_ga_<STREAM>` of them and drops the rest (domain/ga-cookies.ts).
 */
const GA_COOKIES_MAX = 180;
const GA_COOKIE_MAX = 4096;
/** A session token's longest (worker/domain/session.ts makes them from values cut to size). */
const TOKEN_MAX = 16_384;

export const SourceSchema = z
  .object({
    name: z.string().max(1000).optional(),
    referrer: url.optional(),
    landing: url.optional(),
    utm: z.object({ source: short, medium: short, campaign: short, term: short, content: short }).partial().strict().optional(),
    clickIds: z
      .object(Object.fromEntries([...CLICK_ID_PARAMS, ...CLICK_ID_COOKIES].map((k) => [k, short])) as Record<ClickIdKey, typeof short>)
      .partial()
      .strict()
      .optional()
      .openapi({ description: "Click ids from the URL; gcl_aw / gcl_gb: the raw _gcl_aw / _gcl_gb cookie values (GCL.<ts>.<id>)." }),
    gaClientId: z
      .union([z.string().max(GA_COOKIE_MAX), z.array(z.string().max(GA_COOKIE_MAX)).max(GA_COOKIES_MAX), z.null()])
      .optional()
      .openapi({
        description:
          "The visitor's GA cookies as the snippet sends them, each `name=value` (`_ga=GA1.1.123.456`, `_ga_<STREAM>=GS2.1.s<session id>$…`: the GA client id and, per GA4 stream, the GA session id a call's GA4 event carries); or the GA client id (`123.456`) or the raw `_ga` value (`GA1.1.123.456`) alone; `[]` or null: none. A cookie that holds neither, and the streams past the first five, are dropped, not refused.",
      }),
    consent: z
      .object({ adStorage: consentValue, adUserData: consentValue, adPersonalization: consentValue, analyticsStorage: consentValue })
      .partial()
      .strict()
      .optional()
      .openapi({
        description:
          "Consent Mode v2 state when the page has a consent signal; click ids are uploaded to ad platforms only as the account's consent rule allows.",
      }),
  })
  .strict()
  .openapi("SourceContext");

export const AllocateRequestSchema = z
  .object({
    key: z.string().max(200).openapi({ description: "Public site key (pk_…)." }),
    token: z.string().max(TOKEN_MAX).optional().openapi({
      description:
        "The session token of an earlier answer, sent back as it came: its session is kept, or a new one begun when source.landing brings another campaign click. One that is not a token is dropped (a new session). Not with session.",
    }),
    session: z.string().regex(SESSION_ID_PATTERN, "16-64 of A-Z a-z 0-9 _ -").optional().openapi({
      description: "A session id the caller keeps itself: that session, with source as its first touch. Not with token; neither: a new session.",
    }),
    pools: z.array(PoolIdSchema).max(MAX_POOLS_PER_ALLOCATION).optional(),
    pool: z
      .string()
      .max(MAX_POOLS_PER_ALLOCATION * 65)
      .optional()
      .openapi({ description: "The same as pools, as the snippet's data-pool writes them: pool ids separated by commas (empty: none). Not with pools." }),
    sources: z
      .string()
      .max(2000)
      .optional()
      .openapi({ description: "Source rules (the snippet's data-sources), applied here to the session's first touch: its landing URL and referrer." }),
    source: SourceSchema.optional().openapi({
      description: "This page view's touch; the session's first touch when it begins one.",
    }),
  })
  .strict()
  .refine((b) => b.token === undefined || b.session === undefined, { message: "token or session, not both", path: ["session"] })
  .refine((b) => b.pool === undefined || b.pools === undefined, { message: "pool or pools, not both", path: ["pool"] })
  .refine((b) => !b.pool || (b.pool.split(",").length <= MAX_POOLS_PER_ALLOCATION && b.pool.split(",").every((id) => POOL_ID_PATTERN.test(id))), {
    message: `up to ${MAX_POOLS_PER_ALLOCATION} pool ids (1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit) separated by commas`,
    path: ["pool"],
  })
  .openapi("AllocateRequest");

const PhonePartsSchema = z
  .object({
    e164: z.string(),
    cc: z.string(),
    nsn: z.string(),
    trunk: z.string(),
    national: z.string(),
    groups: z.array(z.string()).openapi({ description: "The nsn's digit groups as the national form writes them (trunk prefix left out)." }),
    inland: z.array(z.string()).optional().openapi({
      description:
        "Only where the national form is not the nsn after the trunk prefix (Argentina's mobiles: nsn 91123456789, nationally 011 15-2345-6789): the national form's groups after the trunk prefix; `groups` are then the international form's.",
    }),
    area: z.boolean().optional().openapi({
      description:
        "False for a number written without an area code (a mobile, toll-free, shared-cost or other non-geographic number whose national form puts no parenthesis around its first group): written in place of an original with its area code in parentheses, it has none.",
    }),
  })
  .openapi("PhoneParts");

export const AllocateResponseSchema = z
  .object({
    session: z.string(),
    token: z.string().openapi({ description: "The session token: what the snippet keeps and sends back as the request's token." }),
    campaign: z.string().openapi({
      description:
        "RegExp source matching a landing URL that brings another campaign click than the session's first touch: the snippet then asks before using its cached answer.",
    }),
    now: z.number(),
    source: z.string().openapi({ description: "The session's source name: the matching rule's, else referral or direct." }),
    pools: z.array(
      z.object({
        pool: z.string(),
        destinations: z.array(PhonePartsSchema),
        // A union, not .nullable(): the latter documents allOf[$ref, null], which no null satisfies.
        number: z.union([PhonePartsSchema, z.null()]),
        expiresAt: z.number().nullable(),
        overflow: z.boolean(),
        renewAt: z.number().nullable().optional().openapi({
          description:
            "When to ask again (ms since epoch): a quarter of the lease before its end, sooner when the pool recycles. The answer's renew is the earliest of them.",
        }),
      }),
    ),
    pattern: z.string().openapi({
      description:
        "RegExp source (flag g) finding the destinations in order, one group each, in any written form; with a replaceAll pool, one more group last for bare digits (its pair repeated last in pairs).",
    }),
    pairs: z
      .array(
        z.tuple([
          PhonePartsSchema,
          z.union([PhonePartsSchema, z.null()]),
          z.union([z.literal(0), z.literal(1), z.literal(2)]),
          z.object({ destination: z.string(), number: z.string(), source: z.string() }).optional(),
        ]),
      )
      .openapi({
        description:
          "Each destination, in the pattern's group order (once per written form where its forms are written differently: another trunk prefix, an Argentine mobile; once more, last, where its country's pages may write it in their own digits — full-width, Arabic-Indic, Persian…: that pair's number has its national form in those digits), with its pool's number (null: none), how to write it (0: into the original's digit places, 1: in the number's own groups, 2: its national form) and, with a number, its dni:swap event's detail: what the snippet finds, writes and tells. A replaceAll pool's pair is repeated last, for the pattern's last group.",
      }),
    lease: z.number().openapi({
      description: "How long the answer may be used, ms: until the earliest lease ends (5 min for a pool without a number), at most a day.",
    }),
    renew: z.number().openapi({
      description: "When to renew, ms after the answer: the pools' earliest renewAt, else three quarters of lease; the cached answer stays in use meanwhile.",
    }),
    warnings: z.array(z.string()).optional().openapi({
      description:
        "What was wrong with the request's source rules: `bad rule: …` for each malformed rule (skipped; the others applied), a rule naming more than 5 pools among them. Absent when nothing was. The snippet's debug report (?dni_debug=1) prints them.",
    }),
  })
  .openapi("AllocateResponse");

export type Source = z.infer<typeof SourceSchema>;
