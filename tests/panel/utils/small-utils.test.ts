import type { DataSourceApi } from '@grafana/data';
import { asConsoleApi } from '../../../panel-plugin/src/utils/datasource';
import { describeError } from '../../../panel-plugin/src/utils/errors';
import { formatCost, formatDuration, formatElapsed, formatTokens } from '../../../panel-plugin/src/utils/format';
import { gridLayout, SCROLLBAR_ALLOWANCE } from '../../../panel-plugin/src/utils/layout';
import { runPermission } from '../../../panel-plugin/src/utils/permissions';
import { DEFAULT_CARDS } from '../../../panel-plugin/src/constants';
import { FakeConsoleApi } from '../helpers/fake-console-api';

describe('permissions', () => {
  test('below Editor may not run; Editor and Admin may', () => {
    expect(runPermission({ orgRole: 'Viewer' })).toEqual({ allowed: false, reason: expect.stringContaining('Your role in this organization is Viewer') });
    expect(runPermission({ orgRole: 'None' }).allowed).toBe(false);
    expect(runPermission({ orgRole: 'Editor' }).allowed).toBe(true);
    expect(runPermission({ orgRole: 'Admin' }).allowed).toBe(true);
  });
  test('the org role decides, as in Grafana’s proxy: a server admin who is a Viewer here may not run', () => {
    expect(runPermission({ orgRole: 'Viewer', isGrafanaAdmin: true })).toEqual({ allowed: false, reason: expect.stringContaining('Your role in this organization is Viewer') });
    expect(runPermission({ orgRole: 'None', isGrafanaAdmin: true }).allowed).toBe(false);
    expect(runPermission({ orgRole: 'Editor', isGrafanaAdmin: true }).allowed).toBe(true);
    expect(runPermission({ orgRole: 'Admin', isGrafanaAdmin: false }).allowed).toBe(true);
  });
  test('an unknown role is left to the server', () => {
    expect(runPermission({}).allowed).toBe(true);
    expect(runPermission(undefined).allowed).toBe(true);
  });
});

describe('describeError', () => {
  test('the datasource’s errors, Grafana FetchErrors and plain values', () => {
    expect(describeError(Object.assign(new Error('parameters.x: is required'), { field: 'parameters.x' }))).toEqual({
      message: 'parameters.x: is required',
      field: 'parameters.x',
    });
    expect(describeError({ status: 400, data: { error: { code: 'invalid_request', message: 'parameters.y: bad', field: 'parameters.y' } } })).toEqual({
      message: 'parameters.y: bad',
      field: 'parameters.y',
      status: 400,
    });
    expect(describeError({ status: 400, data: { message: 'Authentication to data source failed' } })).toEqual({ message: 'Authentication to data source failed', status: 400 });
    expect(describeError({ status: 502, statusText: 'Bad Gateway' })).toEqual({ message: 'Bad Gateway', status: 502 });
    expect(describeError('plain')).toEqual({ message: 'plain' });
    expect(describeError(undefined)).toEqual({ message: 'Unknown error' });
  });
});

describe('asConsoleApi', () => {
  // Only what the panel reads of a DataSourceApi; the real DataSource is accepted in
  // tests/datasource/datasource.test.ts and drives tests/panel/console-exporter.test.tsx.
  const instance = (fields: object) => Object.assign(new FakeConsoleApi(), fields) as unknown as DataSourceApi;
  test('accepts a datasource of the Runboard plugin, by its plugin id (meta.id, else type)', () => {
    const byMeta = instance({ meta: { id: 'runboard-live-datasource' }, type: 'runboard-live-datasource' });
    expect(asConsoleApi(byMeta)).toEqual({ api: byMeta });
    const byType = instance({ type: 'runboard-live-datasource' });
    expect(asConsoleApi(byType)).toEqual({ api: byType });
  });
  test('refuses a datasource of another plugin, naming its type, even one with the same methods', () => {
    expect(asConsoleApi(instance({ meta: { id: 'prometheus' }, type: 'prometheus', name: 'Prom' }))).toEqual({
      error: '"Prom" is a prometheus datasource, not a Runboard one: choose a Runboard Live datasource (runboard-live-datasource) in the panel options.',
    });
    expect(asConsoleApi(null)).toEqual({ error: 'No datasource instance' });
  });
});

describe('format', () => {
  test('durations', () => {
    expect([0.85, 2.5, 12.34, 185, 7322, null, -1].map(formatDuration)).toEqual(['850 ms', '2.50 s', '12.3 s', '3m 05s', '2h 02m', '—', '—']);
  });
  test('elapsed clock', () => {
    expect([0, 7_900, 754_000, 3_723_000].map(formatElapsed)).toEqual(['0:00', '0:07', '12:34', '1:02:03']);
  });
  test('cost and tokens', () => {
    expect([0, 0.0125, 0.5, 1234, null].map(formatCost)).toEqual(['$0', '$0.0125', '$0.50', '$1,234.00', '—']);
    expect(formatTokens(1200, 30)).toBe('1,200 in / 30 out');
    expect(formatTokens(0, 0)).toBe('—');
  });
});

describe('grid layout', () => {
  const parts = { ...DEFAULT_CARDS };
  test('auto columns fit the minimum card width; a few cards share the row', () => {
    expect(gridLayout(900, 200, 10, { ...parts, size: 'md' }).columns).toBe(4); // (900+8)/(210+8)
    expect(gridLayout(900, 200, 2, { ...parts, size: 'md' }).columns).toBe(2);
    expect(gridLayout(900, 200, 10, { ...parts, size: 'lg' }).columns).toBe(3);
    expect(gridLayout(100, 200, 10, parts).columns).toBe(1);
  });
  test('fixed columns are kept', () => {
    const l = gridLayout(900, 2000, 2, { ...parts, columns: 3 });
    expect(l.columns).toBe(3);
    expect(l.cardWidth).toBe(Math.floor((900 - 16) / 3));
  });
  test('card height depends on the parts shown, never on the values', () => {
    const all = gridLayout(900, 2000, 1, parts).cardHeight;
    const bare = gridLayout(900, 2000, 1, { ...parts, showDelta: false, showSparkline: false, showLinks: false }).cardHeight;
    expect(all).toBeGreaterThan(bare);
  });
  test('room for a scrollbar when the cards overflow the height', () => {
    const fits = gridLayout(900, 10_000, 4, { ...parts, columns: 2 });
    const overflows = gridLayout(900, 50, 4, { ...parts, columns: 2 });
    expect(fits.cardWidth - overflows.cardWidth).toBe(SCROLLBAR_ALLOWANCE / 2);
  });
});
