/**
 * Plivo's number API (v1, Basic auth AuthID:AuthToken, JSON bodies as Plivo's SDKs send them):
 *   GET    /Account/{auth_id}/PhoneNumber/?country_iso=…&type=…&pattern=…&region=…&city=…   search
 *          (https://www.plivo.com/docs/numbers/phone-numbers; its parameters as plivo-python's
 *          numbers.search names them: country_iso, type, pattern, region, services, lata,
 *          rate_center, limit (at most 20), offset, city, npanxx, local_calling_area). What they mean,
 *          as Plivo's Ruby SDK documents them (https://www.rubydoc.info/gems/plivo/Plivo/Resources/PhoneNumberInterface,
 *          #search): `pattern` "will search for numbers which start with the country code + pattern"
 *          (415 with US: 1415…), so an area code is sent as is; `type` fixed, mobile or tollfree (any
 *          when absent), local and national being the subtypes of fixed (the PhoneNumber object's
 *          sub_type) that Plivo's own examples search by (type local); `region` "only applicable when
 *          the type is fixed", by "Exact names of the region … three or more characters" (region=
 *          Frankfurt; Plivo's example: Texas): a US state or Canadian province code is sent as its name;
 *          `city` "Filter phone number based on the city name … only applicable when the type is Local"
 *   POST   /Account/{auth_id}/PhoneNumber/{number}/ { app_id }                              buy
 *          (https://www.plivo.com/docs/numbers/api/phone-number/buy-a-phone-number/: 201
 *          { numbers: [{ number, status: "Success" | "pending" }], status: "fulfilled" }; "pending"
 *          for a country with verification requirements, activated once they are met)
 *   GET    /Account/{auth_id}/Number/?alias=…&limit=20&offset=…                             reconcile
 *          (https://www.plivo.com/docs/numbers/api/account-phone-number/list-all-my-numbers/:
 *          "alias: Returns phone numbers that exactly match this alias"; pages by meta.next, on api.plivo.com only)
 *   GET    /Account/{auth_id}/Number/{number}/                                              one number held
 *   POST   /Account/{auth_id}/Number/{number}/ { app_id, alias }                            assign to the app, mark
 *   DELETE /Account/{auth_id}/Number/{number}/                                              unrent (204)
 *   POST   /Account/{auth_id}/Application/{app_id}/ { answer_url, hangup_url, … }           our callbacks
 *          (https://www.plivo.com/docs/account/api/application/update-an-application/, 202)
 * A Plivo number has no voice URLs of its own: its calls go to its application's answer_url and
 * hangup_url (the buy's app_id: "The application to be assigned to the phone number. If not
 * specified, the application selected as the default_number_app of the account is assigned").
 * So, as with Telnyx's TeXML application, the account names an application (credentials.plivo.
 * applicationId) whose two URLs the order sets, and every number bought is assigned to it. Not one
 * created by the order: its id would have to be stored outside the credentials, and a create whose
 * answer is lost makes a second one, where updating a named one can be repeated freely.
 * Plivo has no idempotency key and its buy takes no name: the order id goes into the number's
 * `alias` right after the buy (Number update), and a retry lists the account's numbers by that
 * alias before it buys again. A buy whose answer is lost (network, 5xx) is looked up at once as a
 * number of the account: held, it is ours (marked then); not held, the buy is retried later. What
 * the alias cannot cover (the look-up fails too, or the object restarts between buy and alias) is
 * covered by the order itself: it records each number before it buys it, and its retry looks each
 * such number up (`held`): held with no other alias, it is adopted and marked; not held, forgotten.
 * Errors are `{ api_id, error }` with the HTTP status (https://plivo.com/docs/numbers/api/response:
 * 400 a parameter missing or invalid, 401, 404 "Resource cannot be found", 405, 429 rate limited,
 * 500). Plivo documents no answer of its own for a number sold meanwhile. A buy's resource is the
 * number (PhoneNumber/{number}/), so one no longer in stock is taken to be "not found", 404 (as in
 * plivo-ruby#8, a rent answered 404 "not found", its cause unstated); the other thing a buy names,
 * the application, is a resource prepare has already updated (Application/{app_id}/) before any buy.
 * So a buy's 404 is taken: another is bought. (plivo-node#144 and #171, 404 "not found" on every
 * buy, were the SDK's own wrong path, fixed in plivo-node 26d7762: no evidence either way.)
 */
import { call, field, pageLink, remove, str } from "./http";
import type { CallbackUrls, Candidate, NumberApi, Outcome, Owned, SearchQuery } from "./types";

export const PLIVO_API = "https://api.plivo.com/v1";

