/**
 * One step of a number order, run from the account's alarm:
 *   1. reconcile: list what the provider holds under the order's id and record anything unknown
 *      (an answer lost to a restart or a dropped connection): nothing is ever bought twice; where the
 *      provider cannot list by the order's id (Plivo, Vonage: `held`), each number the order recorded
 *      before buying it and never heard back about is looked up: held, it is adopted; not, forgotten;
 *   2. configure the numbers whose voice URLs are not ours yet;
 *   3. add the configured numbers to the pool;
 *   4. search and buy what is still missing, one number at a time, each recorded as it is bought,
 *      then configure and add those; a number taken between search and order is skipped, and one
 *      the provider wants found by a fresh search first (Telnyx) is searched for again, once a step.
 * When the area has too few numbers the request's fallback decides: toll-free numbers, a wider
 * search (`nearest`), or `wait` (search again later). 429, 5xx and network failures retry the step
 * with backoff (Retry-After honoured); a refusal (credentials, a bad request) fails the order with
 * the provider's reason. Numbers already in the pool stay there.
 */

import type { CallbackUrls, Candidate, NumberApi, Owned, ProviderError, SearchQuery } from "../numbers/types";
import type { NumberRequest } from "../schemas/orders";
import type { NumberOrders, OrderRow } from "./number-orders";

export const ORDER_MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
/** How long a short order waits before it searches again. */
export const WAIT_MS = 3_600_000;

export const orderRetryMs = (attempts: number) => Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);

/** When to look again at numbers still pending at the provider: a quarter of the order's age, from 30 s to an hour. */
export const pendingRecheckMs = (age: number) => Math.min(Math.max(FIRST_RETRY_MS, Math.ceil(age / 4)), MAX_RETRY_MS);

export interface OrderWorld {
  orders: NumberOrders;
  api: NumberApi;
  urls: CallbackUrls;
  /** Put numbers into the order's pool (idempotent); a refusal names why. */
  addToPool: (poolId: string, numbers: string[]) => Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Whether the account may take this number (not already one of its numbers). */
  usable: (number: string) => boolean;
  now: number;
}

class Stop {
  constructor(readonly error: ProviderError) {}
}

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: ProviderError }): T => {
  if (!r.ok) throw new Stop(r.error);
  return r.value;
};

/** The searches an order makes, in order: its own, then its fallback's. */
export function searchPlan(r: NumberRequest, provider: string, known: readonly string[]): { query: Omit<SearchQuery, "limit">; fallback: boolean }[] {
  const own = { country: r.country, type: r.type, areaCode: r.areaCode, city: r.city, region: r.region, near: r.near };
  const plan: { query: Omit<SearchQuery, "limit">; fallback: boolean }[] = [{ query: own, fallback: false }];
  if (r.fallback === "tollfree" && r.type !== "tollfree") plan.push({ query: { country: r.country, type: "tollfree" }, fallback: true });
  // A wider search exists only for US and CA numbers (Telnyx's best effort; Twilio's NearLatLong,
  // NearNumber, InRegion): elsewhere `nearest` adds none, and a short order waits for stock.
  if (r.fallback === "nearest" && (r.country === "US" || r.country === "CA")) {
    if (provider === "telnyx") plan.push({ query: { ...own, bestEffort: true }, fallback: true });
    else if (r.near) plan.push({ query: { ...own, near: { ...r.near, radiusMiles: Math.min(500, r.near.radiusMiles * 4) } }, fallback: true });
    else if (r.city && r.region) plan.push({ query: { ...own, city: undefined }, fallback: true });
    // Near a number bought: Twilio's NearNumber, Plivo's local calling area. SignalWire's search has
    // none (an area code alone widens to nothing there).
    else if (known[0] && provider !== "signalwire")
      plan.push({ query: { ...own, areaCode: undefined, city: undefined, nearNumber: known[0] }, fallback: true });
    else if (r.region) plan.push({ query: { ...own, areaCode: undefined, city: undefined }, fallback: true });
  }
  return plan;
}

