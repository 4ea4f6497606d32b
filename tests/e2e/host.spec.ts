/**
 * Self-test of the Grafana test host (tests/e2e/host), which stands in for Grafana in the browser
 * tests because no Grafana can run on these machines. It proves the host behaves like Grafana
 * where the plugins' tests rely on it:
 * - the datasource proxy applies plugin.json routes as Grafana's ds_proxy.go does (checked against
 *   an upstream that records what it receives), including the real Runboard plugin.json's routes;
 * - the page loads a hand-written AMD module (fixtures/, not the Runboard plugin) through the
 *   shared-module loader and streams live values from the real exporter through the proxy.
 */
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RunningExporter } from '../helpers/exporter-process';
import { expectHostBooted, freshToken, recordTraffic, secretInPage, secretInTraffic, snapshot, startDemoExporter } from './helpers/e2e';
import { matchRoute } from './host/proxy';
import { REPO_ROOT, startHost, type RunningHost } from './host/server';
import type { PluginRoute } from './host/src/types';

const FIXTURE = path.join(__dirname, 'host/fixtures/fixture-live-datasource');
const FIXTURE_PANEL = path.join(__dirname, 'host/fixtures/fixture-panel');

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An upstream that records every request and answers a few special paths. */
async function startRecorder(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.includes('/unauthorized')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'bad token' } }));
      }
      if (req.url?.includes('/sse')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 1500);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'upstream=1; Path=/' });
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test.describe('datasource proxy follows Grafana route rules', () => {
  const token = freshToken();
  let upstream: Awaited<ReturnType<typeof startRecorder>>;
  let host: RunningHost;

  test.beforeAll(async () => {
    upstream = await startRecorder();
    host = await startHost({
      plugins: { 'fixture-live-datasource': FIXTURE },
      datasources: [
        {
          uid: 'rec',
          type: 'fixture-live-datasource',
          url: `${upstream.url}/base`,
          jsonData: { extUrl: `${upstream.url}/ext-host`, team: 'ops' },
          secureJsonData: { apiToken: token },
        },
      ],
      role: 'Editor',
    });
  });
  test.afterAll(async () => {
    await host?.close();
    await upstream?.close();
  });

  const proxy = (p: string) => `${host.appUrl}/api/datasources/proxy/uid/rec/${p}`;
  const last = () => upstream.seen[upstream.seen.length - 1];

  test('a matched route gets the rendered header; cookies, origin and referer do not pass', async () => {
    const res = await fetch(proxy('api/v1/series?x=1&y=a%20b'), {
      headers: { Cookie: 'grafana_session=abc; other=1', Origin: 'http://evil', Referer: 'http://host/d/1', 'X-Grafana-User': 'admin' },
    });
    expect(res.status).toBe(200);
    const got = last();
    // Datasource URL path + full proxy path, query as sent.
    expect(got.url).toBe('/base/api/v1/series?x=1&y=a%20b');
    expect(got.headers.authorization).toBe(`Bearer ${token}`);
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers.origin).toBeUndefined();
    expect(got.headers.referer).toBeUndefined();
    expect(got.headers['x-grafana-referer']).toBe('http://host/d/1');
    expect(got.headers['user-agent']).toBe(`Grafana/${host.leg.version}`);
    // send_user_header: the signed-in user's login, never what the browser claimed.
    expect(got.headers['x-grafana-user']).toBe('editor');
    // Response: Set-Cookie stripped, CSP sandbox added.
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe('sandbox');
  });

  test('a route above the user role is refused with 403 and never reaches the upstream', async () => {
    host.setRole('Viewer');
    try {
      const before = upstream.seen.length;
      const res = await fetch(proxy('api/v1/commands/demo/runs'), { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: 'plugin proxy route access denied' });
      expect(upstream.seen.length).toBe(before);
      // The GET catch-all route is open to Viewers.
      expect((await fetch(proxy('api/v1/commands'))).status).toBe(200);
    } finally {
      host.setRole('Editor');
    }
    const ok = await fetch(proxy('api/v1/commands/demo/runs'), { method: 'POST', body: '{"a":1}', headers: { 'Content-Type': 'application/json' } });
    expect(ok.status).toBe(200);
    expect(last()).toMatchObject({ method: 'POST', url: '/base/api/v1/commands/demo/runs', body: '{"a":1}' });
    expect(last().headers.authorization).toBe(`Bearer ${token}`);
  });

  test('a request that matches no route is forwarded without the token', async () => {
    const res = await fetch(proxy('api/v1/runs/1/cancel'), { method: 'POST' });
    expect(res.status).toBe(200);
    expect(last().url).toBe('/base/api/v1/runs/1/cancel');
    expect(last().headers.authorization).toBeUndefined();
  });

  test('a route with url replaces the route prefix; JsonData templates render, missing keys print <no value>', async () => {
    await fetch(proxy('ext/deeper/path?q=1'));
    expect(last().url).toBe('/ext-host/mounted/deeper/path?q=1');
    expect(last().headers['x-team']).toBe('ops');
    expect(last().headers['x-missing']).toBe('<no value>');
  });

  test('an upstream 401 becomes 400 "Authentication to data source failed"', async () => {
    const res = await fetch(proxy('api/v1/unauthorized'));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Authentication to data source failed');
  });

  test('an event stream is flushed through at once', async () => {
    const started = Date.now();
    const res = await fetch(proxy('api/v1/sse'));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('data: one');
    expect(Date.now() - started).toBeLessThan(1000);
    await reader.cancel();
  });

  test('the Runboard plugin.json routes: role-restricted writes before the read catch-all', () => {
    const routes = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'datasource-plugin/src/plugin.json'), 'utf8')) as { routes: PluginRoute[] }).routes;
    const decide = (method: string, p: string, role: 'Viewer' | 'Editor') => {
      const m = matchRoute(routes, method, p, role);
      return m.denied ? 'denied' : m.route ? `route ${m.route.path}` : 'no route';
    };
    expect(decide('POST', 'api/v1/commands/deploy/runs', 'Viewer')).toBe('denied');
    expect(decide('POST', 'api/v1/commands/deploy/runs', 'Editor')).toBe('route api/v1/commands');
    expect(decide('POST', 'api/v1/runs/r1/cancel', 'Viewer')).toBe('denied');
    expect(decide('PUT', 'api/v1/templates/t1', 'Viewer')).toBe('denied');
    expect(decide('DELETE', 'api/v1/templates/t1', 'Viewer')).toBe('denied');
    expect(decide('GET', 'api/v1/templates', 'Viewer')).toBe('route api/v1');
    expect(decide('GET', 'api/v1/stream', 'Viewer')).toBe('route api/v1');
    expect(decide('GET', 'api/v1/runs/r1/output', 'Viewer')).toBe('route api/v1');
    // Set server side on every route: how the exporter knows a run was started through Grafana.
    for (const r of routes) expect(r.headers).toContainEqual({ name: 'X-Runboard-Via', content: 'grafana' });
  });
});

