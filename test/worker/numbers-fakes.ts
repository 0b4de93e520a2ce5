/**
 * Twilio's and Telnyx's number APIs at the network edge, answering with the request and response
 * shapes of their API references (AvailablePhoneNumbers / IncomingPhoneNumbers; available_phone_numbers,
 * number_orders, phone_numbers, texml_applications). Each keeps an inventory and the numbers the
 * account holds, so a test can check that nothing was bought twice. `faults` script failures:
 * a Response answers instead of the provider; "lost" lets the provider act, then drops its answer;
 * "hang" lets the provider act and never answers (the caller is stopped meanwhile: a restart).
 */
import type { NumberOrderCreateParams } from "telnyx/resources/number-orders";
import type { IncomingPhoneNumberListInstanceCreateOptions } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import type { Seen } from "./seen";

export interface Stock {
  number: string;
  region: string;
  locality: string;
  lat: number;
  lng: number;
  type: "local" | "tollfree" | "mobile" | "national";
  /** ISO country; default: by the number's calling code (countryOf). */
  country?: string;
}

/** Calling codes of the countries the tests buy in (+1: NANP, listed under US and CA alike). */
const CALLING_CODES: [string, string][] = [
  ["+44", "GB"],
  ["+49", "DE"],
  ["+39", "IT"],
  ["+45", "DK"],
  ["+61", "AU"],
  ["+1", "US"],
];

export const countryOf = (s: Stock): string => s.country ?? CALLING_CODES.find(([cc]) => s.number.startsWith(cc))?.[1] ?? "US";
/** Whether a stock number is one of a country's: a +1 number is found by a US or a CA search. */
const inCountry = (s: Stock, country: string) => countryOf(s) === country || (countryOf(s) === "US" && !s.country && country === "CA");

/** `answer` makes its Response when used: a Response belongs to the object whose request made it. */
/** `after`: the request is served at once, its answer held back until the promise settles (something happens meanwhile). */
export type Fault = { match: (req: Seen) => boolean; answer: (() => Response) | "lost" | "hang" | { after: Promise<unknown> } };

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

/** Great-circle distance in miles. */
function miles(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2;
  return 3958.8 * 2 * Math.asin(Math.sqrt(h));
}

abstract class FakeProvider {
  seen: Seen[] = [];
  faults: Fault[] = [];
  /** Every purchase the provider made (a number bought twice would appear twice). */
  purchases: string[] = [];
  released: string[] = [];
  constructor(public inventory: Stock[]) {}

  abstract host: string;
  protected abstract route(req: Seen): Response;

  handles(req: Seen): boolean {
    return req.url.hostname === this.host;
  }

  handle(req: Seen): Response | Promise<Response> {
    this.seen.push(req);
    const i = this.faults.findIndex((f) => f.match(req));
    if (i >= 0) {
      const [fault] = this.faults.splice(i, 1);
      if (fault!.answer === "lost") {
        this.route(req);
        throw new TypeError("Network connection lost.");
      }
      if (fault!.answer === "hang") {
        this.route(req);
        return new Promise<Response>(() => {});
      }
      if (typeof fault!.answer === "object") {
        const res = this.route(req);
        return fault!.answer.after.then(() => res);
      }
      return fault!.answer();
    }
    return this.route(req);
  }

  protected take(number: string): Stock | null {
    const i = this.inventory.findIndex((s) => s.number === number);
    if (i < 0) return null;
    this.purchases.push(number);
    return this.inventory.splice(i, 1)[0]!;
  }

  requests(method: string, path: RegExp): Seen[] {
    return this.seen.filter((s) => s.method === method && path.test(s.url.pathname));
  }
}

/**
 * A parameter of IncomingPhoneNumbers create, by the name the Twilio SDK sends (it capitalises its
 * option names: addressSid → AddressSid): a name the SDK does not have fails the typecheck.
 */
type TwilioBuyParam = Capitalize<keyof IncomingPhoneNumberListInstanceCreateOptions>;
const twilioParam = (form: URLSearchParams, name: TwilioBuyParam) => form.get(name);

type TwilioRegulatoryParam = "AddressSid" | "BundleSid" | "IdentitySid";

/**
 * What Twilio wants with a purchase in a regulated country (its Regulatory Guidelines: GB and DE
 * local numbers need an Address and an approved Bundle of the end user).
 */
export const TWILIO_REGULATED: Record<string, TwilioRegulatoryParam[]> = { GB: ["AddressSid", "BundleSid"], DE: ["AddressSid", "BundleSid"] };

export const TWILIO_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const TWILIO_TOKEN = "twilio-auth-token-0123456789";

interface TwilioNumber {
  sid: string;
  stock: Stock;
  friendly_name: string;
  voice_url: string | null;
  voice_fallback_url?: string | null;
  status_callback: string | null;
  address_sid: string | null;
  bundle_sid: string | null;
  identity_sid: string | null;
}

export class FakeTwilio extends FakeProvider {
  host = "api.twilio.com";
  owned = new Map<string, TwilioNumber>();
  /** The regulated countries and the purchase parameters each needs (TWILIO_REGULATED unless a test changes it). */
  regulated: Record<string, TwilioRegulatoryParam[]> = { ...TWILIO_REGULATED };
  private seq = 0;

