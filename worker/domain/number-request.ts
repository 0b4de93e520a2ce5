/** Checks of a number request beyond its JSON shape: a real country, an area code of that country, one way to say where. */
import { type CountryCode, getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { fail, ok, type Result } from "../platform/result";
import { type NumberRequest, type OrderingProvider, TELNYX_REGULATORY_FIELDS, TWILIO_REGULATORY_FIELDS } from "../schemas/orders";

const COUNTRIES = new Set<string>(getCountries());

/**
 * The country an area code belongs to, given a country with the same calling code: a number made of
 * the code and filler digits is valid there (libphonenumber's metadata knows every area code's
 * number lengths). NANP area codes are three digits and may belong to CA, US or another +1 country.
 */
function areaCodeCountry(country: string, areaCode: string): string | null {
  const cc = getCountryCallingCode(country as CountryCode);
  // The subscriber number's first digit matters in many plans (London's 020 is followed by 3, 7 or
  // 8; Adelaide's 08 by 7 or 8): every one is tried, 2 first (NANP exchanges start at 2).
  for (const first of "2013456789")
    for (let len = 4; len <= 12; len++) {
      if (len <= areaCode.length) continue;
      const parsed = parsePhoneNumberFromString(`+${cc}${areaCode}${`${first}345678901234`.slice(0, len - areaCode.length)}`);
      if (parsed?.isValid() && parsed.country) {
        if (parsed.country === country) return country;
        if (cc === "1") return parsed.country;
      }
    }
  return null;
}

/** A request that can be searched: refusals name the field (nothing is bought, nothing stored). */
export function checkNumberRequest(r: NumberRequest, provider: OrderingProvider): Result<NumberRequest> {
  if (!COUNTRIES.has(r.country)) return fail(400, "unknown_country", `${r.country} is not a country with phone numbers`);
  const where = [r.areaCode !== undefined, r.city !== undefined, r.near !== undefined].filter(Boolean).length;
  if (where > 1) return fail(400, "invalid_number_request", "Give one of areaCode, city or near");
  if (r.type !== "local" && r.type !== "mobile" && (r.city || r.near || r.region)) {
    return fail(400, "invalid_number_request", `city, region and near apply to local or mobile numbers, not ${r.type}`);
  }
  if (r.areaCode !== undefined && r.type !== "local" && r.type !== "tollfree") {
    return fail(400, "invalid_number_request", `areaCode applies to local or toll-free numbers, not ${r.type}`);
  }
  // NANP countries (US, CA, the Caribbean's +1) number mobiles in the same area codes as fixed lines:
  // neither provider lists a mobile type there (Twilio answers 404), so it is refused before a search.
  if (r.type === "mobile" && getCountryCallingCode(r.country as CountryCode) === "1") {
    return fail(400, "unsupported_search", `${r.country} has no mobile numbers of their own (+1 numbers a mobile in a local area code): ask for type local`);
  }
  if (r.areaCode !== undefined) {
    const home = areaCodeCountry(r.country, r.areaCode);
    if (home !== r.country) {
      return fail(
        400,
        "invalid_area_code",
        home ? `Area code ${r.areaCode} is in ${home}, not ${r.country}` : `${r.areaCode} is not an area code of ${r.country}`,
      );
    }
  }
  // Both providers' state filters (Twilio InRegion, Telnyx administrative_area) are for US and CA only.
  if (r.region && r.country !== "US" && r.country !== "CA") {
    return fail(400, "unsupported_search", "region (a state or province) applies to US and CA numbers; use areaCode or city");
  }
  if (r.sameStateOnly && !(r.near && r.region)) return fail(400, "invalid_number_request", "sameStateOnly needs near and region (the point's state)");
  if (r.near && provider !== "twilio") {
    return fail(400, "unsupported_search", `${provider}'s number search has no coordinates; use areaCode or city and region`);
  }
  if (r.near && r.country !== "US" && r.country !== "CA") return fail(400, "unsupported_search", "near applies to US and CA numbers");
  // SignalWire's search has Local and TollFree only, and its InLocality "requires InRegion".
  if (provider === "signalwire" && r.type !== "local" && r.type !== "tollfree") {
    return fail(400, "unsupported_search", `SignalWire sells local and toll-free numbers only, not ${r.type}`);
  }
  if (provider === "signalwire" && r.city && !r.region) {
    return fail(400, "unsupported_search", "SignalWire's search takes a city only with its region (a US or CA state or province): give region");
  }
  // Vonage's search takes a country, a type (landline, mobile-lvn, landline-toll-free) and the
  // number's beginning: no national type, no locality or state (https://developer.vonage.com/en/api/numbers).
  if (provider === "vonage" && r.type === "national") {
    return fail(400, "unsupported_search", "Vonage sells local (landline), mobile and toll-free numbers, not national ones");
  }
  if (provider === "vonage" && (r.city || r.region)) {
    return fail(400, "unsupported_search", "Vonage's number search has no city or region; use areaCode");
  }
  const foreign = foreignRegulatory(r, provider);
  if (foreign) return fail(400, "invalid_number_request", foreign);
  return ok(r);
}

/**
 * Each provider's regulatory fields (schemas/orders.ts RegulatorySchema). SignalWire, Plivo, Vonage: none
 * here (Plivo's buy's compliance_application_id is not taken yet; Vonage's purchase takes none:
 * numbers that need an address are bought in its Dashboard): any id is refused, not dropped.
 */
const REGULATORY_FIELDS: Record<OrderingProvider, readonly string[]> = {
  twilio: TWILIO_REGULATORY_FIELDS,
  telnyx: TELNYX_REGULATORY_FIELDS,
  signalwire: [],
  plivo: [],
  vonage: [],
};

/**
 * Regulatory ids of another carrier than the one the order buys from: refused, not dropped (the
 * purchase would go out without what the business meant to send, and the carrier refuse it later).
 */
function foreignRegulatory(r: NumberRequest, provider: OrderingProvider): string | null {
  const given = Object.entries(r.regulatory ?? {}).filter(([, v]) => v !== undefined);
  const theirs = given.map(([k]) => k).filter((k) => !REGULATORY_FIELDS[provider].includes(k));
  if (!theirs.length) return null;
  const owner = theirs.some((k) => (TWILIO_REGULATORY_FIELDS as readonly string[]).includes(k)) ? "Twilio" : "Telnyx";
  const fields = (list: readonly string[]) => list.map((f) => `regulatory.${f}`).join(", ");
  const instead = REGULATORY_FIELDS[provider].length ? `give ${fields(REGULATORY_FIELDS[provider])}` : `${provider} purchases take no regulatory ids`;
  return `${fields(theirs)}: ${owner}'s, but this order buys from ${provider} (${instead})`;
}
