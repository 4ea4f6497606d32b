/**
 * Run-output streams under one hostile user (README "Reliability", run-output streams), against the real exporter:
 * 1. readers that never read a run printing ≥ 100 MiB are dropped as slow, and the exporter's
 *    RSS stays within baseline + 150 MB while the run prints (it used to buffer the whole output
 *    for each of them: 2.7 GB for 400 MiB);
 * 2. /api/v1/health answers within 1 s while hundreds of clients replay a finished run's ~1 MiB
 *    output (it used to be written at once per client: health took 3 s);
 * 3. stream limits hold across both stream routes, overall and per client (X-Grafana-User, else
 *    the address), so one client cannot take every slot; run output gets heartbeats too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { RunInfo } from '@runboard/protocol';
import { FIXTURES } from '../helpers/commands-config';
import type { RunningExporter } from '../helpers/exporter-process';
import { connectSse, type SseConnection } from '../helpers/sse-client';
import { FULL, healthLatency, markerDir, mb, metricsText, metricValue, report, request, rssOf, scale, sleep, startWith, exporterLagMax, stallMs } from './harness';

const node = process.execPath;
const MIB = 1048576;
/** The figures hold in the short run too; the full run prints 4× more. */
const FLOOD_MIB = scale('RUN_OUTPUT_MIB', 100, 400);
const STALLED_READERS = 5;
const REPLAY_CLIENTS = scale('REPLAY_CLIENTS', 300, 1000);
const RSS_BOUND_MB = 150;
const HEALTH_BOUND_MS = 1000;

const authHeaders = (exp: RunningExporter) => ({ Authorization: `Bearer ${exp.token}` });

