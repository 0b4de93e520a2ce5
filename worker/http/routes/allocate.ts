/**
 * POST /v1/allocate — the snippet's call (its only one but GET /v1/region, asked first only by a
 * data-consent page with a Consent Mode default scoped by region). The body is JSON sent as text/plain (a CORS simple
 * request: no preflight, so a first view costs exactly one request). Validated with the same
 * schema the OpenAPI document shows; CORS is granted to the account's allowed origins only.
 *
 * Mounted before the app's common layers (app.ts): this file sets its own Cache-Control: no-store
 * and WWW-Authenticate on a 401.
 *
 * The session is decided here (domain/session.ts): the snippet sends its token and this page
 * view's touch, and gets back the session, the token to keep and when to renew.
 */
import { remember } from "../../../shared/bounded-map";
import { leaseMs, renewMs } from "../../../shared/lease";
import { type Finding, findings } from "../../../shared/pairs";
import { type EveryNumber, pattern } from "../../../shared/pattern";
import type { AllocateResponse, PoolAllocation } from "../../../shared/protocol";
import { classify } from "../../../shared/rules";
import { anyNumber } from "../../domain/any-number";
import { formerNumbers, namedForDestinations, shownOf } from "../../domain/former-numbers";
import { parseKey } from "../../domain/keys";
import { begin, campaignPattern, decide, encodeToken, type Session } from "../../domain/session";
import { enrichSource } from "../../domain/source";
import { dialTrunk } from "../../domain/trunk";
import { clientKey, clientOf } from "../../platform/client-key";
import type { ApiErrorData } from "../../platform/result";
import { AllocateRequestSchema, AllocateResponseSchema } from "../../schemas/allocate";
import { errorResponses } from "../../schemas/common";
import { allocateFromPools } from "../allocation";
import { errorBody, invalidRequest, WWW_AUTHENTICATE } from "../errors";
import { browserOnly } from "../middleware/browser-only";
import { capBody } from "../middleware/limits";
import { createRouter } from "../router";
import { checkSite } from "../routing-cache";

/** The session token and this page view's touch (its URLs, whatever their length up to this) fit. */
const ALLOCATE_MAX_BYTES = 24 * 1024;

const app = createRouter();

app.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/allocate",
  tags: ["allocation"],
  summary: "Lease a tracking number per pool for a visitor session (site key; CORS for allowed origins only).",
  request: {
    body: {
      required: true,
      description: "JSON; sent as text/plain by the snippet to avoid a preflight (application/json also accepted).",
      content: { "text/plain": { schema: AllocateRequestSchema }, "application/json": { schema: AllocateRequestSchema } },
    },
  },
  responses: { 200: { description: "One entry per pool", content: { "application/json": { schema: AllocateResponseSchema } } }, ...errorResponses },
});

/** Refusals made before the Origin was found allowed: they carry no CORS grant. */
const BEFORE_ORIGIN_CHECK = new Set(["invalid_key", "wrong_key_kind", "origin_not_allowed"]);

/**
 * An answer of this route: JSON, never cached, with the CORS grant when `origin` is given. Built as
 * a plain Response: Hono's header merging (c.header, c.json) was a measurable share of an
 * allocation (profiled).
 */
function answer(body: unknown, status: number, origin?: string, extra?: Record<string, string>): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json", "Cache-Control": "no-store", ...extra };
  if (origin) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers.Vary = "Origin";
  }
  return new Response(JSON.stringify(body), { status, headers });
}

const MUST_AUTHENTICATE = { "WWW-Authenticate": WWW_AUTHENTICATE };

app.options("/v1/allocate", (c) => {
  c.header("Cache-Control", "no-store");
  c.header("Access-Control-Allow-Origin", c.req.header("Origin") ?? "*");
  c.header("Access-Control-Allow-Methods", "POST");
  c.header("Access-Control-Allow-Headers", "Content-Type");
  c.header("Access-Control-Max-Age", "86400");
  c.header("Vary", "Origin");
  return c.body(null, 204);
});