test.describe('page loads an AMD plugin with Grafana shared modules', () => {
  let exporter: RunningExporter;
  let host: RunningHost;
  const token = freshToken();

  test.beforeAll(async () => {
    exporter = await startDemoExporter(token);
    host = await startHost({
      plugins: { 'fixture-live-datasource': FIXTURE, 'fixture-panel': FIXTURE_PANEL },
      datasources: [{ uid: 'fixture', type: 'fixture-live-datasource', url: exporter.url, secureJsonData: { apiToken: token } }],
    });
  });
  test.afterAll(async () => {
    await host?.close();
    await exporter?.stop();
  });

  test('the fixture module renders its QueryEditor and streams through the proxy', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(host.pageUrl({ queries: [{ refId: 'A', series: ['system_memory_used_bytes'] }] }));
    await expectHostBooted(page);
    await expect(page.getByTestId('fixture-query-editor').getByLabel('series')).toHaveValue('system_memory_used_bytes');
    await expect(page.getByTestId('panel-state')).toHaveText('Streaming');
    const rows = page.getByTestId('rows-A');
    const n0 = Number(await rows.textContent());
    await expect.poll(async () => Number(await rows.textContent()), { timeout: 10_000 }).toBeGreaterThan(n0);
    expect(Number(await page.getByTestId('value-system_memory_used_bytes').textContent())).toBeGreaterThan(0);
    const s = await snapshot(page);
    expect(s.frames[0].fields.map((f) => f.name)).toEqual(['time', 'system_memory_used_bytes']);
    await page.screenshot({ path: test.info().outputPath('fixture-plugin.png') });
    expect(host.leaks()).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('the secret scans find a planted token (so their silence in the plugin specs means something)', async ({ page }) => {
    const traffic = recordTraffic(page);
    await page.goto(host.pageUrl({ queries: [] }));
    await expectHostBooted(page);
    await traffic.settle();
    expect(secretInTraffic(traffic, token)).toEqual([]);
    expect(await secretInPage(page, token)).toEqual([]);
    expect(host.leaks()).toEqual([]);
    await page.evaluate(async (t) => {
      (window as unknown as Record<string, unknown>).__planted = { deep: { list: [`Bearer ${t}`] } };
      document.body.insertAdjacentHTML('beforeend', `<span hidden data-x="${t}"></span>`);
      await fetch(`api/health?probe=${t}`);
    }, token);
    await traffic.settle();
    expect(await secretInPage(page, token)).toEqual(expect.arrayContaining(['DOM markup', 'window.__planted.deep.list.0']));
    expect(secretInTraffic(traffic, token)).toEqual([expect.stringMatching(/^request URL .*\/api\/health\?probe=/)]);
    expect(host.leaks()).toEqual([{ direction: 'from-browser', method: 'GET', url: `/api/health?probe=${token}`, where: 'url' }]);
  });

  test('a panel plugin gets the query data with field config applied, options and the theme', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    for (const theme of ['light', 'dark'] as const) {
      await page.goto(
        host.pageUrl({
          theme,
          queries: [{ refId: 'A', series: ['system_memory_used_bytes'] }],
          panel: {
            type: 'fixture-panel',
            title: 'Fixture',
            options: { label: `label ${theme}` },
            fieldConfig: { defaults: { unit: 'bytes', decimals: 1 }, overrides: [] },
            width: 600,
            height: 200,
          },
        }),
      );
      await expectHostBooted(page);
      const panel = page.getByTestId('fixture-panel');
      await expect(panel).toHaveAttribute('data-theme', theme);
      await expect(page.getByTestId('fixture-panel-label')).toHaveText(`label ${theme}`);
      await expect(page.getByTestId('fixture-panel-state')).toHaveText('Streaming');
      // Grafana's display processor formatted the value with the field config's unit.
      await expect(page.getByTestId('fixture-panel-value')).toHaveText(/^system_memory_used_bytes: \d+(\.\d)? (MiB|GiB)$/);
      await page.screenshot({ path: test.info().outputPath(`fixture-panel-${theme}.png`) });
    }
    expect(errors).toEqual([]);
  });
});