  private resource(n: TwilioNumber) {
    return {
      sid: n.sid,
      account_sid: TWILIO_SID,
      friendly_name: n.friendly_name,
      phone_number: n.stock.number,
      voice_url: n.voice_url,
      voice_method: "POST",
      voice_fallback_url: n.voice_fallback_url ?? null,
      status_callback: n.status_callback,
      status_callback_method: "POST",
      address_sid: n.address_sid,
      bundle_sid: n.bundle_sid,
      identity_sid: n.identity_sid,
      address_requirements: this.regulated[countryOf(n.stock)] ? "local" : "none",
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      api_version: "2010-04-01",
      date_created: "Thu, 30 Jul 2015 23:19:04 +0000",
      uri: `/2010-04-01/Accounts/${TWILIO_SID}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }

  protected route(req: Seen): Response {
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${TWILIO_SID}:${TWILIO_TOKEN}`)}`) {
      return json({ code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 }, 401);
    }
    const base = `/2010-04-01/Accounts/${TWILIO_SID}`;
    const path = req.url.pathname;
    const q = req.url.searchParams;
    const search = path.match(new RegExp(`^${base}/AvailablePhoneNumbers/([A-Z]{2})/(Local|TollFree|Mobile|National)\\.json$`));
    if (search && req.method === "GET") {
      const type = { Local: "local", TollFree: "tollfree", Mobile: "mobile", National: "national" }[search[2]!]!;
      const near = q.get("NearLatLong")?.split(",").map(Number);
      const nearNumber = q.get("NearNumber");
      const from = nearNumber ? [...this.owned.values()].find((n) => n.stock.number === nearNumber)?.stock : undefined;
      const distance = Number(q.get("Distance") ?? 25);
      // AreaCode and InRegion "apply to only phone numbers in the US and Canada" (Twilio's reference):
      // elsewhere they narrow nothing. Contains "+…" matches the number's beginning.
      const nanp = search[1] === "US" || search[1] === "CA";
      const contains = q.get("Contains");
      const list = this.inventory
        .filter((s) => s.type === type && inCountry(s, search[1]!))
        .filter((s) => !nanp || !q.get("AreaCode") || s.number.startsWith(`+1${q.get("AreaCode")}`))
        .filter((s) => !contains || (contains.startsWith("+") ? s.number.startsWith(contains) : s.number.includes(contains)))
        .filter((s) => !q.get("InLocality") || s.locality === q.get("InLocality"))
        .filter((s) => !nanp || !q.get("InRegion") || s.region === q.get("InRegion"))
        .filter((s) => !near || miles({ lat: near[0]!, lng: near[1]! }, s) <= distance)
        .filter((s) => !nearNumber || (from !== undefined && miles(from, s) <= distance))
        .slice(0, Number(q.get("PageSize") ?? 50));
      return json({
        available_phone_numbers: list.map((s) => ({
          friendly_name: s.number,
          phone_number: s.number,
          lata: "722",
          locality: s.locality,
          rate_center: s.locality.toUpperCase(),
          latitude: s.lat.toFixed(6),
          longitude: s.lng.toFixed(6),
          region: s.region,
          postal_code: "94703",
          iso_country: search[1],
          address_requirements: this.regulated[search[1]!] ? "local" : "none",
          beta: false,
          capabilities: { voice: true, SMS: true, MMS: true },
        })),
        uri: `${path}?${q}`,
      });
    }
    if (path === `${base}/IncomingPhoneNumbers.json` && req.method === "GET") {
      const name = q.get("FriendlyName");
      const list = [...this.owned.values()].filter((n) => !name || n.friendly_name === name);
      return json({ incoming_phone_numbers: list.map((n) => this.resource(n)), page: 0, page_size: 50, uri: path });
    }
    if (path === `${base}/IncomingPhoneNumbers.json` && req.method === "POST") {
      const f = new URLSearchParams(req.body);
      const wanted = this.inventory.find((s) => s.number === twilioParam(f, "PhoneNumber"));
      const refused = wanted ? this.regulatoryRefusal(wanted, f) : null;
      if (refused) return refused;
      const stock = this.take(twilioParam(f, "PhoneNumber") ?? "");
      if (!stock) {
        return json(
          { code: 21422, message: "PhoneNumber requested is not available", more_info: "https://www.twilio.com/docs/errors/21422", status: 400 },
          400,
        );
      }
      const sid = `PN${(++this.seq).toString(16).padStart(32, "0")}`;
      const n: TwilioNumber = {
        sid,
        stock,
        friendly_name: twilioParam(f, "FriendlyName") ?? stock.number,
        voice_url: twilioParam(f, "VoiceUrl"),
        voice_fallback_url: twilioParam(f, "VoiceFallbackUrl"),
        status_callback: twilioParam(f, "StatusCallback"),
        address_sid: twilioParam(f, "AddressSid"),
        bundle_sid: twilioParam(f, "BundleSid"),
        identity_sid: twilioParam(f, "IdentitySid"),
      };
      this.owned.set(sid, n);
      return json(this.resource(n), 201);
    }
    const one = path.match(new RegExp(`^${base}/IncomingPhoneNumbers/(PN[0-9a-f]{32})\\.json$`));
    const n = one ? this.owned.get(one[1]!) : undefined;
    if (one && !n) return json({ code: 20404, message: "The requested resource was not found", status: 404 }, 404);
    if (n && req.method === "POST") {
      const f = new URLSearchParams(req.body);
      n.voice_url = f.get("VoiceUrl") ?? n.voice_url;
      n.voice_fallback_url = f.get("VoiceFallbackUrl") ?? n.voice_fallback_url;
      n.status_callback = f.get("StatusCallback") ?? n.status_callback;
      return json(this.resource(n));
    }
    if (n && req.method === "DELETE") {
      this.owned.delete(n.sid);
      this.released.push(n.stock.number);
      return new Response(null, { status: 204 });
    }
    return json({ code: 20404, message: "The requested resource was not found", status: 404 }, 404);
  }

  numbers(): string[] {
    return [...this.owned.values()].map((n) => n.stock.number);
  }

  /**
   * A purchase in a regulated country without what it needs, refused as Twilio refuses it: 21631
   * (https://www.twilio.com/docs/api/errors/21631, "you are now required to pass in an AddressSid")
   * before 21649, the code Twilio's changelog gives a purchase without a compliant BundleSid (its
   * message here is ours: the error page's text was not at hand). Nothing is bought.
   */
  private regulatoryRefusal(stock: Stock, f: URLSearchParams): Response | null {
    const needs = this.regulated[countryOf(stock)] ?? [];
    if (needs.includes("AddressSid") && !/^AD[0-9a-fA-F]{32}$/.test(twilioParam(f, "AddressSid") ?? "")) {
      return json({ code: 21631, message: "Phone Number Requires an Address", more_info: "https://www.twilio.com/docs/errors/21631", status: 400 }, 400);
    }
    if (needs.includes("BundleSid") && !/^BU[0-9a-fA-F]{32}$/.test(twilioParam(f, "BundleSid") ?? "")) {
      return json({ code: 21649, message: "Phone Number Requires a Bundle", more_info: "https://www.twilio.com/docs/errors/21649", status: 400 }, 400);
    }
    if (needs.includes("IdentitySid") && !/^RI[0-9a-fA-F]{32}$/.test(twilioParam(f, "IdentitySid") ?? "")) {
      return json(
        { code: 21650, message: "Phone Number Requires a Verified Identity Document", more_info: "https://www.twilio.com/docs/errors/21650", status: 400 },
        400,
      );
    }
    return null;
  }
}

/** A number order's body, typed by the Telnyx SDK's create parameters (a field it does not have fails the typecheck). */
type TelnyxOrderBody = NumberOrderCreateParams & { phone_numbers: NumberOrderCreateParams.PhoneNumber[] };

/**
 * The countries where Telnyx takes a number order only with a fulfilled requirement group
 * ("mandatory ... when placing a number order": CH, DK, IT, NO, PT, SE;
 * https://developers.telnyx.com/docs/numbers/phone-numbers/requirement-groups).
 */
export const TELNYX_GROUP_REQUIRED = ["CH", "DK", "IT", "NO", "PT", "SE"];

export const TELNYX_KEY = "KEY0123456789ABCDEF_telnyx";
/** The error code of a number order for a number no longer available (see worker/numbers/telnyx-errors.ts). */
export const TELNYX_NOT_AVAILABLE = "85001";
export const TELNYX_APP = "1293384261075731499";

interface TelnyxNumber {
  id: string;
  stock: Stock;
  connection_id: string | null;
  customer_reference: string | null;
  /** The phone number's status: active, or e.g. requirement-info-pending / purchase-pending. */
  status: string;
  /** Listings still to leave it out of (its order is pending: it "should activate momentarily"). */
  hidden: number;
}

export class FakeTelnyx extends FakeProvider {
  host = "api.telnyx.com";
  owned = new Map<string, TelnyxNumber>();
  app = { voice_url: null as string | null, voice_fallback_url: null as string | null, status_callback: null as string | null };
  /** Numbers near an area, given only to a best-effort search. */
  nearby: Stock[] = [];
  /**
   * Orders as Telnyx documents them when not instant: the order answers "pending" and a bought
   * number is left out of this many listings (`lag`), or its status is `pending` (regulatory
   * requirements: requirement-info-pending) until `activate()`; with `unlisted`, not listed at all until then.
   */
  async: { lag?: number; pending?: string; unlisted?: boolean } = {};
  /**
   * Whether a number order's customer_reference is copied onto the phone numbers it buys (the API
   * reference documents the filter on both, not the copying): off, only the orders carry it.
   */
  copiesReference = true;
  /** Listings of number orders still to come back empty (a listing that lags behind an order placed). */
  orderListingLag = 0;
  /**
   * Number orders as placed (listed by GET /v2/number_orders), their lines' status kept current.
   * Each is one sub number order here (`subId`; one country and type a POST, as ours are).
   */
  orders: {
    customer_reference: string | null;
    subId: string;
    data: Record<string, unknown>;
    lines: { id: string; line: Record<string, unknown>; canceled?: boolean }[];
  }[] = [];
  /** Countries whose orders need a requirement group per number (TELNYX_GROUP_REQUIRED unless a test changes it). */
  groupRequired = new Set(TELNYX_GROUP_REQUIRED);
  /** Numbers whose pending sub number order was canceled (never billed; back in the inventory). */
  canceled: string[] = [];
  private seq = 0;

  private resource(n: TelnyxNumber) {
    return {
      id: n.id,
      record_type: "phone_number",
      phone_number: n.stock.number,
      status: n.status,
      connection_id: n.connection_id,
      customer_reference: n.customer_reference,
      tags: [],
      created_at: "2019-10-23T18:10:00.000Z",
    };
  }

  protected route(req: Seen): Response {
    if (req.headers.get("Authorization") !== `Bearer ${TELNYX_KEY}`) {
      return json({ errors: [{ code: "10009", title: "Authentication failed", detail: "The API key is invalid" }] }, 401);
    }
    const path = req.url.pathname;
    const q = req.url.searchParams;
    if (path === "/v2/available_phone_numbers" && req.method === "GET") {
      const type = { local: "local", toll_free: "tollfree", mobile: "mobile", national: "national" }[q.get("filter[phone_number_type]") ?? "local"];
      const match = (s: Stock) =>
        s.type === type &&
        inCountry(s, q.get("filter[country_code]") ?? "US") &&
        (!q.get("filter[national_destination_code]") || s.number.startsWith(`+1${q.get("filter[national_destination_code]")}`)) &&
        (!q.get("filter[locality]") || s.locality === q.get("filter[locality]")) &&
        (!q.get("filter[administrative_area]") || s.region === q.get("filter[administrative_area]"));
      const exact = this.inventory.filter(match).map((s) => ({ s, best: false }));
      const extra = q.get("filter[best_effort]") === "true" ? this.nearby.filter((s) => s.type === type).map((s) => ({ s, best: true })) : [];
      const list = [...exact, ...extra].slice(0, Number(q.get("filter[limit]") ?? 20));
      return json({
        data: list.map(({ s, best }) => ({
          record_type: "available_phone_number",
          phone_number: s.number,
          vanity_format: "",
          best_effort: best,
          quickship: true,
          reservable: true,
          region_information: [
            { region_type: "rate_center", region_name: s.locality.toUpperCase() },
            { region_type: "state", region_name: s.region },
            { region_type: "country_code", region_name: countryOf(s) },
          ],
          cost_information: { upfront_cost: "1.00", monthly_cost: "1.00", currency: "USD" },
          features: [{ name: "voice" }, { name: "sms" }],
        })),
        meta: { total_results: list.length, best_effort_results: extra.length },
      });
    }
    if (path === "/v2/number_orders" && req.method === "POST") {
      const body = JSON.parse(req.body) as TelnyxOrderBody;
      const wanted = body.phone_numbers.map((p) => p.phone_number);
      const stocks = wanted.map((w) => this.inventory.find((s) => s.number === w) ?? this.nearby.find((s) => s.number === w));
      const ungrouped = body.phone_numbers.findIndex((p, i) => stocks[i] && this.groupRequired.has(countryOf(stocks[i])) && !p.requirement_group_id);
      if (ungrouped >= 0) {
        // Telnyx documents that the group is required there, not the answer without one: its error
        // envelope with 10004 "Missing required parameter", the pointer naming the field.
        return json(
          {
            errors: [
              {
                code: "10004",
                title: "Missing required parameter",
                detail: `A fulfilled requirement group is required to order ${countryOf(stocks[ungrouped]!)} numbers`,
                source: { pointer: `/phone_numbers/${ungrouped}/requirement_group_id` },
              },
            ],
          },
          422,
        );
      }
      const gone = wanted.findIndex((_w, i) => !stocks[i]);
      if (gone >= 0) {
        // Telnyx's error envelope: the code says why, the pointer which number.
        return json(
          {
            errors: [
              {
                code: TELNYX_NOT_AVAILABLE,
                title: "Number not available",
                detail: `Number ${wanted[gone]} is not available for purchase`,
                source: { pointer: `/phone_numbers/${gone}/phone_number` },
              },
            ],
          },
          422,
        );
      }
      const ids: string[] = [];
      const lines = stocks.map((s) => {
        this.inventory = this.inventory.filter((x) => x !== s);
        this.nearby = this.nearby.filter((x) => x !== s);
        this.purchases.push(s!.number);
        const id = `1${String(++this.seq).padStart(18, "0")}`;
        ids.push(id);
        const pending = this.async.pending;
        this.owned.set(id, {
          id,
          stock: s!,
          connection_id: body.connection_id ?? null,
          customer_reference: this.copiesReference ? (body.customer_reference ?? null) : null,
          status: pending ?? "active",
          hidden: pending && this.async.unlisted ? Number.POSITIVE_INFINITY : (this.async.lag ?? 0),
        });
        return {
          id: crypto.randomUUID(),
          record_type: "number_order_phone_number",
          phone_number: s!.number,
          requirement_group_id: body.phone_numbers.find((p) => p.phone_number === s!.number)?.requirement_group_id ?? null,
          regulatory_requirements: pending ? [{ requirement_id: "2e0c523c-004a-40f0-a88c-a0961acd9c20", field_type: "document" }] : [],
          requirements_met: !pending,
          status: pending ? "pending" : "success",
        };
      });
      const instant = !this.async.lag && !this.async.pending;
      const subId = crypto.randomUUID();
      const data = {
        id: crypto.randomUUID(),
        record_type: "number_order",
        phone_numbers_count: lines.length,
        connection_id: body.connection_id ?? null,
        phone_numbers: lines,
        status: instant ? "success" : "pending",
        customer_reference: body.customer_reference ?? null,
        created_at: "2018-01-01T00:00:00.000000Z",
        updated_at: "2018-01-01T00:00:00.000000Z",
        requirements_met: !this.async.pending,
        sub_number_orders_ids: [subId],
      };
      this.orders.push({ customer_reference: body.customer_reference ?? null, subId, data, lines: lines.map((line, i) => ({ id: ids[i]!, line })) });
      return json({ data });
    }
    if (path === "/v2/number_orders" && req.method === "GET") {
      const ref = q.get("filter[customer_reference]");
      const lagging = this.orderListingLag > 0;
      if (lagging) this.orderListingLag--;
      const list = this.orders
        .filter((o) => !lagging && (!ref || o.customer_reference === ref))
        .map((o) => {
          // A line is filled once its number is active (or was, and has been released since).
          // A canceled line: the reference's status enum is pending | success | failure, and it does
          // not say which a canceled sub number order's lines show; failure (never filled) here.
          const lines = o.lines.map(({ id, line, canceled }) => {
            const n = this.owned.get(id);
            return {
              ...line,
              status: canceled || n?.status === "purchase-failed" ? "failure" : !n || (n.status === "active" && n.hidden <= 0) ? "success" : "pending",
            };
          });
          return { ...o.data, phone_numbers: lines, status: lines.every((l) => l.status === "success") ? "success" : "pending" };
        });
      return json({ data: list, meta: { total_pages: 1, total_results: list.length, page_number: 1, page_size: 250 } });
    }
    if (path === "/v2/phone_numbers" && req.method === "GET") {
      const ref = q.get("filter[customer_reference]");
      const number = q.get("filter[phone_number]");
      // Telnyx: "Requires at least three digits. Non-numerical characters will result in no values being returned."
      const digits = (n: TelnyxNumber) => number === null || (/^\d{3,}$/.test(number) && n.stock.number.replace(/\D/g, "").includes(number));
      const list = [...this.owned.values()].filter((n) => (!ref || n.customer_reference === ref) && digits(n) && n.hidden <= 0);
      for (const n of this.owned.values()) n.hidden--;
      return json({ data: list.map((n) => this.resource(n)), meta: { total_pages: 1, total_results: list.length, page_number: 1, page_size: 250 } });
    }
    const one = path.match(/^\/v2\/phone_numbers\/(\d+)$/);
    const n = one ? this.owned.get(one[1]!) : undefined;
    if (n && req.method === "PATCH") {
      n.connection_id = (JSON.parse(req.body) as { connection_id?: string }).connection_id ?? n.connection_id;
      return json({ data: this.resource(n) });
    }
    if (n && req.method === "DELETE") {
      this.owned.delete(n.id);
      this.released.push(n.stock.number);
      return json({ data: this.resource(n) });
    }
    const cancel = path.match(/^\/v2\/sub_number_orders\/([0-9a-f-]+)\/cancel$/);
    const sub = cancel ? this.orders.find((o) => o.subId === cancel[1]) : undefined;
    if (sub && req.method === "PATCH") return this.cancelSubOrder(sub);
    if (path === `/v2/texml_applications/${TELNYX_APP}` && req.method === "PATCH") {
      const b = JSON.parse(req.body) as { voice_url: string; voice_fallback_url?: string; status_callback: string };
      this.app = { voice_url: b.voice_url, voice_fallback_url: b.voice_fallback_url ?? this.app.voice_fallback_url, status_callback: b.status_callback };
      return json({ data: { id: TELNYX_APP, record_type: "texml_application", ...b } });
    }
    return json({ errors: [{ code: "10005", title: "Resource not found", detail: "The requested resource or URL could not be found." }] }, 404);
  }

  numbers(): string[] {
    return [...this.owned.values()].map((n) => n.stock.number);
  }

  /**
   * PATCH /v2/sub_number_orders/{id}/cancel: "Allows you to cancel a sub number order in 'pending'
   * status" (the API reference). Its unfilled numbers are not bought after all; a sub number order
   * already filled is refused (422, "check the 'detail' field").
   */
  private cancelSubOrder(sub: FakeTelnyx["orders"][number]): Response {
    const pending = sub.lines.filter(({ id, canceled }) => {
      const n = this.owned.get(id);
      return !canceled && n !== undefined && (n.status !== "active" || n.hidden > 0);
    });
    if (!pending.length) {
      return json({ errors: [{ title: "Unprocessable Entity", detail: "Only a sub number order in 'pending' status can be canceled" }] }, 422);
    }
    for (const l of pending) {
      const n = this.owned.get(l.id)!;
      this.owned.delete(l.id);
      this.inventory.push(n.stock);
      this.canceled.push(n.stock.number);
      l.canceled = true;
    }
    return json({
      data: {
        id: sub.subId,
        record_type: "sub_number_order",
        order_request_id: sub.data.id,
        phone_numbers_count: sub.lines.length,
        customer_reference: sub.customer_reference,
        status: "failure",
      },
    });
  }

  /** The requirements are met: every pending number becomes active and listed. */
  activate(): void {
    for (const n of this.owned.values()) {
      n.status = "active";
      n.hidden = 0;
    }
  }
}

export const SW_SPACE = "acme-calls.signalwire.com";
export const SW_PROJECT = "b3877c40-da60-4998-90ad-b792e98472af";
export const SW_TOKEN = "PT0123456789abcdef0123456789abcdef0123456789abcd";
/**
 * The code the fake answers a purchase of a number no longer available with: SignalWire documents none
 * for it, so Twilio's 21422, which worker/numbers/signalwire.ts takes as taken should SignalWire mirror it.
 */
export const SW_NOT_AVAILABLE = 21422;

interface SignalwireNumber {
  sid: string;
  stock: Stock;
  friendly_name: string;
  voice_url: string | null;
  voice_fallback_url?: string | null;
  status_callback: string | null;
  voice_application_sid: string | null;
}

/**
 * SignalWire's Compatibility REST API at one Space (github.com/signalwire/docs
 * specs/compatibility-api): Basic auth ProjectID:API token; AvailablePhoneNumbers Local and TollFree
 * only (AreaCode for US/CA, Contains of [0-9a-zA-Z], InLocality only with InRegion: else 422; no
 * PageSize: 50 at most); IncomingPhoneNumbers paged (PageSize, Page, next_page_uri) and filtered by
 * FriendlyName; paths with or without ".json"; errors as `{ code, message, more_info, status }`.
 */
export class FakeSignalWire extends FakeProvider {
  host = SW_SPACE;
  owned = new Map<string, SignalwireNumber>();
  private seq = 0;

  private resource(n: SignalwireNumber) {
    return {
      account_sid: SW_PROJECT,
      address_requirements: "none",
      address_sid: null,
      api_version: "2010-04-01",
      beta: false,
      capabilities: { voice: true, sms: true, mms: true, fax: true },
      date_created: "Tue, 25 Sept 2018 23:00:00 +0000",
      date_updated: "Tue, 25 Sept 2018 23:00:00 +0000",
      emergency_address_sid: null,
      emergency_status: "Inactive",
      friendly_name: n.friendly_name,
      identity_sid: null,
      origin: "signalwire",
      phone_number: n.stock.number,
      sid: n.sid,
      sms_application_sid: null,
      status_callback: n.status_callback ?? "",
      status_callback_method: "POST",
      voice_application_sid: n.voice_application_sid,
      voice_method: "POST",
      voice_url: n.voice_url,
      voice_fallback_url: n.voice_fallback_url ?? null,
      uri: `/api/laml/2010-04-01/Accounts/${SW_PROJECT}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }

  private error(status: number, code: number, message: string) {
    return json({ code, message, more_info: "https://developer.signalwire.com/compatibility-api/reference/errors", status }, status);
  }

  protected route(req: Seen): Response {
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${SW_PROJECT}:${SW_TOKEN}`)}`) return this.error(401, 20003, "Authentication failed");
    const base = `/api/laml/2010-04-01/Accounts/${SW_PROJECT}`;
    const path = req.url.pathname.replace(/\.json$/, "");
    const q = req.url.searchParams;
    const search = path.match(new RegExp(`^${base}/AvailablePhoneNumbers/([A-Z]{2})/(Local|TollFree)$`));
    if (search && req.method === "GET") {
      if (q.get("InLocality") && !q.get("InRegion")) return this.error(422, 21205, "InLocality requires InRegion");
      const contains = q.get("Contains");
      if (contains && !/^[0-9a-zA-Z]+$/.test(contains)) return this.error(422, 21205, "Contains: valid characters are [0-9a-zA-Z]");
      const country = search[1]!;
      const nanp = country === "US" || country === "CA";
      const type = search[2] === "Local" ? "local" : "tollfree";
      const list = this.inventory
        .filter((s) => s.type === type && inCountry(s, country))
        .filter((s) => !nanp || !q.get("AreaCode") || s.number.startsWith(`+1${q.get("AreaCode")}`))
        .filter((s) => !contains || s.number.slice(1).includes(contains))
        .filter((s) => !q.get("InRegion") || s.region === q.get("InRegion"))
        .filter((s) => !q.get("InLocality") || s.locality === q.get("InLocality"))
        .slice(0, 50);
      return json({
        uri: `${req.url.pathname}${req.url.search}`,
        available_phone_numbers: list.map((s) => ({
          beta: false,
          capabilities: { voice: true, SMS: true, MMS: true, fax: false },
          friendly_name: s.number,
          iso_country: country,
          lata: "722",
          latitude: s.lat.toFixed(1),
          longitude: s.lng.toFixed(1),
          phone_number: s.number,
          postal_code: "94703",
          rate_center: s.locality.toUpperCase(),
          region: s.region,
        })),
      });
    }
    if (path.startsWith(`${base}/AvailablePhoneNumbers/`)) return this.error(404, 20404, "The requested resource was not found");
    if (path === `${base}/IncomingPhoneNumbers` && req.method === "GET") {
      const name = q.get("FriendlyName");
      const size = Number(q.get("PageSize") ?? 50);
      const pageSize = Math.min(Number.isFinite(size) && size > 0 ? size : 50, 50); // a page holds 50 at most here, whatever was asked
      const page = Number(q.get("Page") ?? 0);
      const all = [...this.owned.values()].filter((n) => !name || n.friendly_name === name);
      const items = all.slice(page * pageSize, (page + 1) * pageSize);
      const link = (p: number) =>
        `${base}/IncomingPhoneNumbers.json?${new URLSearchParams({ ...(name ? { FriendlyName: name } : {}), Page: String(p), PageSize: String(pageSize) })}`;
      return json({
        account_sid: SW_PROJECT,
        uri: link(page),
        first_page_uri: link(0),
        next_page_uri: (page + 1) * pageSize < all.length ? link(page + 1) : null,
        previous_page_uri: page > 0 ? link(page - 1) : null,
        page,
        page_size: pageSize,
        incoming_phone_numbers: items.map((n) => this.resource(n)),
      });
    }
    if (path === `${base}/IncomingPhoneNumbers` && req.method === "POST") {
      const f = new URLSearchParams(req.body);
      const wanted = f.get("PhoneNumber") ?? "";
      // SignalWire's codes (its error-codes page): 21421 no number given, 21401 a number of an invalid format.
      if (!wanted) return this.error(400, 21421, "An area code or number must be provided to purchase a number");
      if (!/^\+\d{5,17}$/.test(wanted)) return this.error(400, 21401, "The phone number you're attempting to purchase has an invalid format");
      const stock = this.take(wanted);
      if (!stock) return this.error(422, SW_NOT_AVAILABLE, "Phone number is not available for purchase");
      const sid = `${(++this.seq).toString(16).padStart(8, "0")}-da60-4998-90ad-b792e98472pn`;
      const n: SignalwireNumber = {
        sid,
        stock,
        friendly_name: f.get("FriendlyName") ?? stock.number,
        voice_url: f.get("VoiceUrl"),
        voice_fallback_url: f.get("VoiceFallbackUrl"),
        status_callback: f.get("StatusCallback"),
        voice_application_sid: f.get("VoiceApplicationSid") || null,
      };
      this.owned.set(sid, n);
      return json(this.resource(n), 201);
    }
    const one = path.match(new RegExp(`^${base}/IncomingPhoneNumbers/([^/]+)$`));
    const n = one ? this.owned.get(decodeURIComponent(one[1]!)) : undefined;
    if (n && req.method === "POST") {
      const f = new URLSearchParams(req.body);
      n.voice_url = f.get("VoiceUrl") ?? n.voice_url;
      n.voice_fallback_url = f.get("VoiceFallbackUrl") ?? n.voice_fallback_url;
      n.status_callback = f.get("StatusCallback") ?? n.status_callback;
      return json(this.resource(n));
    }
    if (n && req.method === "DELETE") {
      this.owned.delete(n.sid);
      this.released.push(n.stock.number);
      return new Response(null, { status: 204 });
    }
    return this.error(404, 20404, "The requested resource was not found");
  }

  numbers(): string[] {
    return [...this.owned.values()].map((n) => n.stock.number);
  }

  /** A number the project already holds (bought by hand, or by an earlier attempt whose answer was lost). */
  hold(stock: Stock, friendlyName: string, urls: { voiceUrl: string | null; statusUrl: string | null } = { voiceUrl: null, statusUrl: null }): void {
    const sid = `${(++this.seq).toString(16).padStart(8, "0")}-da60-4998-90ad-b792e98472pn`;
    this.owned.set(sid, { sid, stock, friendly_name: friendlyName, voice_url: urls.voiceUrl, status_callback: urls.statusUrl, voice_application_sid: null });
  }
}

