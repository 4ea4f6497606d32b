/**
 * Rolling statistics over a time window (default 60 s) in constant memory and O(1) per record:
 * the window is cut into a fixed number of time buckets, each with a count, a failure count, a
 * sum and a log-scale histogram (4 buckets per doubling, ±9% on quantiles). Old buckets are
 * reused as time moves on, so a burst of a million records costs no more memory than one.
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
  amounts: number[];
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

/** Upper edge of histogram bucket i. */
function bucketUpper(i: number): number {
  return HIST_MIN * Math.exp(i * LOG_STEP);
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
    this.slices = Array.from({ length: SLICES }, () => ({ start: -1, count: 0, failures: 0, sum: 0, amounts: new Float64Array(amountCount), hist: null }));
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
      slice.amounts.fill(0);
      if (slice.hist) slice.hist.fill(0);
    }
    slice.count++;
    if (failed) slice.failures++;
    if (amounts) for (let i = 0; i < this.amountCount; i++) slice.amounts[i] += amounts[i] ?? 0;
    if (!Number.isNaN(value)) {
      slice.sum += value;
      (slice.hist ??= new Uint32Array(HIST_BUCKETS))[histogramIndex(value)]++;
    }
  }

  snapshot(now: number): RollingSnapshot {
    const spanSeconds = Math.max(Math.min(this.windowMs, now - this.since), this.sliceMs) / 1000;
    // The slices a snapshot sums are those starting in [lo, hi] slice widths (see the loop
    // below): with no observation since and the same bounds, the sums are the same. Most keys
    // are quiet most ticks, and every tick snapshots every key.
    const lo = Math.floor((now - this.windowMs) / this.sliceMs);
    const hi = Math.floor(now / this.sliceMs);
    const c = this.cached;
    if (c && c.version === this.version && c.lo === lo && c.hi === hi) return { ...c.snap, amounts: c.snap.amounts.slice(), spanSeconds };
    const snap = this.compute(now, spanSeconds);
    this.cached = { version: this.version, lo, hi, snap };
    return { ...snap, amounts: snap.amounts.slice() };
  }

  private compute(now: number, spanSeconds: number): RollingSnapshot {
    const oldest = now - this.windowMs;
    let count = 0;
    let failures = 0;
    let sum = 0;
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
      p95: valued > 0 ? quantile(merged, valued, 0.95) : NaN,
      amounts,
      spanSeconds,
    };
  }
}

/** Quantile from a log histogram, interpolating inside the bucket that holds it. */
function quantile(hist: Float64Array, total: number, q: number): number {
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i];
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lower = i === 0 ? 0 : bucketUpper(i - 1);
      const upper = bucketUpper(i);
      return lower + ((rank - seen) / c) * (upper - lower);
    }
    seen += c;
  }
  return bucketUpper(hist.length - 1);
}
