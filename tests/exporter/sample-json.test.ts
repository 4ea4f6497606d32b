import { sampleJson } from '../../exporter/src/stream/sse-hub';
import { toSample, type Tick } from '../../exporter/src/store/live-store';

// sampleJson keeps each series' text between ticks (a frame per tick, most values unchanged):
// every frame must still be JSON.stringify of the sample, whatever changed since the last one.
describe('sampleJson', () => {
  const ids = ['a', 'b{x="1"}', 'quote"d', 'c'];
  const ticks: number[][] = [
    [1, 2, 3, 4],
    [1, 2, 3, 4],
    [1.5, 2, -0, 4],
    [0, 2, Infinity, 1e-7],
    [0, NaN, -Infinity, 123456789.123],
    [0, 2, 3, 4],
  ];

  it('equals JSON.stringify(toSample(tick)) on every tick, filtered or not', () => {
    const filter = (id: string) => id !== 'c';
    ticks.forEach((values, i) => {
      const tick: Tick = { seq: i, t: 1_700_000_000_000 + i * 1000, ids, values };
      expect(sampleJson(tick)).toBe(JSON.stringify(toSample(tick)));
      expect(sampleJson(tick, filter)).toBe(JSON.stringify(toSample(tick, filter)));
    });
  });

  it('writes a series that is absent from a tick only when it comes back, with its new value', () => {
    const a: Tick = { seq: 1, t: 1, ids: ['p', 'q'], values: [1, 2] };
    const b: Tick = { seq: 2, t: 2, ids: ['q'], values: [2] };
    const c: Tick = { seq: 3, t: 3, ids: ['p', 'q'], values: [7, 2] };
    for (const tick of [a, b, c]) expect(sampleJson(tick)).toBe(JSON.stringify(toSample(tick)));
  });
});
