/**
 * Template variables in query fields. TemplateSrv is Grafana's and only exists inside Grafana:
 * fake-runtime.ts provides one that formats values as Grafana's does for the formats used here.
 */
import { expandSeries, expandValue, interpolateQuery, splitList } from '../../datasource-plugin/src/interpolate';
import { MAX_EXPANSION } from '../../datasource-plugin/src/constants';
import { setVariables, templateSrv } from './fake-runtime';

beforeEach(() => setVariables({}));

describe('multi-value variables expand into several series', () => {
  test('one entry, one multi-value variable: one series per value', () => {
    setVariables({ action: ['deploy', 'build'] });
    expect(expandSeries(['actions_per_minute{action="$action"}'], templateSrv)).toEqual(['actions_per_minute{action="deploy"}', 'actions_per_minute{action="build"}']);
  });

  test('two multi-value variables in one entry: every combination', () => {
    setVariables({ provider: ['openai', 'anthropic'], model: ['a', 'b'] });
    expect(expandSeries(['llm_cost{model="$model",provider="${provider}"}'], templateSrv)).toEqual([
      'llm_cost{model="a",provider="openai"}',
      'llm_cost{model="a",provider="anthropic"}',
      'llm_cost{model="b",provider="openai"}',
      'llm_cost{model="b",provider="anthropic"}',
    ]);
  });

  test('a series variable whose values are ids with commas keeps each id whole', () => {
    setVariables({ s: ['llm_cost{model="a",provider="x"}', 'system_load1'] });
    expect(expandSeries(['$s'], templateSrv)).toEqual(['llm_cost{model="a",provider="x"}', 'system_load1']);
  });

  test('single values, comma lists in a text variable, duplicates and unknown variables', () => {
    setVariables({ one: 'deploy', list: 'system_load1,system_memory_used_bytes' });
    expect(expandSeries(['x{action="$one"}', '$list', 'system_load1', '$nope'], templateSrv)).toEqual(['x{action="deploy"}', 'system_load1', 'system_memory_used_bytes', '$nope']);
  });

  test('scoped variables (repeated panels) win over dashboard variables', () => {
    setVariables({ action: ['deploy', 'build'] });
    expect(expandValue('a{action="$action"}', templateSrv, { action: { text: 'ship', value: 'ship' } })).toEqual(['a{action="ship"}']);
  });

  test('the expansion is bounded', () => {
    setVariables({ a: Array.from({ length: 30 }, (_, i) => `a${i}`), b: Array.from({ length: 30 }, (_, i) => `b${i}`) });
    expect(expandSeries(['m{a="$a",b="$b"}'], templateSrv)).toHaveLength(MAX_EXPANSION);
  });
});

describe('other fields', () => {
  test('alias keeps {{label}}; filters keep several values as a comma list; groupBy takes one', () => {
    setVariables({ who: 'Team', cmd: ['a', 'b'], by: ['day', 'model'] });
    expect(interpolateQuery({ refId: 'A', alias: '$who {{action}}', command: '$cmd', outcome: '', groupBy: '$by' }, templateSrv)).toEqual({
      refId: 'A',
      series: undefined,
      alias: 'Team {{action}}',
      command: 'a,b',
      outcome: '',
      groupBy: 'day',
    });
    expect(splitList(' a, ,b ')).toEqual(['a', 'b']);
  });

  test('source: several values as a comma list; a variable whose All is selected means every source', () => {
    setVariables({ source: ['proxy', 'otlp'] });
    expect(interpolateQuery({ refId: 'A', source: '$source' }, templateSrv).source).toBe('proxy,otlp');
    expect(interpolateQuery({ refId: 'A', source: 'sdk, $source' }, templateSrv).source).toBe('sdk,proxy,otlp');
    // Grafana gives a variable's allValue for All (the dashboards' is the Prometheus-style `.*`).
    for (const all of ['.*', '$__all']) {
      setVariables({ source: all });
      expect(interpolateQuery({ refId: 'A', source: '$source' }, templateSrv).source).toBe('');
    }
    expect(interpolateQuery({ refId: 'A' }, templateSrv).source).toBeUndefined();
    expect(splitList(undefined)).toEqual([]);
  });
});
