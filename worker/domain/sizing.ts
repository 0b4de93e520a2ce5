/**
 * Pool sizing. Sessions wanting a number at once, with random (Poisson) arrivals and a fixed
 * hold, are Poisson distributed with mean m = visitors per minute × minutes held × share shown
 * (an M/G/∞ queue). The usual formula buys m numbers, so about half of new sessions arrive to a
 * full pool and recycle someone's number early. The target size is the smallest c with
 * P(N ≥ c) ≤ target (a new session finds every number busy), computed exactly from the Poisson
 * tail; ≈ m + 2.33·√m for 1 %.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(N ≥ c) for N ~ Poisson(mean). */
export function poissonTail(mean: number, c: number): number {
  if (c <= 0) return 1;
  if (mean <= 0) return 0;
  let term = Math.exp(-mean + c * Math.log(mean) - lnGamma(c + 1));
  let sum = 0;
  for (let k = c; k < c + 50 + 40 * Math.sqrt(mean); k++) {
    sum += term;
    term *= mean / (k + 1);
    if (term < sum * 1e-16 && k > mean) break;
  }
  return Math.min(1, sum);
}

/**
 * Smallest pool size whose chance of a new session finding it full is at most `target`. The tail
 * falls as the size grows: a bound found by doubling steps, then a binary search (a step of one
 * from the mean took minutes of CPU for the largest inputs the API takes: a mean of 2.4e8 is some
 * 36,000 steps of a tail sum each).
 */
export function sizeForTarget(mean: number, target: number): number {
  if (mean <= 0) return 1;
  let lo = Math.max(1, Math.floor(mean));
  if (poissonTail(mean, lo) <= target) return lo;
  // poissonTail(mean, lo) > target throughout; find hi with poissonTail(mean, hi) <= target.
  let step = Math.max(1, Math.ceil(Math.sqrt(mean)));
  let hi = lo + step;
  while (poissonTail(mean, hi) > target) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (poissonTail(mean, mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

interface SizingInput {
  visitorsPerHour: number;
  minutes: number;
  /** Share of visitors who see a number: 1 when shown to all, lower with click-to-reveal. */
  share: number;
  pools: number;
  /** Accepted share of new sessions that get a number recycled early (default 0.01). */
  target: number;
}

interface SizingAnswer {
  meanConcurrent: number;
  formula: { numbersPerPool: number; totalNumbers: number; earlyRecycleShare: number };
  target: { maxEarlyRecycleShare: number; numbersPerPool: number; totalNumbers: number; earlyRecycleShare: number; approximation: number };
}

export function sizePools(input: SizingInput): SizingAnswer {
  const mean = (input.visitorsPerHour / 60) * input.minutes * input.share;
  const formulaSize = Math.max(1, Math.ceil(mean));
  const targetSize = sizeForTarget(mean, input.target);
  const z = normalQuantile(1 - input.target);
  return {
    meanConcurrent: round(mean, 3),
    formula: { numbersPerPool: formulaSize, totalNumbers: formulaSize * input.pools, earlyRecycleShare: round(poissonTail(mean, formulaSize), 4) },
    target: {
      maxEarlyRecycleShare: input.target,
      numbersPerPool: targetSize,
      totalNumbers: targetSize * input.pools,
      earlyRecycleShare: round(poissonTail(mean, targetSize), 4),
      approximation: Math.ceil(mean + z * Math.sqrt(mean)),
    },
  };
}

/** Size from a pool's observed peak concurrency: the peak plus the same Poisson headroom. */
export function sizeFromObserved(peakConcurrent: number, target: number): number {
  return sizeForTarget(Math.max(peakConcurrent, 0), target);
}

/** Inverse standard normal CDF (Acklam), for the √m approximation shown beside the exact size. */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
