/**
 * The Runboard datasource plugin's built `dist/module.js` in Chromium, against the real exporter
 * with `--demo`.
 *
 * The page is the Grafana TEST HOST (tests/e2e/host), which stands in for Grafana because no
 * Grafana can run on these machines: it loads module.js the way Grafana does (AMD, with Grafana's
 * shared modules from the real npm packages) and proxies `/api/datasources/proxy/uid/runboard/…`
 * to the exporter by the routes and header templates of the built plugin.json, keeping the API
 * token on the server. The same flows against a real Grafana are in tests/e2e/grafana/.
 *
 * Build first: `npx tsc -p exporter` (or `npm run build`) and `npm run build -w datasource-plugin`.
 */
import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningExporter } from '../helpers/exporter-process';
import {
  duplicates,
  expectHostBooted,
  exporterJson,
  frameTimes,
  freshToken,
  recordTraffic,
  secretInPage,
  secretInTraffic,
  snapshot,
  startDemoExporter,
  startRunboardHost,
  watchErrors,
  type HostSnapshot,
} from './helpers/e2e';
import { DEFAULT_PLUGINS, type RunningHost } from './host/server';
import type { HostQuery } from './host/src/types';

const PLUGIN_ID = 'runboard-live-datasource';
const SERIES = ['system_memory_used_bytes', 'actions_per_minute'];
const LIVE: HostQuery = { refId: 'A', queryType: 'live', series: SERIES };

interface History {
  t: number[];
  values: Record<string, Array<number | null>>;
}

let exporter: RunningExporter;
let host: RunningHost;
const token = freshToken();

test.beforeAll(async () => {
  const module = path.join(DEFAULT_PLUGINS[PLUGIN_ID], 'module.js');
  if (!fs.existsSync(module)) throw new Error(`${module} is missing: run \`npm run build -w datasource-plugin\` first`);
  exporter = await startDemoExporter(token);
  host = await startRunboardHost(exporter, token, [PLUGIN_ID]);
});

test.afterAll(async () => {
  await host?.close();
  await exporter?.stop();
});

test.afterEach(() => {
  // Whatever a test did, no byte carrying the token crossed between the host and the browser.
  expect(host.leaks()).toEqual([]);
});

async function openLive(page: Page, queries: HostQuery[] = [LIVE]): Promise<void> {
  await page.goto(host.pageUrl({ datasource: 'runboard', queries }));
  await expectHostBooted(page);
  await expect(page.getByTestId('panel-state')).toHaveText('Streaming');
}

const rowCount = async (page: Page, refId = 'A') => Number(await page.getByTestId(`rows-${refId}`).textContent());
const lastTime = (s: HostSnapshot) => Math.max(...frameTimes(s).map((t) => t[t.length - 1]));

