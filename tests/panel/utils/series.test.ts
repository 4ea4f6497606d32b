import { createDataFrame, FieldType } from '@grafana/data';
import { cardFieldNames, findCardSeries, labelsText, lastValueIndex } from '../../../panel-plugin/src/utils/series';
import { minutes, prometheusLongFrame, prometheusMultiFrames, T0, MIN, wideFrame } from '../helpers/frames';

describe('findCardSeries', () => {
  test('a wide frame gives one series per numeric field, with the shared time field', () => {
    const series = findCardSeries([wideFrame({ cpu: { values: [1, 2] }, memory: { values: [3, 4] } })]);
    expect(series.map((s) => s.title)).toEqual(['cpu', 'memory']);
    expect(series[0].time?.values).toEqual(minutes(2));
    expect(series[1].field.values).toEqual([3, 4]);
  });

  test('Prometheus frames (one per series) give one series each, titled by labels', () => {
    const series = findCardSeries(
      prometheusMultiFrames([
        { labels: { instance: 'a:9100' }, values: [1, 2] },
        { labels: { instance: 'b:9100' }, values: [5, 6] },
      ]),
    );
    expect(series.map((s) => s.title)).toEqual(['a:9100', 'b:9100']);
    expect(new Set(series.map((s) => s.key)).size).toBe(2);
  });

  test('a long frame is split by its label columns, groups in label order, each in time order', () => {
    const series = findCardSeries([
      prometheusLongFrame([
        [T0 + MIN, 'b', 20],
        [T0, 'a', 1],
        [T0, 'b', 10],
        [T0 + MIN, 'a', 2],
      ]),
    ]);
    expect(series).toHaveLength(2);
    const [a, b] = series;
    expect(a.field.labels).toEqual({ instance: 'a' });
    expect(a.field.values).toEqual([1, 2]);
    expect(a.time?.values).toEqual([T0, T0 + MIN]);
    expect(b.field.values).toEqual([10, 20]);
    expect(a.title).not.toBe(b.title);
  });

  test('an instant table (no time) gives one single-value series per row', () => {
    const frame = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'job', type: FieldType.string, values: ['api', 'worker'] },
        { name: 'Value', type: FieldType.number, values: [7, 9] },
      ],
    });
    const series = findCardSeries([frame]);
    expect(series.map((s) => [s.field.values, s.time])).toEqual([
      [[7], undefined],
      [[9], undefined],
    ]);
  });

  test('frames without numbers give nothing; the include list keeps chosen titles or names', () => {
    const text = createDataFrame({ fields: [{ name: 'msg', type: FieldType.string, values: ['x'] }] });
    const frames = [text, wideFrame({ cpu: { values: [1] }, memory: { values: [2] } })];
    expect(findCardSeries(frames).map((s) => s.title)).toEqual(['cpu', 'memory']);
    expect(findCardSeries(frames, { include: ['memory'] }).map((s) => s.title)).toEqual(['memory']);
    expect(cardFieldNames(frames)).toEqual(['cpu', 'memory']);
  });

  test('keys are stable across updates and unique for identical series', () => {
    const first = findCardSeries([wideFrame({ cpu: { values: [1] } })]).map((s) => s.key);
    const next = findCardSeries([wideFrame({ cpu: { values: [1, 2, 3] } })]).map((s) => s.key);
    expect(next).toEqual(first);
    const twice = findCardSeries([wideFrame({ cpu: { values: [1] } }, 'A'), wideFrame({ cpu: { values: [1] } }, 'A')]);
    expect(new Set(twice.map((s) => s.key)).size).toBe(2);
  });

  test('a wide frame out of time order is sorted; links point at the source row of the latest value', () => {
    const frame = wideFrame({ v: { values: [3, 1, 2] } }, 'A', [T0 + 2 * MIN, T0, T0 + MIN]);
    const rows: number[] = [];
    frame.fields[1].getLinks = ({ valueRowIndex }) => {
      rows.push(valueRowIndex!);
      return [];
    };
    const [s] = findCardSeries([frame]);
    expect(s.field.values).toEqual([1, 2, 3]);
    s.getLinks();
    expect(rows).toEqual([0]);
  });
});

test('lastValueIndex skips nulls and NaN', () => {
  expect(lastValueIndex([1, 2, null, NaN])).toBe(1);
  expect(lastValueIndex([null])).toBe(-1);
});

test('labelsText is order independent', () => {
  expect(labelsText({ b: '2', a: '1' })).toBe(labelsText({ a: '1', b: '2' }));
});
