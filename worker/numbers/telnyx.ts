/**
 * Telnyx's number API (v2, JSON, Bearer API key):
 *   GET   /available_phone_numbers?filter[country_code]=…&filter[phone_number_type]=…   search
 *   POST  /number_orders { phone_numbers[{ phone_number, requirement_group_id }], connection_id, customer_reference }   buy
 *   GET   /number_orders?filter[customer_reference]=…                                  reconcile: what was ordered
 *   GET   /phone_numbers?filter[customer_reference]=… | filter[phone_number]=…        reconcile: what it became
 *   PATCH /phone_numbers/{id} { connection_id }                                        assign to the app
 *   PATCH /texml_applications/{id} { voice_url, status_callback }                      our callbacks
 *   DELETE /phone_numbers/{id}                                                         release
 *   PATCH /sub_number_orders/{id}/cancel                                               give back one still pending
 * A Telnyx number's calls go where its connection (our TeXML application) says, so the callback URLs
 * are set once on the application and each number is assigned to it. The order id is the number
 * orders' customer_reference, so a retry finds what an earlier attempt ordered before it buys again:
 * the number orders are listed by it (a documented filter), and each ordered number is found among
 * the phone numbers by the reference where Telnyx copied it onto them, else by its number (the
 * reference's copying onto the phone number is not documented). An order line still pending is
 * ours all the same (recorded as ordered: never bought again); a completed line whose number is no
 * longer listed was released (an order not listed at all is looked at again: listings lag). A pending number is not a phone number that can be deleted yet: it is
 * given back by canceling its sub number order ("Allows you to cancel a sub number order in 'pending'
 * status", the API reference; the ids are the number order's `sub_number_orders_ids`). Each order
 * here is of one number, so its sub number orders hold that number only.
 */
import type { Regulatory } from "../schemas/orders";
import { call, field, remove, str } from "./http";
import { describeTelnyx, telnyxRefusal } from "./telnyx-errors";
import type { CallbackUrls, Candidate, NumberApi, Outcome, Owned, SearchQuery } from "./types";

export const TELNYX_API = "https://api.telnyx.com/v2";

/** A list answer's items (`data`, or the value itself when it is an array). */
const listOf = (body: unknown): unknown[] => {
  const data = Array.isArray(body) ? body : field(body, "data");
  return Array.isArray(data) ? data : [];
};

const TYPE = { local: "local", national: "national", tollfree: "toll_free", mobile: "mobile" } as const;

const describe = (body: unknown) => describeTelnyx(body);
/** Any refused call but an order's, decided by Telnyx's codes (telnyx-errors.ts). */
const refused = (body: unknown) => telnyxRefusal(body, false);

/** The query string of an available-numbers search (deepObject filters, as the API reference writes them). */
export function telnyxSearchParams(q: SearchQuery): URLSearchParams {
  const p = new URLSearchParams();
  p.set("filter[country_code]", q.country);
  p.set("filter[phone_number_type]", TYPE[q.type]);
  if (q.areaCode) p.set("filter[national_destination_code]", q.areaCode);
  if (q.city) p.set("filter[locality]", q.city);
  if (q.region) p.set("filter[administrative_area]", q.region);
  p.append("filter[features][]", "voice");
  p.set("filter[limit]", String(Math.min(q.limit, 100)));
  // "Only available in USA/CANADA" (the API reference): not sent elsewhere.
  if (q.country === "US" || q.country === "CA") p.set("filter[best_effort]", q.bestEffort ? "true" : "false");
  return p;
}

export interface TelnyxNumberCredentials {
  apiKey: string;
  texmlApplicationId: string;
}

/**
 * A phone number's statuses (the API reference's enum: purchase-pending, purchase-failed,
 * port-pending, port-failed, active, deleted, emergency-only, ported-out, port-out-pending,
 * requirement-info-pending / -under-review / -exception) that are final without it being active:
 * not the account's number, and never going to be. The others wait (pending).
 */
const NEVER_ACTIVE = new Set(["purchase-failed", "port-failed", "deleted", "ported-out"]);