app.post("/v1/allocate", browserOnly(), capBody(ALLOCATE_MAX_BYTES), async (c) => {
  const origin = c.req.raw.headers.get("Origin") ?? undefined;
  let raw: unknown;
  try {
    // The request's own reader: nothing else on this route reads the body (Hono's cache of it is a hop).
    raw = JSON.parse(await c.req.raw.text());
  } catch {
    // No CORS grant on anything refused before the pool checked the Origin against the account.
    return answer(errorBody("invalid_json", "Body must be JSON"), 400);
  }
  const parsed = AllocateRequestSchema.safeParse(raw);
  if (!parsed.success) {
    return answer(invalidRequest(parsed.error.issues), 400);
  }
  const body = parsed.data;
  const key = parseKey(body.key);
  if (!key) return answer(errorBody("invalid_key", "Malformed site key"), 401, undefined, MUST_AUTHENTICATE);
  if (key.kind !== "site") return answer(errorBody("wrong_key_kind", "An admin key must never be sent from a browser; use the site key (pk_…)"), 403);
  const client = clientKey(c.req.raw.headers);
  if (client && c.env.ALLOCATE_RATE_LIMIT !== "off" && c.env.ALLOCATE_PER_CLIENT) {
    const { success } = await c.env.ALLOCATE_PER_CLIENT.limit({ key: `${key.accountId}|${client}` });
    if (!success)
      return answer(errorBody("rate_limited", "Too many allocations from this address; the page keeps its own number"), 429, undefined, {
        "Retry-After": "60",
      });
  }
  // The session: the caller's, else the token's unless this touch brings another campaign click.
  const visit: Session & { continued?: boolean } = body.session !== undefined ? begin(body.source, body.session) : decide(body.token, body.source);
  const { first } = visit;
  const campaign = campaignPattern(visit.campaign);
  // The source rules, here rather than in the snippet (its size), on the first touch: a name and the pools.
  // A malformed rule is skipped and named in the answer's warnings (the debug report prints them).
  const warnings: string[] = [];
  const picked = classify(body.sources ?? "", first.landing, first.referrer, body.pools ?? (body.pool ? body.pool.split(",") : undefined), (m) => {
    warnings.push(m);
  });
  const warned = warnings.length ? { warnings } : {};
  const name = body.sources === undefined ? (first.name ?? picked.name) : picked.name;
  const now = Date.now();
  if (picked.pools === null) {
    // No pool object is asked, so none checks the key and Origin: the account does (a wrong key was answered 200).
    const checked = await checkSite(c.env, key.accountId, { siteKey: body.key, origin: origin ?? null });
    if (!checked.ok) return refusal(checked.error, origin);
    return answer(
      {
        session: visit.session,
        token: encodeToken({ ...visit, shown: undefined }),
        campaign,
        now,
        source: name,
        pools: [],
        pattern: pattern([]),
        // The snippet reads pairs from a cached answer too (a later view that brings a campaign click
        // scans with them before it asks): an answer without them made it throw and never ask.
        pairs: [],
        lease: leaseMs([], now),
        renew: renewMs([], now),
        ...warned,
      } satisfies AllocateResponse,
      200,
      origin,
    );
  }
  const result = await allocateFromPools(c.env, {
    accountId: key.accountId,
    siteKey: body.key,
    origin: origin ?? null,
    pools: picked.pools,
    session: visit.session,
    // A session decide() began just now (not the caller's, not the token's) holds no lease anywhere.
    fresh: body.session === undefined && !visit.continued,
    // What the lease keeps for its calls: the first touch, with this request's consent state.
    source: body.source || visit.continued ? JSON.stringify(enrichSource({ ...first, consent: body.source?.consent, name })) : null,
    now,
    // Per-address holding caps count by the same address as the rate limit, and are off with it (load tools).
    client: c.env.ALLOCATE_RATE_LIMIT === "off" ? null : clientOf(c.req.raw.headers),
  });
  if (!result.ok) return refusal(result.error, origin);
  const { pools } = result.value;
  const at = result.value.now;
  // The numbers the page shows that its pools no longer give it are found too, and written over
  // (domain/former-numbers.ts); the token names what this answer gives.
  const former = formerNumbers(pools, visit.shown);
  const all = former.length ? [...pools, ...former] : pools;
  const { numbers, pairs } = findings(all, name, dialTrunk);
  const token = encodeToken({ ...visit, shown: shownOf(pools) });
  return answer(
    {
      ...result.value,
      token,
      campaign,
      source: name,
      pattern: patternOf(all, numbers),
      pairs: namedForDestinations(pairs, former, pools),
      lease: leaseMs(pools, at),
      renew: renewMs(pools, at),
      ...warned,
    } satisfies AllocateResponse,
    200,
    origin,
  );
});

