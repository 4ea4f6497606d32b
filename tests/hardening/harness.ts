/**
 * Shared pieces of the hardening suite (README "Reliability"): scale (short run by default, HARDENING_FULL=1
 * for the full run), a raw HTTP client that can send anything, the exporter's RSS and metrics,
 * and the figures each spec prints for the README and the closing note.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';
import { commandsConfig } from '../helpers/commands-config';

export const FULL = process.env.HARDENING_FULL === '1';

/** The short-run figure, or the full-run one; `HARDENING_<NAME>` overrides either. */
export function scale(name: string, short: number, full: number): number {
  const override = Number(process.env[`HARDENING_${name}`]);
  return Number.isFinite(override) && override > 0 ? override : FULL ? full : short;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Figures a spec found: printed (console.log) and appended to HARDENING_REPORT if set. */
export function report(spec: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ spec, full: FULL, ...figures });
  console.log(`[hardening] ${line}`);
  const file = process.env.HARDENING_REPORT;
  if (file) fs.appendFileSync(file, line + '\n');
}

/** Resident set size of a process in bytes (Linux /proc), or NaN when unknown. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Starts the real exporter with a JSON config; `commands: true` adds the fixture commands. */
export async function startWith(
  config: Record<string, unknown>,
  opts: { commands?: boolean; args?: string[]; env?: NodeJS.ProcessEnv; token?: string | null; dataDir?: string } = {},
): Promise<RunningExporter> {
  let file: string;
  if (opts.commands) {
    file = commandsConfig(config);
  } else {
    file = path.join(tmpDir('runboard-hardening-'), 'runboard.json');
    fs.writeFileSync(file, JSON.stringify(config));
  }
  return startExporter(['--config', file, ...(opts.args ?? [])], { env: opts.env, token: opts.token, dataDir: opts.dataDir });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * One request with node:http (keep-alive): any method, headers as given (arrays repeat a
 * header), a Buffer or string body sent as is. An SSE answer is cut after its headers.
 */
export function request(
  base: string,
  method: string,
  target: string,
  opts: { headers?: Record<string, string | string[]>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const u = new URL(base);
  const headers = { ...opts.headers };
  // Node frames a GET/DELETE/… body only when told its length; unframed bytes would be the next request.
  if (opts.body !== undefined && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) {
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), method, path: target, headers, agent, setHost: true }, (res) => {
      const chunks: Buffer[] = [];
      const sse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      if (sse) {
        // Streams never end by themselves: the status and headers are what is checked.
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), text: '' });
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 15000, () => req.destroy(new Error(`${method} ${target.slice(0, 80)}: no answer in ${opts.timeoutMs ?? 15000} ms`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/**
 * Writes raw bytes on a fresh socket and reads until the server closes it (or `timeoutMs`, or
 * `destroyAfterMs` when we cut it ourselves).
 * `halfClose` ends our side after writing (a body cut short); otherwise the socket stays open
 * until the answer is complete. Returns the parsed status (null when the server just closed).
 */
export function rawExchange(
  base: string,
  bytes: Buffer,
  opts: { timeoutMs?: number; halfClose?: boolean; destroyAfterMs?: number } = {},
): Promise<{ status: number | null; text: string; closedBy: 'server' | 'timeout' | 'us' }> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedBy: 'server' | 'timeout' | 'us') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, closedBy });
    };
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 10000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => finish('server'));
    socket.on('error', () => finish('server'));
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.halfClose) socket.end();
      if (opts.destroyAfterMs !== undefined) setTimeout(() => finish('us'), opts.destroyAfterMs);
    });
  });
}

/** The value of one sample in Prometheus text (labels in any order), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[l[1]] = l[2];
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum = (sum ?? 0) + Number(m[4]);
  }
  return sum;
}

/** Distinct values of `label` among the samples of `name`. */
export function labelValues(text: string, name: string, label: string): Set<string> {
  const out = new Set<string>();
  const re = new RegExp(`^${name}\\{[^}]*\\b${label}="((?:[^"\\\\]|\\\\.)*)"`, 'gm');
  for (const m of text.matchAll(re)) out.add(m[1]);
  return out;
}

