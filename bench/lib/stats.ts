// Pure helpers for benchmark figures: percentiles, latency summaries, rates,
// ratios and growth exponents. No I/O, no clocks: unit-tested.

/** The p-th percentile (0..100) of `values` by linear interpolation between closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Count, mean, p50, p90, p99 and max of latencies (ms). */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const count = latenciesMs.length;
  if (count === 0)
    return { count, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  let sum = 0;
  let max = -Infinity;
  for (const v of latenciesMs) {
    sum += v;
    if (v > max) max = v;
  }
  return {
    count,
    mean: sum / count,
    p50: percentile(latenciesMs, 50),
    p90: percentile(latenciesMs, 90),
    p99: percentile(latenciesMs, 99),
    max,
  };
}

/** Items per second; NaN when no time elapsed. */
export function ratePerSecond(items: number, ms: number): number {
  return ms > 0 ? (items * 1000) / ms : Number.NaN;
}

/** a / b, or NaN when b is 0 or either is not finite. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/**
 * Growth exponent k of y ~ x^k between consecutive points (log-log slope):
 * k = 1 is linear, k < 1 better than linear. One entry per consecutive pair.
 */
export function growthExponents(points: readonly { x: number; y: number }[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    out.push(
      a.x > 0 && b.x > 0 && a.y > 0 && b.y > 0 && a.x !== b.x
        ? Math.log(b.y / a.y) / Math.log(b.x / a.x)
        : Number.NaN,
    );
  }
  return out;
}
