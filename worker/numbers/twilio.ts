/**
 * Twilio's number API (REST 2010-04-01, form-encoded, Basic auth AccountSid:AuthToken):
 *   GET  /Accounts/{Sid}/AvailablePhoneNumbers/{Country}/{Local|TollFree|Mobile|National}.json
 *   POST /Accounts/{Sid}/IncomingPhoneNumbers.json          buy (PhoneNumber, VoiceUrl, StatusCallback…, AddressSid, BundleSid, IdentitySid)
 *   GET  /Accounts/{Sid}/IncomingPhoneNumbers.json?FriendlyName=…   reconcile
 *   POST /Accounts/{Sid}/IncomingPhoneNumbers/{PN…}.json    set the voice URLs
 *   DELETE /Accounts/{Sid}/IncomingPhoneNumbers/{PN…}.json  release
 * Twilio has no idempotency key for buying; the order id goes in FriendlyName so a retry finds
 * what an earlier attempt bought before it buys again.
 */
import { type CountryCode, getCountryCallingCode } from "libphonenumber-js/max";
import type { Regulatory } from "../schemas/orders";
import { call, field, remove, str } from "./http";
import { hasUrls, urlFields } from "./incoming-number-urls";
import type { CallbackUrls, Candidate, NumberApi, Outcome, Owned, ProviderError, SearchQuery } from "./types";

export const TWILIO_API = "https://api.twilio.com/2010-04-01";

/** Where Twilio's AreaCode, InRegion and the near searches apply. */
const NANP = new Set(["US", "CA"]);

const RESOURCE = { local: "Local", national: "National", tollfree: "TollFree", mobile: "Mobile" } as const;

/**
 * Twilio's error codes for a number that can no longer be bought (21422: not available; 21452: no
 * numbers found). Not 21421, "PhoneNumber is invalid": a request of ours Twilio cannot read fails
 * the order with Twilio's reason, rather than passing over every candidate the same way.
 */
const TAKEN_CODES = new Set([21422, 21452]);

const describe = (body: unknown) => {
  const message = str(field(body, "message"));
  const code = field(body, "code");
  return message ? `${message}${typeof code === "number" ? ` (Twilio ${code})` : ""}` : "no error message";
};

const refusal = (body: unknown): ProviderError | null => {
  const code = field(body, "code");
  return typeof code === "number" && TAKEN_CODES.has(code) ? { kind: "taken", reason: describe(body) } : null;
};

/**
 * A purchase Twilio refuses for the number's regulations: 21631 "Phone Number Requires an Address"
 * (https://www.twilio.com/docs/api/errors/21631: "you are now required to pass in an AddressSid")
 * and 21649, which the regulated-number changelog names for a purchase without a compliant
 * BundleSid (https://twilio.com/en-us/changelog/regulated-number-bundle-provisioning-requirement),
 * and 21650 "Phone Number Requires a Verified Identity Document" (https://www.twilio.com/docs/errors/21650),
 * whose Identity a purchase names by IdentitySid. Fatal like any refusal, its reason saying which
 * field of the order's request it is about.
 */
const REGULATORY_CODES: Record<number, keyof Regulatory> = { 21631: "addressSid", 21649: "bundleSid", 21650: "identitySid" };

function buyRefusal(body: unknown, regulatory: Regulatory | undefined): ProviderError | null {
  const code = field(body, "code");
  const wanted = typeof code === "number" ? REGULATORY_CODES[code] : undefined;
  if (!wanted) return refusal(body);
  const given = regulatory?.[wanted];
  const hint = given
    ? `Twilio did not accept regulatory.${wanted} ${given} for this number (its country and type)`
    : `give regulatory.${wanted} in the numbers request (set up in Twilio's console for the number's country and type)`;
  return { kind: "fatal", reason: `${describe(body)}; ${hint}` };
}

/** The purchase's regulatory fields, by the names IncomingPhoneNumbers create documents. */
function regulatoryFields(r: Regulatory | undefined): Record<string, string> {
  return {
    ...(r?.addressSid ? { AddressSid: r.addressSid } : {}),
    ...(r?.bundleSid ? { BundleSid: r.bundleSid } : {}),
    ...(r?.identitySid ? { IdentitySid: r.identitySid } : {}),
  };
}

