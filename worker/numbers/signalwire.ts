/**
 * SignalWire's number API, through its Compatibility REST API (LaML, Twilio's 2010-04-01 shapes,
 * form-encoded, Basic auth ProjectID:API token, at the account's own Space):
 *   GET    https://{space}.signalwire.com/api/laml/2010-04-01/Accounts/{ProjectID}/AvailablePhoneNumbers/{Country}/{Local|TollFree}.json
 *   POST   …/IncomingPhoneNumbers.json                 buy (PhoneNumber, FriendlyName, VoiceUrl, StatusCallback…)
 *   GET    …/IncomingPhoneNumbers.json?FriendlyName=…  reconcile (paged: next_page_uri)
 *   POST   …/IncomingPhoneNumbers/{Sid}.json           set the voice URLs
 *   DELETE …/IncomingPhoneNumbers/{Sid}.json           release (204; 404: already gone)
 * From SignalWire's reference (https://developer.signalwire.com/rest/compatibility-api/endpoints/available-phone-numbers,
 * https://developer.signalwire.com/rest/compatibility-api/endpoints/incoming-phone-numbers,
 * https://developer.signalwire.com/rest/compatibility-api/endpoints/create-incoming-phone-number; its
 * source: github.com/signalwire/docs specs/compatibility-api/{available-phone-numbers,incoming-phone-numbers,_shared/errors.tsp}).
 * The Compatibility API rather than the RELAY REST API (/api/relay/rest/phone_numbers): its search
 * takes a country (RELAY's search has none) and its numbers take the voice URLs the README tells a
 * SignalWire user to set ("When a call comes in", "Status Change Webhook") in the purchase itself.
 *
 * Where it differs from Twilio's (twilio.ts), and so is not that file with another base URL:
 * - only Local and TollFree searches exist (no Mobile, National): such orders are refused before
 *   anything is searched (number-request.ts);
 * - AreaCode is for US and Canada only and Contains takes [0-9a-zA-Z] only (no leading "+"): an area
 *   code elsewhere is searched as Contains "{calling code}{area code}" and only the numbers that
 *   begin with it are kept;
 * - InLocality "requires InRegion"; there is no NearLatLong, NearNumber or Distance, and no PageSize
 *   on a search (its first page is taken);
 * - VoiceEnabled is "Not supported. Accepted for Twilio API compatibility": not sent;
 * - the host is the account's Space, checked to be <name>.signalwire.com (schemas/providers.ts
 *   SIGNALWIRE_SPACE) and paging links are followed on that host only: the API token goes nowhere else;
 * - errors come as `{ code, message, more_info, status }` (Twilio's), `{ errors: [{ code, message }] }`
 *   or `{ errors: ["…"] }` (errors.tsp): all three are read for the reason. SignalWire's list of its
 *   Compatibility API codes (https://developer.signalwire.com/compatibility-api/rest/error-codes, source
 *   fern/products/compatibility-api/pages/rest-api/core/error-codes.mdx) has no code for a number sold
 *   meanwhile, and gives 21421 its own meaning, "An area code or number must be provided to purchase
 *   a number" (a request error: the order fails with it, it is not "taken" as Twilio's 21421 "PhoneNumber
 *   is invalid" might be). Twilio's 21422 (not available) and 21452 (no numbers found), absent from
 *   that list, are still taken as "taken" should SignalWire mirror them; anything else is the order's
 *   failure with SignalWire's reason;
 * - paths: the reference lists them without `.json` (…/IncomingPhoneNumbers); the resources' own `uri`
 *   and SignalWire's earlier curl examples have it (…/IncomingPhoneNumbers.json, /{Sid}.json), as
 *   Twilio's: both are served, the `.json` form is kept (its JSON answer does not rest on Accept);
 * - no regulatory ids are sent (its IncomingPhoneNumber's address_sid and identity_sid are "Always null").
 * The order id goes in FriendlyName (a documented list filter) so a retry finds what an earlier
 * attempt bought before it buys again, as with Twilio.
 */
import { type CountryCode, getCountryCallingCode } from "libphonenumber-js/max";
import { SIGNALWIRE_SPACE } from "../schemas/providers";
import { call, field, pageLink, remove, str } from "./http";
import { hasUrls, urlFields } from "./incoming-number-urls";
import type { CallbackUrls, Candidate, NumberApi, Outcome, Owned, ProviderError, SearchQuery } from "./types";

const NANP = new Set(["US", "CA"]);
const RESOURCE = { local: "Local", tollfree: "TollFree" } as const;
/** Twilio's codes of a number that can no longer be bought (SignalWire's 21421 is a missing number: not one of them). */
const TAKEN_CODES = new Set(["21422", "21452"]);
/** Most pages of owned numbers read in one reconcile (50 a page by default). */
const MAX_PAGES = 40;

/** The Space's host from what the credentials hold, or null when it is not a signalwire.com Space. */
export function signalwireHost(space: string): string | null {
  const m = space.match(SIGNALWIRE_SPACE);
  return m?.[1] ? `${m[1].toLowerCase()}.signalwire.com` : null;
}

/** SignalWire's reason, whichever of its error shapes the answer has. */
export function describeSignalwire(body: unknown): string {
  if (typeof body === "string") return body.trim().slice(0, 200) || "no error message";
  const message = str(field(body, "message"));
  const code = field(body, "code");
  if (message) return `${message}${code !== undefined && code !== null ? ` (SignalWire ${code})` : ""}`;
  const errors = field(body, "errors");
  const parts = (Array.isArray(errors) ? errors : [])
    .map((e) => {
      if (typeof e === "string") return e;
      const m = str(field(e, "message")) ?? str(field(e, "detail"));
      const c = field(e, "code");
      return m ? `${m}${c !== undefined && c !== null ? ` (SignalWire ${c})` : ""}` : null;
    })
    .filter((p): p is string => p !== null);
  return parts.length ? parts.join("; ") : "no error message";
}

