/**
 * `/metrics` as the HTTP server answers it before Express (exporter/src/http/metrics-route.ts) and
 * as Express answers the other spellings it matches: the same answer either way, HEAD included,
 * and a failing scrape is a logged 500 that leaves the exporter serving. Against the real
 * exporter started in-process, so a test can register a metric whose collect throws (nothing
 * else makes a scrape fail on demand).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Gauge } from 'prom-client';
import { Exporter } from '../../exporter/src/exporter';
import type { Logger } from '../../exporter/src/log';

const TOKEN = 'metrics-route-token-0123456789';
const errors: string[] = [];
const log: Logger = { info() {}, warn() {}, error: (m: string) => void errors.push(m) };
let exp: Exporter;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-metrics-route-'));
  exp = await Exporter.start({ port: 0, dataDir, auth: { token: TOKEN, metricsPublic: false } }, { log, system: false });
});
afterAll(async () => {
  await exp.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(method: string, p: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${exp.url}${p}`, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = { Authorization: `Bearer ${TOKEN}` };
/** The metric families an exposition declares, in order. */
const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);

it('answers /metrics and the spellings Express matches alike', async () => {
  const fast = await send('GET', '/metrics', bearer);
  const viaExpress = await send('GET', '/METRICS/', bearer);
  for (const r of [fast, viaExpress]) {
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(r.body.endsWith('\n')).toBe(true);
  }
  expect(families(fast.body)).toContain('runboard_stream_clients');
  expect(families(fast.body)).toContain('nodejs_eventloop_lag_p99_seconds');
  expect(families(viaExpress.body)).toEqual(families(fast.body));
});

it('refuses a scrape without the token with the same 401 on both paths', async () => {
  for (const p of ['/metrics', '/metrics/', '/metrics?x=1']) {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token' }] as Array<Record<string, string>>) {
      const r = await send('GET', p, headers);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="runboard"');
      expect(JSON.parse(r.body).error.code).toBe('unauthorized');
      expect(r.body).not.toContain('# TYPE');
    }
  }
});

it('answers HEAD with the headers of a scrape and no body', async () => {
  const r = await send('HEAD', '/metrics', bearer);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(Number(r.headers['content-length'])).toBeGreaterThan(1000);
  expect(r.body).toBe('');
});

it('answers a scrape that fails with a logged 500 and keeps serving', async () => {
  const name = 'metrics_route_test_failing';
  new Gauge({
    name,
    help: 'A metric whose collect throws.',
    registers: [exp.metrics.registry],
    collect() {
      throw new Error('collect failed on purpose');
    },
  });
  try {
    for (const p of ['/metrics', '/metrics/']) {
      errors.length = 0;
      const r = await send('GET', p, bearer);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body).error.code).toBe('internal');
      expect(r.body).not.toContain('collect failed');
      expect(errors.join('\n')).toContain('collect failed on purpose');
    }
  } finally {
    exp.metrics.registry.removeSingleMetric(name);
  }
  const after = await send('GET', '/metrics', bearer);
  expect(after.status).toBe(200);
  expect(families(after.body)).not.toContain('metrics_route_test_failing');
});