let stockSeq = 2000;
/**
 * `count` local numbers in an area code, all in one city (Berkeley, CA around 37.87,-122.27 by
 * default); never the same number twice in a run (the Directory claims numbers across accounts).
 */
export function stock(areaCode: string, count: number, over: Partial<Stock> = {}): Stock[] {
  const first = stockSeq;
  stockSeq += count;
  return Array.from({ length: count }, (_, i) => ({
    number: `+1${areaCode}${String(2000000 + first + i)}`,
    region: "CA",
    locality: "Berkeley",
    lat: 37.87,
    lng: -122.27,
    type: "local" as const,
    ...over,
  }));
}

export const PLIVO_AUTH_ID = "MA2025RK4E639VJFZAGV";
export const PLIVO_TOKEN = "plivo-auth-token-0123456789";
/** The application the account names (credentials.plivo.applicationId), and another of the account's. */
export const PLIVO_APP = "21686794894743506";
export const PLIVO_DEFAULT_APP = "29986316244302815";

interface PlivoNumber {
  stock: Stock;
  alias: string | null;
  app: string | null;
}

/** The names Plivo's region filter matches, of the regions the tests' stock is in. */
const PLIVO_REGION_NAMES: Record<string, string> = { CA: "California", TX: "Texas", NY: "New York", WA: "Washington", ON: "Ontario" };

