/**
 * The autoscaler's decision, from what a pool's objects observed (pure; account/autoscale.ts acts
 * on it). The size wanted is the Poisson tail's answer for the target (sizing.ts) at the observed
 * peak concurrency, within [min, max]:
 *   - first fill: a pool that never scaled and has fewer numbers than 10 % of max (at least min)
 *     is filled to that at once;
 *   - grow: the recent peak wants more numbers than the pool has (with those on order), or the pool
 *     was full at its peak (every number but a shared overflow number leased) (then demand was higher than it could show: grow by a quarter). Steps
 *     are at most half the pool (at least 5 numbers), never past max;
 *   - shrink: the peak over the whole cooldown wants fewer numbers (by a tenth of the pool at
 *     least), and the last step and the pool's creation are at least a cooldown ago; never below min.
 * Nothing is decided while an order is still buying.
 */
import { sizeFromObserved } from "./sizing";

export interface ScaleSettings {
  min: number;
  max: number;
  target: number;
  cooldownMinutes: number;
}

export interface Observed {
  size: number;
  /** Numbers in `size` that are never leased (a pool's shared overflow number): the peak is met by the others. */
  shared: number;
  onOrder: number;
  /** Peak concurrency of the last few minutes. */
  recentPeak: number;
  /** Peak concurrency over the cooldown. */
  windowPeak: number;
  /** Since when the window is trustworthy: the later of the pool's creation and its last step. */
  since: number;
  scaledBefore: boolean;
  now: number;
}

export type Decision = { action: "first_fill" | "grow" | "shrink"; to: number; peak: number; reason: string } | null;

const clamp = (n: number, s: ScaleSettings) => Math.min(s.max, Math.max(s.min, n));

export function decideScale(s: ScaleSettings, o: Observed): Decision {
  if (o.onOrder > 0) return null;
  const have = o.size;
  const firstFill = Math.min(s.max, Math.max(s.min, Math.ceil(0.1 * s.max)));
  if (!o.scaledBefore && have < firstFill) {
    return { action: "first_fill", to: firstFill, peak: o.recentPeak, reason: `first fill: 10 % of max ${s.max} (at least min ${s.min})` };
  }
  const leasable = have - o.shared;
  let want = clamp(sizeFromObserved(o.recentPeak, s.target) + o.shared, s);
  const saturated = leasable > 0 && o.recentPeak >= leasable;
  if (saturated) want = Math.max(want, Math.min(s.max, have + Math.max(1, Math.ceil(leasable / 4))));
  if (want > have) {
    const to = Math.min(want, have + Math.max(5, Math.ceil(have / 2)));
    const why = saturated
      ? `the pool was full at its peak of ${o.recentPeak}`
      : `a peak of ${o.recentPeak} concurrent sessions needs ${want} numbers for ${s.target}`;
    return { action: "grow", to, peak: o.recentPeak, reason: `${why}${want === s.max ? ` (max ${s.max})` : ""}` };
  }
  if (have < s.min) return { action: "grow", to: s.min, peak: o.recentPeak, reason: `under min ${s.min}` };
  const cooled = o.now - o.since >= s.cooldownMinutes * 60_000;
  const low = clamp(sizeFromObserved(o.windowPeak, s.target) + o.shared, s);
  // A margin of a tenth (at least one number) so that noise in the peak does not churn numbers.
  if (cooled && low <= have - Math.max(1, Math.ceil(have / 10))) {
    return {
      action: "shrink",
      to: low,
      peak: o.windowPeak,
      reason: `the peak stayed at or under ${o.windowPeak} for ${s.cooldownMinutes} min: ${low} numbers meet ${s.target}`,
    };
  }
  if (have > s.max) return { action: "shrink", to: s.max, peak: o.windowPeak, reason: `over max ${s.max}` };
  return null;
}
