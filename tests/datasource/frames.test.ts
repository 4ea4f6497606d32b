/** Pure frame building: exporter responses in, Grafana frames out. */
import { FieldType } from '@grafana/data';
import {
  appendSample,
  costsToFrame,
  createLiveFrame,
  historyToFrame,
  indexSeries,
  lastTime,
  liveBounds,
  parseSeriesId,
  runsFrameToAnnotations,
  runsToFrame,
  seriesDisplayName,
  seriesFieldConfig,
} from '../../datasource-plugin/src/frames';
import { MAX_LIVE_ROWS } from '../../datasource-plugin/src/constants';
import { COSTS_BY_DAY, COSTS_BY_MODEL, history, run, SERIES } from './fixtures';

const index = indexSeries(SERIES);
const DEPLOY = 'actions_per_minute{action="deploy"}';
const MEMORY = 'system_memory_used_bytes';

describe('series names and units', () => {
  test('the id without an alias; the alias with {{label}}, {{__name__}} and {{id}} filled in', () => {
    expect(seriesDisplayName(DEPLOY, index.get(DEPLOY))).toBe(DEPLOY);
    expect(seriesDisplayName(DEPLOY, index.get(DEPLOY), '{{action}} per minute')).toBe('deploy per minute');
    expect(seriesDisplayName(DEPLOY, index.get(DEPLOY), '{{__name__}} ({{ action }})')).toBe('actions_per_minute (deploy)');
    expect(seriesDisplayName(DEPLOY, index.get(DEPLOY), '{{id}}')).toBe(DEPLOY);
    expect(seriesDisplayName(DEPLOY, index.get(DEPLOY), 'Deploys {{missing}}')).toBe('Deploys ');
  });

  test('series the exporter has not listed are named from their id', () => {
    expect(parseSeriesId('llm_cost{model="gpt-4o",provider="openai"}')).toEqual({ name: 'llm_cost', labels: { model: 'gpt-4o', provider: 'openai' } });
    expect(parseSeriesId('x{a="with \\"quote\\", comma"}')).toEqual({ name: 'x', labels: { a: 'with "quote", comma' } });
    expect(seriesDisplayName('new_metric{action="ship"}', undefined, '{{action}}')).toBe('ship');
  });

  test('units come from the series metadata; `none` is left to the panel', () => {
    expect(seriesFieldConfig(MEMORY, index.get(MEMORY))).toEqual({ displayNameFromDS: MEMORY, unit: 'bytes', description: 'Memory in use.' });
    expect(seriesFieldConfig('system_load1', index.get('system_load1')).unit).toBeUndefined();
    expect(seriesFieldConfig(DEPLOY, index.get(DEPLOY)).unit).toBe('opm');
    expect(seriesFieldConfig('unknown', undefined)).toEqual({ displayNameFromDS: 'unknown' });
  });
});

describe('history → frame', () => {
  test('a wide time series frame: time, then one field per series with unit, labels and name', () => {
    const ids = [DEPLOY, MEMORY];
    const h = history(ids, [1000, 2000, 3000], (id, i) => (id === MEMORY ? 100 * i : i === 1 ? null : i));
    const frame = historyToFrame(h, ids, index, 'A', '{{__name__}} {{action}}');
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(3);
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['time', FieldType.time],
      [DEPLOY, FieldType.number],
      [MEMORY, FieldType.number],
    ]);
    expect(frame.fields[0].values).toEqual([1000, 2000, 3000]);
    expect(frame.fields[1].values).toEqual([0, null, 2]);
    expect(frame.fields[1].labels).toEqual({ action: 'deploy' });
    expect(frame.fields[1].config).toMatchObject({ unit: 'opm', displayNameFromDS: 'actions_per_minute deploy' });
    expect(frame.fields[2].config).toMatchObject({ unit: 'bytes', displayNameFromDS: 'system_memory_used_bytes ' });
  });

  test('a series missing from the answer is a column of nulls', () => {
    const frame = historyToFrame(history([MEMORY], [1, 2]), [MEMORY, 'not_there'], index, 'B');
    expect(frame.fields[2].values).toEqual([null, null]);
  });
});