/**
 * Plivo's PhoneNumber (search, buy) and Account Phone Number (list, get, update, unrent) APIs and
 * its Application update, with the shapes of its API reference (www.plivo.com/docs/numbers/…): Basic
 * auth AuthID:AuthToken, numbers as digits without the +, lists of `{ api_id, meta: { limit, next,
 * offset, previous, total_count }, objects }` at most 20 a page (`meta.next` the next page's path),
 * errors as `{ api_id, error }`. A number no longer in stock is 404 "not found" to a buy (the buy's
 * resource, the number, is not found: worker/numbers/plivo.ts). `verification` countries answer a
 * buy with the number "pending". The search's `region` is a region's exact name, three or more
 * characters (Plivo's Ruby SDK #search: region=Frankfurt; Texas in Plivo's example), in any case;
 * a state code such as TX names no region, so it finds nothing.
 */
export class FakePlivo extends FakeProvider {
  host = "api.plivo.com";
  owned = new Map<string, PlivoNumber>();
  apps = new Map<string, { answer_url: string | null; hangup_url: string | null; answer_method?: string; hangup_method?: string }>([
    [PLIVO_APP, { answer_url: null, hangup_url: null }],
    [PLIVO_DEFAULT_APP, { answer_url: "https://example.com/old", hangup_url: null }],
  ]);
  /** Countries whose numbers need address and identity verification (the buy answers "pending"). */
  verification = new Set<string>();
  private seq = 0;

