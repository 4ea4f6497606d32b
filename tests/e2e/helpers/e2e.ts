/**
 * Helpers shared by the host specs: the real exporter with `--demo` (started, stopped and started
 * again on the same port and data dir), the page's data snapshot, and the secret scans of
 * everything the browser holds or exchanges.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Page, type Request, type Response } from '@playwright/test';
import type { SeriesResponse } from '@runboard/protocol';
import { startExporter, type RunningExporter } from '../../helpers/exporter-process';
import { DEFAULT_PLUGINS, startHost, type RunningHost } from '../host/server';
import type { HostSnapshot } from '../host/src/main';

export type { HostSnapshot };

/** A token unique to the run, so a leak can never be a coincidence. */
export function freshToken(): string {
  return `rb-e2e-${randomBytes(18).toString('hex')}`;
}

export function startDemoExporter(token: string, opts: { port?: number; dataDir?: string; args?: string[] } = {}): Promise<RunningExporter> {
  // tests/helpers/exporter-process passes `--port 0` first; commander keeps the last --port.
  const args = ['--demo', ...(opts.port ? ['--port', String(opts.port)] : []), ...(opts.args ?? [])];
  return startExporter(args, { token, dataDir: opts.dataDir });
}

/** The specs load the built plugins: say how to get them rather than fail later in the page. */
export function expectPluginsBuilt(): void {
  for (const [id, dir] of Object.entries(DEFAULT_PLUGINS)) {
    if (!fs.existsSync(path.join(dir, 'module.js'))) throw new Error(`${id}: ${dir}/module.js is missing: run \`npm run build\` first`);
  }
}

/**
 * Waits until the exporter lists every series in `ids`. A panel takes a series' unit from
 * /api/v1/series when its query starts, and a series appears with its first value: CPU usage
 * needs two samples of /proc/stat, so it is listed only from the second tick.
 */
export async function waitForSeries(exporter: RunningExporter, ids: readonly string[]): Promise<void> {
  await expect
    .poll(
      async () => {
        const listed = new Set((await exporterJson<SeriesResponse>(exporter, '/api/v1/series')).series.map((s) => s.id));
        return ids.filter((id) => !listed.has(id));
      },
      { timeout: 30_000 },
    )
    .toEqual([]);
}

/**
 * The test host, signed in as an Editor, with the built plugins `pluginIds` and the Runboard
 * datasource (uid `runboard`) proxied to the exporter; the API token stays on the host.
 */
export function startRunboardHost(exporter: RunningExporter, token: string, pluginIds: string[]): Promise<RunningHost> {
  return startHost({
    plugins: Object.fromEntries(pluginIds.map((id) => [id, DEFAULT_PLUGINS[id]])),
    datasources: [
      { uid: 'runboard', type: 'runboard-live-datasource', name: 'Runboard', url: exporter.url, jsonData: { exporterUrl: exporter.url }, secureJsonData: { apiToken: token } },
    ],
    role: 'Editor',
  });
}

/** Collects the page's uncaught errors; a spec expects none at its end. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Stops the exporter and starts it again on the same port and data dir (same token). */
export async function restartExporter(exp: RunningExporter, downMs = 0): Promise<RunningExporter> {
  const port = Number(new URL(exp.url).port);
  await exp.stop();
  if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
  return startDemoExporter(exp.token, { port, dataDir: exp.dataDir });
}

