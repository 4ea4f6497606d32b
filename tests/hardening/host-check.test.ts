/**
 * Issue 13 item 7: the Host allow-list against the real exporter. A DNS-rebinding page reaches
 * 127.0.0.1 under the attacker's own name, so every request it makes carries that name in Host:
 * such a request must read nothing, /metrics, /api/v1/health and the stream fast path included,
 * even where a route needs no token (metricsPublic, readPublic) or the token is known.
 */
import os from 'node:os';
import { loadConfig, ConfigError } from '../../exporter/src/config';
import type { RunningExporter } from '../helpers/exporter-process';
import { metricValue, rawExchange, request, startWith, type RawResponse } from './harness';

const API = '/api/v1';

/** Routes a rebinding page would read, with the token so only the Host can be why they fail. */
const ROUTES: Array<{ method: string; path: string }> = [
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: `${API}/health` },
  { method: 'GET', path: `${API}/stream` },
  { method: 'GET', path: `${API}/stream?series=system_load1` },
  { method: 'GET', path: `${API}/series` },
  { method: 'GET', path: `${API}/latest` },
  { method: 'GET', path: `${API}/history` },
  { method: 'GET', path: `${API}/commands` },
  { method: 'GET', path: `${API}/no-such-route` },
];

/** The 421 and its body, exactly: nothing a route would have told (metrics, versions, host facts, series, commands). */
function expectMisdirected(res: RawResponse, what: string): void {
  expect([what, res.status, res.headers['content-type']]).toEqual([what, 421, 'application/json; charset=utf-8']);
  const name = what.split(' ')[0].toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  expect(JSON.parse(res.text)).toEqual({
    error: {
      code: 'misdirected_request',
      message: `Host "${name}" is not allowed (server.allowedHosts): add the name this exporter is reached by to server.allowedHosts (or RUNBOARD_ALLOWED_HOSTS)`,
    },
  });
  expect(res.text).not.toMatch(/runboard_|process_|nodejs_|uptime|version|"series"|"commands"|# HELP/);
}

const HOSTILE = ['evil.example', 'EVIL.example:80', 'evil.example.', 'localhost.evil.example', '127.0.0.1.evil.example', 'exporter.evil.example', '127.evil.example'];

describe('default allow-list', () => {
  let exp: RunningExporter;
  let port: string;
  const auth = () => ({ Authorization: `Bearer ${exp.token}` });

  beforeAll(async () => {
    // readPublic on: the case where a rebinding page could read series and the stream unauthenticated.
    exp = await startWith({ auth: { readPublic: true } }, { commands: true });
    port = new URL(exp.url).port;
  }, 60000);

  afterAll(async () => {
    await exp?.stop();
  });

  it('answers 421 with only the JSON error to a foreign Host on every route, with or without the token', async () => {
    for (const host of HOSTILE) {
      for (const r of ROUTES) {
        expectMisdirected(await request(exp.url, r.method, r.path, { headers: { Host: host } }), `${host} ${r.path}`);
        expectMisdirected(await request(exp.url, r.method, r.path, { headers: { Host: host, ...auth() } }), `${host} ${r.path} (token)`);
      }
    }
    const ingest = await request(exp.url, 'POST', `${API}/ingest`, {
      headers: { Host: 'evil.example', ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'action', name: 'rebound', duration_seconds: 1, success: true }),
    });
    expectMisdirected(ingest, 'evil.example ingest');
    const run = await request(exp.url, 'POST', `${API}/commands/echo/runs`, {
      headers: { Host: 'evil.example', ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ parameters: { text: 'rebound' } }),
    });
    expectMisdirected(run, 'evil.example run');
    // By effect: the refused writes did nothing.
    const runs = JSON.parse((await request(exp.url, 'GET', `${API}/runs`, { headers: auth() })).text) as { total: number };
    expect(runs.total).toBe(0);
    const text = (await request(exp.url, 'GET', '/metrics')).text;
    expect(text).not.toContain('rebound');
    // Every refusal is counted, once: the routes with and without the token, the ingest and the run.
    expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: 'misdirected' })).toBe(HOSTILE.length * ROUTES.length * 2 + 2);
  });

  it('answers only the names it is known by (loopback, IP literals, *.localhost, this machine, the compose service), not their look-alikes', async () => {
    const known = [
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `localhost.:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `10.1.2.3:${port}`,
      `app.localhost:${port}`,
      `exporter:${port}`,
      'exporter',
      os.hostname(),
    ];
    for (const host of known) {
      for (const r of ROUTES.filter((x) => !x.path.includes('no-such-route'))) {
        const res = await request(exp.url, r.method, r.path, { headers: { Host: host, ...auth() } });
        expect([host, r.path, res.status]).toEqual([host, r.path, 200]);
      }
      const name = host.replace(/:\d+$/, '');
      for (const lookAlike of [`${name}.evil.example`, `evil-${name.replace(/[[\]]/g, '')}.example`]) {
        expectMisdirected(await request(exp.url, 'GET', `${API}/health`, { headers: { Host: lookAlike } }), lookAlike);
      }
    }
  });

  it('on a raw socket, as a browser would ask: the stream opens for an allowed Host, not for a foreign one; no Host at all (HTTP/1.0, not a browser) is answered', async () => {
    const ask = (host: string) => rawExchange(exp.url, Buffer.from(`GET ${API}/stream HTTP/1.1\r\nHost: ${host}\r\n\r\n`), { destroyAfterMs: 500, timeoutMs: 5000 });
    const ok = await ask(`127.0.0.1:${port}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/text\/event-stream/);
    const refused = await ask(`evil.example:${port}`);
    expect(refused.status).toBe(421);
    expect(refused.text).not.toMatch(/event-stream|retry:|data:/);
    const http10 = await rawExchange(exp.url, Buffer.from(`GET ${API}/health HTTP/1.0\r\n\r\n`));
    expect(http10.status).toBe(200);
    const http11 = await rawExchange(exp.url, Buffer.from(`GET ${API}/health HTTP/1.1\r\nConnection: close\r\n\r\n`));
    expect(http11.status).toBe(400);
  });
});