  private error(status: number, error: unknown) {
    return json({ api_id: `api-${++this.seq}`, error }, status);
  }

  private page<T>(req: Seen, all: T[], path: string, extra: Record<string, string> = {}) {
    const q = req.url.searchParams;
    const limit = Number(q.get("limit") ?? 20);
    const offset = Number(q.get("offset") ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 20) return this.error(400, { limit: "limit must be between 1 and 20" });
    const objects = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const link = (o: number) => `${path}?${new URLSearchParams({ ...extra, limit: String(limit), offset: String(o) })}`;
    return json({
      api_id: `api-${++this.seq}`,
      meta: {
        limit,
        next: more ? link(offset + limit) : null,
        offset,
        previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
        total_count: all.length,
      },
      objects,
    });
  }

  private resource(n: PlivoNumber) {
    const digits = n.stock.number.slice(1);
    return {
      added_on: "2024-02-14",
      alias: n.alias,
      application: n.app ? `/v1/Account/${PLIVO_AUTH_ID}/Application/${n.app}/` : null,
      carrier: "Plivo",
      monthly_rental_rate: "0.80000",
      number: digits,
      number_type: n.stock.type === "tollfree" ? "tollfree" : n.stock.type === "mobile" ? "mobile" : "local",
      region: `${n.stock.region}, UNITED STATES`,
      resource_uri: `/v1/Account/${PLIVO_AUTH_ID}/Number/${digits}/`,
      sms_enabled: true,
      sms_rate: "0.00000",
      sub_account: null,
      voice_enabled: true,
      voice_rate: "0.00850",
    };
  }

