/**
 * A voice provider's number API as an order needs it: search, buy, find what an order already bought
 * (the reconcile step), point a number at our callbacks, release it. One implementation per provider
 * (twilio.ts, signalwire.ts, telnyx.ts, plivo.ts, vonage.ts), each written from the provider's REST
 * reference: Workers have no SDK for them (their Node SDKs need Node's http stack), and a handful of
 * calls do not justify one.
 */
import type { NumberType, Regulatory } from "../schemas/orders";

export interface SearchQuery {
  country: string;
  type: NumberType;
  areaCode?: string | undefined;
  city?: string | undefined;
  region?: string | undefined;
  near?: { lat: number; lng: number; radiusMiles: number } | undefined;
  /** Near one of these numbers (a wider search around what was already found). */
  nearNumber?: string | undefined;
  /** Let the provider answer with numbers near the area when the area has too few. */
  bestEffort?: boolean;
  limit: number;
}

export interface Candidate {
  number: string;
  region: string | null;
}

/**
 * A number the provider account holds: its id there, and whether its calls already come to us.
 * `pending`: ordered but not ours to use yet, and why (Telnyx: the order is pending, or the number's
 * status is requirement-info-pending until regulatory documents are filed); its id may be unknown ("").
 */
export interface Owned {
  number: string;
  providerId: string;
  configured: boolean;
  pending?: string | undefined;
  /**
   * Never to be the account's after all, and why (Telnyx: its purchase failed, or it was deleted or
   * ported out): an order's number still on order with this is forgotten, and another bought.
   */
  failed?: string | undefined;
}

export interface CallbackUrls {
  voiceUrl: string;
  statusUrl: string;
}

/**
 * A refused call: `retry` (429, 5xx, network; after `retryAfterMs` when the provider said),
 * `taken` (the number went to someone else between search and order), `search` (the provider
 * wants the number found by a fresh search before it is ordered), or `fatal` (credentials, a
 * request the provider refuses): the order fails with the provider's reason.
 */
export type ProviderError =
  | { kind: "retry"; reason: string; retryAfterMs?: number | undefined }
  | { kind: "taken"; reason: string }
  | { kind: "search"; reason: string }
  | { kind: "fatal"; reason: string };

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ProviderError };

export interface NumberApi {
  /** Before the first number: point what the numbers are assigned to (Telnyx: the TeXML application) at our callbacks. */
  prepare(urls: CallbackUrls): Promise<Outcome<true>>;
  search(q: SearchQuery): Promise<Outcome<Candidate[]>>;
  /** The most numbers one search answers, when fewer than the limit asked (Plivo: 20). */
  searchPage?: number;
  /** Numbers bought under `tag` (our order id): what a lost answer or a restart may have left bought. */
  owned(tag: string, urls: CallbackUrls): Promise<Outcome<Owned[]>>;
  /**
   * Providers whose `owned` cannot find every number an order bought (Plivo marks a number only after
   * its buy; Vonage has no marker at all): the runner records each number before it buys it (for
   * every provider), and its reconcile asks here, for each recorded number whose buy's outcome was never stored, whether the
   * account holds it. Held and free to take (no other marker, no other application): the number,
   * marked or linked as a fresh buy is; null: not held (the buy did not happen) or not the order's.
   */
  held?(number: string, tag: string, urls: CallbackUrls): Promise<Outcome<Owned | null>>;
  /** Buy one number; `regulatory`: the ids the carrier requires for it (the order's, its provider's fields only). */
  buy(number: string, tag: string, urls: CallbackUrls, regulatory?: Regulatory): Promise<Outcome<Owned>>;
  configure(owned: Owned, urls: CallbackUrls): Promise<Outcome<true>>;
  /** Give the number back; one the provider no longer has counts as released. */
  release(providerId: string): Promise<Outcome<true>>;
  /**
   * Give back a number still `pending` when ordered under `tag` (Telnyx: its order not filled yet,
   * which cannot be released as a number): cancel its pending order, or release it once filled;
   * `retry` while it is neither (still pending and its cancel refused).
   */
  releaseOrdered(number: string, tag: string, providerId: string): Promise<Outcome<true>>;
}
