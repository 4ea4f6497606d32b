/**
 * Rolling statistics over a time window (default 60 s) in constant memory and O(1) per record:
 * the window is cut into a fixed number of time buckets, each with a count, a failure count, a
 * sum, the smallest and largest value and a log-scale histogram (4 buckets per doubling). Old
 * buckets are reused as time moves on, so a burst of a million records costs no more memory than
 * one.
 *
 * The p95 is the geometric middle of the histogram bucket that holds the exact p95 (nearest
 * rank), kept inside the window's smallest and largest value. A bucket spans a factor 2^(1/4), so
 * the estimate is within a factor 2^(1/8) of the exact value: at most 9.05 % above or 8.3 % below
 * (README "Live series"; tests/exporter/rolling-p95.test.ts measures it). Interpolating inside
 * the bucket instead can land anywhere in it, up to 19 % off.
 */

const SLICES = 12;
const HIST_MIN = 1e-4; // 100 µs
const PER_DOUBLING = 4;
const HIST_BUCKETS = 32 * PER_DOUBLING; // 100 µs … ~4.3e5 s
const LOG_STEP = Math.log(2) / PER_DOUBLING;

interface Slice {
  /** Start of the slice in ms (aligned to the slice width); -1 = unused. */
  start: number;
  count: number;
  failures: number;
  sum: number;
  /** Smallest and largest value observed (Infinity / -Infinity without one). */
  min: number;
  max: number;
  /** Extra amounts per record (tokens, cost); summed, not histogrammed. */
  amounts: Float64Array;
  hist: Uint32Array | null;
}

export interface RollingSnapshot {
  count: number;
  failures: number;
  /** Mean of observed values, or NaN without observations. */
  mean: number;
  p95: number;
  /** Sums of each amount passed to observe(). */
  amounts: readonly number[];
  /** Seconds the snapshot covers (shorter than the window right after start). */
  spanSeconds: number;
}

/**
 * The merged histogram of a snapshot, reused: snapshot() runs for every window on every tick and
 * only reads it before returning, so one buffer serves them all instead of 1 KB of garbage each.
 */
const scratch = new Float64Array(HIST_BUCKETS);

export function histogramIndex(v: number): number {
  if (!(v > HIST_MIN)) return 0;
  return Math.min(HIST_BUCKETS - 1, 1 + Math.floor(Math.log(v / HIST_MIN) / LOG_STEP));
}

/** The geometric middle of histogram bucket i (bucket 0 holds everything up to HIST_MIN). */
function bucketMiddle(i: number): number {
  return i === 0 ? HIST_MIN / 2 : HIST_MIN * Math.exp((i - 0.5) * LOG_STEP);
}

export class RollingWindow {
  private readonly slices: Slice[];
  private readonly sliceMs: number;
  /** When observations could first have arrived (exporter start): rates divide by the time since. */
  private since: number;
  /** Bumped by every observe(): a snapshot is reused while neither it nor the window's slices change. */
  private version = 0;
  private cached: { version: number; lo: number; hi: number; snap: RollingSnapshot } | undefined;

  constructor(
    readonly windowMs: number,
    since = Date.now(),
    private readonly amountCount = 0,
  ) {
    this.sliceMs = Math.max(1, Math.ceil(windowMs / SLICES));
    this.slices = Array.from({ length: SLICES }, () => ({
      start: -1,
      count: 0,
      failures: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      amounts: new Float64Array(amountCount),
      hist: null,
    }));
    this.since = since;
  }

  /** Record one observation. `value` NaN = counted without a duration. */
  observe(t: number, value: number, failed = false, amounts?: readonly number[]): void {
    this.version++;
    if (t < this.since) this.since = t;
    const start = t - (t % this.sliceMs);
    const slice = this.slices[Math.floor(start / this.sliceMs) % SLICES];
    if (slice.start !== start) {
      if (slice.start > start) return; // older than the window: already aged out
      slice.start = start;
      slice.count = 0;
      slice.failures = 0;
      slice.sum = 0;
      slice.min = Infinity;
      slice.max = -Infinity;
      slice.amounts.fill(0);
      if (slice.hist) slice.hist.fill(0);
    }
    slice.count++;
    if (failed) slice.failures++;
    if (amounts) for (let i = 0; i < this.amountCount; i++) slice.amounts[i] += amounts[i] ?? 0;
    if (!Number.isNaN(value)) {
      slice.sum += value;
      if (value < slice.min) slice.min = value;
      if (value > slice.max) slice.max = value;
      (slice.hist ??= new Uint32Array(HIST_BUCKETS))[histogramIndex(value)]++;
    }
  }

  /**
   * The window's figures at `now`. The object is the window's own and is overwritten by its next
   * snapshot: callers read it at once (every tick snapshots every window; copies were most of a
   * tick's garbage).
   */
  snapshot(now: number): Readonly<RollingSnapshot> {
    const spanSeconds = Math.max(Math.min(this.windowMs, now - this.since), this.sliceMs) / 1000;
    // The slices a snapshot sums are those starting in [lo, hi] slice widths (see the loop
    // below): with no observation since and the same bounds, the sums are the same. Most keys
    // are quiet most ticks, and every tick snapshots every key.
    const lo = Math.floor((now - this.windowMs) / this.sliceMs);
    const hi = Math.floor(now / this.sliceMs);
    const c = this.cached;
    if (c && c.version === this.version && c.lo === lo && c.hi === hi) {
      c.snap.spanSeconds = spanSeconds;
      return c.snap;
    }
    const snap = this.compute(now, spanSeconds);
    this.cached = { version: this.version, lo, hi, snap };
    return snap;
  }

  private compute(now: number, spanSeconds: number): RollingSnapshot {
    const oldest = now - this.windowMs;
    let count = 0;
    let failures = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    const amounts = new Array<number>(this.amountCount).fill(0);
    let valued = 0;
    const merged = scratch.fill(0);
    for (const s of this.slices) {
      // A slice counts when it overlaps the window; slices are small (window/12) so the edge
      // error is at most one slice.
      if (s.start < 0 || s.start + this.sliceMs <= oldest || s.start > now) continue;
      count += s.count;
      failures += s.failures;
      sum += s.sum;
      if (s.min < min) min = s.min;
      if (s.max > max) max = s.max;
      for (let i = 0; i < this.amountCount; i++) amounts[i] += s.amounts[i];
      if (s.hist) {
        for (let i = 0; i < HIST_BUCKETS; i++) {
          merged[i] += s.hist[i];
          valued += s.hist[i];
        }
      }
    }
    return {
      count,
      failures,
      mean: valued > 0 ? sum / valued : NaN,
      // The exact p95 lies within [min, max]: clamping only moves the estimate towards it.
      p95: valued > 0 ? Math.min(max, Math.max(min, quantile(merged, valued, 0.95))) : NaN,
      amounts,
      spanSeconds,
    };
  }
}

/** Quantile from a log histogram: the middle of the bucket holding the nearest-rank value. */
function quantile(hist: Float64Array, total: number, q: number): number {
  // ceil(q·n), with a margin for q·n computed a hair above a whole number (0.95 · 100).
  const rank = Math.max(1, Math.ceil(q * total - 1e-9));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= rank) return bucketMiddle(i);
  }
  return bucketMiddle(hist.length - 1);
}
