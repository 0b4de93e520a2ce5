/**
 * Where a site key is checked: the pool object admits an allocation by the account's site key and
 * allowed origins, which the account object pushes to every pool object it has (AccountGate), so
 * the allocation path never waits on a second object. A change of key or origins is pushed before
 * the API call that made it returns.
 */
import { originAllowed } from "../domain/origins";
import { safeEqualFixed } from "../platform/crypto";
import { type ApiErrorData, fail } from "../platform/result";
import type { AccountGate, PoolSettings } from "./protocol";

/**
 * Null when the request may allocate here; else the refusal (401 wrong key, 403 origin). A pool
 * with its own `origins` admits only those (a site key cannot lease from a pool its site never shows).
 */
export function admit(gate: AccountGate, siteKey: string, origin: string | null, pool?: Pick<PoolSettings, "poolId" | "origins">): ApiErrorData | null {
  if (!safeEqualFixed(gate.siteKey, siteKey)) return fail(401, "invalid_key", "Unknown or revoked site key").error;
  if (!originAllowed(origin, gate.origins)) {
    return fail(403, "origin_not_allowed", origin ? `Origin ${origin} is not allowed for this site key` : "An Origin header is required").error;
  }
  if (pool?.origins && !originAllowed(origin, pool.origins)) {
    return fail(403, "origin_not_allowed", `Pool ${pool.poolId} is not for pages of ${origin}`).error;
  }
  return null;
}
