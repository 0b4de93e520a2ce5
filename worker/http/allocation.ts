/**
 * An allocation, from the worker: each named pool (or the account's default) is asked at the one
 * shard object the session belongs to, which admits the request itself (pool/gate.ts) and leases
 * (pool/leases.ts). The routing comes from the isolate's cache; a pool object that finds it stale
 * sends the worker back to the account object once.
 *
 * Right after a pool's shard count changed (until its old leases can have ended), a session may
 * still hold its lease in the shard it hashed to before: those shards are asked first, only to
 * find it (renewOnly), and the session's current shard only when none has it — two hops, and only
 * for a session without a lease during that window.
 *
 * Across several pools an allocation is all or nothing: when one pool refuses (its rate limit: 429;
 * its origins or key: 403/401), or the routing keeps changing (503), the new leases the others just
 * made are undone.
 */
import type { AllocateResponse, PoolAllocation } from "../../shared/protocol";
import type { Routing } from "../account/registry";
import { shardOf } from "../domain/shards";
import { type ApiErrorData, fail, ok, type Result } from "../platform/result";
import { account, poolShard } from "../platform/stubs";
import type { AllocateArgs, AllocateReply, ClientKey } from "../pool/protocol";
import { forgetRouting, routingOf } from "./routing-cache";

interface AllocationRequest {
  accountId: string;
  siteKey: string;
  origin: string | null;
  /** Pools the visitor's source rule selects; none: the account's default pool. */
  pools: string[] | undefined;
  session: string;
  /** The session was begun for this request (domain/session.ts made its id): it holds no lease yet. */
  fresh: boolean;
  source: string | null;
  now: number;
  /** From CF-Connecting-IP (never the body); null when absent. */
  client: ClientKey | null;
}

/** Routing attempts: the cached one, then a fresh one from the account object. */
const ATTEMPTS = 3;

type Reply = { reply: AllocateReply; shard: number };

/**
 * A pool's shard count in the routing, by its own key only: the routing is a plain object, and a
 * pool id the page names may be one of Object.prototype's (constructor, toString, valueOf …).
 */
const shardsOf = (routing: Routing, id: string): number | undefined => (Object.hasOwn(routing.pools, id) ? routing.pools[id] : undefined);
/** The pool's earlier shard counts still live, by its own key only (as shardsOf). */
const earlierOf = (routing: Routing, id: string): number[] => (routing.earlier && Object.hasOwn(routing.earlier, id) ? routing.earlier[id]! : []);

