/**
 * A pool's own sizing answer: from its observed peak concurrency over 7 days (peak + Poisson
 * headroom, lib/sizing.ts sizeFromObserved), beside the formula for a traffic estimate if one is
 * given, and which of the two to buy.
 *
 * Which: the larger. An observed peak is real but only covers the last week, and it cannot show
 * more sessions than the pool had numbers: a pool that was full at its peak ("saturated") turned
 * demand away, so its observed size is a lower bound. An estimate covers peaks the week missed
 * but is a guess. Too small a pool misattributes calls; too large costs a few numbers.
 */
import type { HealthView, PoolSizing, PoolSizingQuery } from "../schemas/health";
import type { Pool } from "../schemas/pool";
import { sizeFromObserved, sizePools } from "./sizing";

export function sizePool(pool: Pool, health: HealthView, q: PoolSizingQuery, byMisattribution: PoolSizing["byMisattribution"] = null): PoolSizing {
  const total = health.numbers.total;
  const peak = health.peak7d;
  const observedSize = sizeFromObserved(peak, q.target);
  const saturated = total > 0 && peak >= total;
  const allocations = health.counters.allocations;
  const observed = {
    peak7d: peak,
    numbersPerPool: observedSize,
    saturated,
    recycledEarlyShare: allocations > 0 ? Math.round((health.counters.recycledEarly / allocations) * 10_000) / 10_000 : 0,
  };
  const estimate =
    q.visitorsPerHour === undefined
      ? null
      : sizePools({ visitorsPerHour: q.visitorsPerHour, minutes: q.minutes ?? pool.leaseSeconds / 60, share: q.share, pools: 1, target: q.target });
  const pct = `${Math.round(q.target * 1000) / 10} %`;
  const useEstimate = estimate !== null && (estimate.target.numbersPerPool > observedSize || peak === 0);
  const buy = useEstimate ? estimate.target.numbersPerPool : observedSize;
  const change =
    buy > total ? `add ${buy - total} to the ${total} it has` : buy < total ? `it has ${total}, ${total - buy} more than needed` : "it has exactly that";
  let recommendation: string;
  if (useEstimate) {
    recommendation =
      `Buy ${buy} numbers for pool ${pool.id} (${change}), from your estimate: at most ${pct} of new sessions then get a number recycled early. ` +
      (peak === 0
        ? "No traffic observed yet to compare with."
        : `The last 7 days peaked at ${peak} concurrent sessions, which would need only ${observedSize}; size for the busier of the two.`);
  } else if (peak === 0) {
    recommendation = `No traffic observed in the last 7 days: keep the ${total} numbers, or give visitorsPerHour for an estimate.`;
  } else {
    recommendation =
      `Buy ${buy} numbers for pool ${pool.id} (${change}): the last 7 days peaked at ${peak} concurrent sessions, and with Poisson headroom at most ${pct} of new sessions then find it full.` +
      (saturated ? ` The pool was full at that peak, so real demand was higher: this is a lower bound — give visitorsPerHour for an estimate.` : "") +
      (estimate ? ` Your estimate needs only ${estimate.target.numbersPerPool}.` : "");
  }
  const m = byMisattribution;
  const asked = m !== null && m.numbersPerPool !== null;
  if (m && asked) {
    const n = m.numbersPerPool!;
    const mPct = `${Math.round(m.maxMisattributed * 10_000) / 100} %`;
    const mChange =
      n > total ? `add ${n - total} to the ${total} it has` : n < total ? `it has ${total}, ${total - n} more than needed` : "it has exactly that";
    recommendation =
      `Buy ${n} numbers for pool ${pool.id} (${mChange}): replaying its ${m.calls} calls of the last 7 days, at most ${mPct} then go to the wrong visit ` +
      `(${Math.round(m.misattributedShare * 10_000) / 100} % replayed). By sessions recycled early it would need ${buy}.`;
  } else if (m) {
    recommendation +=
      m.calls === 0
        ? " No calls recorded in the last 7 days to size by misattributed calls."
        : ` Not even 20000 numbers keep misattributed calls within ${Math.round(m.maxMisattributed * 10_000) / 100} %.`;
  }
  return {
    pool: pool.id,
    numbers: total,
    leaseSeconds: pool.leaseSeconds,
    observed,
    estimate,
    byMisattribution,
    buy: asked ? m!.numbersPerPool! : buy,
    basis: asked ? "misattribution" : useEstimate ? "estimate" : "observed",
    recommendation,
  };
}
