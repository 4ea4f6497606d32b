import { RollingWindow, histogramIndex } from '../../exporter/src/store/rolling';

describe('RollingWindow', () => {
  it('counts, failures, mean and amounts within the window', () => {
    const w = new RollingWindow(60_000, 0, 2);
    for (let i = 0; i < 10; i++) w.observe(1000 + i, 0.5, i < 2, [10, 1]);
    const s = w.snapshot(2000);
    expect(s.count).toBe(10);
    expect(s.failures).toBe(2);
    expect(s.mean).toBeCloseTo(0.5);
    expect(s.amounts).toEqual([100, 10]);
  });

  it('ages observations out once they leave the window', () => {
    const w = new RollingWindow(60_000, 0);
    w.observe(1000, 1);
    expect(w.snapshot(30_000).count).toBe(1);
    expect(w.snapshot(70_000).count).toBe(0);
    // a new observation reusing an old slice resets it
    w.observe(61_000, 2);
    const s = w.snapshot(62_000);
    expect(s.count).toBe(1);
    expect(s.mean).toBe(2);
  });

  it('estimates p95 within the histogram resolution (±20%)', () => {
    const w = new RollingWindow(60_000, 0);
    // 1..1000 ms uniformly: true p95 = 0.95 s
    for (let i = 1; i <= 1000; i++) w.observe(5000, i / 1000);
    const p95 = w.snapshot(6000).p95;
    expect(p95).toBeGreaterThan(0.95 * 0.8);
    expect(p95).toBeLessThan(0.95 * 1.2);
  });

  it('reports the span actually covered right after start so rates are not diluted', () => {
    const w = new RollingWindow(60_000, 0);
    expect(w.snapshot(10_000).spanSeconds).toBe(10);
    expect(w.snapshot(120_000).spanSeconds).toBe(60);
  });

  it('keeps histogram indexes in range for extreme values', () => {
    expect(histogramIndex(0)).toBe(0);
    expect(histogramIndex(1e-9)).toBe(0);
    expect(histogramIndex(1e12)).toBeLessThan(200);
    expect(histogramIndex(0.001)).toBeGreaterThan(histogramIndex(0.0005));
  });
});