/** A refusal by the pools or the account: the key and then the Origin are checked first (gate.ts); any later refusal is for an allowed origin. */
function refusal({ code, message, details, status, retryAfter }: ApiErrorData, origin: string | undefined): Response {
  return answer(
    errorBody(code, message, details),
    status,
    BEFORE_ORIGIN_CHECK.has(code) ? undefined : origin,
    status === 401 ? MUST_AUTHENTICATE : retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : undefined,
  );
}

/**
 * The pattern of the pools' destinations as shared/pairs.ts findings lists them (the answer's pairs
 * in the same order); a replaceAll pool's ANY_NUMBER finds every number of its pool's countries (its
 * bare digits: the last group).
 */
function patternOf(pools: PoolAllocation[], numbers: Finding[]): string {
  // Pool by pool: which destinations share a pool decides which are a replaceAll pool's. The
  // tracking numbers count only through the forms their destinations are split into (shared/pairs.ts),
  // so a few patterns serve all of a pool's visitors. (A replaceAll pool in a country that writes its
  // own digits leaves its own number out, as written in them: a pattern per number, its every-number
  // part made once.)
  const destinations = pools.map((p) => p.destinations.map((d) => d.e164).join()).join("|");
  // (An area form's variants too: which the tracking number's groups ask, shared/pairs.ts areaForms.)
  // A finding without a form is a number as itself (another pool's tracking number beside a
  // replaceAll pool: each visitor's own): keyed by its number, or every visitor got the first's.
  const key = `${destinations}|${numbers.map((n) => `${n.form ?? n.e164}:${n.own ?? ""}:${n.tails ? JSON.stringify(n.tails) : ""}:${n.least ?? ""}:${n.glued ? 1 : ""}`).join("|")}`;
  let made = patterns.get(key);
  if (made === undefined) {
    // By the replaceAll pools' destinations alone: a former number (domain/former-numbers.ts) changes nothing of it.
    const everyPools = pools.filter((p) => p.destinations.some((d) => d.e164 === "*"));
    const everyKey = everyPools.map((p) => p.destinations.map((d) => d.e164).join()).join("|");
    let every = everyNumbers.get(everyKey);
    if (every === undefined) {
      const everyNumber = everyPools.flatMap((p) => p.destinations);
      if (everyNumber.length) every = remember(everyNumbers, 100, everyKey, anyNumber(everyNumber));
    }
    // The patterns of the destinations this isolate answers for (a few, bounded).
    made = remember(patterns, 100, key, pattern(numbers, every));
  }
  return made;
}

/** Patterns made, by their pools' destinations and forms in order. */
const patterns = new Map<string, string>();
/** replaceAll pools' every-number patterns (worker/domain/any-number.ts: costly to make), by their pools' destinations. */
const everyNumbers = new Map<string, EveryNumber>();

export default app;
