import { emptyRunView, foldRunEvents, isActive, isAtBottom, runElapsedMs } from '../../../panel-plugin/src/utils/runState';
import { exitText, runStatusText } from '../../../panel-plugin/src/utils/runStatus';
import { line, makeRun } from '../helpers/fake-console-api';

describe('foldRunEvents', () => {
  const run = makeRun({ id: 'r1', status: 'running', startedAt: 1000 });

  test('status, lines, progress, llm and end build the run view', () => {
    let s = foldRunEvents(emptyRunView, [{ event: 'status', data: run }, line(0, 'a'), line(1, 'b', 'stderr')]);
    expect(s.run).toBe(run);
    expect(s.lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'a'],
      ['stderr', 'b'],
    ]);
    s = foldRunEvents(s, [
      { event: 'progress', data: { percent: 30, message: 'warming up' } },
      { event: 'llm', data: { provider: 'p', model: 'm', input_tokens: 10, output_tokens: 5, cost_usd: 0.5 } },
      { event: 'llm', data: { provider: 'p', model: 'm', input_tokens: 1, output_tokens: 1 } },
    ]);
    expect(s.progress).toEqual({ percent: 30, message: 'warming up' });
    expect(s.usage).toEqual({ inputTokens: 11, outputTokens: 6, costUsd: 0.5 });
    expect(s.ended).toBe(false);
    const end = { ...run, status: 'finished' as const, outcome: 'success' as const, inputTokens: 11, outputTokens: 6, costUsd: 0.75, progress: 100, progressMessage: 'done' };
    s = foldRunEvents(s, [{ event: 'end', data: end }]);
    expect(s).toMatchObject({ ended: true, run: end, usage: { inputTokens: 11, outputTokens: 6, costUsd: 0.75 }, progress: { percent: 100, message: 'done' } });
  });

  test('a status resets the usage to its totals (a replay of a running run counts nothing twice)', () => {
    const s = foldRunEvents(emptyRunView, [
      { event: 'status', data: { ...run, inputTokens: 100, outputTokens: 10, costUsd: 1 } },
      { event: 'llm', data: { provider: 'p', model: 'm', input_tokens: 5, output_tokens: 5, cost_usd: 0.1 } },
    ]);
    expect(s.usage).toEqual({ inputTokens: 105, outputTokens: 15, costUsd: 1.1 });
  });

  test('lines replayed after a reconnect are not shown twice', () => {
    const s = foldRunEvents(foldRunEvents(emptyRunView, [line(0, 'a'), line(1, 'b')]), [line(0, 'a'), line(1, 'b'), line(2, 'c')]);
    expect(s.lines.map((l) => l.seq)).toEqual([0, 1, 2]);
  });

  test('at most maxLines are kept; the rest are counted', () => {
    const events = Array.from({ length: 7 }, (_, i) => line(i, `l${i}`));
    const s = foldRunEvents(emptyRunView, events, 5);
    expect(s.lines.map((l) => l.text)).toEqual(['l2', 'l3', 'l4', 'l5', 'l6']);
    expect(s.droppedLines).toBe(2);
  });

  test('no events: the same state object (no re-render)', () => {
    expect(foldRunEvents(emptyRunView, [])).toBe(emptyRunView);
  });
});

test('elapsed time: running counts from the start, finished uses the duration', () => {
  expect(runElapsedMs(makeRun({ startedAt: null }), 5000)).toBeNull();
  expect(runElapsedMs(makeRun({ status: 'running', startedAt: 1000 }), 4500)).toBe(3500);
  expect(runElapsedMs(makeRun({ status: 'finished', startedAt: 1000, finishedAt: 9000, durationSeconds: 7.5 }), 99999)).toBe(7500);
  expect(isActive(makeRun({ status: 'queued' }))).toBe(true);
  expect(isActive(makeRun({ status: 'finished' }))).toBe(false);
});

test('"at the bottom" allows a line of slack', () => {
  expect(isAtBottom({ scrollTop: 400, scrollHeight: 600, clientHeight: 200 })).toBe(true);
  expect(isAtBottom({ scrollTop: 380, scrollHeight: 600, clientHeight: 200 })).toBe(true);
  expect(isAtBottom({ scrollTop: 300, scrollHeight: 600, clientHeight: 200 })).toBe(false);
});

test('run states in words, with exit code or signal', () => {
  expect(runStatusText(makeRun({ status: 'queued', queuePosition: 2 })).label).toBe('Queued (#2)');
  expect(runStatusText(makeRun({ status: 'running' })).label).toBe('Running');
  expect(['success', 'failure', 'timeout', 'cancelled'].map((o) => runStatusText(makeRun({ status: 'finished', outcome: o as never })).label)).toEqual([
    'Succeeded',
    'Failed',
    'Timed out',
    'Cancelled',
  ]);
  expect(exitText(makeRun({ exitCode: 3 }))).toBe('exit code 3');
  expect(exitText(makeRun({ signal: 'SIGKILL' }))).toBe('signal SIGKILL');
  expect(exitText(makeRun())).toBeUndefined();
});
