/**
 * The live store's per-series ring (exporter/src/store/series-ring.ts) keeps uniform chunks as one
 * value. It must read back exactly what a plain array would hold for every tick the store exposes,
 * through laps, NaN gaps and changes at any offset, and it must actually hold less for series that
 * hold still.
 */
import { LiveStore } from '../../exporter/src/store/live-store';
import { CHUNK, ChunkPool, SeriesRing, ringLength } from '../../exporter/src/store/series-ring';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SeriesRing', () => {
  it('reads back what a plain array holds, for every tick within the window, over many laps', () => {
    for (const seed of [1, 2, 3, 4]) {
      const rand = rng(seed);
      const capacity = 150 + Math.floor(rand() * 100);
      const length = ringLength(capacity);
      const pool = new ChunkPool();
      const ring = new SeriesRing(length, pool);
      const model = new Float64Array(length).fill(NaN);
      let value = 1;
      let checked = 0;
      const wrong: string[] = [];
      for (let seq = 0; seq < length * 6; seq++) {
        // Runs of one value, NaN gaps and changes at any offset.
        const r = rand();
        if (r < 0.08) value = NaN;
        else if (r < 0.2) value = Math.round(rand() * 5);
        else if (r < 0.22) value = -0;
        const idx = seq % length;
        ring.set(idx, value);
        model[idx] = value;
        const exposed = Math.min(seq + 1, capacity);
        for (let back = 0; back < exposed; back++) {
          const i = (seq - back) % length;
          const got = ring.get(i);
          checked++;
          // -0 reads back as 0 inside a chunk of zeros; both are written as 0 everywhere.
          if (!(got === model[i] || (Number.isNaN(got) && Number.isNaN(model[i])))) wrong.push(`seq ${seq} back ${back}: ${got} != ${model[i]}`);
        }
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(length * 5 * capacity * 0.9);
    }
  });

  it('holds one value per chunk for a series that holds still, and arrays only for chunks that change', () => {
    const length = ringLength(900);
    const pool = new ChunkPool();
    const still = new SeriesRing(length, pool);
    const moving = new SeriesRing(length, pool);
    for (let seq = 0; seq < length * 2; seq++) {
      still.set(seq % length, 42);
      moving.set(seq % length, seq);
    }
    expect(still.bytes).toBe((length / CHUNK) * 8);
    expect(moving.bytes).toBe((length / CHUNK) * 8 + length * 8);
    // Arrays of chunks that restart are reused, not left to the garbage collector.
    expect(pool.size).toBeLessThanOrEqual(1);
  });

  it('keeps a live store of quiet series at a fraction of a full ring, with the same history', () => {
    const store = new LiveStore(900, 1000, 1000, 1);
    const spec = (name: string) => ({ name, unit: 'none', description: name });
    for (let tick = 1; tick <= 2000; tick++) {
      for (let i = 0; i < 100; i++) store.set(spec(`quiet_${i}`), i);
      store.set(spec('busy'), tick);
      store.commit(tick * 1000);
    }
    const full = 101 * 900 * 8;
    expect(store.ringBytes).toBeLessThan(full / 5);
    const h = store.history(['quiet_7', 'busy'], 0, Infinity, 10_000);
    expect(h.t).toHaveLength(900);
    expect(h.values.quiet_7.every((v) => v === 7)).toBe(true);
    expect(h.values.busy).toEqual(Array.from({ length: 900 }, (_, k) => 1101 + k));
  });
});
