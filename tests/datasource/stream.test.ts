/**
 * @jest-environment node
 *
 * stream.ts against the real exporter binary (exporter/dist, built by `npx tsc -p exporter`).
 * Node, not jsdom: the module reads SSE with fetch() and ReadableStream, which jsdom lacks.
 * Requests go straight to the exporter with the token in a header, where in Grafana they go to
 * the datasource proxy that adds it; everything else is the code the browser runs.
 */
import './node-dom';
import net from 'node:net';
import { map, type Observable, type Subscription } from 'rxjs';
import type { DataFrame } from '@grafana/data';
import type { HistoryResponse, RunInfo, RunOutputEvent, SeriesResponse } from '@runboard/protocol';
import { liveQuery, runOutputStream, SampleStreamHub, sseStream, type HubEvent, type SseEvent } from '../../datasource-plugin/src/stream';
import { RunboardError } from '../../datasource-plugin/src/errors';
import { auth, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';
import { connectSse } from '../helpers/sse-client';

const INTERVAL_S = 0.1;
const BACKOFF = { initialMs: 100, maxMs: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records an Observable's values and lets a test wait for a condition on them. */
function record<T>(obs: Observable<T>) {
  const items: T[] = [];
  let error: unknown;
  let completed = false;
  const sub: Subscription = obs.subscribe({ next: (v) => items.push(v), error: (e) => (error = e), complete: () => (completed = true) });
  return {
    items,
    sub,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    async until(cond: (items: T[]) => boolean, timeoutMs = 15000, what = 'condition'): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!cond(items)) {
        if (error) throw error;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${items.length} items)`);
        await sleep(20);
      }
    },
  };
}

/** A TCP relay in front of the exporter that the test can cut, to drop connections without a restart. */
async function relay(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  let down = false;
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.once('data', (head) => requests.push(head.toString('latin1')));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    /** Drops every connection and refuses new ones for `ms`. */
    async outage(ms: number) {
      down = true;
      for (const s of sockets) s.destroy();
      await sleep(ms);
      down = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sampleIds = (events: SseEvent[]) => events.flatMap((e) => (e.type === 'message' && e.event === 'sample' ? [Number(e.id)] : []));
const hubSeqs = (events: HubEvent[]) => events.flatMap((e) => (e.type === 'sample' ? [e.seq!] : []));

function expectConsecutive(ids: number[]) {
  for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
}

async function streamClients(exp: RunningExporter): Promise<number> {
  return ((await (await fetch(`${exp.url}/api/v1/health`)).json()) as { streamClients: number }).streamClients;
}

async function eventually(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(50);
  }
}

describe('sseStream', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--demo', '--interval', String(INTERVAL_S)]);
  });
  afterAll(async () => {
    await exp.stop();
  });

  it('reconnects after a dropped connection with Last-Event-ID and loses no tick', async () => {
    const cut = await relay(exp.url);
    const rec = record(sseStream({ url: `${cut.url}/api/v1/stream?series=system_load1`, headers: auth(exp.token), backoff: BACKOFF }));
    try {
      await rec.until((e) => sampleIds(e).length >= 5, 10000, '5 samples');
      const before = sampleIds(rec.items).length;
      // Down for ~6 ticks: they must come back as a replay, not go missing.
      await cut.outage(600);
      await rec.until((e) => sampleIds(e).length >= before + 15, 15000, 'samples after the outage');
    } finally {
      rec.sub.unsubscribe();
      await cut.close();
    }
    expect(rec.items.some((e) => e.type === 'interrupted')).toBe(true);
    expect(rec.error).toBeUndefined();
    expectConsecutive(sampleIds(rec.items));
    // Every reconnect named the last id it had seen.
    const resumed = cut.requests.slice(1).filter((r) => r.startsWith('GET '));
    expect(resumed.length).toBeGreaterThan(0);
    for (const head of resumed) expect(head).toMatch(/^last-event-id: \d+\r$/im);
  }, 40000);

  it('ends with the exporter’s message only when told a failure is fatal', async () => {
    const rec = record(sseStream({ url: `${exp.url}/api/v1/stream`, headers: { Authorization: 'Bearer wrong' }, backoff: BACKOFF, isFatal: (e) => e.status === 401 }));
    await rec.until(() => rec.error !== undefined, 5000, 'the error');
    expect(rec.error).toBeInstanceOf(RunboardError);
    expect((rec.error as RunboardError).unauthorized).toBe(true);

    const retrying = record(sseStream({ url: `${exp.url}/api/v1/stream`, headers: { Authorization: 'Bearer wrong' }, backoff: BACKOFF }));
    await retrying.until((e) => e.filter((x) => x.type === 'interrupted').length >= 2, 5000, 'two retries');
    retrying.sub.unsubscribe();
    expect(retrying.error).toBeUndefined();
    const delays = retrying.items.flatMap((e) => (e.type === 'interrupted' ? [e.retryInMs] : []));
    expect(delays[1]).toBeGreaterThan(delays[0]); // backing off
  });
});

describe('exporter restart', () => {
  it('resumes after a restart on the same port and data dir: no duplicates, nothing lost that the store holds', async () => {
    const dataDir = tmpDir();
    const args = ['--demo', '--interval', String(INTERVAL_S)];
    let exp = await startExporter(args, { dataDir });
    const port = new URL(exp.url).port;
    const rec = record(sseStream({ url: `${exp.url}/api/v1/stream?series=system_load1`, headers: auth(exp.token), backoff: BACKOFF }));
    try {
      await rec.until((e) => sampleIds(e).length >= 5, 10000, 'samples before the restart');
      await exp.stop();
      await rec.until((e) => e.some((x) => x.type === 'interrupted'), 5000, 'the interruption');
      const beforeRestart = sampleIds(rec.items);
      exp = await startExporter([...args, '--port', port], { dataDir });
      await rec.until((e) => sampleIds(e).length >= beforeRestart.length + 10, 20000, 'samples after the restart');
      const ids = sampleIds(rec.items);
      const after = ids.slice(beforeRestart.length);

      // The new exporter's sequence continues above the old one (it starts at its start time).
      expect(after[0]).toBeGreaterThan(beforeRestart[beforeRestart.length - 1]);
      expect(new Set(ids).size).toBe(ids.length);
      expectConsecutive(beforeRestart);
      expectConsecutive(after);
      // Continuity within what the store holds: resumed from the old id, the client got the new
      // store's ticks from its very first one.
      const probe = await connectSse(`${exp.url}/api/v1/stream?series=system_load1`, { ...auth(exp.token), 'Last-Event-ID': '0' });
      const stored = await probe.waitFor(1);
      probe.close();
      expect(Number(stored[0].id)).toBe(after[0]);
      expect(rec.error).toBeUndefined();
    } finally {
      rec.sub.unsubscribe();
      await exp.stop();
    }
  }, 60000);
});

describe('SampleStreamHub', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--demo', '--interval', String(INTERVAL_S)]);
  });
  afterAll(async () => {
    await exp.stop();
  });

  it('shares one connection, widens it without losing ticks, and closes it with the last watcher', async () => {
    const hub = new SampleStreamHub({ baseUrl: exp.url, headers: auth(exp.token), backoff: BACKOFF });
    const a = record(hub.watch(['system_load1']));
    await a.until((e) => hubSeqs(e).length >= 3, 10000, 'first samples');
    const b = record(hub.watch(['system_load1']));
    // Already covered: no new connection, and told at once that it is open.
    expect(hub.connectionsStarted).toBe(1);
    expect(b.items[0]).toEqual({ type: 'open' });
    await eventually(async () => (await streamClients(exp)) === 1);

    const c = record(hub.watch(['system_memory_used_bytes']));
    expect(hub.connectionsStarted).toBe(2);
    expect(hub.connectedSeries).toEqual(['system_load1', 'system_memory_used_bytes']);
    const seenByA = hubSeqs(a.items).length;
    await c.until((e) => e.filter((x) => x.type === 'sample' && x.sample.values.system_memory_used_bytes !== undefined).length >= 3, 10000, 'samples of the new series');
    await a.until((e) => hubSeqs(e).length >= seenByA + 5, 10000, 'more samples for the first watcher');
    // The switch replayed from the last id: the first watcher saw every tick exactly once.
    expectConsecutive(hubSeqs(a.items));
    await eventually(async () => (await streamClients(exp)) === 1);

    a.sub.unsubscribe();
    b.sub.unsubscribe();
    expect(hub.connectedSeries).toBeDefined();
    c.sub.unsubscribe();
    expect(hub.connectedSeries).toBeUndefined();
    await eventually(async () => (await streamClients(exp)) === 0);
  }, 40000);
});

describe('liveQuery against the exporter', () => {
  it('back-fills, then streams without duplicates or gaps, and rides out a restart without an error', async () => {
    const dataDir = tmpDir();
    const args = ['--demo', '--interval', String(INTERVAL_S)];
    let exp = await startExporter(args, { dataDir });
    const port = new URL(exp.url).port;
    const get = async <T>(p: string): Promise<T> => {
      const res = await fetch(`${exp.url}${p}`, { headers: auth(exp.token) });
      if (!res.ok) throw new Error(`${p}: ${res.status}`);
      return (await res.json()) as T;
    };
    /** Every tick time the exporter's live store holds (its own truth to compare with). */
    const storeTimes = async () => (await get<HistoryResponse>(`/api/v1/history?series=system_memory_used_bytes&from=0&maxPoints=10000`)).t;
    await sleep(1500); // some history to back-fill
    const hub = new SampleStreamHub({ baseUrl: exp.url, headers: auth(exp.token), backoff: BACKOFF });
    const now = Date.now();
    const rangeMs = 60_000;
    const ids = ['system_memory_used_bytes', 'system_load1'];
    const query = liveQuery(
      { refId: 'A', series: ids, alias: '{{__name__}}', from: now - rangeMs, to: now, maxDataPoints: 2000 },
      {
        hub,
        series: () => get<SeriesResponse>('/api/v1/series'),
        history: (s, from, to, maxPoints) =>
          get<HistoryResponse>(`/api/v1/history?series=${encodeURIComponent(s.join(','))}&from=${from}&to=${Math.round(to)}&maxPoints=${maxPoints}`),
      },
    );
    // The frame is one StreamingDataFrame updated in place: note its size and notices per emission.
    const rec = record(query.pipe(map((r) => ({ r, rows: (r.data[0] as DataFrame).length, notices: (r.data[0] as DataFrame).meta?.notices }))));
    const frame = () => rec.items[rec.items.length - 1].r.data[0] as DataFrame;
    const times = () => (rec.items.length ? frame().fields[0].values : []) as number[];
    let beforeStop: number[] = [];
    let restartRow = 0;
    try {
      await rec.until((e) => e.length > 0, 10000, 'the back-filled frame');
      const first = rec.items[0];
      expect(first.r.key).toBe('A');
      expect(first.r.state).toBe('Streaming');
      expect(first.rows).toBeGreaterThan(5); // history first, not only live ticks
      const f = frame();
      expect(f.fields.map((x) => x.name)).toEqual(['time', ...ids]);
      expect(f.fields[1].config.unit).toBe('bytes');
      expect(f.fields[1].config.displayNameFromDS).toBe('system_memory_used_bytes');
      expect(f.fields[2].config.unit).toBeUndefined(); // 'none' leaves the panel's unit alone

      await rec.until(() => times().length >= first.rows + 10, 10000, 'live rows');
      beforeStop = await storeTimes();
      await exp.stop();
      await rec.until((e) => (e[e.length - 1].notices ?? []).some((n) => /interrupted/.test(n.text)), 5000, 'the interruption notice');
      restartRow = times().length;
      exp = await startExporter([...args, '--port', port], { dataDir });
      await rec.until(() => times().length >= restartRow + 10, 20000, 'rows after the restart');
      await rec.until((e) => e[e.length - 1].notices === undefined, 5000, 'the notice cleared');
      const afterRestart = await storeTimes();
      const t = times().slice();

      // Before the restart: exactly the exporter's ticks from the first back-filled row on.
      const old = t.slice(0, restartRow).filter((x) => x <= beforeStop[beforeStop.length - 1]);
      expect(old).toEqual(beforeStop.filter((x) => x >= t[0]));
      // After it: exactly the new exporter's ticks, from the first its store holds (replayed).
      const fresh = t.slice(restartRow);
      expect(fresh).toEqual(afterRestart.filter((x) => x <= fresh[fresh.length - 1]));
      for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThan(t[i - 1]);
      expect(t[0]).toBeGreaterThanOrEqual(now - rangeMs);
    } finally {
      rec.sub.unsubscribe();
      await exp.stop();
    }
    expect(rec.error).toBeUndefined();
    expect(rec.items.every(({ r }) => r.state === 'Streaming' && !r.error)).toBe(true);
    expect(hub.connectedSeries).toBeUndefined(); // teardown closed the shared connection
  }, 60000);
});

describe('runOutputStream', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--demo']);
  });
  afterAll(async () => {
    await exp.stop();
  });

  async function startRun(): Promise<RunInfo> {
    const res = await fetch(`${exp.url}/api/v1/commands/sample-task/runs`, {
      method: 'POST',
      headers: { ...auth(exp.token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ parameters: { steps: 3, delay_ms: 50 } }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as RunInfo;
  }

  it('streams a run to its end, and resumes after a line number without repeating lines', async () => {
    const run = await startRun();
    const rec = record<RunOutputEvent>(runOutputStream({ baseUrl: exp.url, runId: run.id, headers: auth(exp.token), backoff: BACKOFF }));
    await rec.until(() => rec.completed, 20000, 'the end event');
    const kinds = new Set(rec.items.map((e) => e.event));
    expect([...kinds]).toEqual(expect.arrayContaining(['status', 'line', 'end']));
    const end = rec.items[rec.items.length - 1];
    expect(end.event).toBe('end');
    expect(end.event === 'end' && end.data.outcome).toBe('success');
    const lines = rec.items.flatMap((e) => (e.event === 'line' ? [e.data.seq] : []));
    expectConsecutive(lines);

    const resumed = record<RunOutputEvent>(runOutputStream({ baseUrl: exp.url, runId: run.id, lastEventId: String(lines[1]), headers: auth(exp.token) }));
    await resumed.until(() => resumed.completed, 10000, 'the end of the resumed stream');
    const again = resumed.items.flatMap((e) => (e.event === 'line' ? [e.data.seq] : []));
    expect(again).toEqual(lines.slice(2));
  }, 30000);

  it('fails with the exporter’s message for a run that does not exist', async () => {
    const rec = record<RunOutputEvent>(runOutputStream({ baseUrl: exp.url, runId: 'no-such-run', headers: auth(exp.token) }));
    await rec.until(() => rec.error !== undefined, 5000, 'the error');
    expect(rec.error).toBeInstanceOf(RunboardError);
    expect((rec.error as RunboardError).status).toBe(404);
    expect((rec.error as Error).message).toMatch(/no run "no-such-run"/);
  });
});