/** Plivo's largest page, of searches and of account numbers alike ("The maximum number of results that can be fetched is 20"). */
const PAGE = 20;
/** Pages of one alias listing followed at most (an order holds at most 100 numbers: 5 pages). */
const MAX_PAGES = 10;

const TYPE = { local: "local", national: "national", tollfree: "tollfree", mobile: "mobile" } as const;

/** US states and Canadian provinces by code: Plivo's region filter takes the name (see the header). */
const REGION_NAMES: Record<string, string> = Object.fromEntries(
  (
    "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|DC District of Columbia|" +
    "FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|KY Kentucky|LA Louisiana|ME Maine|" +
    "MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|MO Missouri|MT Montana|NE Nebraska|NV Nevada|" +
    "NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|" +
    "OR Oregon|PA Pennsylvania|RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|" +
    "VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming|AB Alberta|BC British Columbia|MB Manitoba|" +
    "NB New Brunswick|NL Newfoundland and Labrador|NS Nova Scotia|NT Northwest Territories|NU Nunavut|ON Ontario|" +
    "PE Prince Edward Island|QC Quebec|SK Saskatchewan|YT Yukon"
  )
    .split("|")
    .map((e) => [e.slice(0, 2), e.slice(3)]),
);

/** Plivo's reason: its `error` (a string, or an object of field errors), else `message`. */
const describe = (body: unknown): string => {
  const error = field(body, "error");
  if (typeof error === "string") return error;
  if (error && typeof error === "object") return JSON.stringify(error);
  return str(field(body, "message")) ?? (typeof body === "string" && body ? body.slice(0, 200) : "no error message");
};

/** Plivo writes numbers as digits without the +. */
const digits = (e164: string) => e164.replace(/^\+/, "");
const e164 = (n: string) => (n.startsWith("+") ? n : `+${n}`);

/** The query string of a PhoneNumber search. */
export function plivoSearchParams(q: SearchQuery): URLSearchParams {
  const p = new URLSearchParams({ country_iso: q.country, type: TYPE[q.type], services: "voice", limit: String(Math.min(q.limit, PAGE)) });
  // The pattern is matched after the country code: 510 finds +1 510…, 20 finds +44 20….
  if (q.areaCode) p.set("pattern", q.areaCode);
  if (q.city) p.set("city", q.city);
  // CA, as the order gives it, is California here: Plivo matches region names, not codes.
  if (q.region) p.set("region", (q.country === "US" || q.country === "CA" ? REGION_NAMES[q.region] : undefined) ?? q.region);
  // A wider search around a number found (US and CA): its NPA-NXX and that exchange's local calling area.
  if (q.nearNumber?.startsWith("+1") && q.nearNumber.length === 12) {
    p.set("npanxx", q.nearNumber.slice(2, 8));
    p.set("local_calling_area", "true");
  }
  return p;
}

export interface PlivoNumberCredentials {
  authId: string;
  authToken: string;
  applicationId: string;
}

