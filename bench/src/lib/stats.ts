/** Small statistics helpers: every figure the bench prints is a median or a percentile. */

export function sorted(values: readonly number[]): number[] {
  return [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Percentile with linear interpolation between closest ranks (p in 0..100). NaN when empty. */
export function percentile(values: readonly number[], p: number, alreadySorted = false): number {
  const s = alreadySorted ? (values as number[]) : sorted(values);
  if (s.length === 0) return NaN;
  if (s.length === 1) return s[0];
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v));
  return s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

/** Rounds to `digits` significant digits for display and JSON (keeps small numbers readable). */
export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const p = Math.pow(10, digits - Math.ceil(Math.log10(Math.abs(v))));
  return Math.round(v * p) / p;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of `values` taken at equal steps, per step (0 with fewer than two values). */
export function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = mean(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (values[i] - my);
    den += (i - mx) * (i - mx);
  }
  return num / den;
}
