/**
 * The rolling p95 (README "Live series") is within its stated bound of the exact p95 of the
 * window's values (nearest rank: the ceil(0.95·n)-th smallest), measured over many
 * distributions, sizes and scales.
 */
import { RollingWindow } from '../../exporter/src/store/rolling';

/** The bound the README states for durations from 100 µs up. */
const BOUND = 0.091;

function exactP95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1];
}

/** A small deterministic generator (mulberry32): the same cases on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const distributions: Record<string, (r: () => number) => number> = {
  constant: () => 1,
  uniform: (r) => 0.5 + r(),
  exponential: (r) => -Math.log(1 - r()),
  lognormal: (r) => Math.exp(0.8 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  bimodal: (r) => (r() < 0.9 ? 0.2 + 0.05 * r() : 3 + r()),
  pareto: (r) => Math.pow(1 - r(), -1 / 1.5),
};

function p95Of(values: number[]): number {
  const w = new RollingWindow(60_000, 0);
  for (const v of values) w.observe(10_000, v);
  return w.snapshot(10_000).p95;
}

it('single values anywhere on the scale: within the bound (the README example: 1.42 s)', () => {
  let worst = 0;
  // Every 1/500 of a doubling from 1 ms to 1000 s: values at and near every bucket edge.
  for (let e = Math.log2(1e-3); e <= Math.log2(1e3); e += 1 / 500) {
    for (const n of [1, 3, 20]) {
      const v = Math.pow(2, e);
      worst = Math.max(worst, Math.abs(p95Of(Array(n).fill(v)) / v - 1));
    }
  }
  expect(Math.abs(p95Of([1.42]) / 1.42 - 1)).toBeLessThanOrEqual(BOUND);
  expect(worst).toBeLessThanOrEqual(BOUND);
});

it('samples of many distributions, sizes and scales: within the bound', () => {
  const r = rng(14);
  let worst = 0;
  let worstCase = '';
  for (const [name, draw] of Object.entries(distributions)) {
    for (const n of [1, 2, 5, 19, 20, 21, 100, 1000, 5000]) {
      for (let trial = 0; trial < 20; trial++) {
        const scale = Math.pow(10, -3 + 6 * r()); // 1 ms … 1000 s
        const values = Array.from({ length: n }, () => scale * draw(r));
        const exact = exactP95(values);
        if (exact < 1e-4) continue; // below the histogram's first bucket: no relative bound
        const err = Math.abs(p95Of(values) / exact - 1);
        if (err > worst) [worst, worstCase] = [err, `${name} n=${n} exact=${exact}`];
      }
    }
  }
  expect({ worst, worstCase, withinBound: worst <= BOUND }).toMatchObject({ withinBound: true });
});