export function telnyxNumbers(creds: TelnyxNumberCredentials): NumberApi {
  const auth = { Authorization: `Bearer ${creds.apiKey}`, Accept: "application/json" };
  const send = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const app = creds.texmlApplicationId;

  const owned = (r: unknown): Owned | null => {
    const number = str(field(r, "phone_number"));
    const id = str(field(r, "id"));
    if (!number || !id) return null;
    // A number is usable once active (purchase-pending, requirement-info-pending… are not yet);
    // one whose status is final and not active never will be.
    const status = str(field(r, "status"));
    if (status && NEVER_ACTIVE.has(status)) return { number, providerId: id, configured: false, failed: `its status at Telnyx is ${status}` };
    const pending = status && status !== "active" ? status : undefined;
    return { number, providerId: id, configured: str(field(r, "connection_id")) === app, pending };
  };

  /** A phone number of the account, by its number (null: not listed, not yet or no longer). */
  const byNumber = async (number: string): Promise<Outcome<Owned | null>> => {
    // Digits only: the filter answers nothing for a "+" ("Non-numerical characters will result in
    // no values being returned"); it may match more than the one number, so the exact one is picked.
    const digits = number.replace(/\D/g, "");
    const r = await call(`${TELNYX_API}/phone_numbers?${new URLSearchParams({ "filter[phone_number]": digits })}`, { headers: auth }, describe, refused);
    if (!r.ok) return r;
    const mine = listOf(r.value.body).find((n) => str(field(n, "phone_number")) === number);
    return { ok: true, value: mine ? owned(mine) : null };
  };

  const release = (providerId: string): Promise<Outcome<true>> => remove(`${TELNYX_API}/phone_numbers/${providerId}`, auth, describe, refused);

  /** The number orders placed under `tag` (our order id). */
  const ordersUnder = async (tag: string): Promise<Outcome<unknown[]>> => {
    const p = new URLSearchParams({ "filter[customer_reference]": tag, "page[size]": "250" });
    const r = await call(`${TELNYX_API}/number_orders?${p}`, { headers: auth }, describe, refused);
    return r.ok ? { ok: true, value: listOf(r.value.body) } : r;
  };

  return {
    async prepare(urls: CallbackUrls): Promise<Outcome<true>> {
      const r = await call(
        `${TELNYX_API}/texml_applications/${app}`,
        send("PATCH", {
          friendly_name: "edge-dni tracking numbers",
          voice_url: urls.voiceUrl,
          // The "Webhook Failover URL", asked when the voice URL fails: the same URL, a second chance for the call.
          voice_fallback_url: urls.voiceUrl,
          voice_method: "post",
          status_callback: urls.statusUrl,
          status_callback_method: "post",
        }),
        describe,
        refused,
      );
      return r.ok ? { ok: true, value: true } : r;
    },

    async search(q: SearchQuery): Promise<Outcome<Candidate[]>> {
      const r = await call(`${TELNYX_API}/available_phone_numbers?${telnyxSearchParams(q)}`, { headers: auth }, describe, refused);
      if (!r.ok) return r;
      const data = field(r.value.body, "data");
      const out: Candidate[] = [];
      for (const n of Array.isArray(data) ? data : []) {
        const number = str(field(n, "phone_number"));
        // Best-effort answers are numbers near the area, not in it: only a widened search takes them.
        if (!number || (field(n, "best_effort") === true && !q.bestEffort)) continue;
        const info = field(n, "region_information");
        const state = Array.isArray(info) ? info.find((i) => field(i, "region_type") === "state") : undefined;
        out.push({ number, region: str(field(state, "region_name")) });
      }
      return { ok: true, value: out };
    },

    async owned(tag: string): Promise<Outcome<Owned[]>> {
      const p = new URLSearchParams({ "filter[customer_reference]": tag, "page[size]": "250" });
      const [orders, numbers] = await Promise.all([ordersUnder(tag), call(`${TELNYX_API}/phone_numbers?${p}`, { headers: auth }, describe, refused)]);
      if (!orders.ok) return orders;
      if (!numbers.ok) return numbers;
      const out = listOf(numbers.value.body)
        .map(owned)
        .filter((o): o is Owned => o !== null);
      const seen = new Set(out.map((o) => o.number));
      // A number may be on two of the order's number orders (one refused, one placed again later):
      // a failed line speaks for it only when no other line does, so failures come last.
      const lines = orders.value.flatMap((order) =>
        listOf(field(order, "phone_numbers")).map((line) => ({
          number: str(field(line, "phone_number")),
          status: str(field(line, "status")) ?? str(field(order, "status")) ?? "pending",
        })),
      );
      for (const { number, status } of [...lines.filter((l) => l.status !== "failure"), ...lines.filter((l) => l.status === "failure")]) {
        if (!number || seen.has(number)) continue;
        seen.add(number);
        if (status === "failure") {
          out.push({ number, providerId: "", configured: false, failed: "its number order failed at Telnyx" });
          continue;
        }
        if (status !== "success") {
          out.push({ number, providerId: "", configured: false, pending: `number order ${status}` });
          continue;
        }
        // Filled, but not listed under the reference: found by its number (gone: it was released).
        const found = await byNumber(number);
        if (!found.ok) return found;
        if (found.value) out.push(found.value);
      }
      return { ok: true, value: out };
    },

    async buy(number: string, tag: string, _urls: CallbackUrls, regulatory?: Regulatory): Promise<Outcome<Owned>> {
      // The requirement group goes on each phone number of the order, as the API reference places it.
      const wanted = { phone_number: number, ...(regulatory?.requirementGroupId ? { requirement_group_id: regulatory.requirementGroupId } : {}) };
      const r = await call(
        `${TELNYX_API}/number_orders`,
        send("POST", { phone_numbers: [wanted], connection_id: app, customer_reference: tag }),
        describe,
        // By Telnyx's codes, not the status: a 422 is as likely the account's as the number's.
        (body) => telnyxRefusal(body, true),
      );
      if (!r.ok) return r;
      const order = field(r.value.body, "data");
      const numbers = field(order, "phone_numbers");
      const line = Array.isArray(numbers) ? numbers.find((n) => field(n, "phone_number") === number) : undefined;
      if (field(order, "status") === "failure" || field(line, "status") === "failure") {
        return { ok: false, error: { kind: "taken", reason: `Telnyx number order ${str(field(order, "id")) ?? "?"} failed for ${number}` } };
      }
      // The order's line id is not the phone number's id: the number is found by its number next.
      // That lookup failing (a 429, a 5xx) does not undo the order: the number is recorded as
      // ordered all the same (answered `retry`, it was recorded nowhere: lost if the order was
      // canceled before its next step, bought again if the order listing lagged).
      const found = await byNumber(number);
      const mine = found.ok ? found.value : null;
      if (mine?.failed) return { ok: false, error: { kind: "taken", reason: `${number}: ${mine.failed}` } };
      // Orders are asynchronous: a pending one lists its number later (or once its regulatory
      // requirements are met). It is ours all the same: recorded as ordered, never bought again.
      const status = str(field(line, "status")) ?? str(field(order, "status")) ?? "pending";
      return { ok: true, value: mine ?? { number, providerId: "", configured: false, pending: `number order ${status}` } };
    },

    async configure(o: Owned): Promise<Outcome<true>> {
      const r = await call(`${TELNYX_API}/phone_numbers/${o.providerId}`, send("PATCH", { connection_id: app }), describe, refused);
      return r.ok ? { ok: true, value: true } : r;
    },

    release,

    async releaseOrdered(number: string, tag: string): Promise<Outcome<true>> {
      const orders = await ordersUnder(tag);
      if (!orders.ok) return orders;
      const order = orders.value.find((o) => listOf(field(o, "phone_numbers")).some((l) => str(field(l, "phone_number")) === number));
      const line = listOf(field(order, "phone_numbers")).find((l) => str(field(l, "phone_number")) === number);
      const status = str(field(line, "status")) ?? str(field(order, "status"));
      const subOrders = listOf(field(order, "sub_number_orders_ids")).filter((id): id is string => typeof id === "string");
      let refusal: string | null = null;
      if (status === "pending" && subOrders.length) {
        for (const id of subOrders) {
          const r = await call(`${TELNYX_API}/sub_number_orders/${encodeURIComponent(id)}/cancel`, { method: "PATCH", headers: auth }, describe, refused);
          if (!r.ok && r.error.kind === "retry") return r;
          if (!r.ok) refusal = r.error.reason;
        }
        if (refusal === null) return { ok: true, value: true };
      }
      // Filled, or its cancel refused (filled meanwhile): a phone number of the account, deleted once active.
      const found = await byNumber(number);
      if (!found.ok) return found;
      // Never the account's (its purchase failed): nothing to give back.
      if (found.value?.failed) return { ok: true, value: true };
      if (found.value && !found.value.pending) return release(found.value.providerId);
      if (found.value || status === "pending") {
        const why = refusal ? `its sub number order could not be canceled (${refusal})` : "no sub number order to cancel";
        return { ok: false, error: { kind: "retry", reason: `${number} is still pending at Telnyx and ${why}; released once active` } };
      }
      // Neither its order nor the number listed: the order was placed (a number is recorded as
      // ordered only from Telnyx's answer or listing), so its listing lags. Looked at again, not
      // counted released: forgotten, a number still on order would be billed.
      if (!order) return { ok: false, error: { kind: "retry", reason: `the number order of ${number} is not listed at Telnyx yet` } };
      // Never filled (a failed line), or filled and released already.
      return { ok: true, value: true };
    },
  };
}
