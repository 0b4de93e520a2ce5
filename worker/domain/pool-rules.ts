/** Validation of a pool's content beyond its JSON shape: numbers, overflow, duplicates. */
import { normalizePhone } from "../../shared/phone";
import { fail, ok, type Result } from "../platform/result";
import { MAX_TRACKING_NUMBERS, type Pool } from "../schemas/pool";
import { normalizeOriginPattern } from "./origins";
import { DEFAULT_ALERT_THRESHOLD } from "./pool-figures";
import { normalizeRoute, routeNumbers } from "./route";
import { earlierAfterChange, earlierOf, RESHARD_MARGIN_MS, type Sharded } from "./shards";

/** Normalise a list of written numbers to E.164; every bad or repeated one is reported by index. */
export function normalizeList(list: readonly string[], country: string | undefined, field: string): Result<string[]> {
  const out: string[] = [];
  const problems: { path: string; value: string; reason: string }[] = [];
  const seen = new Map<string, number>();
  list.forEach((value, i) => {
    const r = normalizePhone(value, country);
    if (!r.ok) problems.push({ path: `${field}[${i}]`, value, reason: r.reason });
    else if (seen.has(r.e164)) problems.push({ path: `${field}[${i}]`, value, reason: `same number as ${field}[${seen.get(r.e164)}]` });
    else {
      seen.set(r.e164, i);
      out.push(r.e164);
    }
  });
  return problems.length ? fail(400, "invalid_number", "Some phone numbers are invalid", { problems }) : ok(out);
}

type PoolFields = Omit<
  Pool,
  | "version"
  | "createdAt"
  | "updatedAt"
  | "isDefault"
  | "country"
  | "overflowNumber"
  | "callerId"
  | "whisper"
  | "replaceAll"
  | "provider"
  | "numberProviders"
  | "maxNewLeasesPerMinute"
  | "alertThreshold"
  | "shards"
  | "previousShards"
  | "reshardedAt"
  | "earlierShards"
  | "route"
> & {
  route?: Pool["route"] | undefined;
  origins?: string[] | null | undefined;
  shards?: number | undefined;
  maxNewLeasesPerMinute?: number | null | undefined;
  alertThreshold?: number | undefined;
  country?: string | null | undefined;
  overflowNumber?: string | null | undefined;
  callerId?: string | null | undefined;
  whisper?: boolean | undefined;
  replaceAll?: boolean | undefined;
  provider?: Pool["provider"] | undefined;
  numberProviders?: Pool["numberProviders"] | undefined;
};

/** A complete, normalised pool from create input or a merged patch. */
export function buildPool(input: PoolFields, previous: Pool | null, now: number): Result<Pool> {
  const country = input.country ?? undefined;
  const tracking = normalizeList(input.trackingNumbers, country, "trackingNumbers");
  if (!tracking.ok) return tracking;
  // The schema bounds each list sent; numbers added to a pool's own (POST …/numbers, an order) are counted here.
  if (tracking.value.length > MAX_TRACKING_NUMBERS)
    return fail(400, "too_many_numbers", `A pool holds at most ${MAX_TRACKING_NUMBERS} tracking numbers; this would make ${tracking.value.length}`);
  const inPool = new Set(tracking.value);
  const destinations = normalizeList(input.destinations, country, "destinations");
  if (!destinations.ok) return destinations;
  const clash = destinations.value.filter((d) => inPool.has(d));
  if (clash.length) return fail(400, "invalid_number", "A number cannot be both a tracking number and a destination", { numbers: clash });
  let overflowNumber: string | null = null;
  if (input.exhaustionPolicy === "overflow") {
    if (input.overflowNumber) {
      const r = normalizePhone(input.overflowNumber, country);
      if (!r.ok) return fail(400, "invalid_number", `overflowNumber ${r.reason}`);
      if (!inPool.has(r.e164)) return fail(400, "invalid_overflow_number", "overflowNumber must be one of the pool's tracking numbers");
      overflowNumber = r.e164;
      // A pool emptied (or waiting for an order's numbers) has none until one comes.
    } else overflowNumber = tracking.value[0] ?? null;
  }
  let callerId: string | null = null;
  if (input.callerId) {
    const r = normalizePhone(input.callerId, country);
    if (!r.ok) return fail(400, "invalid_number", `callerId ${r.reason}`);
    callerId = r.e164;
  }
  const whisper = input.whisper ?? false;
  if (whisper && !callerId) return fail(400, "whisper_needs_caller_id", "whisper needs callerId: the number whose call flow callback is the agent URL");
  if (whisper && inPool.has(callerId!)) return fail(400, "invalid_number", "With whisper, callerId cannot be one of the pool's tracking numbers");
  const replaceAll = input.replaceAll ?? false;
  if (replaceAll && destinations.value.length > 1)
    return fail(400, "replace_all_with_whitelist", "replaceAll swaps every number on the page: give one destination (where calls go), not a whitelist", [
      { path: "destinations", value: String(destinations.value.length), reason: "with replaceAll, exactly one destination" },
    ]);
  let route: Pool["route"] = null;
  if (input.route) {
    // A route that changes the stored one is held to every rule; the stored one as it is (re-checked
    // by an edit of another field, or sent back unchanged by a client that PATCHes the whole pool it
    // read) is not held to a rule added since (a step list no rule runs), so that pool stays editable.
    let r = normalizeRoute(input.route, country, false);
    if (!r.ok) return r;
    if (!previous?.route || JSON.stringify(r.value) !== JSON.stringify(previous.route)) r = normalizeRoute(input.route, country, true);
    if (!r.ok) return r;
    route = r.value;
    const clash = routeNumbers(route).filter((n) => inPool.has(n));
    if (clash.length) return fail(400, "invalid_number", "The route cannot ring or show one of the pool's tracking numbers", { numbers: clash });
  }
  let origins: string[] | null = null;
  if (input.origins) {
    const r = normalizeOrigins(input.origins, "origins");
    if (!r.ok) return r;
    origins = r.value;
  }
  const numberProviders: Pool["numberProviders"] = {};
  for (const [written, provider] of Object.entries(input.numberProviders ?? {})) {
    const r = normalizePhone(written, country);
    if (!r.ok) return fail(400, "invalid_number", `numberProviders: ${written} ${r.reason}`);
    if (!inPool.has(r.e164)) return fail(400, "invalid_number", `numberProviders: ${r.e164} is not a tracking number of this pool`);
    numberProviders[r.e164] = provider;
  }
  return ok({
    id: input.id,
    name: input.name,
    country: country ?? null,
    trackingNumbers: tracking.value,
    destinations: destinations.value,
    replaceAll,
    leaseSeconds: input.leaseSeconds,
    graceSeconds: input.graceSeconds,
    exhaustionPolicy: input.exhaustionPolicy,
    overflowNumber,
    status: input.status,
    isDefault: false,
    callerId,
    whisper,
    provider: input.provider ?? null,
    numberProviders,
    alertThreshold: input.alertThreshold ?? DEFAULT_ALERT_THRESHOLD,
    maxNewLeasesPerMinute: input.maxNewLeasesPerMinute ?? null,
    ...sharding(input.shards ?? 1, previous, now),
    route,
    origins,
    version: previous?.version ?? 0,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  });
}