/** The query string of an available-numbers search. */
export function twilioSearchParams(q: SearchQuery): URLSearchParams {
  const p = new URLSearchParams({ VoiceEnabled: "true", PageSize: String(Math.min(q.limit, 1000)) });
  // AreaCode applies only to US and Canadian numbers; elsewhere an area is the number's beginning
  // (Contains "+44161": "to match the beginning of a pattern, start the pattern with +").
  if (q.areaCode && NANP.has(q.country)) p.set("AreaCode", q.areaCode);
  else if (q.areaCode) p.set("Contains", `+${getCountryCallingCode(q.country as CountryCode)}${q.areaCode}`);
  if (q.city) p.set("InLocality", q.city);
  if (q.region) p.set("InRegion", q.region);
  if (q.near) {
    p.set("NearLatLong", `${q.near.lat},${q.near.lng}`);
    p.set("Distance", String(q.near.radiusMiles));
  }
  if (q.nearNumber) {
    p.set("NearNumber", q.nearNumber);
    p.set("Distance", "100");
  }
  return p;
}

function owned(r: unknown, urls: CallbackUrls): Owned | null {
  const number = str(field(r, "phone_number"));
  const sid = str(field(r, "sid"));
  // The fallback too: a number bought before it was set is configured again (its URLs written once more).
  const configured = hasUrls(r, urls);
  return number && sid ? { number, providerId: sid, configured } : null;
}

export function twilioNumbers(creds: { accountSid: string; authToken: string }): NumberApi {
  const base = `${TWILIO_API}/Accounts/${creds.accountSid}`;
  const auth = `Basic ${btoa(`${creds.accountSid}:${creds.authToken}`)}`;
  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  const get: RequestInit = { headers: { Authorization: auth } };

  return {
    async prepare(): Promise<Outcome<true>> {
      return { ok: true, value: true }; // each number carries its own URLs
    },

    async search(q): Promise<Outcome<Candidate[]>> {
      const r = await call(`${base}/AvailablePhoneNumbers/${q.country}/${RESOURCE[q.type]}.json?${twilioSearchParams(q)}`, get, describe);
      if (!r.ok) return r;
      const list = field(r.value.body, "available_phone_numbers");
      const out: Candidate[] = [];
      for (const n of Array.isArray(list) ? list : []) {
        const number = str(field(n, "phone_number"));
        if (number) out.push({ number, region: str(field(n, "region")) });
      }
      return { ok: true, value: out };
    },

    async owned(tag, urls): Promise<Outcome<Owned[]>> {
      const r = await call(`${base}/IncomingPhoneNumbers.json?${new URLSearchParams({ FriendlyName: tag, PageSize: "1000" })}`, get, describe);
      if (!r.ok) return r;
      const list = field(r.value.body, "incoming_phone_numbers");
      return { ok: true, value: (Array.isArray(list) ? list : []).map((n) => owned(n, urls)).filter((o): o is Owned => o !== null) };
    },

    async buy(number, tag, urls, regulatory): Promise<Outcome<Owned>> {
      const r = await call(
        `${base}/IncomingPhoneNumbers.json`,
        form({ PhoneNumber: number, FriendlyName: tag, ...urlFields(urls), ...regulatoryFields(regulatory) }),
        describe,
        (body) => buyRefusal(body, regulatory),
      );
      if (!r.ok) return r;
      const o = owned(r.value.body, urls);
      return o ? { ok: true, value: o } : { ok: false, error: { kind: "retry", reason: "Twilio's answer had no sid" } };
    },

    async configure(o, urls): Promise<Outcome<true>> {
      const r = await call(`${base}/IncomingPhoneNumbers/${o.providerId}.json`, form(urlFields(urls)), describe);
      return r.ok ? { ok: true, value: true } : r;
    },

    async release(providerId): Promise<Outcome<true>> {
      return remove(`${base}/IncomingPhoneNumbers/${providerId}.json`, { Authorization: auth }, describe);
    },

    async releaseOrdered(_number, _tag, providerId): Promise<Outcome<true>> {
      // Twilio buys at once: a number is never pending here, and one with a sid is released as any.
      return providerId ? this.release(providerId) : { ok: true, value: true };
    },
  };
}
