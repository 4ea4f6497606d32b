/**
 * The /metrics writer (exporter/src/metrics/exposition.ts) keeps series' text between scrapes;
 * what it serves must stay byte for byte what prom-client writes for the same metrics, after
 * every kind of change. The reference is prom-client's own Registry holding the same metric
 * objects.
 */
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { ExpositionRegistry } from '../../exporter/src/metrics/exposition';
import { createMetrics } from '../../exporter/src/metrics/registry';

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NASTY = ['plain', 'with space', 'quote"d', 'back\\slash', 'new\nline', 'ünïcödé', '', 'le', '0.5'];

describe('ExpositionRegistry', () => {
  it('writes what prom-client writes, scrape after scrape, through incs, sets, observes, removes, zeroes and resets', async () => {
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
      const fast = new ExpositionRegistry();
      const ref = new Registry();
      const registers = [fast, ref];
      let collected = 0;
      const c = new Counter({ name: 'c_total', help: 'A counter.\nSecond line with \\ backslash.', labelNames: ['a', 'b'], registers });
      const plainC = new Counter({ name: 'plain_total', help: 'No labels.', registers });
      const g = new Gauge({ name: 'g', help: 'A gauge.', labelNames: ['m'], registers });
      const plainG = new Gauge({ name: 'plain_g', help: 'No labels.', registers });
      const h = new Histogram({ name: 'h_seconds', help: 'A histogram.', labelNames: ['a', 'b'], buckets: [0.005, 0.1, 1, 2.5], registers });
      const plainH = new Histogram({ name: 'plain_h', help: 'No labels.', buckets: [1, 10], registers });
      new Gauge({
        name: 'collected',
        help: 'Set by its collect callback.',
        registers,
        collect() {
          this.set(collected);
        },
      });
      new Counter({ name: 'never_total', help: 'Labelled, never counted.', labelNames: ['x'], registers });
      const numbers = [0, 1, 2.5, 1e21, 1e-7, -3, 0.1 + 0.2, NaN, Infinity, -Infinity];
      for (let step = 0; step < 300; step++) {
        const op = Math.floor(rand() * 12);
        const a = pick(NASTY);
        if (op === 0) c.inc({ a, b: pick(NASTY) }, Math.floor(rand() * 5));
        else if (op === 1) plainC.inc(rand());
        else if (op === 2) g.set({ m: a }, pick(numbers));
        else if (op === 3) plainG.set(pick(numbers));
        else if (op === 4) h.observe({ a, b: 'x' }, pick([0.001, 0.05, 0.5, 2, 100, 0]));
        else if (op === 5) plainH.observe(rand() * 20);
        else if (op === 6) g.remove({ m: a });
        else if (op === 7) h.remove({ a, b: 'x' });
        else if (op === 8 && rand() < 0.2) h.reset();
        else if (op === 9) h.zero({ a, b: 'x' });
        else if (op === 10 && rand() < 0.2) c.reset();
        else collected = pick(numbers);
        if (rand() < 0.3) expect(await fast.metrics()).toBe(await ref.metrics());
      }
      expect(await fast.metrics()).toBe(await ref.metrics());
    }
  });

  it('rewrites a histogram series whose observations were replaced by as many others', async () => {
    const fast = new ExpositionRegistry();
    const ref = new Registry();
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['a'], buckets: [1, 10], registers: [fast, ref] });
    h.observe({ a: 'x' }, 0.5);
    expect(await fast.metrics()).toBe(await ref.metrics());
    // Same count (1) after the reset, other bucket and sum.
    h.reset();
    h.observe({ a: 'x' }, 5);
    const text = await fast.metrics();
    expect(text).toContain('h_sum{a="x"} 5');
    expect(text).toBe(await ref.metrics());
  });

  it("serves Runboard's metrics as prom-client did (default metrics' values aside)", async () => {
    const m = createMetrics(200);
    const ref = new Registry();
    // getMetricsAsArray() is typed as MetricObject[], but it returns the registered metric objects themselves.
    for (const metric of m.registry.getMetricsAsArray()) ref.registerMetric(metric as unknown as Metric);
    m.actions.inc({ action: 'deploy "prod"', outcome: 'success' });
    m.actionDuration.observe({ action: 'deploy "prod"' }, 0.3);
    m.filesystemSize.set({ mountpoint: '/' }, 1e12);
    m.countIngested('action', 3);
    // Default metrics read the process (CPU, memory, handles) at each call: compare all but their values.
    const mask = (text: string) => text.replace(/^((?:process|nodejs)_\S*) .*$/gm, '$1 <value>');
    const first = await m.registry.metrics();
    expect(first).toContain('runboard_ingest_records_total{kind="action"} 3');
    expect(mask(first)).toBe(mask(await ref.metrics()));
    m.actionDuration.observe({ action: 'deploy "prod"' }, 12);
    m.actions.inc({ action: 'deploy "prod"', outcome: 'failure' });
    expect(mask(await m.registry.metrics())).toBe(mask(await ref.metrics()));
  });

  it("follows the order of the labels each set() passes, as prom-client's text does", async () => {
    const fast = new ExpositionRegistry();
    const ref = new Registry();
    const g = new Gauge({ name: 'order', help: 'Label order.', labelNames: ['a', 'b'], registers: [fast, ref] });
    const sets: Array<[Record<string, string>, number]> = [
      [{ a: '1', b: '2' }, 1],
      [{ a: '1', b: '2' }, 2],
      [{ b: '2', a: '1' }, 3],
      [{ b: '2', a: '1' }, 3],
      [{ a: '1', b: '2' }, 3],
    ];
    for (const [labels, v] of sets) {
      g.set(labels, v);
      expect(await fast.metricsParts((e) => e.parts.join(''))).toBe(await ref.metrics());
    }
  });

  it('gives /metrics the parts and their UTF-8 length, non-ASCII label values included', async () => {
    const fast = new ExpositionRegistry();
    const ref = new Registry();
    const c = new Counter({ name: 'u_total', help: 'Ünïcödé help.', labelNames: ['a'], registers: [fast, ref] });
    c.inc({ a: 'ünïcödé 漢字' });
    new Gauge({ name: 'plain', help: 'ASCII.', registers: [fast, ref] }).set(3);
    const h = new Histogram({ name: 'h_seconds', help: 'Dürations.', labelNames: ['a'], buckets: [0.1, 1], registers: [fast, ref] });
    h.observe({ a: 'ünïcödé 漢字' }, 0.5);
    h.observe({ a: 'plain' }, 2);
    for (let i = 0; i < 2; i++) {
      const [text, byteLength] = await fast.metricsParts((e) => [e.parts.join(''), e.byteLength] as const);
      expect(text).toBe(await ref.metrics());
      expect(byteLength).toBe(Buffer.byteLength(await ref.metrics()));
      c.inc({ a: 'ünïcödé 漢字' });
      h.observe({ a: 'ünïcödé 漢字' }, 0.05);
      ref.resetMetrics();
      fast.resetMetrics();
    }
  });
});
