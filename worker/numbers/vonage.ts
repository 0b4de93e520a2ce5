/**
 * Vonage's number API (the Numbers API, https://developer.vonage.com/en/api/numbers; its OpenAPI
 * source: github.com/Nexmo/api-specification definitions/numbers.yml), form-encoded, HTTP Basic
 * api_key:api_secret (the Buy a Number guide, https://developer.vonage.com/en/numbers/code-snippets/buy,
 * sends `-u "$VONAGE_API_KEY:$VONAGE_API_SECRET"`; the secret stays out of URLs and logs):
 *   GET  https://rest.nexmo.com/number/search?country=…&type=landline|mobile-lvn|landline-toll-free&features=VOICE&pattern=…&search_pattern=0&size=…&index=…
 *   POST https://rest.nexmo.com/number/buy      country, msisdn                      buy
 *   POST https://rest.nexmo.com/number/update   country, msisdn, app_id              link to the application
 *   GET  https://rest.nexmo.com/account/numbers?pattern=<msisdn>&search_pattern=0     is this number ours now (reconcile)
 *   POST https://rest.nexmo.com/number/cancel   country, msisdn                      release
 * and the Application API v2 (https://developer.vonage.com/en/api/application.v2, Basic auth with the
 * same api_key:api_secret, not a JWT):
 *   GET, PUT https://api.nexmo.com/v2/applications/{id}                              our callbacks
 * Checked against Vonage's SDKs: both APIs are Basic-auth clients in the Node SDK (@vonage/numbers,
 * @vonage/applications: AuthenticationType.BASIC), the current List Your Numbers guide sends `-u
 * key:secret` (https://developer.vonage.com/en/numbers/code-snippets/list-owned); the voice
 * capability's `signed_callbacks` is the Node SDK's CapabilityVoiceResponse field ("Whether to use
 * signed webhooks for voice events"); an owned number names its application as voiceCallbackType
 * "app" + voiceCallbackValue (Numbers API spec, Node NumbersOwnedNumber, Java OwnedNumber), app_id
 * being only a field of number/update; 420's label "may already own this number" (the spec's response420).
 *
 * Numbers are msisdn digits without '+' (E.164). A Numbers API answer is `{ "error-code": "200",
 * "error-code-label": "success" }`; a refusal is HTTP 401 (`authentication failed`) or 420 "Action
 * failed", whose label is as often the generic `method failed` for an account without credit as for a
 * number no longer for sale, or a sentence (numbers that need an address are bought in the Dashboard).
 * So a refused purchase is decided by looking: the number is ours now (an earlier attempt bought it),
 * or no longer for sale (taken: another is bought), or still for sale (the refusal is the account's:
 * the order fails with Vonage's label). A purchase whose answer is lost is looked up the same way.
 *
 * Calls: a Vonage number's calls go to the Application it is linked to (`app_id`), whose voice
 * capability holds the answer and event URLs (not the number). The worker sets them on the
 * application the owner names (`applicationId`), as the README's provider table says (answer URL GET,
 * event URL POST, signed callbacks on: our callbacks verify the JWT): read, merged and written back
 * whole (PUT replaces the application: its name, keys and other capabilities are sent as read).
 * It does so because the same api_key:api_secret can, and a wrong or missing answer URL would
 * leave every bought number answering nothing. The application should be one for tracking numbers.
 *
 * Reconcile: Vonage has no idempotency key and no field of a number an order could mark with its
 * id (a number has only its webhooks and application link). So the order records each number before
 * it buys it, and its retry asks, for each such number whose answer it never stored (lost, or a
 * restart between Vonage's purchase and our record), whether the account holds it (`held`): held
 * and linked to no other application, it is the order's (linked then); not held, the buy did not
 * happen and the number is forgotten. A number the order never tried to buy is never taken: one the
 * owner linked to the application by hand stays theirs, out of every pool, never released by us.
 */
