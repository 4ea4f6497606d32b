/**
 * Label-set handles (exporter/src/metrics/children.ts) write into prom-client's own series: the
 * exposition after any mix of handle and public-API updates, removals and resets is the same as
 * with the public API alone.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterChild, HistogramChild } from '../../exporter/src/metrics/children';

const buckets = [0.005, 0.01, 0.1, 1, 2.5, 10];

function metrics() {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    counter: new Counter({ name: 't_total', help: 'h', labelNames: ['action', 'outcome'] as const, registers: r }),
    histogram: new Histogram({ name: 't_seconds', help: 'h', labelNames: ['action'] as const, buckets, registers: r }),
  };
}

/** A small deterministic generator (mulberry32): the same cases on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('gives the same exposition as the public API through updates, removals and resets', async () => {
  const viaApi = metrics();
  const viaChild = metrics();
  const names = ['a', 'b', 'c'];
  const counterChildren = new Map(names.map((n) => [n, new CounterChild(viaChild.counter, { action: n, outcome: 'success' })]));
  const histChildren = new Map(names.map((n) => [n, new HistogramChild(viaChild.histogram, { action: n })]));
  const rand = rng(7);
  for (let i = 0; i < 5000; i++) {
    const action = names[Math.floor(rand() * names.length)];
    const op = rand();
    if (op < 0.4) {
      // Values on, between and above the bucket bounds (above the last one: only +Inf).
      const v = rand() < 0.2 ? buckets[Math.floor(rand() * buckets.length)] : rand() * 15;
      viaApi.histogram.observe({ action }, v);
      histChildren.get(action)!.observe(v);
    } else if (op < 0.8) {
      const n = rand() < 0.5 ? 1 : Math.round(rand() * 1000) / 7;
      viaApi.counter.inc({ action, outcome: 'success' }, n);
      counterChildren.get(action)!.inc(n);
    } else if (op < 0.9) {
      // The same series updated through the public API too.
      viaApi.counter.inc({ action, outcome: 'success' }, 2);
      viaChild.counter.inc({ action, outcome: 'success' }, 2);
    } else if (op < 0.97) {
      viaApi.counter.remove({ action, outcome: 'success' });
      viaChild.counter.remove({ action, outcome: 'success' });
      viaApi.histogram.remove({ action });
      viaChild.histogram.remove({ action });
    } else {
      viaApi.registry.resetMetrics();
      viaChild.registry.resetMetrics();
    }
    if (i % 500 === 0) expect(await viaChild.registry.metrics()).toBe(await viaApi.registry.metrics());
  }
  expect(await viaChild.registry.metrics()).toBe(await viaApi.registry.metrics());
  expect(await viaChild.registry.metrics()).toMatch(/t_seconds_bucket\{le="\+Inf",action="a"\} \d+/);
});

it('refuses what the public API refuses, and counts nothing for it', async () => {
  const m = metrics();
  const c = new CounterChild(m.counter, { action: 'a', outcome: 'success' });
  const h = new HistogramChild(m.histogram, { action: 'a' });
  c.inc(3);
  h.observe(0.5);
  const before = await m.registry.metrics();
  expect(() => c.inc(-1)).toThrow(/decrease/);
  expect(() => c.inc(Infinity)).toThrow(/not a valid number/);
  expect(() => h.observe(NaN)).toThrow(/not a valid number/);
  expect(() => h.observe(Infinity)).toThrow(/not a valid number/);
  expect(await m.registry.metrics()).toBe(before);
});

it('creates a series only when it is first updated', async () => {
  const m = metrics();
  new CounterChild(m.counter, { action: 'idle', outcome: 'success' });
  new HistogramChild(m.histogram, { action: 'idle' });
  expect(await m.registry.metrics()).not.toMatch(/idle/);
});