export function normalizeOrigins(list: readonly string[], field = "allowedOrigins"): Result<string[]> {
  const out = new Set<string>();
  const problems: { path: string; value: string; reason: string }[] = [];
  list.forEach((value, i) => {
    const r = normalizeOriginPattern(value);
    if (r.ok) out.add(r.origin);
    else problems.push({ path: `${field}[${i}]`, value, reason: r.reason });
  });
  return problems.length ? fail(400, "invalid_origin", "Some allowed origins are invalid", { problems }) : ok([...out]);
}

/**
 * Shard count, and when it changes the count it had, the time, and every earlier count still
 * answering for its leases (moved numbers and sessions' old shards go by these).
 */
function sharding(shards: number, previous: Sharded | null, now: number): Pick<Pool, "shards" | "previousShards" | "reshardedAt" | "earlierShards"> {
  const before = previous?.shards ?? 1;
  if (previous && before !== shards) return { shards, previousShards: before, reshardedAt: now, earlierShards: earlierAfterChange(previous, shards, now) };
  const kept = previous ? earlierOf(previous) : [];
  return {
    shards,
    previousShards: previous?.previousShards ?? null,
    reshardedAt: previous?.reshardedAt ?? null,
    ...(kept.length ? { earlierShards: kept } : {}),
  };
}

/**
 * A pool created under the id of a deleted one (its tombstone: leases it gave may still run, in the
 * same objects): the shard history goes on from the deleted pool's, as if it had been changed to
 * this shard count when it was deleted (`deletedAt`: no lease began after). A number leased in a
 * shard of the old count is held in its new shard until no such lease can be live, and a call on it
 * is looked for there; pushes reach every object the old pool had. Once no lease of the deleted pool
 * can be live, nothing of its history is taken (it would only add hops).
 */
export function afterDeleted(pool: Pool, deleted: Sharded, deletedAt: number, now: number): Pool {
  const history = sharding(pool.shards, deleted, deletedAt);
  // A count whose window is over adds nothing but hops: only the live ones are kept.
  const earlierShards = (history.earlierShards ?? []).filter((e) => e.until > now);
  return earlierShards.length ? { ...pool, ...history, earlierShards } : pool;
}

/**
 * Earlier shard counts held at least as long as leases given under a longer lease length a change
 * shortened may run (`longUntil`, PoolRegistry.longLeasesUntil) + grace: a shard count changed after
 * the lease length was shortened had its `until` worked out from the short length, and moved
 * numbers were freed in their new shard while old leases on them ran on.
 */
export function withLongLeases(pool: Pool, longUntil: number, graceSeconds: number, now: number): Pool {
  if (longUntil <= now || !pool.earlierShards?.length) return pool;
  const until = longUntil + graceSeconds * 1000 + RESHARD_MARGIN_MS;
  // Only counts still live: one whose window ended before the lease was shortened holds no lease of it.
  return { ...pool, earlierShards: pool.earlierShards.map((e) => (e.until > now ? { ...e, until: Math.max(e.until, until) } : e)) };
}