async function startRun(exp: RunningExporter, command: string): Promise<string> {
  const res = await request(exp.url, 'POST', `/api/v1/commands/${command}/runs`, { headers: { ...authHeaders(exp), 'Content-Type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(202);
  return (JSON.parse(res.text) as RunInfo).id;
}

async function getRun(exp: RunningExporter, id: string): Promise<RunInfo> {
  return JSON.parse((await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: authHeaders(exp) })).text) as RunInfo;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A raw socket that asks for a stream, takes its first bytes, then never reads again. */
function stalledReader(exp: RunningExporter, target: string): Promise<net.Socket> {
  const u = new URL(exp.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    s.on('error', () => undefined);
    s.once('close', () => reject(new Error(`${target}: closed before any answer`)));
    s.once('data', () => {
      s.pause();
      resolve(s);
    });
    s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
  });
}

const slowDrops = async (exp: RunningExporter) => metricValue(await metricsText(exp), 'runboard_stream_disconnects_total', { reason: 'slow' }) ?? 0;

describe('run output: stalled readers and replays', () => {
  let exp: RunningExporter;
  let gates: string;

  beforeAll(async () => {
    gates = markerDir();
    exp = await startWith(
      {
        limits: { concurrentRuns: 2, runQueue: 2, runOutputBytes: MIB, streamBufferBytes: MIB, streamClients: REPLAY_CLIENTS + 100 },
        commands: [
          {
            id: 'flood-big',
            title: 'Prints a lot',
            executable: node,
            args: [path.join(FIXTURES, 'flood-gated.js'), path.join(gates, 'go'), String(FLOOD_MIB * MIB), '200'],
            timeoutSeconds: 300,
          },
          // ~1.3 MB printed: the stored output is the 1 MiB cap (head and tail).
          { id: 'flood-1mib', title: 'Prints 1.3 MB', executable: node, args: [path.join(FIXTURES, 'flood.js'), 'lines', '25000', '40'] },
        ],
      },
      { commands: true },
    );
  });
  afterAll(async () => {
    await exp?.stop();
  });

  it(
    `drops ${STALLED_READERS} readers that never read a run printing ${FLOOD_MIB} MiB, RSS staying under baseline + ${RSS_BOUND_MB} MB`,
    async () => {
      const figures: Record<string, unknown> = { floodMib: FLOOD_MIB, stalledReaders: STALLED_READERS };
      const baseline = rssOf(exp.child.pid);
      figures.rssBaselineMb = mb(baseline);
      const slowBefore = await slowDrops(exp);
      const id = await startRun(exp, 'flood-big');
      // Attached before the flood starts (the command waits for the gate file).
      const readers = await Promise.all(Array.from({ length: STALLED_READERS }, () => stalledReader(exp, `/api/v1/runs/${id}/output`)));
      try {
        const t0 = Date.now();
        fs.writeFileSync(path.join(gates, 'go'), '');
        let peak = baseline;
        let run = await getRun(exp, id);
        while (run.status !== 'finished') {
          peak = Math.max(peak, rssOf(exp.child.pid));
          await sleep(100);
          run = await getRun(exp, id);
          if (Date.now() - t0 > 240_000) throw new Error(`run still ${run.status} after 240 s`);
        }
        figures.runSeconds = Math.round((Date.now() - t0) / 100) / 10;
        figures.printedMib = mb(run.outputBytes);
        figures.rssPeakMb = mb(peak);
        figures.rssGrowthMb = mb(peak - baseline);
        expect(run.outcome).toBe('success');
        expect(run.outputBytes).toBeGreaterThanOrEqual(FLOOD_MIB * MIB);

        let dropped = 0;
        await waitFor(`${STALLED_READERS} stalled readers dropped as slow`, async () => (dropped = (await slowDrops(exp)) - slowBefore) >= STALLED_READERS, 30_000, 250);
        figures.droppedAsSlow = dropped;
        expect(peak - baseline).toBeLessThan(RSS_BOUND_MB * MIB);
        const m = await metricsText(exp);
        expect(metricValue(m, 'runboard_stream_clients')).toBe(0);
      } finally {
        for (const r of readers) r.destroy();
        report('run-output-stalled-readers', figures);
      }
    },
    FULL ? 600_000 : 120_000,
  );

  it(
    `answers health within ${HEALTH_BOUND_MS} ms while ${REPLAY_CLIENTS} clients replay a finished run's ~1 MiB output`,
    async () => {
      const figures: Record<string, unknown> = { clients: REPLAY_CLIENTS };
      const id = await startRun(exp, 'flood-1mib');
      await waitFor('the run to finish', async () => (await getRun(exp, id)).status === 'finished', 30_000);

      // One reader first: what every replay must be (all stored lines in order, then `end`).
      const one = await connectSse(`${exp.url}/api/v1/runs/${id}/output`, authHeaders(exp));
      await one.closed;
      const lines = one.events.filter((e) => e.event === 'line');
      const seqs = lines.map((e) => Number(e.id));
      expect(one.events[0].event).toBe('status');
      expect(one.events[one.events.length - 1].event).toBe('end');
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const storedBytes = lines.reduce((n, e) => n + Buffer.byteLength((JSON.parse(e.data) as { text: string }).text) + 1, 0);
      figures.storedLines = lines.length;
      figures.storedMib = mb(storedBytes);
      expect(storedBytes).toBeGreaterThan(0.9 * MIB);

      // The clients read in their own process: 800 MB of reading would otherwise delay this
      // process's health checks and be counted as the exporter's latency.
      const clients = spawn(node, [path.resolve(__dirname, '../fixtures/streams/replay-clients.js'), `${exp.url}/api/v1/runs/${id}/output`, String(REPLAY_CLIENTS), exp.token], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      clients.stdout.on('data', (d) => (out += d));
      const exited = new Promise<void>((resolve) => clients.once('exit', () => resolve()));

      await exporterLagMax(exp); // resets the exporter's own event-loop delay maximum
      let worst = 0;
      let checks = 0;
      let done = false;
      void exited.then(() => (done = true));
      try {
        while (!done) {
          worst = Math.max(worst, await healthLatency(exp, 10_000));
          checks++;
          await sleep(50);
        }
      } finally {
        if (!done) clients.kill();
      }
      const result = JSON.parse(out) as { sizes: Record<string, number>; endedWithEnd: number; errors: string[]; seconds: number };
      figures.replaySeconds = result.seconds;
      figures.replayedMib = mb(Object.entries(result.sizes).reduce((n, [size, count]) => n + Number(size) * count, 0));
      figures.healthWorstMs = Math.round(worst);
      figures.healthChecks = checks;
      figures.exporterStallMaxMs = stallMs((await exporterLagMax(exp)) ?? 0);
      report('run-output-replays', figures);

      // Every client got the same whole replay, ending with `end`.
      expect(result.errors).toEqual([]);
      expect(Object.values(result.sizes)).toEqual([REPLAY_CLIENTS]);
      expect(result.endedWithEnd).toBe(REPLAY_CLIENTS);
      expect(checks).toBeGreaterThan(0);
      expect(worst).toBeLessThan(HEALTH_BOUND_MS);
    },
    FULL ? 600_000 : 120_000,
  );
});

describe('stream limits across both routes, overall and per client', () => {
  let exp: RunningExporter;
  let runId: string;
  const open: SseConnection[] = [];

  beforeAll(async () => {
    exp = await startWith(
      {
        limits: { concurrentRuns: 2, runQueue: 2, runOutputBytes: 65536, streamClients: 6, streamClientsPerClient: 3 },
        stream: { heartbeatSeconds: 1 },
        commands: [
          { id: 'slow', title: 'Sleeper', executable: node, args: [path.join(FIXTURES, 'sleeper.js')], timeoutSeconds: 120 },
          // Prints nothing: its output stream is quiet, so it gets heartbeats.
          { id: 'quiet', title: 'Quiet', executable: node, args: ['-e', 'setTimeout(Date.now, 120000)'], timeoutSeconds: 120 },
        ],
      },
      { commands: true },
    );
    runId = await startRun(exp, 'slow');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await exp?.stop();
  });

  const runOutput = () => `${exp.url}/api/v1/runs/${runId}/output`;
  const samples = () => `${exp.url}/api/v1/stream?series=none`;
  async function connect(url: string, user?: string): Promise<SseConnection> {
    const c = await connectSse(url, { ...authHeaders(exp), ...(user ? { 'X-Grafana-User': user } : {}) });
    if (c.status === 200) open.push(c);
    else c.close();
    return c;
  }
  /** A request expected to be refused; an accepted stream is closed at once (status 200, no body). */
  async function refusal(url: string, user?: string) {
    const ctrl = new AbortController();
    const res = await fetch(url, { headers: { ...authHeaders(exp), ...(user ? { 'X-Grafana-User': user } : {}) }, signal: ctrl.signal });
    if (res.status === 200) ctrl.abort();
    const body = res.status === 200 ? { error: { code: '', message: '' } } : ((await res.json()) as { error: { code: string; message: string } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
  }
  const healthStreams = async () => (JSON.parse((await request(exp.url, 'GET', '/api/v1/health')).text) as { streamClients: number }).streamClients;

  it('sends heartbeat comments on a quiet run-output stream', async () => {
    const quiet = await startRun(exp, 'quiet');
    const c = await connectSse(`${exp.url}/api/v1/runs/${quiet}/output`, authHeaders(exp));
    try {
      expect(c.status).toBe(200);
      await waitFor('a heartbeat on the quiet run-output stream', async () => c.comments.includes('heartbeat'), 10_000);
    } finally {
      c.close();
      await request(exp.url, 'POST', `/api/v1/runs/${quiet}/cancel`, { headers: authHeaders(exp) });
    }
    await waitFor('the quiet run to end', async () => (await getRun(exp, quiet)).status !== 'running', 10_000);
  });

  it('sends live lines with ids = line numbers, and no heartbeat while they flow', async () => {
    const connectedAt = Date.now();
    const c = await connectSse(runOutput(), authHeaders(exp));
    try {
      expect(c.status).toBe(200);
      // The run prints every 50 ms; heartbeats are due every second: wait for a line printed three
      // periods after connecting (the lines before it are replayed at once).
      const lastT = () => Math.max(0, ...c.events.filter((e) => e.event === 'line').map((e) => (JSON.parse(e.data) as { t: number }).t));
      await waitFor('three heartbeat periods of live lines', async () => lastT() >= connectedAt + 3000, 10_000);
      expect(c.comments).not.toContain('heartbeat');
      const ids = c.events.filter((e) => e.event === 'line').map((e) => Number(e.id));
      expect(ids.length).toBeGreaterThan(0);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
    } finally {
      c.close();
    }
    await waitFor('the stream to be let go', async () => (await healthStreams()) === 0, 10_000);
  });

  it('refuses a client past its own cap on either route while others still connect, and holds the total over both routes', async () => {
    const figures: Record<string, unknown> = { streamClients: 6, streamClientsPerClient: 3 };
    // One Grafana user opens its 3 streams: 2 of run output, 1 of samples.
    const mallory = [await connect(runOutput(), 'mallory'), await connect(runOutput(), 'mallory'), await connect(samples(), 'mallory')];
    expect(mallory.map((c) => c.status)).toEqual([200, 200, 200]);
    for (const url of [runOutput(), samples()]) {
      const r = await refusal(url, 'mallory');
      expect(r.status).toBe(503);
      expect(r.retryAfter).toMatch(/^\d+$/);
      expect(r.body.error.code).toBe('too_many_streams');
      expect(r.body.error.message).toMatch(/limits\.streamClientsPerClient/);
    }
    // Other users, and a client without the header (its address), still get in.
    expect((await connect(runOutput(), 'alice')).status).toBe(200);
    expect((await connect(samples())).status).toBe(200);
    expect((await connect(runOutput(), 'bob')).status).toBe(200);
    // 6 streams over the two routes: the total is reached for everyone.
    for (const url of [runOutput(), samples()]) {
      const r = await refusal(url, 'carol');
      expect(r.status).toBe(503);
      expect(r.retryAfter).toMatch(/^\d+$/);
      expect(r.body.error.message).toMatch(/limits\.streamClients\b/);
    }
    const m = await metricsText(exp);
    figures.limitRefusals = metricValue(m, 'runboard_stream_disconnects_total', { reason: 'limit' });
    expect(metricValue(m, 'runboard_stream_disconnects_total', { reason: 'limit' })).toBe(4);
    expect(metricValue(m, 'runboard_stream_clients')).toBe(6);
    expect(await healthStreams()).toBe(6);

    // A stream that closes frees its client's slot.
    mallory[0].close();
    open.splice(open.indexOf(mallory[0]), 1);
    await waitFor('the closed stream to be let go', async () => (await healthStreams()) === 5, 10_000);
    expect((await connect(runOutput(), 'mallory')).status).toBe(200);
    report('stream-client-limits', figures);
  });
});

describe('per-client stream limit without the API token (auth.readPublic)', () => {
  let exp: RunningExporter;
  const open: SseConnection[] = [];
  beforeAll(async () => {
    exp = await startWith({ auth: { readPublic: true }, limits: { streamClients: 20, streamClientsPerClient: 2 } });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await exp?.stop();
  });

  it('a new X-Grafana-User per request does not buy a new allowance: without the token the address decides', async () => {
    const url = `${exp.url}/api/v1/stream?series=none`;
    const statuses: number[] = [];
    for (const user of ['u1', 'u2', 'u3', 'u4']) {
      const c = await connectSse(url, { 'X-Grafana-User': user });
      statuses.push(c.status);
      if (c.status === 200) open.push(c);
      else c.close();
    }
    expect(statuses).toEqual([200, 200, 503, 503]);
    // With the token (as Grafana's proxy sends it), the header names the client.
    const withToken = await connectSse(url, { Authorization: `Bearer ${exp.token}`, 'X-Grafana-User': 'u5' });
    open.push(withToken);
    expect(withToken.status).toBe(200);
  });
});