describe('configured allow-list', () => {
  let exp: RunningExporter;

  beforeAll(async () => {
    exp = await startWith({ server: { allowedHosts: ['grafana-box.example', '*.corp.example'] } });
  }, 60000);

  afterAll(async () => {
    await exp?.stop();
  });

  it('adds the configured names and wildcard subdomains to the built-ins', async () => {
    for (const host of ['grafana-box.example', 'GRAFANA-BOX.example:9477', 'a.corp.example', 'b.a.corp.example:1', 'localhost', '127.0.0.1']) {
      const res = await request(exp.url, 'GET', '/metrics', { headers: { Host: host } });
      expect([host, res.status]).toEqual([host, 200]);
    }
    for (const host of ['corp.example', 'xcorp.example', 'grafana-box.example.evil', 'evil.example']) {
      expectMisdirected(await request(exp.url, 'GET', '/metrics', { headers: { Host: host } }), host);
    }
  });
});

describe('RUNBOARD_ALLOWED_HOSTS and "*"', () => {
  let fromEnv: RunningExporter;
  let off: RunningExporter;

  beforeAll(async () => {
    [fromEnv, off] = await Promise.all([startWith({}, { env: { RUNBOARD_ALLOWED_HOSTS: ' dash.example , *.lan ' } }), startWith({ server: { allowedHosts: ['*'] } })]);
  }, 60000);

  afterAll(async () => {
    await Promise.all([fromEnv?.stop(), off?.stop()]);
  });

  it('the environment variable is a comma-separated list', async () => {
    expect((await request(fromEnv.url, 'GET', `${API}/health`, { headers: { Host: 'dash.example' } })).status).toBe(200);
    expect((await request(fromEnv.url, 'GET', `${API}/health`, { headers: { Host: 'nas.lan' } })).status).toBe(200);
    expectMisdirected(await request(fromEnv.url, 'GET', `${API}/health`, { headers: { Host: 'evil.example' } }), 'evil.example');
  });

  it('["*"] turns the check off (behind a reverse proxy that rewrites Host)', async () => {
    for (const path of ['/metrics', `${API}/health`]) {
      expect((await request(off.url, 'GET', path, { headers: { Host: 'evil.example' } })).status).toBe(200);
    }
  });
});

describe('config', () => {
  it('refuses an entry that is not a host name, naming the key', () => {
    for (const bad of ['http://grafana.example', 'a b', '*evil', 'host/path', '']) {
      expect(() => loadConfig({ env: {}, overrides: { 'server.allowedHosts': [bad] } })).toThrow(ConfigError);
      expect(() => loadConfig({ env: {}, overrides: { 'server.allowedHosts': [bad] } })).toThrow(/config key "server\.allowedHosts\.0"/);
    }
    expect(loadConfig({ env: { RUNBOARD_ALLOWED_HOSTS: 'a.example,*.b.example' } }).server.allowedHosts).toEqual(['a.example', '*.b.example']);
  });
});
