/**
 * The DataSource hub: query routing, template variables, variable queries, annotations, the
 * connection test and the panel's API. Grafana's runtime services (backendSrv, templateSrv)
 * only exist inside Grafana, so they are replaced by fake-runtime.ts: every request the plugin
 * makes is recorded and answered like the exporter (or Grafana's proxy) would.
 */
jest.mock('@grafana/runtime', () => jest.requireActual('./fake-runtime').runtime);

import { dateTime, type DataFrame, type DataQueryRequest, type DataQueryResponse, type DataSourceInstanceSettings } from '@grafana/data';
import { lastValueFrom, toArray } from 'rxjs';
import { DataSource } from '../../datasource-plugin/src/datasource';
import { RunboardError } from '../../datasource-plugin/src/errors';
import type { RunboardOptions } from '../../datasource-plugin/src/types';
import pluginJson from '../../datasource-plugin/src/plugin.json';
import { asConsoleApi } from '../../panel-plugin/src/utils/datasource';
import type { RunboardConsoleApi, RunboardQuery } from '@runboard/protocol';
import { backend, Fail, PROXY_URL, setVariables } from './fake-runtime';
import { COMMANDS, COSTS_BY_MODEL, history, run, SERIES_RESPONSE } from './fixtures';

const EXPORTER_URL = 'http://runboard-exporter:9477';

function makeDs(exporterUrl = EXPORTER_URL): DataSource {
  return new DataSource({
    id: 1,
    uid: 'runboard',
    type: pluginJson.id,
    name: 'Runboard',
    url: `${PROXY_URL}/`,
    access: 'proxy',
    jsonData: exporterUrl ? { exporterUrl } : {},
    meta: { id: pluginJson.id },
    readOnly: false,
  } as unknown as DataSourceInstanceSettings<RunboardOptions>);
}

const HOUR = 3_600_000;

