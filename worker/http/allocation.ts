/**
 * An allocation, from the worker: each named pool (or the account's default) is asked at the one
 * shard object the session belongs to, which admits the request itself (pool/gate.ts) and leases
 * (pool/leases.ts). The routing comes from the isolate's cache; a pool object that finds it stale
 * sends the worker back to the account object once.
 */
import type { AllocateResponse, PoolAllocation } from "../../shared/protocol";
import { shardOf } from "../domain/shards";
import { type ApiErrorData, fail, ok, type Result } from "../platform/result";
import { account, poolShard } from "../platform/stubs";
import type { AllocateReply } from "../pool/protocol";
import { forgetRouting, routingOf } from "./routing-cache";

interface AllocationRequest {
  accountId: string;
  siteKey: string;
  origin: string | null;
  /** Pools the visitor's source rule selects; none: the account's default pool. */
  pools: string[] | undefined;
  session: string;
  source: string | null;
  now: number;
}

/** Routing attempts: the cached one, then a fresh one from the account object. */
const ATTEMPTS = 3;

export async function allocateFromPools(env: Env, req: AllocationRequest): Promise<Result<Omit<AllocateResponse, "source" | "pattern">>> {
  const check = { siteKey: req.siteKey, origin: req.origin };
  const asDefault = !req.pools?.length;
  let fresh = false;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const routed = await routingOf(env, req.accountId, check, fresh);
    if (!routed.ok) return { ok: false, error: routed.error };
    const { routing } = routed;
    const ids = asDefault ? (routing.defaultPool ? [routing.defaultPool] : []) : [...new Set(req.pools)];
    const unknown = ids.find((id) => routing.pools[id] === undefined);
    if (!ids.length || unknown !== undefined) {
      // Maybe a pool made since the routing was cached: ask the account before saying no.
      if (!fresh) {
        fresh = true;
        continue;
      }
      return ids.length
        ? fail(404, "pool_not_found", `No pool ${unknown} for this site key`)
        : fail(404, "no_default_pool", "No pool named and the account has no default pool");
    }
    const replies = await Promise.all(
      ids.map((id) =>
        poolShard(env, req.accountId, id, shardOf(req.session, routing.pools[id]!)).allocate({
          siteKey: req.siteKey,
          origin: req.origin,
          session: req.session,
          source: req.source,
          now: req.now,
          asDefault,
        }),
      ),
    );
    const refused = replies.find((r): r is Extract<AllocateReply, { kind: "refused" }> => !r.ok && r.kind === "refused");
    if (refused) return { ok: false, error: refused.error };
    const unsynced = ids.filter((_, i) => {
      const r = replies[i]!;
      return !r.ok && r.kind === "unsynced";
    });
    if (unsynced.length) {
      await Promise.all(unsynced.map((id) => account(env, req.accountId).syncPool(id)));
      continue;
    }
    if (replies.some((r) => !r.ok && r.kind === "reroute")) {
      forgetRouting(req.accountId);
      fresh = true;
      continue;
    }
    const limited = replies.map((r, i) => ({ r, id: ids[i]! })).find((x) => !x.r.ok && x.r.kind === "rate_limited");
    if (limited && !limited.r.ok && limited.r.kind === "rate_limited") return rateLimited(limited.id, limited.r.retryAfter);
    const pools = replies.map((r) => (r as Extract<AllocateReply, { ok: true }>).allocation satisfies PoolAllocation);
    return ok({ session: req.session, now: req.now, pools });
  }
  return fail(503, "routing_changed", "The account's pools changed during this request; try again");
}

function rateLimited(poolId: string, retryAfter: number): { ok: false; error: ApiErrorData } {
  return {
    ok: false,
    error: { status: 429, code: "rate_limited", message: `Pool ${poolId} is handing out new numbers faster than its limit; try later`, retryAfter },
  };
}
