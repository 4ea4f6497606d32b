/**
 * The one retry delay (`@runboard/protocol/backoff`) the SDK client, the datasource's streams and
 * the CLI's `follow` share.
 */
import { backoffDelay } from '@runboard/protocol/backoff';

const mid = () => 0.5; // no jitter: the nominal delay

describe('backoffDelay', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 1000, random: mid }));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters ±20 % by default, and never above maxMs', () => {
    expect(backoffDelay(2, { initialMs: 100, maxMs: 10_000, random: () => 0 })).toBe(320);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 10_000, random: () => 0.999999 })).toBe(480);
    expect(backoffDelay(10, { initialMs: 100, maxMs: 1000, random: () => 0.999999 })).toBe(1000);
    expect(backoffDelay(1, { initialMs: 100, maxMs: 10_000, jitter: 0.5, random: () => 0 })).toBe(100);
  });

  it('with real randomness: every delay inside the band, and consecutive attempts strictly growing below the cap', () => {
    for (let i = 0; i < 1000; i++) {
      const a = backoffDelay(0, { initialMs: 100, maxMs: 10_000 });
      const b = backoffDelay(1, { initialMs: 100, maxMs: 10_000 });
      expect(a).toBeGreaterThanOrEqual(80);
      expect(a).toBeLessThanOrEqual(120);
      expect(b).toBeGreaterThanOrEqual(160);
      expect(b).toBeLessThanOrEqual(240);
    }
    const spread = new Set(Array.from({ length: 200 }, () => backoffDelay(3, { initialMs: 100, maxMs: 10_000 })));
    expect(spread.size).toBeGreaterThan(20); // jittered, not in step
  });

  it('waits at least what the server asked for (Retry-After), still capped at maxMs', () => {
    expect(backoffDelay(0, { initialMs: 5, maxMs: 5000, atLeastMs: 1000, random: mid })).toBe(1000);
    expect(backoffDelay(0, { initialMs: 5, maxMs: 5000, atLeastMs: 60_000, random: mid })).toBe(5000);
    expect(backoffDelay(6, { initialMs: 100, maxMs: 50_000, atLeastMs: 1000, random: mid })).toBe(6400);
  });

  it('a long outage stays finite (no 2^attempt overflow), and a negative attempt counts as the first', () => {
    expect(backoffDelay(5000, { initialMs: 250, maxMs: 10_000, random: mid })).toBe(10_000);
    expect(backoffDelay(-3, { initialMs: 250, maxMs: 10_000, random: mid })).toBe(250);
  });
});