const codesOf = (body: unknown): string[] => {
  const errors = field(body, "errors");
  return [field(body, "code"), ...(Array.isArray(errors) ? errors.map((e) => field(e, "code")) : [])]
    .filter((c) => typeof c === "number" || typeof c === "string")
    .map(String);
};

const describe = (body: unknown) => describeSignalwire(body);
const buyRefusal = (body: unknown): ProviderError | null =>
  codesOf(body).some((c) => TAKEN_CODES.has(c)) ? { kind: "taken", reason: describeSignalwire(body) } : null;

/** The query string of an available-numbers search (what SignalWire's search takes of it). */
export function signalwireSearchParams(q: SearchQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.areaCode && NANP.has(q.country)) p.set("AreaCode", q.areaCode);
  else if (q.areaCode) p.set("Contains", `${getCountryCallingCode(q.country as CountryCode)}${q.areaCode}`);
  if (q.region) p.set("InRegion", q.region);
  if (q.city && q.region) p.set("InLocality", q.city);
  return p;
}

export interface SignalwireNumberCredentials {
  space: string;
  projectId: string;
  apiToken: string;
}

/** The client, or null when the Space is not a signalwire.com host. */
export function signalwireNumbers(creds: SignalwireNumberCredentials): NumberApi | null {
  const host = signalwireHost(creds.space);
  if (!host) return null;
  const origin = `https://${host}`;
  const base = `${origin}/api/laml/2010-04-01/Accounts/${encodeURIComponent(creds.projectId)}`;
  const auth = `Basic ${btoa(`${creds.projectId}:${creds.apiToken}`)}`;
  const get: RequestInit = { headers: { Authorization: auth, Accept: "application/json" } };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { Authorization: auth, Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  const numberUrl = (sid: string) => `${base}/IncomingPhoneNumbers/${encodeURIComponent(sid)}.json`;

  const owned = (r: unknown, urls: CallbackUrls): Owned | null => {
    const number = str(field(r, "phone_number"));
    const sid = str(field(r, "sid"));
    // A number handled by a cXML application ignores its own URLs: not ours until configured.
    const app = field(r, "voice_application_sid");
    const configured = hasUrls(r, urls) && !app;
    return number && sid ? { number, providerId: sid, configured } : null;
  };

  /** A paging link, followed only on the Space's own host (a relative /api/laml/… path, or an absolute URL there). */
  const nextPage = (body: unknown): string | null => pageLink(str(field(body, "next_page_uri")), origin, "/api/laml/");

  return {
    async prepare(): Promise<Outcome<true>> {
      return { ok: true, value: true }; // each number carries its own URLs
    },

    async search(q): Promise<Outcome<Candidate[]>> {
      const resource = q.type === "local" || q.type === "tollfree" ? RESOURCE[q.type] : null;
      if (!resource) return { ok: false, error: { kind: "fatal", reason: `SignalWire sells local and toll-free numbers only, not ${q.type}` } };
      const r = await call(`${base}/AvailablePhoneNumbers/${encodeURIComponent(q.country)}/${resource}.json?${signalwireSearchParams(q)}`, get, describe);
      if (!r.ok) return r;
      // Contains matches anywhere: outside +1 an area code is the number's beginning.
      const prefix = q.areaCode && !NANP.has(q.country) ? `+${getCountryCallingCode(q.country as CountryCode)}${q.areaCode}` : null;
      const list = field(r.value.body, "available_phone_numbers");
      const out: Candidate[] = [];
      for (const n of Array.isArray(list) ? list : []) {
        const number = str(field(n, "phone_number"));
        if (!number || (prefix && !number.startsWith(prefix))) continue;
        out.push({ number, region: str(field(n, "region")) });
      }
      return { ok: true, value: out.slice(0, q.limit) };
    },

    async owned(tag, urls): Promise<Outcome<Owned[]>> {
      const out: Owned[] = [];
      let url: string | null = `${base}/IncomingPhoneNumbers.json?${new URLSearchParams({ FriendlyName: tag, PageSize: "1000" })}`;
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const r = await call(url, get, describe);
        if (!r.ok) return r;
        const list = field(r.value.body, "incoming_phone_numbers");
        for (const n of Array.isArray(list) ? list : []) {
          // FriendlyName is the filter asked for; a number of another name is never taken as this order's.
          const o = field(n, "friendly_name") === tag ? owned(n, urls) : null;
          if (o) out.push(o);
        }
        url = nextPage(r.value.body);
      }
      return { ok: true, value: out };
    },

    async buy(number, tag, urls): Promise<Outcome<Owned>> {
      const r = await call(`${base}/IncomingPhoneNumbers.json`, form({ PhoneNumber: number, FriendlyName: tag, ...urlFields(urls) }), describe, buyRefusal);
      if (!r.ok) return r;
      const o = owned(r.value.body, urls);
      return o ? { ok: true, value: o } : { ok: false, error: { kind: "retry", reason: "SignalWire's answer had no sid" } };
    },

    async configure(o, urls): Promise<Outcome<true>> {
      const r = await call(numberUrl(o.providerId), form(urlFields(urls)), describe);
      return r.ok ? { ok: true, value: true } : r;
    },

    async release(providerId): Promise<Outcome<true>> {
      return remove(numberUrl(providerId), { Authorization: auth, Accept: "application/json" }, describe);
    },

    async releaseOrdered(_number, _tag, providerId): Promise<Outcome<true>> {
      // A purchase is immediate: a number is never pending here, and one with a sid is released as any.
      return providerId ? this.release(providerId) : { ok: true, value: true };
    },
  };
}