function request(targets: RunboardQuery[], from = Date.now() - HOUR, to = Date.now()): DataQueryRequest<RunboardQuery> {
  return {
    requestId: 'r',
    interval: '1s',
    intervalMs: 1000,
    maxDataPoints: 800,
    range: { from: dateTime(from), to: dateTime(to), raw: { from: 'now-1h', to: 'now' } },
    scopedVars: {},
    targets,
    timezone: 'browser',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<RunboardQuery>;
}

async function collect(ds: DataSource, req: DataQueryRequest<RunboardQuery>): Promise<DataQueryResponse[]> {
  return lastValueFrom(ds.query(req).pipe(toArray()));
}

const pathOf = (url: string) => url.slice(PROXY_URL.length);

beforeEach(() => {
  backend.reset();
  setVariables({});
  backend.on('GET', /^\/api\/v1\/series$/, () => SERIES_RESPONSE);
  backend.on('GET', /^\/api\/v1\/health$/, () => ({ status: 'ok', version: '0.1.0' }));
  backend.on('GET', /^\/api\/v1\/commands$/, () => ({ commands: COMMANDS }));
});

describe('testDatasource', () => {
  test('success names the exporter version and how many series it has', async () => {
    await expect(makeDs().testDatasource()).resolves.toEqual({ status: 'success', message: `Connected to Runboard exporter 0.1.0 (${SERIES_RESPONSE.series.length} series)` });
    expect(backend.calls.map((c) => c.url)).toEqual([`${PROXY_URL}/api/v1/series`, `${PROXY_URL}/api/v1/health`]);
  });

  test('a 401 from the exporter, or the 400 Grafana’s proxy makes of it: the token was rejected', async () => {
    backend.on('GET', /^\/api\/v1\/series$/, () => new Fail({ status: 401, data: { error: { code: 'unauthorized', message: 'invalid API token' } } }));
    await expect(makeDs().testDatasource()).resolves.toMatchObject({ status: 'error', message: 'the exporter rejected the API token' });
    // backendSrv hands the proxy's text body over as a string or wrapped in { message }.
    for (const data of ['Authentication to data source failed', { message: 'Authentication to data source failed', response: 'Authentication to data source failed' }]) {
      backend.on('GET', /^\/api\/v1\/series$/, () => new Fail({ status: 400, data, statusText: 'Bad Request' }));
      await expect(makeDs().testDatasource()).resolves.toMatchObject({ status: 'error', message: 'the exporter rejected the API token' });
    }
  });

  test('no exporter behind the URL: 502 from the proxy, a bare 404, or no answer at all', async () => {
    backend.reset(); // the fake proxy answers 502 to anything without a route
    await expect(makeDs().testDatasource()).resolves.toEqual({ status: 'error', message: `cannot reach the exporter at ${EXPORTER_URL}: HTTP 502: Bad Gateway` });
    backend.on('GET', /^\/api\/v1\/series$/, () => new Fail({ status: 404, data: '404 page not found' }));
    await expect(makeDs().testDatasource()).resolves.toEqual({ status: 'error', message: `cannot reach the exporter at ${EXPORTER_URL}: HTTP 404: 404 page not found` });
    backend.on('GET', /^\/api\/v1\/series$/, () => new Fail({ status: 0, data: undefined, statusText: 'Failed to fetch' }));
    await expect(makeDs('').testDatasource()).resolves.toEqual({ status: 'error', message: 'cannot reach the exporter at the configured URL: Failed to fetch' });
  });

  test('any other exporter error is passed on with its message', async () => {
    backend.on('GET', /^\/api\/v1\/series$/, () => new Fail({ status: 500, data: { error: { code: 'internal', message: 'internal error' } } }));
    await expect(makeDs().testDatasource()).resolves.toEqual({ status: 'error', message: 'the exporter answered with an error: internal error' });
  });
});

describe('queries', () => {
  test('history: one request through the proxy with the series list, a time series frame back', async () => {
    const ids = ['actions_per_minute{action="deploy"}', 'system_memory_used_bytes'];
    backend.on('GET', /^\/api\/v1\/history$/, () => history(ids, [1000, 2000], (id, i) => i));
    const [res] = await collect(makeDs(), request([{ refId: 'A', queryType: 'history', series: ids, alias: '{{action}}' }], 0, 5000));
    const call = backend.calls.find((c) => pathOf(c.url) === '/api/v1/history')!;
    expect(call.params).toEqual({ series: ids.join(','), from: 0, to: 5000, maxPoints: 800 });
    expect(res).toMatchObject({ key: 'A', state: 'Done' });
    const frame = res.data[0] as DataFrame;
    expect(frame.fields.map((f) => f.config.displayNameFromDS)).toEqual([undefined, 'deploy', '']);
    expect(frame.fields[2].config.unit).toBe('bytes');
  });

  test('a multi-value variable expands into several series', async () => {
    setVariables({ action: ['deploy', 'build'] });
    backend.on('GET', /^\/api\/v1\/history$/, () => history([], []));
    await collect(makeDs(), request([{ refId: 'A', queryType: 'history', series: ['actions_per_minute{action="$action"}'] }], 0, 5000));
    const call = backend.calls.find((c) => pathOf(c.url) === '/api/v1/history')!;
    expect(call.params!.series).toBe('actions_per_minute{action="deploy"},actions_per_minute{action="build"}');
  });

  test('a live query over a range that ended in the past runs as history (nothing to stream)', async () => {
    backend.on('GET', /^\/api\/v1\/history$/, () => history(['system_load1'], [1000]));
    const ds = makeDs();
    const responses = await collect(ds, request([{ refId: 'A', queryType: 'live', series: ['system_load1'] }], 0, 5000));
    expect(responses).toHaveLength(1);
    expect(responses[0].state).toBe('Done');
    expect(ds.hub.connectedSeries).toBeUndefined();
  });

  test('runs: every command × outcome the variables name, merged newest first, as a table', async () => {
    setVariables({ cmd: ['sample-task', 'backup'] });
    backend.on('GET', /^\/api\/v1\/runs$/, (req) => ({
      runs: req.params!.command === 'backup' ? [run({ id: 'b', command: 'backup', requestedAt: 3 })] : [run({ id: 'a', requestedAt: 5 }), run({ id: 'c', requestedAt: 1 })],
      total: 1,
      limit: 50,
      offset: 0,
    }));
    const [res] = await collect(makeDs(), request([{ refId: 'R', queryType: 'runs', command: '$cmd', outcome: 'failure', limit: 2 }], 10, 20));
    const calls = backend.calls.filter((c) => pathOf(c.url) === '/api/v1/runs');
    expect(calls.map((c) => c.params)).toEqual([
      { command: 'sample-task', outcome: 'failure', from: 10, to: 20, limit: 2 },
      { command: 'backup', outcome: 'failure', from: 10, to: 20, limit: 2 },
    ]);
    const frame = res.data[0] as DataFrame;
    expect(frame.fields.find((f) => f.name === 'Run')!.values).toEqual(['a', 'b']);
  });

  test('costs: grouped as asked, a table frame', async () => {
    setVariables({ by: 'model' });
    backend.on('GET', /^\/api\/v1\/costs$/, () => COSTS_BY_MODEL);
    const [res] = await collect(makeDs(), request([{ refId: 'C', queryType: 'costs', groupBy: '$by' }], 10, 20));
    expect(backend.calls.find((c) => pathOf(c.url) === '/api/v1/costs')!.params).toEqual({ groupBy: 'model', from: 10, to: 20 });
    expect((res.data[0] as DataFrame).fields[0].values).toEqual(['claude-sonnet-4', 'llama-3.1-8b']);
  });

  test('costs: the source filter follows its variable; All sends none', async () => {
    backend.on('GET', /^\/api\/v1\/costs$/, () => COSTS_BY_MODEL);
    const sent = async () => {
      backend.calls.length = 0;
      await collect(makeDs(), request([{ refId: 'C', queryType: 'costs', groupBy: 'model', source: '$source' }], 10, 20));
      return backend.calls.find((c) => pathOf(c.url) === '/api/v1/costs')!.params;
    };
    setVariables({ source: ['proxy', 'otlp'] });
    expect(await sent()).toEqual({ groupBy: 'model', source: 'proxy,otlp', from: 10, to: 20 });
    setVariables({ source: '.*' }); // what Grafana gives for All with the dashboards' allValue
    expect(await sent()).toEqual({ groupBy: 'model', from: 10, to: 20 });
  });

  test('one failing query reports the exporter’s message; the others still answer', async () => {
    backend.on(
      'GET',
      /^\/api\/v1\/costs$/,
      () => new Fail({ status: 400, data: { error: { code: 'invalid_request', message: 'groupBy: must be one of model, provider, command, hour, day', field: 'groupBy' } } }),
    );
    backend.on('GET', /^\/api\/v1\/runs$/, () => ({ runs: [run()], total: 1, limit: 50, offset: 0 }));
    const responses = await collect(
      makeDs(),
      request([
        { refId: 'C', queryType: 'costs', groupBy: 'week' },
        { refId: 'R', queryType: 'runs' },
      ]),
    );
    const byKey = Object.fromEntries(responses.map((r) => [r.key, r]));
    expect(byKey.C).toMatchObject({ state: 'Error', error: { refId: 'C', message: 'groupBy: must be one of model, provider, command, hour, day' } });
    expect(byKey.R.state).toBe('Done');
  });

  test('hidden queries and live queries without series do not call the exporter', async () => {
    const responses = await collect(
      makeDs(),
      request([
        { refId: 'A', queryType: 'costs', hide: true },
        { refId: 'B', queryType: 'live', series: [] },
      ]),
    );
    expect(responses).toEqual([{ data: [], key: 'B', state: 'Done' }]);
    expect(backend.calls).toEqual([]);
  });
});

describe('template variables', () => {
  test('every field is interpolated; multi-value series expand, filters become lists', () => {
    setVariables({ action: ['deploy', 'build'], cmd: ['a', 'b'], outcome: 'failure', by: 'day', name: 'Deploys' });
    const ds = makeDs();
    const q = ds.applyTemplateVariables(
      { refId: 'A', series: ['actions_per_minute{action="$action"}', 'system_load1'], alias: '$name {{action}}', command: '$cmd', outcome: '$outcome', groupBy: '$by' },
      {},
    );
    expect(q).toEqual({
      refId: 'A',
      series: ['actions_per_minute{action="deploy"}', 'actions_per_minute{action="build"}', 'system_load1'],
      alias: 'Deploys {{action}}',
      command: 'a,b',
      outcome: 'failure',
      groupBy: 'day',
    });
    // Scoped variables (a repeated panel) win over the dashboard's.
    const scoped = ds.interpolateVariablesInQueries([{ refId: 'A', series: ['actions_per_minute{action="$action"}'] }], { action: { text: 'ship', value: 'ship' } });
    expect(scoped[0].series).toEqual(['actions_per_minute{action="ship"}']);
    expect(scoped[0].datasource).toEqual({ type: 'runboard-live-datasource', uid: 'runboard' });
  });
});

describe('variable queries (metricFindQuery)', () => {
  const values = (v: Array<{ text: string; value?: string | number }>) => v.map((x) => x.value);

  test('series, optionally of one metric', async () => {
    const ds = makeDs();
    expect(await ds.metricFindQuery({ refId: 'v', kind: 'series' })).toHaveLength(SERIES_RESPONSE.series.length);
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'series', metric: 'actions_per_minute' }))).toEqual([
      'actions_per_minute',
      'actions_per_minute{action="build"}',
      'actions_per_minute{action="deploy"}',
    ]);
    setVariables({ metric: 'system_load1' });
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'series', metric: '$metric' }))).toEqual(['system_load1']);
    expect(values(await ds.metricFindQuery('series(system_memory_used_bytes)'))).toEqual(['system_memory_used_bytes']);
  });

  test('label values: actions, event types, models (of a provider), providers', async () => {
    const ds = makeDs();
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'actions' }))).toEqual(['build', 'deploy']);
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'eventTypes' }))).toEqual(['email', 'webhook']);
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'models' }))).toEqual(['claude-sonnet-4', 'gpt-4o']);
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'models', provider: 'openai' }))).toEqual(['gpt-4o']);
    expect(values(await ds.metricFindQuery('models(anthropic)'))).toEqual(['claude-sonnet-4']);
    expect(values(await ds.metricFindQuery({ refId: 'v', kind: 'providers' }))).toEqual(['anthropic', 'openai']);
    expect(values(await ds.metricFindQuery('event_types'))).toEqual(['email', 'webhook']);
  });

  test('commands: title shown, id as the value', async () => {
    expect(await makeDs().metricFindQuery({ refId: 'v', kind: 'commands' })).toEqual([
      { text: 'Back up the database', value: 'backup' },
      { text: 'Sample AI task', value: 'sample-task' },
    ]);
  });

  test('through CustomVariableSupport, as Grafana’s variable runner calls it', async () => {
    const ds = makeDs();
    const support = ds.variables as unknown as { query(r: unknown): import('rxjs').Observable<DataQueryResponse> };
    const res = await lastValueFrom(support.query({ ...request([]), targets: [{ refId: 'v', kind: 'providers' }] }));
    expect(res.data).toEqual([
      { text: 'anthropic', value: 'anthropic' },
      { text: 'openai', value: 'openai' },
    ]);
  });
});