  /** The body of a POST as Plivo takes it: JSON (its SDKs) or form fields. */
  private fields(req: Seen): Record<string, string> {
    if (!req.body) return {};
    if ((req.headers.get("Content-Type") ?? "").includes("json")) return JSON.parse(req.body) as Record<string, string>;
    return Object.fromEntries(new URLSearchParams(req.body));
  }

  protected route(req: Seen): Response {
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${PLIVO_AUTH_ID}:${PLIVO_TOKEN}`)}`) return this.error(401, "authentication failed");
    const base = `/v1/Account/${PLIVO_AUTH_ID}`;
    const path = req.url.pathname;
    const q = req.url.searchParams;
    if (path === `${base}/PhoneNumber/` && req.method === "GET") {
      const country = q.get("country_iso");
      if (!country) return this.error(400, { country_iso: "This field is required." });
      const type = q.get("type") ?? "local";
      const cc = CALLING_CODES.find(([, c]) => c === country)?.[0] ?? (country === "CA" ? "+1" : "+");
      const pattern = q.get("pattern");
      const npanxx = q.get("npanxx");
      const exchange = npanxx
        ? [...this.owned.values(), ...this.inventory.map((stock) => ({ stock }))].find((n) => n.stock.number.startsWith(`+1${npanxx}`))
        : undefined;
      const list = this.inventory
        .filter((s) => inCountry(s, country) && (type === "any" || s.type === type || (type === "fixed" && (s.type === "local" || s.type === "national"))))
        .filter((s) => !pattern || s.number.startsWith(`${cc}${pattern}`))
        .filter((s) => !q.get("city") || s.locality.toUpperCase() === q.get("city")!.toUpperCase())
        .filter((s) => !q.get("region") || PLIVO_REGION_NAMES[s.region]?.toUpperCase() === q.get("region")!.toUpperCase())
        .filter((s) =>
          !npanxx
            ? true
            : q.get("local_calling_area") === "true"
              ? exchange !== undefined && miles(exchange.stock, s) <= 30
              : s.number.startsWith(`+1${npanxx}`),
        )
        .map((s) => ({
          number: s.number.slice(1),
          prefix: s.number.slice(cc.length, cc.length + 3),
          city: s.locality.toUpperCase(),
          country: "UNITED STATES",
          region: "United States",
          rate_center: s.locality.toUpperCase(),
          lata: 722,
          type: s.type === "local" || s.type === "national" ? "fixed" : s.type,
          sub_type: s.type,
          setup_rate: "0.00000",
          monthly_rental_rate: "0.80000",
          sms_enabled: true,
          sms_rate: "0.00800",
          mms_enabled: false,
          mms_rate: "0.00000",
          voice_enabled: true,
          voice_rate: "0.00500",
          restriction: this.verification.has(countryOf(s)) ? "city-address" : null,
          restriction_text: this.verification.has(countryOf(s)) ? "A local address is required" : null,
          resource_uri: `${base}/PhoneNumber/${s.number.slice(1)}/`,
        }));
      return this.page(req, list, path, Object.fromEntries([...q].filter(([k]) => k !== "limit" && k !== "offset")));
    }
    const buy = path.match(new RegExp(`^${base}/PhoneNumber/\\+?(\\d+)/$`));
    if (buy && req.method === "POST") {
      const f = this.fields(req);
      if (f.app_id && !this.apps.has(f.app_id)) return this.error(404, "not found");
      const stock = this.take(`+${buy[1]}`);
      if (!stock) return this.error(404, "not found");
      this.owned.set(buy[1]!, { stock, alias: null, app: f.app_id ?? PLIVO_DEFAULT_APP });
      const status = this.verification.has(countryOf(stock)) ? "pending" : "Success";
      return json({ api_id: `api-${++this.seq}`, message: "created", numbers: [{ number: buy[1], status }], status: "fulfilled" }, 201);
    }
    if (path === `${base}/Number/` && req.method === "GET") {
      const alias = q.get("alias");
      const list = [...this.owned.values()].filter((n) => alias === null || n.alias === alias).map((n) => this.resource(n));
      return this.page(req, list, path, alias === null ? {} : { alias });
    }
    const one = path.match(new RegExp(`^${base}/Number/\\+?(\\d+)/$`));
    const n = one ? this.owned.get(one[1]!) : undefined;
    if (one && !n) return this.error(404, "not found");
    if (n && req.method === "GET") return json({ api_id: `api-${++this.seq}`, ...this.resource(n) });
    if (n && req.method === "POST") {
      const f = this.fields(req);
      if (f.app_id && !this.apps.has(f.app_id)) return this.error(404, "not found");
      if (f.app_id) n.app = f.app_id;
      if (f.alias !== undefined) n.alias = f.alias;
      return json({ api_id: `api-${++this.seq}`, message: "changed" }, 202);
    }
    if (n && req.method === "DELETE") {
      this.owned.delete(one![1]!);
      this.released.push(n.stock.number);
      return new Response(null, { status: 204 });
    }
    const app = path.match(new RegExp(`^${base}/Application/(\\d+)/$`));
    const a = app ? this.apps.get(app[1]!) : undefined;
    if (a && req.method === "POST") {
      Object.assign(a, this.fields(req));
      return json({ api_id: `api-${++this.seq}`, message: "changed" }, 202);
    }
    return this.error(404, "not found");
  }

  numbers(): string[] {
    return [...this.owned.values()].map((n) => n.stock.number);
  }
}