export async function allocateFromPools(env: Env, req: AllocationRequest): Promise<Result<Pick<AllocateResponse, "session" | "now" | "pools">>> {
  const check = { siteKey: req.siteKey, origin: req.origin };
  const asDefault = !req.pools?.length;
  let fresh = false;
  let asked = false;
  /** The last round's pools and replies: what to undo when the rounds run out. */
  let lastIds: readonly string[] = [];
  let last: readonly Reply[] = [];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const routed = await routingOf(env, req.accountId, check, fresh);
    if (!routed.ok) {
      // A later round refused (the key rotated, a pool gone): what an earlier round began goes.
      await undoNew(env, req, lastIds, last);
      return { ok: false, error: routed.error };
    }
    const { routing } = routed;
    const ids = asDefault ? (routing.defaultPool ? [routing.defaultPool] : []) : [...new Set(req.pools)];
    const unknown = ids.find((id) => shardsOf(routing, id) === undefined);
    if (!ids.length || unknown !== undefined) {
      // Maybe a pool made since the routing was cached: ask the account before saying no.
      if (!fresh) {
        fresh = true;
        continue;
      }
      await undoNew(env, req, lastIds, last);
      return ids.length
        ? fail(404, "pool_not_found", `No pool ${unknown} for this site key`)
        : fail(404, "no_default_pool", "No pool named and the account has no default pool");
    }
    // The session holds no lease until a pool was asked: a later round may follow a pool that leased.
    const replies = await Promise.all(ids.map((id) => allocateIn(env, req, id, routing, asDefault, req.fresh && !asked)));
    asked = true;
    lastIds = ids;
    last = replies;
    const refused = replies.find((r) => !r.reply.ok && r.reply.kind === "refused")?.reply;
    if (refused && !refused.ok && refused.kind === "refused") {
      // Refused by one pool (its origins, its key check): the leases the others just began go too,
      // or every view of such a page (no token comes back) would lease again, draining them.
      await undoNew(env, req, ids, replies);
      return { ok: false, error: refused.error };
    }
    const unsynced = ids.filter((_, i) => {
      const r = replies[i]!.reply;
      return !r.ok && r.kind === "unsynced";
    });
    if (unsynced.length) {
      await Promise.all(unsynced.map((id) => account(env, req.accountId).syncPool(id)));
      continue;
    }
    if (replies.some((r) => !r.reply.ok && r.reply.kind === "reroute")) {
      forgetRouting(req.accountId);
      fresh = true;
      continue;
    }
    const limited = replies.findIndex((r) => !r.reply.ok && r.reply.kind === "rate_limited");
    if (limited >= 0) {
      const r = replies[limited]!.reply;
      await undoNew(env, req, ids, replies);
      return rateLimited(ids[limited]!, !r.ok && r.kind === "rate_limited" ? r.retryAfter : 60);
    }
    const pools = replies.map((r) => (r.reply as Extract<AllocateReply, { ok: true }>).allocation satisfies PoolAllocation);
    return ok({ session: req.session, now: req.now, pools });
  }
  // No answer: what the last round began goes (the page asks again, as a new session if it had none).
  await undoNew(env, req, lastIds, last);
  return fail(503, "routing_changed", "The account's pools changed during this request; try again");
}

/** One pool: the session's lease in a shard of an earlier count if it still has one there, else its current shard. */
async function allocateIn(env: Env, req: AllocationRequest, id: string, routing: Routing, asDefault: boolean, fresh: boolean): Promise<Reply> {
  const shards = shardsOf(routing, id)!;
  const current = shardOf(req.session, shards);
  const args: AllocateArgs = {
    siteKey: req.siteKey,
    origin: req.origin,
    session: req.session,
    source: req.source,
    now: req.now,
    asDefault,
    client: req.client,
    shards,
    fresh,
  };
  // A fresh session has no lease in a shard of an earlier count either.
  const older = fresh ? [] : [...new Set(earlierOf(routing, id).map((count) => shardOf(req.session, count)))].filter((s) => s !== current);
  if (older.length) {
    const found = await Promise.all(older.map((shard) => poolShard(env, req.accountId, id, shard).allocate({ ...args, renewOnly: true })));
    // A shard never configured holds no lease: the same as none.
    const answer = found.findIndex((r) => r.ok || (r.kind !== "none" && r.kind !== "unsynced"));
    if (answer >= 0) return { reply: found[answer]!, shard: older[answer]! };
  }
  return { reply: await poolShard(env, req.accountId, id, current).allocate(args), shard: current };
}

/** Undo the leases this request just began (never a renewal: a lease begun at this request's time). */
async function undoNew(env: Env, req: AllocationRequest, ids: readonly string[], replies: readonly Reply[]): Promise<void> {
  await Promise.all(
    replies.map(async (r, i) => {
      if (!r.reply.ok || !r.reply.allocation.number || r.reply.allocation.overflow) return;
      await poolShard(env, req.accountId, ids[i]!, r.shard).cancelLease(req.session, req.now);
    }),
  );
}

function rateLimited(poolId: string, retryAfter: number): { ok: false; error: ApiErrorData } {
  return {
    ok: false,
    error: { status: 429, code: "rate_limited", message: `Pool ${poolId} is handing out new numbers faster than its limit; try later`, retryAfter },
  };
}