describe('live frames: bounds and appends', () => {
  test('bounds: the range width, and the rows that width holds at the interval', () => {
    expect(liveBounds(0, 15 * 60_000, 1000)).toEqual({ maxDelta: 900_000, maxLength: 901 });
    // A back-fill with more points than that still fits.
    expect(liveBounds(0, 60_000, 1000, 5000)).toEqual({ maxDelta: 60_000, maxLength: 5000 });
    expect(liveBounds(0, 30 * 86_400_000, 1000).maxLength).toBe(MAX_LIVE_ROWS);
  });

  test('the back-fill is trimmed to maxLength rows and maxDelta ms', () => {
    const t = Array.from({ length: 50 }, (_, i) => 1000 * i);
    const byLength = createLiveFrame({ refId: 'A', ids: [MEMORY], index, bounds: { maxLength: 10, maxDelta: 1e9 }, history: history([MEMORY], t) });
    expect(byLength.length).toBe(10);
    expect(byLength.fields[0].values[0]).toBe(40_000);
    const byDelta = createLiveFrame({ refId: 'A', ids: [MEMORY], index, bounds: { maxLength: 1000, maxDelta: 5000 }, history: history([MEMORY], t) });
    expect(byDelta.fields[0].values).toEqual([44_000, 45_000, 46_000, 47_000, 48_000, 49_000]);
    expect(lastTime(byDelta)).toBe(49_000);
  });

  test('appends keep at most maxLength rows', () => {
    const frame = createLiveFrame({ refId: 'A', ids: [MEMORY], index, bounds: { maxLength: 20, maxDelta: 1e12 }, history: history([MEMORY], [0, 1000]) });
    for (let i = 2; i < 100; i++) expect(appendSample(frame, [MEMORY], { t: i * 1000, values: { [MEMORY]: i } })).toBe(true);
    expect(frame.length).toBeLessThanOrEqual(20);
    expect(lastTime(frame)).toBe(99_000);
    const t = frame.fields[0].values as number[];
    for (let i = 1; i < t.length; i++) expect(t[i] - t[i - 1]).toBe(1000);
  });

  test('appends keep at most maxDelta ms', () => {
    const frame = createLiveFrame({ refId: 'A', ids: [MEMORY], index, bounds: { maxLength: 10_000, maxDelta: 10_000 } });
    expect(frame.length).toBe(0);
    for (let i = 0; i < 100; i++) appendSample(frame, [MEMORY], { t: i * 1000, values: { [MEMORY]: i } });
    const t = frame.fields[0].values as number[];
    expect(t[t.length - 1]).toBe(99_000);
    expect(t[t.length - 1] - t[0]).toBeLessThanOrEqual(10_000);
    expect(frame.length).toBeLessThanOrEqual(11);
  });

  test('a tick without any of the frame’s series adds no row; a missing one is null', () => {
    const ids = [MEMORY, 'system_load1'];
    const frame = createLiveFrame({ refId: 'A', ids, index, bounds: { maxLength: 100, maxDelta: 1e9 } });
    expect(appendSample(frame, ids, { t: 1, values: { other: 1 } })).toBe(false);
    expect(appendSample(frame, ids, { t: 2, values: { [MEMORY]: 5 } })).toBe(true);
    expect(frame.fields.map((f) => f.values)).toEqual([[2], [5], [null]]);
    expect(frame.fields[1].config.unit).toBe('bytes');
  });
});