export async function runOrderStep(w: OrderWorld, order: OrderRow): Promise<void> {
  const { orders, api, urls, now } = w;
  const request = JSON.parse(order.request) as NumberRequest;
  let searched = order.searched;
  let skipped = order.skipped;
  const taken = new Set<string>();
  try {
    if (order.status === "pending") orders.update(order.id, { status: "running" }, now);
    if (!order.prepared) {
      unwrap(await api.prepare(urls));
      orders.update(order.id, { prepared: 1 }, now);
    }
    // 1. Reconcile.
    const fallbackTries = new Set(JSON.parse(order.fallback_tries) as string[]);
    for (const o of unwrap(await api.owned(order.id, urls))) {
      // Its purchase failed after all: forgotten, so step 4 buys another in its place.
      if (o.failed) orders.forgetOrdered(order.id, o.number);
      else orders.recordBought(order, o.number, o.providerId, o.configured, fallbackTries.has(o.number), now, o.pending);
    }
    // Where the provider lists by the order's id, that listing was the word on every try: what it
    // showed is recorded, and what it did not show was not bought.
    if (!api.held) for (const number of orders.triesOf(order.id)) orders.forgetTry(order.id, number);
    // Where the provider cannot list by the order's id: each number this order went to buy and never
    // heard back about is asked after. Only those: a number the order never tried to buy is never taken.
    else {
      for (const number of orders.triesOf(order.id)) {
        if (orders.claimed(number, (n) => !w.usable(n))) {
          // Recorded already, or one of the account's numbers some other way: not this order's to take.
          orders.forgetTry(order.id, number);
          continue;
        }
        const o = unwrap(await api.held(number, order.id, urls));
        if (o) orders.recordBought(order, o.number, o.providerId, o.configured, fallbackTries.has(o.number), now, o.pending);
        else orders.forgetTry(order.id, number);
      }
    }
    await configureAndAdd(w, order);

    // 4. Buy what is missing.
    const live = () => orders.numbersOf(order.id).filter((n) => n.state !== "released");
    // The plan is made again before each search: `nearest` searches near what the first one found.
    let searchedAgain = false;
    for (let i = 0; ; i++) {
      const step = searchPlan(
        request,
        order.provider,
        live().map((n) => n.number),
      )[i];
      if (!step) break;
      const need = request.quantity - live().length;
      if (need <= 0) break;
      const limit = Math.min(100, need * 2 + 5);
      const found = unwrap(await api.search({ ...step.query, limit }));
      searched += found.length;
      const candidates = found.filter(
        (c: Candidate) => w.usable(c.number) && !orders.number(c.number) && (!request.sameStateOnly || c.region === request.region),
      );
      let searchAgain = false,
        boughtHere = 0;
      for (const c of candidates) {
        // Canceled (or its pool deleted) while this step awaited the provider: nothing more is bought,
        // and what it bought stays out of the pool, for the release sweep.
        if (!orders.isOpen(order.id)) return;
        if (request.quantity - live().length <= 0) break;
        if (taken.has(c.number)) continue;
        if (step.fallback && !fallbackTries.has(c.number)) {
          fallbackTries.add(c.number);
          orders.update(order.id, { fallback_tries: JSON.stringify([...fallbackTries]) }, now);
        }
        // Written before the provider is asked: a retry finds the number even if its answer never
        // comes, and so does the alarm if the order ends first (canceled, failed) with no next step.
        orders.recordTry(order.id, c.number, now);
        const bought = await api.buy(c.number, order.id, urls, request.regulatory);
        // Refused (taken, stale, or the account's): not bought. Unanswered (`retry`): kept for the reconcile.
        if (!bought.ok && bought.error.kind !== "retry") orders.forgetTry(order.id, c.number);
        if (!bought.ok && bought.error.kind === "taken") {
          taken.add(c.number);
          skipped++;
          continue;
        }
        if (!bought.ok && bought.error.kind === "search" && !searchedAgain) {
          // The search's answer is stale for the provider: its other candidates are too.
          searchedAgain = true;
          searchAgain = true;
          break;
        }
        if (!bought.ok) {
          // What was bought before the failure goes into use now; the retry buys the rest.
          await configureAndAdd(w, order).catch((e) => {
            if (!(e instanceof Stop)) throw e;
          });
          // Refused again after a fresh search: not this step's to solve, tried again later.
          throw new Stop(bought.error.kind === "search" ? { kind: "retry", reason: bought.error.reason } : bought.error);
        }
        const o: Owned = bought.value;
        orders.recordBought(order, o.number, o.providerId, o.configured, step.fallback, now, o.pending);
        boughtHere++;
      }
      orders.update(order.id, { searched, skipped }, now);
      await configureAndAdd(w, order);
      // The same search again when its answer was a full page, it bought and more are needed: the
      // area may have more than one answer holds (Plivo's holds 20) before the fallback's search is
      // due. Each repeat buys at least one: it ends.
      const fullPage = found.length >= Math.min(limit, api.searchPage ?? limit);
      if (searchAgain || (fullPage && boughtHere > 0 && request.quantity - live().length > 0)) i--;
    }

    const have = live().length;
    const ordered = live().filter((n) => n.state === "ordered").length;
    if (have >= request.quantity && ordered) {
      // Ordered, not usable yet: looked at again, sooner while the order is young (activation
      // takes moments; regulatory documents, days), never bought again meanwhile.
      orders.update(
        order.id,
        {
          status: "running",
          searched,
          skipped,
          attempts: 0,
          last_error: `${ordered} number${ordered > 1 ? "s are" : " is"} pending at ${order.provider} (an order still being filled, or regulatory requirements to meet in its console); checking again`,
          next_attempt_at: now + pendingRecheckMs(now - order.created_at),
        },
        now,
      );
    } else if (have >= request.quantity) {
      orders.update(order.id, { status: "completed", searched, skipped, attempts: 0, last_error: null, next_attempt_at: null }, now);
    } else {
      orders.update(
        order.id,
        {
          status: "waiting",
          searched,
          skipped,
          attempts: 0,
          last_error: `The provider has ${have} of ${request.quantity} numbers for this request; searching again later`,
          next_attempt_at: now + WAIT_MS,
        },
        now,
      );
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const error = e.error;
    const attempts = order.attempts + 1;
    if (error.kind === "retry" && attempts < ORDER_MAX_ATTEMPTS) {
      const wait = Math.max(orderRetryMs(attempts), error.retryAfterMs ?? 0);
      orders.update(order.id, { status: "running", searched, skipped, attempts, last_error: error.reason, next_attempt_at: now + wait }, now);
    } else {
      orders.update(order.id, { status: "failed", searched, skipped, attempts, last_error: error.reason, next_attempt_at: null }, now);
    }
  }
}

/** Steps 2 and 3: voice URLs on every bought number, then the configured ones into the pool. */
async function configureAndAdd(w: OrderWorld, order: OrderRow): Promise<void> {
  // An order canceled while its step awaited: its numbers go back (release sweep), not into the pool.
  if (!w.orders.isOpen(order.id)) return;
  for (const n of w.orders.numbersOf(order.id).filter((r) => r.state === "bought")) {
    unwrap(await w.api.configure({ number: n.number, providerId: n.provider_id, configured: false }, w.urls));
    w.orders.setState([n.number], "configured");
  }
  const ready = w.orders
    .numbersOf(order.id)
    .filter((r) => r.state === "configured")
    .map((r) => r.number);
  if (!ready.length) return;
  const added = await w.addToPool(order.pool_id, ready);
  // Numbers that cannot join the pool are still ours to give back: the release sweep does it.
  w.orders.setState(ready, "added");
  if (added.ok) w.orders.markAdded(ready, Date.now());
  if (!added.ok) throw new Stop({ kind: "fatal", reason: added.reason });
}
