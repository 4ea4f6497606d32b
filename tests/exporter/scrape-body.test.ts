/**
 * The /metrics body buffer (exporter/src/metrics/scrape-body.ts): the exposition's bytes exactly,
 * one buffer reused only once the response that wrote it gave it back, never while a write of it
 * may still be in flight.
 */
import { ScrapeBodies } from '../../exporter/src/metrics/scrape-body';

const parts = (texts: string[]) => ({ parts: texts, byteLength: texts.reduce((n, t) => n + Buffer.byteLength(t), 0) });

describe('ScrapeBodies', () => {
  it('holds the parts as UTF-8, non-ASCII label values included', () => {
    const texts = ['# HELP a x\n# TYPE a gauge\na{l="é→🙂"} 1\n\n', 'b 2\n'];
    const body = new ScrapeBodies().take(parts(texts));
    expect(body.toString('utf8')).toBe(texts.join(''));
    expect(body.length).toBe(Buffer.byteLength(texts.join('')));
  });

  it('reuses a buffer only after it was given back; a body still out gets a fresh one', () => {
    const bodies = new ScrapeBodies();
    const first = bodies.take(parts(['x 1\n']));
    // Not given back yet (its response is still writing): the next scrape must not share it.
    const second = bodies.take(parts(['y 22\n']));
    expect(second.buffer).not.toBe(first.buffer);
    expect(first.toString()).toBe('x 1\n');
    bodies.give(second);
    const third = bodies.take(parts(['z 3\n']));
    expect(third.buffer).toBe(second.buffer);
    expect(third.toString()).toBe('z 3\n');
    // Taken again, so out again: a fourth gets its own.
    expect(bodies.take(parts(['w 4\n'])).buffer).not.toBe(third.buffer);
  });

  it('grows past a spare that is too small', () => {
    const bodies = new ScrapeBodies();
    bodies.give(bodies.take(parts(['a 1\n'])));
    const big = `${'m'.repeat(10_000)} 1\n`;
    expect(bodies.take(parts([big])).toString()).toBe(big);
  });

  it('refuses a length that does not match the parts instead of sending a truncated exposition', () => {
    expect(() => new ScrapeBodies().take({ parts: ['a{l="é"} 1\n'], byteLength: 11 })).toThrow(/expected 11/);
  });
});