describe('runs → table and annotations', () => {
  const runs = [
    run(),
    run({ id: 'r2', command: 'backup', outcome: 'failure', exitCode: 2, durationSeconds: 75, error: 'disk full', startedBy: null }),
    run({ id: 'r3', status: 'running', outcome: null, finishedAt: null, durationSeconds: null, exitCode: null, startedAt: 1_700_000_100_000 }),
  ];

  test('a table frame, one row per run, with units', () => {
    const frame = runsToFrame(runs, 'R');
    expect(frame.length).toBe(3);
    expect(frame.meta?.preferredVisualisationType).toBe('table');
    const col = (name: string) => frame.fields.find((f) => f.name === name)!;
    expect(col('Started').type).toBe(FieldType.time);
    expect(col('Started').values).toEqual([1_700_000_000_100, 1_700_000_000_100, 1_700_000_100_000]);
    expect(col('Command').values).toEqual(['sample-task', 'backup', 'sample-task']);
    expect(col('Outcome').values).toEqual(['success', 'failure', null]);
    expect(col('Duration').config.unit).toBe('s');
    expect(col('Cost').config.unit).toBe('currencyUSD');
    expect(col('Parameters').values[0]).toBe('{"steps":3}');
    expect(col('Run').values).toEqual(['r1', 'r2', 'r3']);
  });

  test('annotations: start to end, outcome, duration and exit code in the text, tags [command, outcome]', () => {
    const events = runsFrameToAnnotations(runsToFrame(runs, 'R'));
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      id: 'r1',
      time: 1_700_000_000_100,
      timeEnd: 1_700_000_012_600,
      isRegion: true,
      title: 'sample-task',
      tags: ['sample-task', 'success'],
    });
    expect(events[0].text).toBe('sample-task: success in 12.5 s (exit code 0)\nstarted by alice');
    expect(events[1].text).toBe('backup: failure in 1 min 15 s (exit code 2) — disk full');
    expect(events[1].tags).toEqual(['backup', 'failure']);
    // Still running: a point, tagged with its status.
    expect(events[2]).toMatchObject({ time: 1_700_000_100_000, timeEnd: undefined, isRegion: false, tags: ['sample-task', 'running'] });
  });

  test('annotation text is plain text: markup from who started a run or an error is escaped, never rendered', () => {
    // Grafana renders annotation text as sanitised HTML, where links and image beacons survive.
    const hostile = run({ startedBy: `<a href=//evil>x</a><img src=//evil/b>`, error: `"quoted" & 'single' <b>` });
    const [event] = runsFrameToAnnotations(runsToFrame([hostile], 'R'));
    expect(event.text).not.toMatch(/[<>"']/);
    expect(event.text).toContain('started by &lt;a href=//evil&gt;x&lt;/a&gt;&lt;img src=//evil/b&gt;');
    expect(event.text).toContain('&quot;quoted&quot; &amp; &#39;single&#39; &lt;b&gt;');
    // What a browser shows after parsing it as HTML is the original text, nothing else.
    const shown = document.createElement('div');
    shown.innerHTML = event.text!;
    expect(shown.querySelector('a, img')).toBeNull();
    expect(shown.textContent).toContain(`started by <a href=//evil>x</a><img src=//evil/b>`);
  });

  test('frames that are not runs give no annotations', () => {
    expect(runsFrameToAnnotations(costsToFrame(COSTS_BY_MODEL, 'C'))).toEqual([]);
  });
});

describe('costs → frames', () => {
  test('by model: a table with the key, cost in USD and token counts', () => {
    const frame = costsToFrame(COSTS_BY_MODEL, 'C');
    expect(frame.fields.map((f) => f.name)).toEqual(['Model', 'Cost', 'Requests', 'Input tokens', 'Output tokens', 'Unpriced requests']);
    expect(frame.fields[0].values).toEqual(['claude-sonnet-4', 'llama-3.1-8b']);
    expect(frame.fields[1].config.unit).toBe('currencyUSD');
    expect(frame.fields[5].values).toEqual([0, 3]);
    expect(frame.meta?.custom?.total).toEqual(COSTS_BY_MODEL.total);
  });

  test('by day or hour: a time field in time order, so it plots as a time series', () => {
    const frame = costsToFrame(COSTS_BY_DAY, 'C');
    expect(frame.fields[0]).toMatchObject({ name: 'Day', type: FieldType.time });
    expect(frame.fields[0].values).toEqual([Date.parse('2026-01-01T00:00:00.000Z'), Date.parse('2026-01-02T00:00:00.000Z')]);
    expect(frame.fields[1].values).toEqual([0.1, 0.2]);
  });
});
