import { CEILING_BYTES, HeapBound, MAX_GAP_MS, MIN_GAP_MS, READ_EVERY_MS, STEP_BYTES, oldGenerationBytes } from '../../exporter/src/heap-bound';
import { auth, startExporter, type RunningExporter } from '../helpers/exporter-process';
import { waitFor } from '../commands/process-helpers';

const MB = 1024 * 1024;

/** A heap whose old generation the test sets; collect() drops it to what is live. */
function fakeHeap(start: number) {
  const heap = { used: start, live: start, now: 0, collected: 0, reads: 0 };
  const bound = new HeapBound({
    readOldBytes: () => {
      heap.reads++;
      return heap.used;
    },
    collect: () => {
      heap.collected++;
      heap.used = heap.live;
    },
    now: () => heap.now,
  });
  /** The next read: READ_EVERY_MS (or `ms`) later. */
  const later = (ms = READ_EVERY_MS) => {
    heap.now += ms;
    return bound.check();
  };
  return { heap, bound, later };
}

describe('HeapBound (the policy, on a heap the test sets)', () => {
  it('collects once the old generation has grown a step above its lowest reading, not before', () => {
    const { heap, bound, later } = fakeHeap(16 * MB);
    expect(bound.check()).toBe(false);
    heap.used += STEP_BYTES - 1;
    expect(later()).toBe(false);
    heap.used += 1;
    expect(later()).toBe(true);
    expect(heap.collected).toBe(1);
    expect(heap.used).toBe(16 * MB);
  });

  it('reads the old generation at most once per READ_EVERY_MS, however often a tick asks', () => {
    const { heap, bound } = fakeHeap(16 * MB);
    for (let t = 0; t < 3 * READ_EVERY_MS; t += 1000) {
      heap.now = t;
      heap.used += STEP_BYTES; // a step every second: only a read can see it
      bound.check();
    }
    expect(heap.reads).toBe(3 + heap.collected); // and one more after each collection
    expect(heap.collected).toBe(1); // at 10 s; at 20 s the gap had not passed
  });

  it('measures the step from the lowest reading, so a collection V8 ran itself resets it', () => {
    const { heap, bound, later } = fakeHeap(20 * MB);
    bound.check();
    heap.used = 17 * MB; // V8's own major collection
    later();
    heap.used = 17 * MB + STEP_BYTES - 1;
    expect(later()).toBe(false);
    heap.used = 17 * MB + STEP_BYTES;
    expect(later()).toBe(true);
  });

  it('collects at most once per gap: MIN_GAP_MS after a collection that freed garbage', () => {
    const { heap, bound, later } = fakeHeap(16 * MB);
    bound.check();
    heap.used += STEP_BYTES; // garbage: the collection frees all of it
    expect(later()).toBe(true);
    heap.used += STEP_BYTES;
    expect(later(MIN_GAP_MS - READ_EVERY_MS)).toBe(false);
    expect(later()).toBe(true);
    expect(bound.collections).toBe(2);
    expect(bound.gapMs).toBe(MIN_GAP_MS);
  });

  it('doubles the gap, up to MAX_GAP_MS, while what grew is live, and resets it once garbage is freed', () => {
    const { heap, bound } = fakeHeap(16 * MB);
    bound.check();
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      heap.used = heap.live += STEP_BYTES; // live growth: a collection frees nothing
      heap.now += bound.gapMs;
      expect(bound.check()).toBe(true);
      gaps.push(bound.gapMs);
    }
    expect(gaps).toEqual([2, 4, 8, 8, 8, 8].map((k) => k * MIN_GAP_MS));
    expect(MAX_GAP_MS).toBe(8 * MIN_GAP_MS);
    heap.used += STEP_BYTES; // garbage again
    heap.now += bound.gapMs;
    expect(bound.check()).toBe(true);
    expect(bound.gapMs).toBe(MIN_GAP_MS);
  });

  it('leaves a heap at or past the ceiling to V8', () => {
    const { heap, bound, later } = fakeHeap(CEILING_BYTES - STEP_BYTES);
    bound.check();
    heap.used = CEILING_BYTES;
    expect(later()).toBe(false);
    expect(heap.collected).toBe(0);
  });

  it('reads this process’s old generation (every space but the young one)', () => {
    const bytes = oldGenerationBytes();
    expect(bytes).toBeGreaterThan(MB);
    expect(bytes).toBeLessThan(process.memoryUsage().heapUsed);
  });
});

describe('serve with node --expose-gc (the real exporter, V8 tracing its collections)', () => {
  let exp: RunningExporter;
  afterEach(async () => {
    await exp?.stop();
  });

  it('runs a full collection of its own once the old generation has grown a step', async () => {
    // --trace-gc names each collection's reason; a collection through `gc` reads "testing", and
    // nothing in the exporter calls `gc` but the heap bound.
    exp = await startExporter([], { nodeArgs: ['--expose-gc', '--trace-gc'] });
    const forced = () => /Mark-Compact[^\n]*testing/.test(exp.stdout());
    // The bound took its first reading when serve started (what start-up adds after it may
    // already be a step). New series are what the exporter holds: LLM calls over new provider ×
    // model pairs, each with its children and history. 60 batches grow the old generation by
    // ~4 MB, twice the step; the bound reads it every 10 s.
    for (let batch = 0; batch < 60; batch++) {
      const records = Array.from({ length: 200 }, (_, i) => ({
        kind: 'llm',
        provider: `p${batch}`,
        model: `m${i}`,
        input_tokens: 10,
        output_tokens: 5,
        duration_seconds: 0.1,
      }));
      const res = await fetch(`${exp.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { ...auth(exp.token), 'content-type': 'application/json' },
        body: JSON.stringify({ records }),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(forced, 30_000);
  }, 120_000);
});