export async function exporterJson<T>(exp: RunningExporter, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${exp.url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${exp.token}` } });
  if (!res.ok) throw new Error(`${pathAndQuery}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function snapshot(page: Page): Promise<HostSnapshot> {
  return page.evaluate(() => window.__host.snapshot());
}

/** Time values of every frame that has a time field. */
export function frameTimes(s: HostSnapshot): number[][] {
  return s.frames.map((f) => (f.fields.find((x) => x.type === 'time')?.values ?? []) as number[]).filter((t) => t.length > 0);
}

export function duplicates(values: number[]): number[] {
  const seen = new Set<number>();
  const dup = new Set<number>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** Throws with the page's own words when the host failed to boot or the plugin crashed. */
export async function expectHostBooted(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => window.__host && (window.__host.ready || window.__host.bootError), undefined, { timeout: timeoutMs });
  const err = await page.evaluate(() => window.__host.bootError);
  if (err) throw new Error(`test host failed to load the plugin: ${err}`);
}

export interface Traffic {
  requests: Array<{ method: string; url: string; headers: Record<string, string>; body: string | null }>;
  responses: Array<{ url: string; status: number; headers: Record<string, string>; body: string }>;
  /** Waits for the pending header/body reads. */
  settle(): Promise<void>;
}

/** `p`, or `fallback()` when `p` has not settled within `ms` (Playwright waits on in-flight streams). */
async function within<T>(p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p.catch(() => fallback()), new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const isEventStream = (headers: Record<string, string>) => (headers['content-type'] ?? '').includes('text/event-stream');

/**
 * Records every request and response the page makes and gets, with headers (as the browser sent
 * and received them, cookies included) and bodies. An event stream's body is read once the stream
 * has finished (the page closed it, or the server ended it); the host's own scan of every byte it
 * sends covers streams that are still open.
 */
export function recordTraffic(page: Page): Traffic {
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const traffic: Traffic = {
    requests: [],
    responses: [],
    settle: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
  page.on('request', (r: Request) =>
    track(
      (async () => {
        const headers = await within(r.allHeaders(), 3_000, () => r.headers());
        traffic.requests.push({ method: r.method(), url: r.url(), headers, body: r.postData() });
      })(),
    ),
  );
  page.on('response', (r: Response) =>
    track(
      (async () => {
        const provisional = r.headers();
        // An open stream's raw headers are read when it finishes (requestfinished below).
        if (isEventStream(provisional)) return void traffic.responses.push({ url: r.url(), status: r.status(), headers: provisional, body: '' });
        const headers = await within(r.allHeaders(), 3_000, () => provisional);
        const body = (await within(r.body(), 3_000, () => Buffer.alloc(0))).toString('latin1');
        traffic.responses.push({ url: r.url(), status: r.status(), headers, body });
      })(),
    ),
  );
  page.on('requestfinished', (r: Request) =>
    track(
      (async () => {
        const res = await r.response();
        if (!res || !isEventStream(res.headers())) return;
        const headers = await within(res.allHeaders(), 3_000, () => res.headers());
        const body = (await within(res.body(), 5_000, () => Buffer.alloc(0))).toString('latin1');
        traffic.responses.push({ url: res.url(), status: res.status(), headers, body });
      })(),
    ),
  );
  return traffic;
}

/** Where `secret` appears in the recorded traffic (URLs, headers, bodies). */
export function secretInTraffic(t: Traffic, secret: string): string[] {
  const hits: string[] = [];
  for (const r of t.requests) {
    if (r.url.includes(secret)) hits.push(`request URL ${r.url}`);
    if (JSON.stringify(r.headers).includes(secret)) hits.push(`request headers ${r.method} ${r.url}`);
    if (r.body?.includes(secret)) hits.push(`request body ${r.method} ${r.url}`);
  }
  for (const r of t.responses) {
    if (JSON.stringify(r.headers).includes(secret)) hits.push(`response headers ${r.url}`);
    if (r.body.includes(secret)) hits.push(`response body ${r.url}`);
  }
  return hits;
}

/**
 * Where `secret` appears in the page: the DOM (markup and form values), cookies, storage, and
 * everything reachable from `window`'s own properties (host config, Grafana boot data, the
 * datasource instance and its settings, plugin globals), walked as plain data.
 */
export function secretInPage(page: Page, secret: string): Promise<string[]> {
  return page.evaluate((needle) => {
    const hits: string[] = [];
    if (document.documentElement.outerHTML.includes(needle)) hits.push('DOM markup');
    document.querySelectorAll('input, textarea, select').forEach((el, i) => {
      if ((el as HTMLInputElement).value?.includes(needle)) hits.push(`form value #${i}`);
    });
    if (document.cookie.includes(needle)) hits.push('document.cookie');
    for (const [name, store] of [
      ['localStorage', localStorage],
      ['sessionStorage', sessionStorage],
    ] as const) {
      for (let i = 0; i < store.length; i++) {
        const k = store.key(i)!;
        if (k.includes(needle) || (store.getItem(k) ?? '').includes(needle)) hits.push(`${name}.${k}`);
      }
    }
    const seen = new WeakSet<object>();
    let budget = 300_000;
    const builtins = new Set(
      Object.getOwnPropertyNames(Object.getPrototypeOf(window)).concat([
        'window',
        'self',
        'document',
        'top',
        'parent',
        'frames',
        'globalThis',
        'location',
        'history',
        'navigator',
        'performance',
        'crypto',
        'caches',
        'indexedDB',
        'customElements',
        'visualViewport',
        'screen',
        'styleMedia',
        'clientInformation',
        'speechSynthesis',
        'trustedTypes',
        'cookieStore',
        'scheduler',
        'navigation',
        'launchQueue',
        'documentPictureInPicture',
        'sharedStorage',
        'fence',
        'credentialless',
        'originAgentCluster',
        'crossOriginIsolated',
        'isSecureContext',
        'localStorage',
        'sessionStorage',
        'external',
        'chrome',
        'webkitStorageInfo',
      ]),
    );
    const walk = (value: unknown, path: string, depth: number): void => {
      if (budget-- <= 0 || depth > 12) return;
      if (typeof value === 'string') {
        if (value.includes(needle)) hits.push(path);
        return;
      }
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
      const obj = value as object;
      if (seen.has(obj) || obj instanceof Node || obj === window) return;
      seen.add(obj);
      if (typeof value === 'function' && depth > 1) return;
      if (obj instanceof Map) {
        obj.forEach((v, k) => {
          walk(k, `${path}<key>`, depth + 1);
          walk(v, `${path}.get(${String(k)})`, depth + 1);
        });
        return;
      }
      if (obj instanceof Set) {
        obj.forEach((v) => walk(v, `${path}<item>`, depth + 1));
        return;
      }
      if (ArrayBuffer.isView(obj)) return;
      let keys: string[] = [];
      try {
        keys = Object.getOwnPropertyNames(obj);
      } catch {
        return;
      }
      for (const k of keys) {
        let v: unknown;
        try {
          const d = Object.getOwnPropertyDescriptor(obj, k);
          if (!d || !('value' in d)) continue; // never run getters
          v = d.value;
        } catch {
          continue;
        }
        walk(v, `${path}.${k}`, depth + 1);
      }
    };
    // Application state first; the shared library namespaces (large) last.
    const keys = Object.getOwnPropertyNames(window).sort((a, b) => Number(a === '__grafanaShared') - Number(b === '__grafanaShared'));
    for (const k of keys) {
      if (builtins.has(k) || /^(on|webkit)/.test(k)) continue;
      let v: unknown;
      try {
        v = (window as unknown as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      if (typeof v === 'function' && /\[native code\]/.test(Function.prototype.toString.call(v))) continue;
      walk(v, `window.${k}`, 0);
    }
    return hits;
  }, secret);
}