export const VONAGE_KEY = "a1b2c3d4";
export const VONAGE_SECRET = "VonageSecret0123";
export const VONAGE_APP = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
/** Vonage's label of a purchase that needs a local address (the Numbers API reference's 420 example). */
export const VONAGE_ADDRESS_LABEL =
  "Numbers from this country can be requested from the Dashboard (https://dashboard.nexmo.com/buy-numbers) as they require a valid local address to be provided before being purchased.";

interface VonageNumber {
  stock: Stock;
  country: string;
  app_id: string | null;
}

const VONAGE_TYPE = { local: "landline", mobile: "mobile-lvn", tollfree: "landline-toll-free", national: "landline" } as const;

/**
 * Vonage's Numbers API (rest.nexmo.com: number/search, number/buy, number/update, number/cancel,
 * account/numbers) and Application API v2 (api.nexmo.com/v2/applications), as the API references
 * and github.com/Nexmo/api-specification define them: form-encoded requests, Basic api_key:api_secret
 * (the Numbers API takes api_key/api_secret query parameters too), msisdn without '+', answers
 * `{ "error-code", "error-code-label" }` with 401 for credentials and 420 "Action failed" for a
 * refused action, whatever its reason ("method failed"): a number no longer for sale, an account
 * without credit (`credit = false`), one that wants an address (`addressCountries`).
 */
