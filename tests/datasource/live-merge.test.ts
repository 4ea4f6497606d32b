/**
 * liveQuery's merge of back-fill and live ticks, driven step by step: the hub is a Subject the
 * test feeds (the real hub and SSE are tested against the exporter in stream.test.ts) and
 * history/series are promises the test resolves when it wants.
 */
import type { DataFrame, DataQueryResponse } from '@grafana/data';
import { Observable, Subject } from 'rxjs';
import type { HistoryResponse, SeriesResponse } from '@runboard/protocol';
import { liveQuery, type HubEvent, type LiveSources } from '../../datasource-plugin/src/stream';
import { history, SERIES_RESPONSE } from './fixtures';

const MEMORY = 'system_memory_used_bytes';
const LOAD = 'system_load1';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(opts: { series?: string[]; openTimeoutMs?: number } = {}) {
  const hub = new Subject<HubEvent>();
  const watched: string[][] = [];
  let released = 0;
  const historyCalls: Array<{ ids: string[]; from: number; to: number; maxPoints: number }> = [];
  const historyAnswer = deferred<HistoryResponse>();
  const seriesAnswer = deferred<SeriesResponse>();
  const sources: LiveSources = {
    // A watch that forwards the test's subject and counts its release.
    hub: {
      watch: (ids) => {
        watched.push([...ids]);
        return new Observable<HubEvent>((subscriber) => {
          const sub = hub.subscribe(subscriber);
          return () => {
            released++;
            sub.unsubscribe();
          };
        });
      },
    },
    series: () => seriesAnswer.promise,
    history: (ids, from, to, maxPoints) => {
      historyCalls.push({ ids, from, to, maxPoints });
      return historyAnswer.promise;
    },
    openTimeoutMs: opts.openTimeoutMs ?? 10_000,
    now: () => 10_000,
  };
  const responses: DataQueryResponse[] = [];
  const errors: unknown[] = [];
  const sub = liveQuery({ refId: 'A', series: opts.series ?? [MEMORY, LOAD], from: 0, to: 10_000, maxDataPoints: 500 }, sources).subscribe({
    next: (r) => responses.push(r),
    error: (e) => errors.push(e),
  });
  const frame = () => responses[responses.length - 1]?.data[0] as DataFrame;
  return {
    hub,
    watched,
    released: () => released,
    historyCalls,
    historyAnswer,
    seriesAnswer,
    responses,
    errors,
    sub,
    frame,
    times: () => (frame()?.fields[0].values ?? []) as number[],
    sample: (t: number, values: Record<string, number> = { [MEMORY]: t, [LOAD]: t / 1000 }, seq = t) => hub.next({ type: 'sample', seq, sample: { t, values } }),
  };
}

describe('liveQuery: back-fill, then live ticks', () => {
  test('waits for the stream to open before asking for history, so no tick falls between them', async () => {
    const s = setup();
    s.seriesAnswer.resolve(SERIES_RESPONSE);
    await flush();
    expect(s.watched).toEqual([[MEMORY, LOAD]]);
    expect(s.historyCalls).toHaveLength(0);
    s.hub.next({ type: 'open' });
    await flush();
    expect(s.historyCalls).toEqual([{ ids: [MEMORY, LOAD], from: 0, to: 10_000, maxPoints: 500 }]);
    s.sub.unsubscribe();
  });

  test('merges ticks that arrived during the back-fill and later ones: no duplicates, no gaps', async () => {
    const s = setup();
    s.seriesAnswer.resolve(SERIES_RESPONSE);
    s.hub.next({ type: 'open' });
    await flush();
    // Ticks arrive while history is in flight; 4000 and 5000 are also in the history answer.
    s.sample(4000);
    s.sample(5000);
    s.sample(6000);
    expect(s.responses).toHaveLength(0);
    s.historyAnswer.resolve(history([MEMORY, LOAD], [1000, 2000, 3000, 4000, 5000], (id, i) => (id === MEMORY ? (i + 1) * 1000 : i + 1)));
    await flush();
    expect(s.responses).toHaveLength(1);
    expect(s.times()).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    // A replayed tick (after a reconnect) and a live one.
    s.sample(6000);
    s.sample(5000);
    s.sample(7000);
    expect(s.times()).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expect(s.frame().fields[1].values).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    // Each kept tick was one emission; repeats were not.
    expect(s.responses).toHaveLength(2);
    for (const r of s.responses) expect(r).toMatchObject({ key: 'A', state: 'Streaming' });
    s.sub.unsubscribe();
  });

  test('a dropped connection is a notice, never an error, and the notice goes when it is back', async () => {
    const s = setup();
    s.seriesAnswer.resolve(SERIES_RESPONSE);
    s.hub.next({ type: 'open' });
    await flush();
    s.historyAnswer.resolve(history([MEMORY, LOAD], [1000]));
    await flush();
    s.hub.next({ type: 'interrupted', message: 'HTTP 502: Bad Gateway', retryInMs: 1000 });
    const notices = s.frame().meta?.notices ?? [];
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ severity: 'warning' });
    expect(notices[0].text).toMatch(/interrupted \(HTTP 502: Bad Gateway\)/);
    s.hub.next({ type: 'interrupted', message: 'HTTP 502: Bad Gateway', retryInMs: 2000 }); // same: no new emission
    const count = s.responses.length;
    expect(count).toBe(2);
    s.hub.next({ type: 'open' });
    expect(s.responses).toHaveLength(3);
    expect(s.frame().meta?.notices).toBeUndefined();
    s.sample(2000);
    expect(s.times()).toEqual([1000, 2000]);
    expect(s.errors).toEqual([]);
    s.sub.unsubscribe();
  });

  test('a failed back-fill or unknown series are notices; the stream goes on', async () => {
    const s = setup({ series: [MEMORY, 'not_a_series'] });
    s.seriesAnswer.resolve(SERIES_RESPONSE);
    s.hub.next({ type: 'open' });
    await flush();
    expect(s.historyCalls[0].ids).toEqual([MEMORY]); // the exporter would refuse an unknown id
    s.historyAnswer.reject(new Error('HTTP 500: boom'));
    await flush();
    const texts = (s.frame().meta?.notices ?? []).map((n) => n.text);
    expect(texts).toEqual(['Not (yet) known to the exporter: not_a_series', 'Back-fill failed: HTTP 500: boom']);
    s.sample(3000, { [MEMORY]: 1, not_a_series: 2 });
    expect(s.frame().fields.map((f) => f.values)).toEqual([[3000], [1], [2]]);
    expect(s.errors).toEqual([]);
    s.sub.unsubscribe();
  });

  test('back-fills anyway when the stream does not open in time', async () => {
    jest.useFakeTimers();
    try {
      const s = setup({ openTimeoutMs: 3000 });
      s.seriesAnswer.resolve(SERIES_RESPONSE);
      await jest.advanceTimersByTimeAsync(2999);
      expect(s.historyCalls).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(s.historyCalls).toHaveLength(1);
      s.sub.unsubscribe();
    } finally {
      jest.useRealTimers();
    }
  });

  test('unsubscribing releases the hub and stops emissions, even mid back-fill', async () => {
    const s = setup();
    s.seriesAnswer.resolve(SERIES_RESPONSE);
    s.hub.next({ type: 'open' });
    await flush();
    s.sub.unsubscribe();
    expect(s.released()).toBe(1);
    s.historyAnswer.resolve(history([MEMORY, LOAD], [1000]));
    await flush();
    s.sample(2000);
    expect(s.responses).toHaveLength(0);
  });
});
