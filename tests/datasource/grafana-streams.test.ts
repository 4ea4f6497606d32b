/**
 * The event streams as Grafana serves them: the browser's own fetch() on Grafana's data proxy,
 * which must carry what backendSrv adds to JSON calls (the sub-path `config.appSubUrl`, the
 * `X-Grafana-Org-Id` header), and whose failures must name who refused: Grafana's session (401),
 * the org role a plugin.json route needs (403), or the exporter refusing the token (Grafana's
 * proxy turns that 401 into a 400). `config` is @grafana/runtime's real one; the browser's fetch
 * is replaced by a recorder that answers as Grafana would.
 */
import type { DataSourceInstanceSettings } from '@grafana/data';
import { config } from '@grafana/runtime';
import type { Observable } from 'rxjs';
import { toRunboardError } from '../../datasource-plugin/src/api';
import { DataSource } from '../../datasource-plugin/src/datasource';
import { RunboardError } from '../../datasource-plugin/src/errors';
import { appUrl } from '../../datasource-plugin/src/grafana';
import pluginJson from '../../datasource-plugin/src/plugin.json';
import type { RunboardOptions } from '../../datasource-plugin/src/types';

const PROXY_URL = '/api/datasources/proxy/uid/runboard';

interface Answer {
  status: number;
  body: string;
  type?: string;
}

const requests: Array<{ url: string; headers: Record<string, string> }> = [];
let answer: Answer = { status: 401, body: JSON.stringify({ message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401 }) };
const browserFetch = globalThis.fetch;
const saved = { appSubUrl: config.appSubUrl, bootData: config.bootData };

beforeAll(() => {
  globalThis.fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    requests.push({ url: String(input), headers: Object.fromEntries(new Headers(init.headers).entries()) });
    const { status, body, type = 'application/json' } = answer;
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText: '',
      headers: new Headers({ 'content-type': type }),
      body: null,
      text: async () => body,
    } as unknown as Response;
  }) as typeof fetch;
});

afterAll(() => {
  globalThis.fetch = browserFetch;
  config.appSubUrl = saved.appSubUrl;
  config.bootData = saved.bootData;
});

beforeEach(() => {
  requests.length = 0;
  config.bootData = { ...saved.bootData, user: { ...saved.bootData?.user, orgId: 7 } } as typeof config.bootData;
});

function makeDs(): DataSource {
  return new DataSource({
    id: 1,
    uid: 'runboard',
    type: pluginJson.id,
    name: 'Runboard',
    url: PROXY_URL,
    access: 'proxy',
    jsonData: {},
    meta: { id: pluginJson.id },
    readOnly: false,
  } as unknown as DataSourceInstanceSettings<RunboardOptions>);
}

/** The error an Observable ends with (the run output ends on a 4xx). */
function errorOf(source: Observable<unknown>): Promise<RunboardError> {
  return new Promise((resolve, reject) => {
    source.subscribe({ error: resolve, complete: () => reject(new Error('completed without an error')) });
  });
}

