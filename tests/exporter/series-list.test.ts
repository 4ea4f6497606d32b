import { seriesId, splitSeriesList } from '@runboard/protocol/series';
import { parseSeriesFilter } from '../../exporter/src/stream/sse-hub';

describe('series ids and lists', () => {
  it('builds canonical ids with sorted, quoted labels', () => {
    expect(seriesId('x')).toBe('x');
    expect(seriesId('x', {})).toBe('x');
    expect(seriesId('x', { model: 'gpt-4o', provider: 'openai' })).toBe('x{model="gpt-4o",provider="openai"}');
    expect(seriesId('x', { b: '2', a: 'q"uote' })).toBe('x{a="q\\"uote",b="2"}');
  });

  it('splits lists only on commas outside braces and quotes', () => {
    expect(splitSeriesList('a, b ,,c')).toEqual(['a', 'b', 'c']);
    expect(splitSeriesList('x{model="m,1",provider="p"},y')).toEqual(['x{model="m,1",provider="p"}', 'y']);
    expect(splitSeriesList('x{a="q\\",z"},y')).toEqual(['x{a="q\\",z"}', 'y']);
    expect(splitSeriesList(undefined)).toEqual([]);
  });

  it('filters stream series by exact id or prefix*', () => {
    const f = parseSeriesFilter('system_*,actions_per_minute');
    expect(f.match!('system_load1')).toBe(true);
    expect(f.match!('actions_per_minute')).toBe(true);
    expect(f.match!('actions_per_minute{action="a"}')).toBe(false);
    expect(parseSeriesFilter('').match).toBeUndefined();
    expect(parseSeriesFilter('b,a').key).toBe(parseSeriesFilter('a,b').key);
  });
});
