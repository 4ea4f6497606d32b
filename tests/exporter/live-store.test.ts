import { LiveStore, toSample, withLabels } from '../../exporter/src/store/live-store';

const spec = (name: string, labels?: Record<string, string>) => ({ name, labels, unit: 'none', description: name });

describe('LiveStore', () => {
  it('keeps one value per series per tick and numbers ticks from the start sequence', () => {
    const s = new LiveStore(10, 1000, 100, 500);
    s.set(spec('a'), 1);
    s.set(spec('b', { k: 'v' }), 2);
    const t1 = s.commit(1000);
    expect(t1.seq).toBe(500);
    expect(toSample(t1)).toEqual({ t: 1000, values: { a: 1, 'b{k="v"}': 2 } });
    s.set(spec('a'), 3);
    const t2 = s.commit(2000);
    expect(t2.seq).toBe(501);
    expect(toSample(t2).values).toEqual({ a: 3 }); // b had no value this tick
    expect(s.latest()).toEqual({ t: 2000, values: { a: 3 } });
    expect(s.series().map((x) => x.id)).toEqual(['a', 'b{k="v"}']);
  });

  it('finds a series by its reused spec object or by an equal fresh one, and the labelled specs withLabels makes', () => {
    const s = new LiveStore(10, 1000, 100, 0);
    const defs = { rate: spec('rate'), failures: spec('failures') };
    const byJob = withLabels(defs, { job: 'x' });
    expect(withLabels(defs, undefined)).toBe(defs);
    for (let tick = 0; tick < 3; tick++) {
      s.set(defs.rate, tick);
      s.set(byJob.rate, 10 + tick);
      s.set(byJob.failures, 20 + tick);
      expect(toSample(s.commit(tick * 1000)).values).toEqual({ rate: tick, 'rate{job="x"}': 10 + tick, 'failures{job="x"}': 20 + tick });
    }
    // A fresh object with the same name and labels is the same series, not a new one.
    s.set(spec('failures', { job: 'x' }), 99);
    expect(toSample(s.commit(5000)).values).toEqual({ 'failures{job="x"}': 99 });
    expect(s.seriesCount).toBe(3);
    // Ticks already read keep their figures in the ring: replay and history see every one.
    expect(s.ticksAfter(-1).map((t) => toSample(t).values['rate{job="x"}'])).toEqual([10, 11, 12, undefined]);
  });

  it('replays only ticks still in the ring after a given sequence', () => {
    const s = new LiveStore(3, 1000, 100, 1);
    for (let i = 1; i <= 5; i++) {
      s.set(spec('x'), i);
      s.commit(i * 1000);
    }
    // ring holds seq 3,4,5
    expect(s.ticksAfter(0).map((t) => t.seq)).toEqual([3, 4, 5]);
    expect(s.ticksAfter(3).map((t) => t.seq)).toEqual([4, 5]);
    expect(s.ticksAfter(5)).toEqual([]);
    expect(s.ticksAfter(4)[0].values).toEqual([5]);
  });

  it('returns columnar history within from/to and downsamples to maxPoints by averaging', () => {
    const s = new LiveStore(100, 1000, 100, 1);
    for (let i = 1; i <= 10; i++) {
      s.set(spec('x'), i);
      if (i % 2 === 0) s.set(spec('y'), i * 10);
      s.commit(i * 1000);
    }
    const all = s.history(['x'], 0, 1e9, 1000);
    expect(all.t).toHaveLength(10);
    expect(all.values.x).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const range = s.history(['x', 'y'], 3000, 6000, 1000);
    expect(range.t).toEqual([3000, 4000, 5000, 6000]);
    expect(range.values.y).toEqual([null, 40, null, 60]);
    const down = s.history(['x'], 0, 1e9, 5);
    expect(down.t).toEqual([2000, 4000, 6000, 8000, 10000]);
    expect(down.values.x).toEqual([1.5, 3.5, 5.5, 7.5, 9.5]);
    expect(down.intervalMs).toBe(2000);
  });

  it('refuses new series beyond its limit instead of growing', () => {
    const s = new LiveStore(5, 1000, 2, 1);
    s.set(spec('a'), 1);
    s.set(spec('b'), 1);
    s.set(spec('c'), 1);
    expect(s.seriesCount).toBe(2);
    expect(s.droppedSeries).toBe(1);
  });
});
