/**
 * prom-client's default metrics, with the event-loop-delay family and the heap sizes measured
 * more cheaply.
 *
 * prom-client reads `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds` from
 * `perf_hooks.monitorEventLoopDelay`: a timer that wakes the process every `precision` ms (10 by
 * default) to see how late it runs, recorded in an HDR histogram whose `mean` and `stddev` walk
 * ~270 KB on every scrape. Each wake-up of an otherwise idle process costs ~0.1–0.15 ms of CPU on
 * a small VM, so the sampler alone was ~40% of an idle exporter's CPU even at 100 ms
 * (bench/README.md, change 17). Here the same family (same names, types and help) is measured per
 * turn of the event loop instead, with no timer of its own: each turn's delay is the time the loop
 * spent running that turn's work, from the end of the previous turn, less the time it spent
 * waiting for events (libuv's idle-time counter, `performance.nodeTiming.idleTime`, which
 * `eventLoopUtilization()` reads too). That is how long an event that arrived during the turn
 * could wait for the loop: an idle loop reads a fraction of a millisecond (not the sampler's
 * period, as prom-client's does), and a stall reads its own length, every time, however short
 * the stall. min/max/mean/stddev are over every turn since the previous scrape (README "Metrics
 * (Prometheus)"); the percentiles over a uniform sample of them. The heap sizes: see
 * heapSizeAndUsed below. Every other default metric is prom-client's own module, registered as
 * `collectDefaultMetrics` does (prom-client is pinned exactly in exporter/package.json).
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

/** Samples kept for the percentiles; past it, a uniform sample of all of them (reservoir sampling). */
const MAX_SAMPLES = 4096;

type DefaultMetric = (registry: Registry, config: Record<string, unknown>) => void;

/**
 * prom-client's `heapSizeAndUsed` (same names, help and order) from `v8.getHeapStatistics()`,
 * where `process.memoryUsage()` takes these three figures from too: memoryUsage() also reads the
 * RSS from /proc/self/stat on every call, which prom-client's figures here never use (a tenth of
 * a scrape's collect time; bench/README.md change 16).
 */
function heapSizeAndUsed(registry: Registry): void {
  const collect = () => {
    const h = getHeapStatistics();
    total.set(h.total_heap_size);
    used.set(h.used_heap_size);
    external.set(h.external_memory);
  };
  const total = new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', registers: [registry], collect });
  const used = new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.', registers: [registry] });
  const external = new Gauge({ name: 'nodejs_external_memory_bytes', help: 'Node.js external memory size in bytes.', registers: [registry] });
}

// prom-client's other default metrics, before and after eventLoopLag in collectDefaultMetrics'
// order (so the exposition's order is prom-client's). Deep requires: prom-client has no exports
// map, and these are the modules collectDefaultMetrics calls.
/* eslint-disable @typescript-eslint/no-require-imports */
const BEFORE_LAG: DefaultMetric[] = [
  require('prom-client/lib/metrics/processCpuTotal'),
  require('prom-client/lib/metrics/processStartTime'),
  require('prom-client/lib/metrics/osMemoryHeap'),
  require('prom-client/lib/metrics/processOpenFileDescriptors'),
  require('prom-client/lib/metrics/processMaxFileDescriptors'),
];
const AFTER_LAG: DefaultMetric[] = [
  ...(typeof (process as { getActiveResourcesInfo?: unknown }).getActiveResourcesInfo === 'function' ? [require('prom-client/lib/metrics/processResources')] : []),
  require('prom-client/lib/metrics/processHandles'),
  require('prom-client/lib/metrics/processRequests'),
  heapSizeAndUsed,
  require('prom-client/lib/metrics/heapSpacesSizeAndUsed'),
  require('prom-client/lib/metrics/version'),
  require('prom-client/lib/metrics/gc'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

export interface DelaySummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
}

/**
 * Delays (seconds) since the last `take()`: min, max, mean and population standard deviation
 * over all of them (Welford's running form, as stable as the values allow); percentiles over the
 * a uniform sample of at most MAX_SAMPLES of them by nearest rank, as an HDR histogram reports
 * them. Uniform, not the newest: a busy loop turns thousands of times between two scrapes.
 */
export class DelayStats {
  private readonly samples = new Float64Array(MAX_SAMPLES);
  private count = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;

  record(seconds: number): void {
    this.count++;
    if (this.count <= MAX_SAMPLES) this.samples[this.count - 1] = seconds;
    else {
      // Algorithm R: every sample so far stays in the kept set with the same chance.
      const k = Math.floor(Math.random() * this.count);
      if (k < MAX_SAMPLES) this.samples[k] = seconds;
    }
    if (seconds < this.min) this.min = seconds;
    if (seconds > this.max) this.max = seconds;
    const d = seconds - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (seconds - this.mean);
  }

  /** The summary since the previous take, then starts over; undefined when nothing was recorded. */
  take(): DelaySummary | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const kept = this.samples.slice(0, Math.min(n, MAX_SAMPLES)).sort();
    const at = (p: number) => kept[Math.max(0, Math.ceil((p / 100) * kept.length) - 1)];
    const summary = { count: n, min: this.min, max: this.max, mean: this.mean, stddev: Math.sqrt(this.m2 / n), p50: at(50), p90: at(90), p99: at(99) };
    this.count = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.mean = 0;
    this.m2 = 0;
    return summary;
  }
}

/**
 * Registers the default metrics on `registry` and starts measuring the event loop's turns (this
 * never keeps the process alive). Returns what stops the measuring.
 */
export function registerDefaultMetrics(registry: Registry): () => void {
  for (const register of BEFORE_LAG) register(registry, {});

  const stats = new DelayStats();
  let lastEnd = performance.now();
  let lastIdle = performance.nodeTiming.idleTime;
  // Runs in the check phase of every turn the loop makes anyway: an unref'd immediate neither
  // keeps the process alive nor wakes it (the loop still sleeps until its next event), and the
  // one it queues runs in the next turn.
  const endOfTurn = () => {
    const now = performance.now();
    const idle = performance.nodeTiming.idleTime;
    stats.record(Math.max(0, now - lastEnd - (idle - lastIdle)) / 1e3);
    lastEnd = now;
    lastIdle = idle;
    next = setImmediate(endOfTurn).unref();
  };
  let next = setImmediate(endOfTurn).unref();

  const gauge = (name: string, help: string, aggregator: 'average' | 'min' | 'max', collect?: () => void) =>
    new Gauge({ name, help, registers: [registry], aggregator, ...(collect ? { collect } : {}) });
  // As prom-client: this one is the time a setImmediate takes to run, set when it runs (after the
  // scrape that started it); its collect fills the whole family.
  const lag = gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', 'average', () => {
    const start = process.hrtime.bigint();
    setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
    const s = stats.take();
    // No turn ended since the previous scrape: the last figures stay, they are still the
    // newest measurement.
    if (!s) return;
    min.set(s.min);
    max.set(s.max);
    mean.set(s.mean);
    stddev.set(s.stddev);
    p50.set(s.p50);
    p90.set(s.p90);
    p99.set(s.p99);
  });
  const min = gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', 'min');
  const max = gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', 'max');
  const mean = gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', 'average');
  const stddev = gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.', 'average');
  const p50 = gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', 'average');
  const p90 = gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.', 'average');
  const p99 = gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', 'average');
  for (const register of AFTER_LAG) register(registry, {});
  return () => clearImmediate(next);
}