describe('annotations', () => {
  test('the annotation query is a runs query; frames become run annotations', async () => {
    const ds = makeDs();
    const support = ds.annotations!;
    expect(support.getDefaultQuery!()).toMatchObject({ queryType: 'runs' });
    expect(support.prepareQuery!({ name: 'Runs', enable: true, iconColor: 'red', target: { refId: 'X', queryType: 'live', command: 'backup' } } as never)).toEqual({
      refId: 'X',
      queryType: 'runs',
      command: 'backup',
    });
    backend.on('GET', /^\/api\/v1\/runs$/, () => ({ runs: [run()], total: 1, limit: 50, offset: 0 }));
    const [res] = await collect(ds, request([{ refId: 'Anno', queryType: 'runs' }]));
    const events = await lastValueFrom(support.processEvents!({} as never, res.data));
    expect(events).toEqual([expect.objectContaining({ time: run().startedAt, timeEnd: run().finishedAt, tags: ['sample-task', 'success'] })]);
  });
});

describe('API for the panel plugin', () => {
  test('start, get, cancel, list runs; errors carry the exporter’s message and field', async () => {
    backend.on('POST', /^\/api\/v1\/commands\/([^/]+)\/runs$/, (req, m) =>
      m[1] === 'sample-task' ? run({ status: 'queued' }) : new Fail({ status: 404, data: { error: { code: 'not_found', message: `no command "${decodeURIComponent(m[1])}"` } } }),
    );
    backend.on('GET', /^\/api\/v1\/runs\/r1$/, () => run());
    backend.on('POST', /^\/api\/v1\/runs\/r1\/cancel$/, () => run({ outcome: 'cancelled' }));
    backend.on('GET', /^\/api\/v1\/runs$/, () => ({ runs: [], total: 0, limit: 10, offset: 0 }));
    const ds = makeDs();
    await expect(ds.startRun('sample-task', { steps: 3 })).resolves.toMatchObject({ status: 'queued' });
    const start = backend.calls.find((c) => c.method === 'POST')!;
    expect(pathOf(start.url)).toBe('/api/v1/commands/sample-task/runs');
    // No startedBy from the browser: the exporter takes the user from Grafana's data proxy.
    expect(start.data).toEqual({ parameters: { steps: 3 } });
    await expect(ds.startRun('a b')).rejects.toThrow('no command "a b"');
    await expect(ds.getRun('r1')).resolves.toMatchObject({ id: 'r1' });
    await expect(ds.cancelRun('r1')).resolves.toMatchObject({ outcome: 'cancelled' });
    await expect(ds.listRuns({ command: 'x', limit: 10 })).resolves.toMatchObject({ total: 0 });
    expect(backend.calls[backend.calls.length - 1].params).toEqual({ command: 'x', limit: 10 });

    backend.on(
      'POST',
      /^\/api\/v1\/commands\/sample-task\/runs$/,
      () => new Fail({ status: 400, data: { error: { code: 'invalid_request', message: 'steps: must be at most 50', field: 'parameters.steps' } } }),
    );
    const err = await ds.startRun('sample-task', { steps: 99 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunboardError);
    expect(err).toMatchObject({ message: 'steps: must be at most 50 (field: parameters.steps)', field: 'parameters.steps', code: 'invalid_request', status: 400 });
  });

  test('a Viewer refused by Grafana’s proxy (route reqRole) is told the Editor role is needed', async () => {
    backend.on('POST', /^\/api\/v1\/runs\/r1\/cancel$/, () => new Fail({ status: 403, data: { message: 'plugin proxy route access denied' } }));
    await expect(makeDs().cancelRun('r1')).rejects.toThrow(
      'Grafana refused the request (plugin proxy route access denied): starting or cancelling runs and changing templates needs the Editor or Admin role in this organization',
    );
  });

  test('templates: list by command, create with POST, replace with PUT (no id in the body), delete', async () => {
    backend.on('GET', /^\/api\/v1\/templates$/, () => ({ templates: [{ id: 't1', command: 'backup', name: 'nightly', parameters: {}, createdAt: 1, updatedAt: 1 }] }));
    backend.on('POST', /^\/api\/v1\/templates$/, (req) => ({ id: 'new', ...(req.data as object) }));
    backend.on('PUT', /^\/api\/v1\/templates\/t1$/, (req) => ({ id: 't1', ...(req.data as object) }));
    backend.on('DELETE', /^\/api\/v1\/templates\/t1$/, () => '');
    const ds = makeDs();
    await expect(ds.listTemplates('backup')).resolves.toHaveLength(1);
    expect(backend.calls[0].params).toEqual({ command: 'backup' });
    await expect(ds.saveTemplate({ command: 'backup', name: 'n', parameters: { a: 1 } })).resolves.toMatchObject({ id: 'new' });
    await expect(ds.saveTemplate({ id: 't1', command: 'backup', name: 'n2', parameters: {} })).resolves.toMatchObject({ id: 't1', name: 'n2' });
    expect(backend.calls[2]).toMatchObject({ method: 'PUT', data: { command: 'backup', name: 'n2', parameters: {} } });
    expect(backend.calls[2].data).not.toHaveProperty('id');
    await expect(ds.deleteTemplate('t1')).resolves.toBeUndefined();
    expect(backend.calls[3].method).toBe('DELETE');
  });

  test('the console panel accepts the instance by its plugin id (plugin.json) as its RunboardConsoleApi', () => {
    const ds = makeDs();
    // The compiler checks the methods (DataSource implements RunboardConsoleApi); this checks the id.
    const api: RunboardConsoleApi = ds;
    expect(asConsoleApi(ds)).toEqual({ api });
  });
});
