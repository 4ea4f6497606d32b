/**
 * 6. Sample-to-screen: a record ingested → its value rendered in the panel in Chromium. The page
 * is the Grafana test host (tests/e2e/host: it stands in for Grafana, which cannot run here) with
 * the built datasource plugin (live query through the host's copy of Grafana's datasource proxy)
 * and the built Runboard panel plugin (metric cards). The series is `action_queue_depth`, set by a
 * `state` record with a value used once; the time is from just before the POST (Date.now() in
 * Node) to the DOM mutation that shows the value (a MutationObserver in the page stamping
 * performance.timeOrigin + performance.now(): the same machine clock).
 *
 * The exporter samples every interval, so the figure includes waiting for the next tick: the
 * headline runs the exporter at --interval 0.1; the full run also reports the default 1 s.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startExporter, type RunningExporter } from '../lib/exporter';
import { postJson } from '../lib/http';
import { REPO } from '../lib/paths';
import { row, type BenchResult, type Context, type Row } from '../lib/result';
import { median, percentile, sleep } from '../lib/stats';

const DS_ID = 'runboard-live-datasource';
const PANEL_ID = 'runboard-console-panel';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERIES = 'action_queue_depth';

declare global {
  interface Window {
    __bench?: { seen: Record<string, number>; mutations: number };
  }
}

interface HostModule {
  startHost(opts: unknown): Promise<{ url: string; pageUrl(p: unknown): string; close(): Promise<void> }>;
  DEFAULT_PLUGINS: Record<string, string>;
}

async function measure(ctx: Context, intervalSeconds: number, samples: number, browser: import('@playwright/test').Browser) {
  // The test host is TypeScript, loaded on demand through bench/register.js (only this benchmark needs it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startHost, DEFAULT_PLUGINS } = require(path.join(REPO, 'tests/e2e/host/server.ts')) as HostModule;
  const exp: RunningExporter = await startExporter({ args: ['--interval', String(intervalSeconds)] });
  const host = await startHost({
    plugins: { [DS_ID]: DEFAULT_PLUGINS[DS_ID], [PANEL_ID]: DEFAULT_PLUGINS[PANEL_ID] },
    datasources: [{ uid: 'runboard', type: DS_ID, name: 'Runboard', url: exp.url, jsonData: { exporterUrl: exp.url }, secureJsonData: { apiToken: exp.token } }],
    role: 'Viewer',
  });
  const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await postJson(`${exp.url}/api/v1/ingest`, exp.token, { kind: 'state', action_queue_depth: 0 });
    await page.goto(
      host.pageUrl({
        datasource: 'runboard',
        queries: [{ refId: 'A', queryType: 'live', series: [SERIES] }],
        queryEditor: false,
        panel: {
          type: PANEL_ID,
          title: 'Queue',
          width: 400,
          height: 240,
          options: { view: 'cards' },
          fieldConfig: { defaults: { decimals: 0, unit: 'none' }, overrides: [] },
        },
      }),
    );
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-state"]')?.textContent === 'Streaming', undefined, { timeout: 60_000 });
    await page.waitForSelector('[data-testid="runboard-card-value"]', { timeout: 30_000 });
    // Every DOM change: read the card's value and stamp the first time each value shows.
    await page.evaluate(() => {
      const bench = (window.__bench = { seen: {} as Record<string, number>, mutations: 0 });
      const read = () => {
        const el = document.querySelector('[data-testid="runboard-card-value"]');
        const digits = (el?.textContent ?? '').replace(/[^0-9]/g, '');
        if (digits && bench.seen[digits] === undefined) bench.seen[digits] = performance.timeOrigin + performance.now();
      };
      new MutationObserver(() => {
        bench.mutations++;
        read();
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    // Clock check: the page's clock against Node's, bounded by the round trip.
    const offsets: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
      const after = Date.now();
      offsets.push(pageNow - (before + after) / 2);
    }
    const latencies: number[] = [];
    const postMs: number[] = [];
    const intervalMs = intervalSeconds * 1000;
    for (let i = 0; i < samples; i++) {
      // De-phase from the tick so the wait for the next one is spread over the interval.
      await sleep(Math.random() * intervalMs);
      const value = 1000 + i; // each value once; digits are what the card shows with 0 decimals
      const t0 = Date.now();
      const r = await postJson(`${exp.url}/api/v1/ingest`, exp.token, { kind: 'state', action_queue_depth: value });
      postMs.push(r.ms);
      const handle = await page.waitForFunction((v) => window.__bench?.seen[String(v)], value, { timeout: 15_000, polling: 5 });
      const seenAt = (await handle.jsonValue()) as number;
      latencies.push(seenAt - t0);
    }
    const shown = await page.evaluate(() => document.querySelector('[data-testid="runboard-card-value"]')?.textContent ?? '');
    if (errors.length > 0) ctx.log(`  page errors: ${errors.slice(0, 3).join('; ')}`);
    return { intervalSeconds, samples, latencies, postMs, clockOffsetMs: median(offsets), lastShown: shown, pageErrors: errors.length };
  } finally {
    await page.close();
    await host.close();
    await exp.stop();
  }
}

export async function screen(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  for (const id of [DS_ID, PANEL_ID]) {
    const dir = path.join(REPO, id === DS_ID ? 'datasource-plugin/dist' : 'panel-plugin/dist');
    if (!fs.existsSync(path.join(dir, 'module.js'))) throw new Error(`${dir}/module.js is missing: build the plugins first (npm run build)`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  // The test host is TypeScript, loaded on demand through bench/register.js (only this benchmark needs it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildHost } = require(path.join(REPO, 'tests/e2e/host/build.ts')) as { buildHost(force?: boolean): void };
  buildHost(); // the host page bundle, only when stale (as the Playwright global setup does)
  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const runs: Array<Awaited<ReturnType<typeof measure>>> = [];
  try {
    runs.push(await measure(ctx, 0.1, ctx.quick ? 30 : 200, browser));
    if (!ctx.quick) runs.push(await measure(ctx, 1, 30, browser));
  } finally {
    await browser.close();
  }
  const rows: Row[] = [];
  for (const r of runs) {
    const p50 = percentile(r.latencies, 50);
    const p99 = percentile(r.latencies, 99);
    const at = r.intervalSeconds === 1 ? '1 s' : `${r.intervalSeconds * 1000} ms`;
    const headline = r === runs[0];
    rows.push(row({ benchmark: 'screen', figure: `ingest → panel p50 (interval ${at}, ${r.samples} samples)`, unit: 'ms', runboard: p50, baseline: null }));
    rows.push(
      row({
        benchmark: 'screen',
        figure: `ingest → panel p99 (interval ${at}, ${r.samples} samples)`,
        unit: 'ms',
        runboard: p99,
        baseline: null,
        ...(headline ? { goal: '< 250 ms', met: p99 < 250 } : {}),
      }),
    );
    ctx.log(`  interval ${at}: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (clock offset page − node ${r.clockOffsetMs.toFixed(1)} ms)`);
  }
  return {
    name: 'screen',
    title: 'Sample-to-screen',
    seconds: (performance.now() - started) / 1000,
    rows,
    details: Object.fromEntries(runs.map((r) => [`interval${r.intervalSeconds}s`, { ...r, p90: percentile(r.latencies, 90), max: Math.max(...r.latencies) }])),
  };
}
