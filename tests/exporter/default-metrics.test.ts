/**
 * The exporter's default metrics (exporter/src/metrics/default-metrics.ts): prom-client's families,
 * with the event-loop delay measured per turn of the loop (no timer of its own) and summarised
 * from its samples. The families must be prom-client's (names, types, help, order), and the
 * figures must be what the turns say: a stall shows in the max at its length, an idle loop reads
 * short turns (not a sampling period), and the summary starts over per scrape.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { DelayStats } from '../../exporter/src/metrics/default-metrics';
import { createMetrics } from '../../exporter/src/metrics/registry';

const headers = (text: string) => text.split('\n').filter((l) => l.startsWith('# '));
const valueOf = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('DelayStats', () => {
  it('summarises exactly what was recorded: min, max, mean, population stddev, nearest-rank percentiles', () => {
    const values = [0.1, 0.1002, 0.0999, 0.35, 0.1001, 1.2, 0.1, 0.1003, 0.1, 0.1004, 0.2];
    const s = new DelayStats();
    values.forEach((v) => s.record(v));
    const got = s.take()!;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const stddev = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1];
    expect(got.count).toBe(values.length);
    expect(got.min).toBe(0.0999);
    expect(got.max).toBe(1.2);
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.stddev).toBeCloseTo(stddev, 12);
    expect([got.p50, got.p90, got.p99]).toEqual([rank(50), rank(90), rank(99)]);
    expect([got.p50, got.p90, got.p99]).toEqual([0.1002, 0.35, 1.2]);
  });

  it('starts over after each take, and reports nothing when nothing was recorded', () => {
    const s = new DelayStats();
    expect(s.take()).toBeUndefined();
    s.record(5);
    s.take();
    s.record(0.1);
    s.record(0.3);
    expect(s.take()).toMatchObject({ count: 2, min: 0.1, max: 0.3, mean: 0.2 });
    expect(s.take()).toBeUndefined();
  });

  it('keeps min, max and mean over every sample past its buffer, and percentiles over a uniform sample of all', () => {
    const s = new DelayStats();
    const n = 10_000;
    // 7,000 short turns, then 3,000 long ones, then one very long one.
    const value = (i: number) => (i === n - 1 ? 9 : i < 7_000 ? 0.001 + (i % 100) / 1e7 : 0.2);
    for (let i = 0; i < n; i++) s.record(value(i));
    const got = s.take()!;
    expect(got.count).toBe(n);
    expect(got.max).toBe(9);
    expect(got.min).toBe(0.001);
    expect(got.mean).toBeCloseTo(Array.from({ length: n }, (_, i) => value(i)).reduce((a, b) => a + b, 0) / n, 9);
    // Seven in ten turns were short: a median over the newest 4096 alone would be 0.2.
    expect(got.p50).toBeLessThan(0.0011);
    expect(got.p90).toBe(0.2);
  });
});

describe('default metrics', () => {
  it("registers prom-client's default families: the same names, types, help and order", async () => {
    const ours = createMetrics(200);
    const ref = new Registry();
    collectDefaultMetrics({ register: ref, eventLoopMonitoringPrecision: 100 });
    try {
      const defaults = headers(await ours.registry.metrics()).filter((l) => / (nodejs|process)_/.test(l));
      expect(defaults).toEqual(headers(await ref.metrics()));
      expect(defaults.length).toBeGreaterThan(40);
    } finally {
      ours.stopDefaultMetrics();
    }
  });

  it("reports the heap sizes process.memoryUsage() reports (prom-client's source for them)", async () => {
    const m = createMetrics(200);
    try {
      const before = process.memoryUsage();
      const text = await m.registry.metrics();
      const after = process.memoryUsage();
      // Read between two memoryUsage() calls: within what the heap did meanwhile.
      const within = (v: number | undefined, a: number, b: number) => v !== undefined && v >= Math.min(a, b) * 0.9 && v <= Math.max(a, b) * 1.1;
      expect(within(valueOf(text, 'nodejs_heap_size_total_bytes'), before.heapTotal, after.heapTotal)).toBe(true);
      expect(within(valueOf(text, 'nodejs_heap_size_used_bytes'), before.heapUsed, after.heapUsed)).toBe(true);
      expect(within(valueOf(text, 'nodejs_external_memory_bytes'), before.external, after.external)).toBe(true);
    } finally {
      m.stopDefaultMetrics();
    }
  });

  it('measures turns, not a sampling period: an idle loop reads short turns, a stall reads its length, the next scrape starts over', async () => {
    const m = createMetrics(200);
    const idleTurns = () => new Promise((r) => setTimeout(r, 20));
    try {
      await m.registry.metrics();
      for (let i = 0; i < 10; i++) await idleTurns();
      const idle = await m.registry.metrics();
      // Each turn here runs a timer callback and a scrape: well under a millisecond or two. A
      // timer-based sampler reads its own period (prom-client's 10 ms, or the 100 ms used before).
      expect(valueOf(idle, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.005);
      expect(valueOf(idle, 'nodejs_eventloop_lag_min_seconds')).toBeGreaterThanOrEqual(0);

      const blockMs = 350;
      const until = performance.now() + blockMs;
      while (performance.now() < until) {
        // Busy: the event loop is blocked, as by a synchronous task in the exporter.
      }
      // The stall's turn ends after this scrape (which runs in it); the next turn records it.
      await idleTurns();
      const text = await m.registry.metrics();
      expect(valueOf(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(blockMs / 1000);
      expect(valueOf(text, 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(blockMs / 1000 + 0.25);
      await idleTurns();
      const next = await m.registry.metrics();
      expect(valueOf(next, 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(blockMs / 1000);
    } finally {
      m.stopDefaultMetrics();
    }
  });
});