export function plivoNumbers(creds: PlivoNumberCredentials): NumberApi {
  const base = `${PLIVO_API}/Account/${creds.authId}`;
  const auth = { Authorization: `Basic ${btoa(`${creds.authId}:${creds.authToken}`)}` };
  const post = (body: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const app = creds.applicationId;
  /** A paging link, followed only on Plivo's API host under this account's numbers (the Auth Token goes with it). */
  const nextPage = (next: string | null) => pageLink(next, new URL(PLIVO_API).origin, new URL(`${base}/Number/`).pathname);
  /** A number's `application` is the URI of its application: /v1/Account/{auth_id}/Application/{app_id}/. */
  const isOurs = (n: unknown) => (str(field(n, "application")) ?? "").replace(/\/$/, "").endsWith(`/Application/${app}`);

  const owned = (n: unknown): Owned | null => {
    const number = str(field(n, "number"));
    return number ? { number: e164(number), providerId: digits(number), configured: isOurs(n) } : null;
  };

  /** Assign the number to the application and mark it with the order's id. */
  const mark = async (number: string, tag: string | null): Promise<Outcome<true>> => {
    const r = await call(`${base}/Number/${digits(number)}/`, post({ app_id: app, ...(tag ? { alias: tag } : {}) }), describe);
    return r.ok ? { ok: true, value: true } : r;
  };

  /** The account's number `number` and its alias (null: the account does not hold it). */
  const lookup = async (number: string): Promise<Outcome<{ owned: Owned; alias: string } | null>> => {
    const r = await call(`${base}/Number/${digits(number)}/`, { headers: auth }, describe, (_b, status) =>
      status === 404 ? { kind: "taken", reason: "not held" } : null,
    );
    if (!r.ok) return r.error.kind === "taken" ? { ok: true, value: null } : r;
    const o = owned(r.value.body);
    return { ok: true, value: o ? { owned: o, alias: str(field(r.value.body, "alias")) ?? "" } : null };
  };

  const release = (providerId: string): Promise<Outcome<true>> => remove(`${base}/Number/${digits(providerId)}/`, auth, describe);

  return {
    async prepare(urls: CallbackUrls): Promise<Outcome<true>> {
      const r = await call(
        `${base}/Application/${app}/`,
        // fallback_answer_url: asked when the answer URL is unavailable or its XML invalid; the same URL, a second chance for the call.
        post({
          answer_url: urls.voiceUrl,
          answer_method: "POST",
          fallback_answer_url: urls.voiceUrl,
          fallback_method: "POST",
          hangup_url: urls.statusUrl,
          hangup_method: "POST",
        }),
        describe,
      );
      return r.ok ? { ok: true, value: true } : r;
    },

    searchPage: PAGE,

    async search(q: SearchQuery): Promise<Outcome<Candidate[]>> {
      const r = await call(`${base}/PhoneNumber/?${plivoSearchParams(q)}`, { headers: auth }, describe);
      if (!r.ok) return r;
      const list = field(r.value.body, "objects");
      const out: Candidate[] = [];
      for (const n of Array.isArray(list) ? list : []) {
        const number = str(field(n, "number"));
        // `region` is "City and country of the number", not a state: no state to compare.
        if (number && field(n, "voice_enabled") !== false) out.push({ number: e164(number), region: null });
      }
      return { ok: true, value: out };
    },

    async owned(tag: string): Promise<Outcome<Owned[]>> {
      const out: Owned[] = [];
      let url: string | null = `${base}/Number/?${new URLSearchParams({ alias: tag, limit: String(PAGE), offset: "0" })}`;
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const r = await call(url, { headers: auth }, describe);
        if (!r.ok) return r;
        const list = field(r.value.body, "objects");
        for (const n of Array.isArray(list) ? list : []) {
          // "exactly match this alias": checked again, a looser filter must not hand us others' numbers.
          const o = str(field(n, "alias")) === tag ? owned(n) : null;
          if (o) out.push(o);
        }
        // meta.next: "/v1/Account/{auth_id}/Number/?limit=20&offset=20", or null on the last page.
        url = nextPage(str(field(field(r.value.body, "meta"), "next")));
      }
      return { ok: true, value: out };
    },

    async buy(number: string, tag: string): Promise<Outcome<Owned>> {
      const r = await call(`${base}/PhoneNumber/${digits(number)}/`, post({ app_id: app }), describe, (_b, status) =>
        // 404 "not found": the number is no longer in Plivo's stock (another buyer took it).
        status === 404 ? { kind: "taken", reason: `${number} is no longer available at Plivo` } : null,
      );
      let pending: string | undefined;
      if (!r.ok) {
        if (r.error.kind !== "retry") return r;
        // The answer may be lost after Plivo rented it: held by the account, it is this order's.
        const found = await lookup(number);
        if (!found.ok || !found.value) return r;
      } else {
        const line = (Array.isArray(field(r.value.body, "numbers")) ? (field(r.value.body, "numbers") as unknown[]) : []).find(
          (n) => digits(str(field(n, "number")) ?? "") === digits(number),
        );
        const status = str(field(line, "status"));
        if (status && status.toLowerCase() === "pending")
          pending = "verification pending at Plivo (its address and identity requirements, e-mailed to the account)";
      }
      // Marked with the order's id (and assigned to the app, as the buy's app_id did): a retry finds it.
      const marked = await mark(number, tag);
      // Not marked: bought all the same, recorded now; configure assigns it again.
      return { ok: true, value: { number: e164(number), providerId: digits(number), configured: marked.ok, pending } };
    },

    async held(number: string, tag: string): Promise<Outcome<Owned | null>> {
      // A number this order went to buy, its answer never stored (lost, or a restart before the
      // alias): held and not marked for anyone else, it is the order's, marked now as a buy marks it.
      const found = await lookup(number);
      if (!found.ok || !found.value) return found.ok ? { ok: true, value: null } : found;
      if (found.value.alias && found.value.alias !== tag) return { ok: true, value: null };
      const marked = await mark(number, tag);
      return { ok: true, value: { ...found.value.owned, configured: marked.ok } };
    },

    async configure(o: Owned): Promise<Outcome<true>> {
      return mark(o.providerId, null);
    },

    release,

    async releaseOrdered(number: string, _tag: string, providerId: string): Promise<Outcome<true>> {
      // A number pending verification is rented already (the buy answered it): unrented as any.
      return release(providerId || digits(number));
    },
  };
}
