// Summary statistics of samples: percentiles (linear interpolation), mean, min, max.

/** A summary of a sample set; all values in the samples' unit. */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The `p`th percentile (0..100) of `values` with linear interpolation between ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] ?? Number.NaN;
  const b = sorted[high] ?? Number.NaN;
  return a + (b - a) * (rank - low);
}

/** Summarises samples (NaN fields when empty); values rounded to 0.1. */
export function summarize(values: readonly number[]): Summary {
  const round = (v: number) => Math.round(v * 10) / 10;
  const sum = values.reduce((s, v) => s + v, 0);
  return {
    n: values.length,
    min: round(values.length ? Math.min(...values) : Number.NaN),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : Number.NaN),
    mean: round(values.length ? sum / values.length : Number.NaN),
  };
}

/** Least-squares slope of `y` over `x`. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return Number.NaN;
  const mx = x.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const my = y.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((x[i] ?? 0) - mx) * ((y[i] ?? 0) - my);
    den += ((x[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