test('live values arrive in the browser through the built module.js and the proxy', async ({ page }) => {
  const errors = watchErrors(page);
  const traffic = recordTraffic(page);
  await openLive(page);

  // The plugin's own QueryEditor (Grafana UI components from the shared @grafana/ui) is rendered.
  const editor = page.getByTestId('query-editor-row-A');
  await expect(editor.getByText('Query type')).toBeVisible();
  await expect(editor.getByRole('radio', { name: 'Live' })).toBeChecked();
  await expect(editor.getByText('system_memory_used_bytes')).toBeVisible();

  // Back-fill first, then ticks: the row count and the last time keep moving.
  const rows0 = await rowCount(page);
  const s0 = await snapshot(page);
  await expect.poll(() => rowCount(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(rows0 + 3);
  const s1 = await snapshot(page);
  expect(lastTime(s1)).toBeGreaterThan(lastTime(s0));
  expect(Date.now() - lastTime(s1)).toBeLessThan(5_000);

  const memory = Number(await page.getByTestId('value-system_memory_used_bytes').textContent());
  expect(memory).toBeGreaterThan(0);
  expect(Number.isFinite(Number(await page.getByTestId('value-actions_per_minute').textContent()))).toBe(true);
  const frame = s1.frames.find((f) => f.refId === 'A')!;
  expect(frame.fields.map((f) => f.name)).toEqual(['time', ...SERIES]);
  for (const times of frameTimes(s1)) {
    expect(duplicates(times)).toEqual([]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  }

  // Everything went through Grafana's proxy URL, the stream over the GET catch-all route with the
  // token added on the server; the browser never talked to the exporter.
  await traffic.settle();
  const origins = new Set(traffic.requests.map((r) => new URL(r.url).origin));
  expect(origins).toEqual(new Set([host.url]));
  const stream = host.proxyLog.find((e) => e.proxyPath === 'api/v1/stream');
  expect(stream).toMatchObject({ method: 'GET', route: 'api/v1', denied: false, status: 200 });
  expect(stream!.upstreamHeaders).toContain('authorization');
  await page.screenshot({ path: test.info().outputPath('live-values.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('the live stream survives an exporter restart without losing or repeating ticks', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page);
  await expect.poll(async () => (await snapshot(page)).updates, { timeout: 10_000 }).toBeGreaterThan(3);

  const before = await exporterJson<History>(exporter, `/api/v1/history?series=${SERIES.join(',')}&maxPoints=10000`);
  const { port } = new URL(exporter.url);
  const { dataDir } = exporter;
  await exporter.stop();
  const stoppedAt = Date.now();
  // While the exporter is down the panel keeps streaming: the drop is a notice, never an error.
  await expect.poll(async () => (await snapshot(page)).frames[0]?.notices.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
  const down = await snapshot(page);
  expect(down.state).toBe('Streaming');
  expect(down.error).toBeUndefined();
  expect(down.frames[0].notices.every((n) => n.severity === 'warning')).toBe(true);
  // Same port, same data dir, same token: as a supervisor restarting it would.
  exporter = await startDemoExporter(token, { port: Number(port), dataDir });
  const restartedAt = Date.now();

  // New ticks from the new process arrive.
  await expect.poll(async () => lastTime(await snapshot(page)), { timeout: 30_000 }).toBeGreaterThan(restartedAt + 3_000);
  const after = await snapshot(page);
  const times = frameTimes(after)[0];
  expect(duplicates(times)).toEqual([]);
  expect([...times].sort((a, b) => a - b)).toEqual(times);

  // Nothing lost: every tick the old process had (within the frame's window) and every tick the
  // new one produced up to the frame's last row is in the frame, with the exporter's values.
  const got = new Set(times);
  const first = times[0];
  const last = times[times.length - 1];
  const missingBefore = before.t.filter((t) => t >= first && !got.has(t));
  expect(missingBefore).toEqual([]);
  const fresh = await exporterJson<History>(exporter, `/api/v1/history?series=${SERIES.join(',')}&maxPoints=10000`);
  const newTicks = fresh.t.filter((t) => t <= last);
  expect(newTicks.length).toBeGreaterThan(2);
  expect(newTicks.filter((t) => !got.has(t))).toEqual([]);
  const memField = after.frames[0].fields.find((f) => f.name === 'system_memory_used_bytes')!;
  for (const t of newTicks.slice(-3)) {
    expect(memField.values[times.indexOf(t)]).toBe(fresh.values.system_memory_used_bytes[fresh.t.indexOf(t)]);
  }
  // The gap is the exporter's downtime, not the plugin's: no tick between stop and restart existed.
  expect(times.filter((t) => t > stoppedAt && t < fresh.t[0])).toEqual([]);
  // Reconnected: the interruption notice is gone, and the panel never left the Streaming state.
  expect(after.frames[0].notices).toEqual([]);
  expect(after.state).toBe('Streaming');
  expect(errors).toEqual([]);
});

test('the API token never appears in the page, its state or anything the browser exchanged', async ({ page }) => {
  const traffic = recordTraffic(page);
  await openLive(page, [LIVE, { refId: 'B', queryType: 'history', series: SERIES }]);
  await expect.poll(() => rowCount(page), { timeout: 10_000 }).toBeGreaterThan(0);
  // Every query type, and the connection test, so every request path of the plugin is exercised.
  await page.evaluate(() =>
    window.__host.setQueries([
      { refId: 'A', queryType: 'live', series: ['system_memory_used_bytes', 'actions_per_minute'] },
      { refId: 'R', queryType: 'runs' },
      { refId: 'C', queryType: 'costs', groupBy: 'model' },
    ]),
  );
  await expect(page.getByTestId('panel-state')).toHaveText('Streaming');
  const test = await page.evaluate(() => (window.__host.datasource as unknown as { testDatasource(): Promise<{ status: string; message: string }> }).testDatasource());
  expect(test.status).toBe('success');
  // Close the streams so their bodies can be read too.
  await page.evaluate(() => window.__host.setQueries([]));
  await page.waitForTimeout(500);
  await traffic.settle();

  expect(traffic.requests.length).toBeGreaterThan(5);
  expect(secretInTraffic(traffic, token)).toEqual([]);
  expect(await secretInPage(page, token)).toEqual([]);
  // The instance settings the plugin got hold nothing secret either.
  const settings = await page.evaluate(() => JSON.stringify(window.__host.instanceSettings('runboard')));
  expect(JSON.parse(settings)).toMatchObject({ uid: 'runboard', url: '/api/datasources/proxy/uid/runboard' });
  expect(settings).not.toContain(token);
  expect(settings).not.toContain('secureJsonData');
  expect(host.leaks()).toEqual([]);
});

test('a Viewer cannot start a run: the proxy refuses the POST route with 403', async ({ page }) => {
  const runsBefore = (await exporterJson<{ runs: unknown[] }>(exporter, '/api/v1/runs')).runs.length;
  await page.goto(host.pageUrl({ role: 'Viewer', datasource: 'runboard', queries: [] }));
  await expectHostBooted(page);
  await expect(page.getByTestId('host-role')).toHaveText('Viewer');

  // Through the plugin's own method (what the console panel calls) and as a raw request.
  const viaPlugin = await page.evaluate(async () => {
    const ds = window.__host.datasource as unknown as { startRun(id: string, p: object): Promise<unknown> };
    try {
      await ds.startRun('sample-task', {});
      return { ok: true };
    } catch (e) {
      const err = e as { status?: number; message?: string };
      return { ok: false, status: err.status, message: err.message };
    }
  });
  expect(viaPlugin).toMatchObject({ ok: false, status: 403 });
  const raw = await page.evaluate(async () => {
    // Relative to <base href>: the host may serve Grafana under a sub-path (host/legs.ts).
    const res = await fetch('api/datasources/proxy/uid/runboard/api/v1/commands/sample-task/runs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"parameters":{}}',
    });
    return { status: res.status, body: await res.json() };
  });
  expect(raw).toEqual({ status: 403, body: { message: 'plugin proxy route access denied' } });
  const denied = host.proxyLog.filter((e) => e.denied);
  expect(denied.length).toBeGreaterThanOrEqual(2);
  expect(denied.every((e) => e.role === 'Viewer' && e.route === 'api/v1/commands' && e.method === 'POST')).toBe(true);
  // Reading stays open to the Viewer.
  const commands = await page.evaluate(() => (window.__host.datasource as unknown as { listCommands(): Promise<Array<{ id: string }>> }).listCommands());
  expect(commands.map((c) => c.id)).toContain('sample-task');
  expect((await exporterJson<{ runs: unknown[] }>(exporter, '/api/v1/runs')).runs.length).toBe(runsBefore);

  // The same call as an Editor goes through (the refusal was the role, not the request).
  await page.goto(host.pageUrl({ role: 'Editor', datasource: 'runboard', queries: [] }));
  await expectHostBooted(page);
  const run = await page.evaluate(async () => {
    const ds = window.__host.datasource as unknown as { startRun(id: string, p: object): Promise<{ id: string; command: string }>; cancelRun(id: string): Promise<unknown> };
    const r = await ds.startRun('sample-task', { steps: 1, delay_ms: 0 });
    return r;
  });
  expect(run.id).toBeTruthy();
  await expect.poll(async () => (await exporterJson<{ runs: Array<{ id: string }> }>(exporter, '/api/v1/runs')).runs.map((r) => r.id), { timeout: 10_000 }).toContain(run.id);
});

test('every query type answers in the browser: history, runs and costs next to live', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(
    host.pageUrl({
      datasource: 'runboard',
      queries: [
        { refId: 'H', queryType: 'history', series: SERIES },
        { refId: 'R', queryType: 'runs' },
        { refId: 'C', queryType: 'costs', groupBy: 'model' },
      ],
    }),
  );
  await expectHostBooted(page);
  await expect(page.getByTestId('panel-state')).toHaveText('Done');
  await expect(page.getByTestId('panel-error')).toHaveCount(0);
  const s = await snapshot(page);
  const byRef = (refId: string) => s.frames.find((f) => f.refId === refId);
  expect(byRef('H')!.length).toBeGreaterThan(0);
  expect(byRef('H')!.fields.map((f) => f.name)).toEqual(['time', ...SERIES]);
  expect(byRef('R')).toBeDefined();
  expect(byRef('C')).toBeDefined();
  // Each row has its own editor with the query type selected.
  await expect(page.getByTestId('query-editor-row-H').getByRole('radio', { name: 'History' })).toBeChecked();
  await expect(page.getByTestId('query-editor-row-R').getByRole('radio', { name: 'Command runs' })).toBeChecked();
  await expect(page.getByTestId('query-editor-row-C').getByRole('radio', { name: 'Costs' })).toBeChecked();
  await page.screenshot({ path: test.info().outputPath('query-types.png'), fullPage: true });
  expect(errors).toEqual([]);
});
