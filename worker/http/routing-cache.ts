/**
 * The worker's memory of where an account's allocations go (its default pool, each pool's shard
 * count), per isolate, so an allocation goes straight to the pool object. It is only a hint: the
 * pool object refuses a request routed by a stale entry (`reroute`), and the worker then asks the
 * account object afresh. Entries expire, and unknown pool names are never remembered.
 */
import { remember } from "../../shared/bounded-map";
import type { Routing } from "../account/registry";
import type { ApiErrorData } from "../platform/result";
import { account } from "../platform/stubs";

/** How long an entry is used without asking the account object again. */
const TTL_MS = 60_000;
/** Accounts remembered per isolate; the oldest entry goes first. */
const MAX_ACCOUNTS = 1000;

const cache = new Map<string, { routing: Routing; at: number }>();

type RoutingAnswer = { ok: true; routing: Routing } | { ok: false; error: ApiErrorData };

/**
 * The routing of an account: from memory, or (when `fresh`, missing or expired) from its object,
 * which also checks the site key and Origin when asked fresh.
 */
export async function routingOf(env: Env, accountId: string, check: { siteKey: string; origin: string | null }, fresh = false): Promise<RoutingAnswer> {
  const now = Date.now();
  const hit = cache.get(accountId);
  if (!fresh && hit && now - hit.at < TTL_MS && now >= hit.at) return { ok: true, routing: hit.routing };
  const answer = await account(env, accountId).routing(check);
  cache.delete(accountId);
  if (!answer.ok) return answer;
  remember(cache, MAX_ACCOUNTS, accountId, { routing: answer.value, at: now });
  return { ok: true, routing: answer.value };
}

/** Site key and Origin pairs an account object answered lately (null: accepted), for answers that ask no pool object. */
const checked = new Map<string, { error: ApiErrorData | null; at: number }>();

/**
 * Whether the account takes this site key from this Origin, for an answer that leases nothing (the
 * source rules picked no pool): no pool object is asked, so the account object checks them, once a
 * minute per key and Origin in an isolate, refused or not (a page still sending a rotated key, or
 * anyone sending the public key from another Origin, must not reach the object that answers the
 * account's calls on every view). A rotated key may get such an empty answer for that minute; it
 * never gets a lease: the pool objects check every allocation. The routing cache is not touched.
 */
export async function checkSite(
  env: Env,
  accountId: string,
  check: { siteKey: string; origin: string | null },
): Promise<{ ok: true } | { ok: false; error: ApiErrorData }> {
  const key = `${accountId}\n${check.siteKey}\n${check.origin ?? ""}`;
  const now = Date.now();
  let hit = checked.get(key);
  if (!hit || now - hit.at >= TTL_MS || now < hit.at) {
    const answer = await account(env, accountId).routing(check);
    hit = remember(checked, MAX_ACCOUNTS, key, { error: answer.ok ? null : answer.error, at: now });
  }
  return hit.error ? { ok: false, error: hit.error } : { ok: true };
}

/** Forget an account's routing (a pool object said it is stale). */
export function forgetRouting(accountId: string): void {
  cache.delete(accountId);
}