/** The first request the sample stream makes for a watcher (it retries after a failure, so stop then). */
async function firstStreamRequest(ds: DataSource) {
  const sub = ds.hub.watch(['runboard_cpu']).subscribe();
  try {
    const deadline = Date.now() + 5000;
    while (requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return requests[0];
  } finally {
    sub.unsubscribe();
  }
}

describe('appUrl', () => {
  test('no sub-path: the URL as it is', () => {
    expect(appUrl(`${PROXY_URL}/api/v1/stream`, '')).toBe(`${PROXY_URL}/api/v1/stream`);
  });

  test('under a sub-path: root-relative URLs get it once; absolute ones are left alone', () => {
    expect(appUrl(`${PROXY_URL}/api/v1/stream`, '/grafana')).toBe(`/grafana${PROXY_URL}/api/v1/stream`);
    expect(appUrl(`${PROXY_URL}/api/v1/stream`, '/grafana/')).toBe(`/grafana${PROXY_URL}/api/v1/stream`);
    expect(appUrl(`/grafana${PROXY_URL}`, '/grafana')).toBe(`/grafana${PROXY_URL}`);
    expect(appUrl('http://exporter:9477/api/v1/stream', '/grafana')).toBe('http://exporter:9477/api/v1/stream');
  });

  test('reads config.appSubUrl when not given one', () => {
    config.appSubUrl = '/ops/grafana';
    expect(appUrl(PROXY_URL)).toBe(`/ops/grafana${PROXY_URL}`);
    config.appSubUrl = '';
    expect(appUrl(PROXY_URL)).toBe(PROXY_URL);
  });
});

describe.each([
  ['', PROXY_URL],
  ['/grafana', `/grafana${PROXY_URL}`],
])('streams with appSubUrl %j', (appSubUrl, base) => {
  beforeEach(() => {
    config.appSubUrl = appSubUrl;
  });

  test('the live sample stream asks Grafana’s proxy under the sub-path, for the page’s org', async () => {
    const req = await firstStreamRequest(makeDs());
    expect(req.url).toBe(`${base}/api/v1/stream?series=runboard_cpu`);
    expect(req.headers['x-grafana-org-id']).toBe('7');
  });

  test('a run’s output stream too', async () => {
    await errorOf(makeDs().api.streamRunOutput('run-1'));
    expect(requests.map((r) => r.url)).toEqual([`${base}/api/v1/runs/run-1/output`]);
    expect(requests[0].headers['x-grafana-org-id']).toBe('7');
  });
});

describe('who refused a stream', () => {
  beforeEach(() => {
    config.appSubUrl = '';
  });

  test('401 without the exporter’s error body: Grafana’s own session failed', async () => {
    answer = { status: 401, body: JSON.stringify({ message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401 }) };
    const err = await errorOf(makeDs().api.streamRunOutput('run-1'));
    expect(err.message).toBe('your Grafana session has expired or is not valid: sign in again');
    expect(err.unauthorized).toBe(false);
  });

  test('403 from the proxy: the org role a reading route needs', async () => {
    answer = { status: 403, body: JSON.stringify({ message: 'plugin proxy route access denied' }) };
    const err = await errorOf(makeDs().api.streamRunOutput('run-1'));
    expect(err.message).toBe(
      'Grafana refused the request (plugin proxy route access denied): reading from the Runboard datasource needs the Viewer, Editor or Admin role in this organization',
    );
  });

  test('the exporter refusing the token arrives as the proxy’s 400', async () => {
    answer = { status: 400, body: 'Authentication to data source failed', type: 'text/plain' };
    const err = await errorOf(makeDs().api.streamRunOutput('run-1'));
    expect(err.message).toBe('the exporter rejected the API token');
    expect(err.unauthorized).toBe(true);
  });
});

describe('who refused a JSON call (backendSrv’s FetchError)', () => {
  const failed = (status: number, data: unknown, method: string) => ({ status, data, statusText: '', config: { url: `${PROXY_URL}/api/v1/runs`, method } });

  test('403 on a POST names the Editor role; on a GET the Viewer role', () => {
    expect(toRunboardError(failed(403, { message: 'plugin proxy route access denied' }, 'POST')).message).toBe(
      'Grafana refused the request (plugin proxy route access denied): starting or cancelling runs and changing templates needs the Editor or Admin role in this organization',
    );
    expect(toRunboardError(failed(403, { message: 'plugin proxy route access denied' }, 'GET')).message).toMatch(/needs the Viewer, Editor or Admin role/);
  });

  test('401: the session; the exporter’s own 401 (no Grafana in between): the token', () => {
    expect(toRunboardError(failed(401, { message: 'Unauthorized' }, 'GET')).message).toBe('your Grafana session has expired or is not valid: sign in again');
    const direct = toRunboardError(failed(401, { error: { code: 'unauthorized', message: 'invalid API token' } }, 'GET'));
    expect(direct.unauthorized).toBe(true);
    expect(direct.message).toBe('invalid API token');
  });
});