export async function metricsText(exp: RunningExporter): Promise<string> {
  return (await request(exp.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${exp.token}` } })).text;
}

/** An error answer as README "HTTP API" says: JSON `{error: {code, message}}`, both non-empty. */
export function errorBodyProblem(res: RawResponse): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return `status ${res.status} without a JSON body: ${JSON.stringify(res.text.slice(0, 120))}`;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } })?.error;
  if (!e || typeof e.code !== 'string' || e.code === '' || typeof e.message !== 'string' || e.message === '') {
    return `status ${res.status} without {error:{code,message}}: ${res.text.slice(0, 120)}`;
  }
  return undefined;
}

/** Health answers within `timeoutMs`; returns the time it took. */
export async function healthLatency(exp: RunningExporter, timeoutMs = 2000): Promise<number> {
  const t0 = performance.now();
  const res = await request(exp.url, 'GET', '/api/v1/health', { timeoutMs });
  if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  return performance.now() - t0;
}

/**
 * Polls health in the background while a spec attacks; `stop()` gives the worst latency and the
 * failures seen. The process staying responsive is part of every attack's verdict.
 */
export function watchHealth(exp: RunningExporter, everyMs = 250, timeoutMs = 2000) {
  let worst = 0;
  let checks = 0;
  let lagMax = 0;
  const failures: string[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      try {
        worst = Math.max(worst, await healthLatency(exp, timeoutMs));
        // The exporter's own event-loop delay monitor (prom-client), reset at every scrape.
        if (i % 4 === 0) lagMax = Math.max(lagMax, (await exporterLagMax(exp)) ?? 0);
      } catch (err) {
        failures.push((err as Error).message);
      }
      checks++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      lagMax = Math.max(lagMax, (await exporterLagMax(exp).catch(() => 0)) ?? 0);
      // Health latency is seen from the test process, whose own work delays it too; the stall is the exporter's.
      return { worstMs: Math.round(worst), checks, failures, exporterStallMaxMs: stallMs(lagMax) };
    },
  };
}

/**
 * The exporter measures its event-loop delay per turn of the loop (default-metrics.ts in
 * exporter/src/metrics): the longest turn since the last scrape is the longest stall.
 */
export const stallMs = (lagSeconds: number) => Math.round(lagSeconds * 1000);

/** Largest event-loop delay the exporter saw since the last scrape (nodejs_eventloop_lag_max_seconds). */
export async function exporterLagMax(exp: RunningExporter): Promise<number | undefined> {
  return metricValue(await metricsText(exp), 'nodejs_eventloop_lag_max_seconds');
}

/** Lines of the exporter's stderr that report an unexpected error (a 500 or a failed tick). */
export function unexpectedErrors(exp: RunningExporter): string[] {
  return exp
    .stderr()
    .split('\n')
    .filter((l) => / error (unexpected error|tick failed|server error)/.test(l));
}

export function markerDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-markers-'));
}

export { tmpDir };

/**
 * The exporter's JS heap in use after a full garbage collection, through the V8 inspector
 * (start it with `env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' }`): a leak test that does not
 * depend on when V8 chooses to collect. A tiny WebSocket client, so no extra dependency.
 */
export async function heapAfterGc(exp: RunningExporter): Promise<number> {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(exp.stderr());
  if (!m) throw new Error('the exporter was not started with --inspect');
  const u = new URL(m[1]);
  const socket = net.connect(Number(u.port), u.hostname);
  socket.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let onUpgrade = () => undefined as void;
  const upgrade = new Promise<void>((resolve) => (onUpgrade = resolve));
  const waiting = new Map<number, (r: unknown) => void>();
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      buf = buf.subarray(end + 4);
      onUpgrade();
    }
    // Unmasked server frames; CDP answers are single text frames.
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + len) return;
      const payload = buf.subarray(at, at + len).toString('utf8');
      buf = buf.subarray(at + len);
      try {
        const msg = JSON.parse(payload) as { id?: number; result?: unknown };
        if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
      } catch {
        // not for us
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('runboard-harden!').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  // Frames only once the server has switched protocols (it may drop earlier ones). The timer is
  // unref'd: left running after the upgrade, it would hold the test worker open for 10 s.
  await Promise.race([upgrade, new Promise<void>((r) => setTimeout(r, 10000).unref())]);
  if (!upgraded) throw new Error('inspector: no WebSocket upgrade');
  let next = 1;
  const call = (method: string) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(
        () =>
          reject(new Error(`inspector: no answer to ${method} (upgraded ${upgraded}, ${buf.length} bytes pending: ${JSON.stringify(buf.subarray(0, 200).toString('latin1'))})`)),
        30000,
      );
      waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      const payload = Buffer.from(JSON.stringify({ id, method }));
      const mask = Buffer.from([1, 2, 3, 4]);
      const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
      socket.write(Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  } finally {
    socket.destroy();
  }
}