import { type CountryCode, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { call, field, str } from "./http";
import type { CallbackUrls, Candidate, NumberApi, Outcome, Owned, ProviderError, SearchQuery } from "./types";

export const VONAGE_REST = "https://rest.nexmo.com";
export const VONAGE_APPLICATIONS = "https://api.nexmo.com/v2/applications";

/** Vonage's number types; it has no national type (number-request.ts refuses one before the search). */
const TYPE = { local: "landline", mobile: "mobile-lvn", tollfree: "landline-toll-free", national: null } as const;

/** The page size the Numbers API allows at most. */
const PAGE = 100;

/** A Numbers API refusal: "label (Vonage code)"; an Application API one: RFC 7807 title and detail. */
const describe = (body: unknown) => {
  const label = str(field(body, "error-code-label"));
  const code = str(field(body, "error-code"));
  if (label) return `${label}${code ? ` (Vonage ${code})` : ""}`;
  const title = str(field(body, "title"));
  const detail = str(field(body, "detail"));
  const invalid = field(body, "invalid_parameters");
  const params = Array.isArray(invalid) ? invalid.map((p) => `${str(field(p, "name")) ?? "?"}: ${str(field(p, "reason")) ?? "invalid"}`) : [];
  const text = [title, detail, ...params].filter(Boolean).join("; ");
  return text || (typeof body === "string" && body ? body.slice(0, 200) : "no error message");
};

/** The query string of an available-numbers search (null: a search Vonage cannot make). */
export function vonageSearchParams(q: SearchQuery): URLSearchParams | null {
  const type = TYPE[q.type];
  if (!type) return null;
  const p = new URLSearchParams({ country: q.country, type, features: "VOICE", size: String(Math.min(q.limit, PAGE)), index: "1" });
  // An area is the number's beginning: "0 - Search for numbers that start with pattern (all numbers
  // are in E.164 format, so the starting pattern includes the country code, such as 1 for USA)".
  if (q.areaCode) {
    p.set("pattern", `${getCountryCallingCode(q.country as CountryCode)}${q.areaCode}`);
    p.set("search_pattern", "0");
  }
  return p;
}

const msisdnOf = (number: string) => number.replace(/^\+/, "");
const plus = (msisdn: string) => `+${msisdn}`;

export interface VonageNumberCredentials {
  apiKey: string;
  apiSecret: string;
  applicationId: string;
}

export function vonageNumbers(creds: VonageNumberCredentials): NumberApi {
  const auth = `Basic ${btoa(`${creds.apiKey}:${creds.apiSecret}`)}`;
  const get: RequestInit = { headers: { Authorization: auth, Accept: "application/json" } };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { Authorization: auth, Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  const app = creds.applicationId;
  /** Each candidate's country as the search answered it (a +1 number's country is Vonage's to say). */
  const countries = new Map<string, string>();
  const countryOf = (number: string) => countries.get(number) ?? parsePhoneNumberFromString(number)?.country ?? null;
  /** A number's id here: its country and msisdn, what buy, update and cancel all take. */
  const idOf = (country: string, msisdn: string) => `${country}:${msisdn}`;
  const parseId = (id: string) => {
    const [country, msisdn] = id.split(":");
    return { country: country ?? "", msisdn: msisdn ?? "" };
  };

  /** A 2xx answer of the Numbers API that is still a refusal (error-code other than 200). */
  const refusedOk = (body: unknown): boolean => {
    const code = str(field(body, "error-code"));
    return code !== null && code !== "200";
  };

  const owned = (n: unknown): Owned | null => {
    const msisdn = str(field(n, "msisdn"));
    const country = str(field(n, "country"));
    if (!msisdn || !country) return null;
    // voiceCallbackType "app" with the application in voiceCallbackValue, as the spec and SDKs list an owned number; app_id if an answer has one.
    const linked = str(field(n, "app_id")) ?? (field(n, "voiceCallbackType") === "app" ? str(field(n, "voiceCallbackValue")) : null);
    return { number: plus(msisdn), providerId: idOf(country, msisdn), configured: linked === app };
  };

  /** The account's number `number` (null: not the account's), and the application it is linked to. */
  const holding = async (number: string): Promise<Outcome<{ owned: Owned; appId: string | null } | null>> => {
    const msisdn = msisdnOf(number);
    const p = new URLSearchParams({ pattern: msisdn, search_pattern: "0", size: "10", index: "1" });
    const r = await call(`${VONAGE_REST}/account/numbers?${p}`, get, describe);
    if (!r.ok) return r;
    const list = field(r.value.body, "numbers");
    const mine = (Array.isArray(list) ? list : []).find((n) => str(field(n, "msisdn")) === msisdn);
    const o = mine ? owned(mine) : null;
    if (!o) return { ok: true, value: null };
    return {
      ok: true,
      value: { owned: o, appId: str(field(mine, "app_id")) ?? (field(mine, "voiceCallbackType") === "app" ? str(field(mine, "voiceCallbackValue")) : null) },
    };
  };

  /** Whether Vonage still offers `number` for sale. */
  const forSale = async (number: string, country: string): Promise<Outcome<boolean>> => {
    const msisdn = msisdnOf(number);
    const p = new URLSearchParams({ country, pattern: msisdn, search_pattern: "0", size: "10", index: "1" });
    const r = await call(`${VONAGE_REST}/number/search?${p}`, get, describe);
    if (!r.ok) return r;
    const list = field(r.value.body, "numbers");
    return { ok: true, value: (Array.isArray(list) ? list : []).some((n) => str(field(n, "msisdn")) === msisdn) };
  };

  /**
   * After a purchase refused (420) or unanswered: ours now (not linked elsewhere) → bought; else no
   * longer for sale → taken; still for sale → the refusal is not about the number (`refusal`).
   */
  const settle = async (number: string, country: string, refusal: ProviderError): Promise<Outcome<Owned>> => {
    const held = await holding(number);
    if (!held.ok) return held;
    if (held.value && (held.value.appId === null || held.value.appId === app)) return { ok: true, value: held.value.owned };
    if (held.value) {
      return { ok: false, error: { kind: "fatal", reason: `${number} is already this Vonage account's, linked to application ${held.value.appId}` } };
    }
    if (refusal.kind === "retry") return { ok: false, error: refusal };
    const offered = await forSale(number, country);
    if (!offered.ok) return offered;
    return offered.value
      ? {
          ok: false,
          error: {
            kind: "fatal",
            reason: `${refusal.reason}; ${number} is still for sale, so Vonage refused the account, not the number (its balance, or a number that needs an address: bought in the Vonage Dashboard)`,
          },
        }
      : { ok: false, error: { kind: "taken", reason: `${refusal.reason}; ${number} is no longer for sale` } };
  };

  const release = async (providerId: string): Promise<Outcome<true>> => {
    const { country, msisdn } = parseId(providerId);
    const r = await call(`${VONAGE_REST}/number/cancel`, form({ country, msisdn }), describe, (body) => ({ kind: "fatal", reason: describe(body) }));
    if (r.ok && !refusedOk(r.value.body)) return { ok: true, value: true };
    if (!r.ok && r.error.kind === "retry") return r;
    // Refused (420): one the account no longer has counts as released.
    const held = await holding(plus(msisdn));
    if (!held.ok) return held;
    if (!held.value) return { ok: true, value: true };
    return r.ok ? { ok: false, error: { kind: "fatal", reason: describe(r.value.body) } } : r;
  };

  return {
    async prepare(urls: CallbackUrls): Promise<Outcome<true>> {
      const at = `${VONAGE_APPLICATIONS}/${encodeURIComponent(app)}`;
      const r = await call(at, get, describe, (body, status) =>
        status === 404
          ? { kind: "fatal", reason: `Vonage has no application ${app} for this API key (credentials.vonage.applicationId): ${describe(body)}` }
          : null,
      );
      if (!r.ok) return r;
      const current = r.value.body;
      const capabilities = (field(current, "capabilities") ?? {}) as Record<string, unknown>;
      const voice = (capabilities.voice ?? {}) as Record<string, unknown>;
      const hooks = (voice.webhooks ?? {}) as Record<string, unknown>;
      const answer = hooks.answer_url;
      const fallback = hooks.fallback_answer_url;
      const event = hooks.event_url;
      const set =
        field(answer, "address") === urls.voiceUrl &&
        field(answer, "http_method") === "GET" &&
        field(fallback, "address") === urls.voiceUrl &&
        field(fallback, "http_method") === "GET" &&
        field(event, "address") === urls.statusUrl &&
        field(event, "http_method") === "POST" &&
        voice.signed_callbacks === true;
      if (set) return { ok: true, value: true };
      const keys = str(field(field(current, "keys"), "public_key"));
      const body = {
        name: str(field(current, "name")) ?? "edge-dni tracking numbers",
        ...(keys ? { keys: { public_key: keys } } : {}),
        ...(field(current, "privacy") !== undefined ? { privacy: field(current, "privacy") } : {}),
        capabilities: {
          ...capabilities,
          voice: {
            ...voice,
            signed_callbacks: true,
            webhooks: {
              ...hooks,
              answer_url: { ...(answer as object), address: urls.voiceUrl, http_method: "GET" },
              // Asked when the answer URL is unreachable or answers an error: the same URL, a second chance for the call.
              fallback_answer_url: { ...(fallback as object), address: urls.voiceUrl, http_method: "GET" },
              event_url: { ...(event as object), address: urls.statusUrl, http_method: "POST" },
            },
          },
        },
      };
      const put = await call(
        at,
        { method: "PUT", headers: { Authorization: auth, Accept: "application/json", "Content-Type": "application/json" }, body: JSON.stringify(body) },
        describe,
      );
      return put.ok ? { ok: true, value: true } : put;
    },

    async search(q: SearchQuery): Promise<Outcome<Candidate[]>> {
      // Vonage's search has no locality, state or coordinates (number-request.ts refuses city,
      // region and near), nor a search near a number: `nearest` finds nothing wider here and waits.
      const p = q.nearNumber || q.bestEffort ? null : vonageSearchParams(q);
      if (!p) return { ok: true, value: [] };
      const r = await call(`${VONAGE_REST}/number/search?${p}`, get, describe);
      if (!r.ok) return r;
      const list = field(r.value.body, "numbers"); // absent when count is 0
      const out: Candidate[] = [];
      for (const n of Array.isArray(list) ? list : []) {
        const msisdn = str(field(n, "msisdn"));
        const features = field(n, "features");
        if (!msisdn || (Array.isArray(features) && !features.includes("VOICE"))) continue;
        countries.set(plus(msisdn), str(field(n, "country")) ?? q.country);
        out.push({ number: plus(msisdn), region: null });
      }
      return { ok: true, value: out };
    },

    async owned(): Promise<Outcome<Owned[]>> {
      // No marker to list by: what an order bought is found from the numbers it recorded trying (`held`).
      return { ok: true, value: [] };
    },

    async held(number: string): Promise<Outcome<Owned | null>> {
      // A number this order went to buy, its answer never stored: the account's and linked to no
      // other application, it is the order's (configure links it, as after a fresh buy).
      const found = await holding(number);
      if (!found.ok || !found.value) return found.ok ? { ok: true, value: null } : found;
      if (found.value.appId !== null && found.value.appId !== app) return { ok: true, value: null };
      return { ok: true, value: found.value.owned };
    },

    async buy(number: string): Promise<Outcome<Owned>> {
      const country = countryOf(number);
      if (!country) return { ok: false, error: { kind: "taken", reason: `${number}: no country known for it` } };
      const msisdn = msisdnOf(number);
      const r = await call(`${VONAGE_REST}/number/buy`, form({ country, msisdn }), describe, (body) => ({ kind: "fatal", reason: describe(body) }));
      if (r.ok && !refusedOk(r.value.body)) return { ok: true, value: { number, providerId: idOf(country, msisdn), configured: false } };
      if (!r.ok && r.error.kind === "fatal" && r.error.reason.startsWith("401")) return r;
      // 420 (or an answer lost, or a 2xx that is a refusal): decided by what the account now holds.
      const refusal: ProviderError = r.ok ? { kind: "fatal", reason: describe(r.value.body) } : r.error;
      return settle(number, country, refusal);
    },

    async configure(o: Owned): Promise<Outcome<true>> {
      const { country, msisdn } = parseId(o.providerId);
      const r = await call(`${VONAGE_REST}/number/update`, form({ country, msisdn, app_id: app }), describe);
      if (r.ok && refusedOk(r.value.body)) return { ok: false, error: { kind: "fatal", reason: describe(r.value.body) } };
      return r.ok ? { ok: true, value: true } : r;
    },

    release,

    async releaseOrdered(_number, _tag, providerId): Promise<Outcome<true>> {
      // Vonage buys at once: a number is never pending here.
      return providerId ? release(providerId) : { ok: true, value: true };
    },
  };
}