export class FakeVonage extends FakeProvider {
  host = "rest.nexmo.com";
  owned = new Map<string, VonageNumber>();
  /** The owner's application, as GET /v2/applications/{id} answers it. */
  application: Record<string, unknown> = {
    id: VONAGE_APP,
    name: "Tracking numbers",
    keys: { public_key: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n" },
    capabilities: {
      voice: {
        webhooks: {
          answer_url: { address: "https://example.com/answer", http_method: "POST", connection_timeout: 500, socket_timeout: 3000 },
          event_url: { address: "https://example.com/event", http_method: "POST", connection_timeout: 500, socket_timeout: 3000 },
        },
        signed_callbacks: false,
      },
      messages: { webhooks: { inbound_url: { address: "https://example.com/inbound", http_method: "POST" } } },
    },
    _links: { self: { href: `/v2/applications/${VONAGE_APP}` } },
  };
  /** Whether the account can pay for a number. */
  credit = true;
  /** Countries whose numbers Vonage sells only through its Dashboard (a local address). */
  addressCountries = new Set(["DE"]);

  override handles(req: Seen): boolean {
    return req.url.hostname === "rest.nexmo.com" || req.url.hostname === "api.nexmo.com";
  }

  private refused(label = "method failed") {
    return json({ "error-code": "420", "error-code-label": label }, 420);
  }

  private listed(n: VonageNumber) {
    return {
      country: n.country,
      msisdn: n.stock.number.slice(1),
      type: VONAGE_TYPE[n.stock.type],
      features: ["VOICE", "SMS"],
      // The owned number as the API reference and the SDKs (Node NumbersOwnedNumber, Java OwnedNumber)
      // define it: the link is voiceCallbackType "app" with the application's id; no app_id field.
      ...(n.app_id ? { voiceCallbackType: "app", voiceCallbackValue: n.app_id, messagesCallbackType: "app", messagesCallbackValue: n.app_id } : {}),
    };
  }

  /** One page of a list, by `size` (at most 100, default 10) and `index` (from 1). */
  private page<T>(list: T[], q: URLSearchParams): T[] {
    const size = Math.min(Number(q.get("size") ?? 10), 100);
    const index = Number(q.get("index") ?? 1);
    return list.slice((index - 1) * size, index * size);
  }

  private matches(msisdn: string, q: URLSearchParams): boolean {
    const pattern = q.get("pattern");
    if (!pattern) return true;
    const how = q.get("search_pattern") ?? "0";
    return how === "0" ? msisdn.startsWith(pattern) : how === "2" ? msisdn.endsWith(pattern) : msisdn.includes(pattern);
  }

  protected route(req: Seen): Response {
    const basic = req.headers.get("Authorization") === `Basic ${btoa(`${VONAGE_KEY}:${VONAGE_SECRET}`)}`;
    const query = req.url.searchParams.get("api_key") === VONAGE_KEY && req.url.searchParams.get("api_secret") === VONAGE_SECRET;
    if (req.url.hostname === "api.nexmo.com") return this.applications(req, basic);
    if (!basic && !query) return json({ "error-code": "401", "error-code-label": "authentication failed" }, 401);
    const path = req.url.pathname;
    const q = req.url.searchParams;
    const f = new URLSearchParams(req.body);
    if (path === "/number/search" && req.method === "GET") {
      const country = q.get("country");
      if (!country) return json({ "error-code": "420", "error-code-label": "country is required" }, 420);
      const type = q.get("type");
      const list = this.inventory.filter(
        (s) =>
          inCountry(s, country) &&
          (!type || VONAGE_TYPE[s.type] === type) &&
          (!q.get("features") || q.get("features") === "VOICE") &&
          this.matches(s.number.slice(1), q),
      );
      const page = this.page(list, q);
      const numbers = page.map((s) => ({ country, msisdn: s.number.slice(1), type: VONAGE_TYPE[s.type], cost: "0.90", features: ["VOICE", "SMS"] }));
      return json(numbers.length ? { count: list.length, numbers } : { count: list.length });
    }
    if (path === "/account/numbers" && req.method === "GET") {
      const app = q.get("application_id");
      const list = [...this.owned.values()].filter((n) => (!app || n.app_id === app) && this.matches(n.stock.number.slice(1), q));
      const page = this.page(list, q);
      return json(page.length ? { count: list.length, numbers: page.map((n) => this.listed(n)) } : { count: list.length });
    }
    if (path === "/number/buy" && req.method === "POST") {
      const country = f.get("country");
      const msisdn = f.get("msisdn");
      if (!country || !msisdn) return json({ "error-code": "420", "error-code-label": "Missing parameter" }, 420);
      if (this.owned.has(msisdn)) return this.refused();
      const stock = this.inventory.find((s) => s.number === `+${msisdn}` && inCountry(s, country));
      if (stock && this.addressCountries.has(country)) return this.refused(VONAGE_ADDRESS_LABEL);
      if (!stock || !this.credit) return this.refused();
      this.take(stock.number);
      this.owned.set(msisdn, { stock, country, app_id: null });
      return json({ "error-code": "200", "error-code-label": "success" });
    }
    if (path === "/number/update" && req.method === "POST") {
      const n = this.owned.get(f.get("msisdn") ?? "");
      if (!n || n.country !== f.get("country")) return this.refused();
      n.app_id = f.get("app_id") || null;
      return json({ "error-code": "200", "error-code-label": "success" });
    }
    if (path === "/number/cancel" && req.method === "POST") {
      const n = this.owned.get(f.get("msisdn") ?? "");
      if (!n || n.country !== f.get("country")) return this.refused();
      this.owned.delete(f.get("msisdn")!);
      this.released.push(n.stock.number);
      return json({ "error-code": "200", "error-code-label": "success" });
    }
    return json({ "error-code": "404", "error-code-label": "not found" }, 404);
  }

  /** The Application API v2: Basic auth only; its errors are RFC 7807 documents. */
  private applications(req: Seen, basic: boolean): Response {
    const problem = (status: number, title: string, detail: string) =>
      json({ type: `https://developer.nexmo.com/api-errors#${status}`, title, detail, instance: crypto.randomUUID() }, status);
    if (!basic) return problem(401, "Invalid credentials supplied", "You did not provide correct credentials.");
    const id = req.url.pathname.match(/^\/v2\/applications\/([^/]+)$/)?.[1];
    if (id !== VONAGE_APP) return problem(404, "Not found", `Application ${id} could not be found`);
    if (req.method === "GET") return json(this.application);
    if (req.method === "PUT") {
      const b = JSON.parse(req.body) as Record<string, unknown>;
      if (typeof b.name !== "string" || !b.name) {
        return json(
          {
            type: "https://developer.nexmo.com/api-errors/application#payload-validation",
            title: "Bad Request",
            detail: "The request failed due to validation errors",
            invalid_parameters: [{ name: "name", reason: "Is required." }],
          },
          400,
        );
      }
      // PUT replaces the application: what the body leaves out is gone.
      this.application = { id: VONAGE_APP, name: b.name, keys: b.keys ?? {}, capabilities: b.capabilities ?? {}, _links: this.application._links };
      return json(this.application);
    }
    return problem(405, "Method not allowed", "The requested method is not allowed");
  }

  numbers(): string[] {
    return [...this.owned.values()].map((n) => n.stock.number);
  }

  /** The numbers linked to `app`. */
  linked(app = VONAGE_APP): string[] {
    return [...this.owned.values()].filter((n) => n.app_id === app).map((n) => n.stock.number);
  }

  /** A number the account already holds (bought earlier, e.g. by an attempt whose record was lost), linked to `app`. */
  hold(s: Stock, app: string | null = VONAGE_APP): void {
    this.inventory = this.inventory.filter((x) => x.number !== s.number);
    this.owned.set(s.number.slice(1), { stock: s, country: countryOf(s), app_id: app });
  }
}
