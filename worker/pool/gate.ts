/**
 * Where a site key is checked: the pool object admits an allocation by the account's site key and
 * allowed origins, which the account object pushes to every pool object it has (AccountGate), so
 * the allocation path never waits on a second object. A change of key or origins is pushed before
 * the API call that made it returns.
 */
import { remember } from "../../shared/bounded-map";
import { originAllowed } from "../domain/origins";
import { safeEqualBytes } from "../platform/crypto";
import { type ApiErrorData, fail } from "../platform/result";
import type { AccountGate, PoolSettings } from "./protocol";

/** Origins whose verdict a gate remembers (a site's pages send one or a few). */
const VERDICTS_KEPT = 64;
/** Longest Origin remembered: a scheme, a 253-character host and a port. */
const ORIGIN_KEPT_MAX = 270;

/**
 * One gate as the pool object checks it, made when the gate arrives: the site key's bytes, and the
 * verdict on each Origin seen against the account's origins (parsing the Origin and matching the
 * patterns was a share of every allocation, profiled; an Origin is no secret). The key is still
 * compared in constant time on every request.
 */
export class Gate {
  private readonly key: Uint8Array;
  private readonly verdicts = new Map<string, boolean>();

  constructor(readonly pushed: AccountGate) {
    this.key = new TextEncoder().encode(pushed.siteKey);
  }

  /**
   * Null when the request may allocate here; else the refusal (401 wrong key, 403 origin). A pool
   * with its own `origins` admits only those (a site key cannot lease from a pool its site never shows).
   */
  admit(siteKey: string, origin: string | null, pool?: Pick<PoolSettings, "poolId" | "origins">): ApiErrorData | null {
    if (!safeEqualBytes(this.key, siteKey)) return fail(401, "invalid_key", "Unknown or revoked site key").error;
    const allowed = origin === null ? false : (this.verdicts.get(origin) ?? this.judge(origin));
    if (!allowed) {
      return fail(403, "origin_not_allowed", origin ? `Origin ${origin} is not allowed for this site key` : "An Origin header is required").error;
    }
    if (pool?.origins && !originAllowed(origin, pool.origins)) {
      return fail(403, "origin_not_allowed", `Pool ${pool.poolId} is not for pages of ${origin}`).error;
    }
    return null;
  }

  /** An Origin's verdict, remembered unless it is longer than any real origin (a request sets the header). */
  private judge(origin: string): boolean {
    const allowed = originAllowed(origin, this.pushed.origins);
    return origin.length > ORIGIN_KEPT_MAX ? allowed : remember(this.verdicts, VERDICTS_KEPT, origin, allowed);
  }
}
