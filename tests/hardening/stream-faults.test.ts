/**
 * Stream faults (README "Reliability"): clients that never read (stalled sockets, also asking for a replay of
 * the whole live store), clients that disconnect in the middle of an event (FIN and RST), and
 * 1,000 (full run: 10,000) connect/disconnect cycles, while a few good readers keep streaming.
 * The good readers get every tick with no gap; stalled ones are dropped as slow; afterwards the
 * hub holds only the readers, and after a full garbage collection (forced through the V8
 * inspector: the exporter runs with --inspect=127.0.0.1:0) its JS heap and RSS are back at the
 * baseline taken the same way.
 */
import net from 'node:net';
import type { RunningExporter } from '../helpers/exporter-process';
import { connectSse, type SseConnection } from '../helpers/sse-client';
import { FULL, heapAfterGc, mb, metricsText, metricValue, report, request, rssOf, scale, sleep, startWith, watchHealth } from './harness';

const CYCLES = scale('STREAM_CYCLES', 1000, 10_000);
const STALLED = scale('STREAM_STALLED', 20, 100);
const MID_EVENT = scale('STREAM_MID_EVENT', 200, 2000);
const INTERVAL_MS = 100;

let exp: RunningExporter;
const auth = () => ({ Authorization: `Bearer ${exp.token}` });

beforeAll(async () => {
  exp = await startWith(
    {
      sampling: { intervalSeconds: INTERVAL_MS / 1000, retentionSeconds: 20 },
      limits: { streamClients: 1000, streamClientsPerClient: 1000, streamBufferBytes: 1024 * 1024, labelValues: 2000, liveSeries: 20000 },
    },
    { env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } },
  );
  // ~300 actions make ~1,500 series: an unfiltered frame is ~100 KB, so a reader that stops
  // reading is megabytes behind within seconds, and a full replay is ~20 MB per client.
  const records = Array.from({ length: 300 }, (_, i) => ({ kind: 'action', name: `stream-fault-${i}`, duration_seconds: 0.1 + (i % 7), success: i % 5 !== 0 }));
  const res = await request(exp.url, 'POST', '/api/v1/ingest', { headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify(records) });
  expect(res.status).toBe(202);
});
afterAll(async () => {
  await exp?.stop();
});

/** A raw socket that asks for a stream and then never reads (its kernel buffers fill up). */
function stalledClient(path: string, headers: Record<string, string> = {}): Promise<net.Socket> {
  const u = new URL(exp.url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    const extra = Object.entries({ ...auth(), ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    s.on('error', () => undefined);
    // Dropped before it even read a byte (a replay past the bound) is fine too.
    s.once('close', () => resolve(s));
    s.once('data', () => {
      s.pause();
      resolve(s);
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`);
  });
}

/** Reads until the stream is inside an event (past `id:` but not at its end), then cuts it. */
function midEventClient(rst: boolean): Promise<void> {
  const u = new URL(exp.url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    let seen = '';
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      s.destroy();
      done();
    }, 5000);
    s.on('error', done);
    s.on('close', done);
    s.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      const at = seen.indexOf('\nid: ');
      // A chunk that starts an event but does not end it: cut here.
      if (at >= 0 && !seen.slice(at).includes('\n\n', 5)) {
        if (rst) s.resetAndDestroy();
        else s.destroy();
      } else if (at >= 0) {
        seen = seen.slice(seen.lastIndexOf('\n\n'));
      }
    });
    s.write(`GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
  });
}

/** Connects and disconnects: before the answer, or once bytes arrive (FIN or RST). */
async function cycle(i: number): Promise<void> {
  const u = new URL(exp.url);
  const mode = i % 3;
  const filters = ['', '?series=system_*', '?series=actions_per_minute&lastEventId=0', '?lastEventId=1'];
  const path = `/api/v1/stream${filters[i % filters.length]}`;
  await new Promise<void>((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('error', () => undefined);
    s.on('connect', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
      if (mode === 0) s.destroy();
    });
    s.on('data', () => {
      if (mode === 1) s.destroy();
      else s.resetAndDestroy();
    });
  });
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const hubSize = async () => (JSON.parse((await request(exp.url, 'GET', '/api/v1/health')).text) as { streamClients: number }).streamClients;

function gaps(c: SseConnection): number {
  let n = 0;
  const ids = c.events.filter((e) => e.event === 'sample').map((e) => Number(e.id));
  for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1] + 1) n++;
  return n;
}

it(
  `keeps good readers ticking through stalled readers, mid-event disconnects and ${CYCLES} connect/disconnect cycles, and memory returns to its baseline`,
  async () => {
    const figures: Record<string, unknown> = { cycles: CYCLES, stalled: STALLED, midEvent: MID_EVENT };
    const health = watchHealth(exp, 500);
    const readers: SseConnection[] = [];
    const t = Date.now();
    const step = (what: string) => console.log(`[stream-faults] ${what} at ${Date.now() - t} ms`);
    try {
      readers.push(await connectSse(`${exp.url}/api/v1/stream?series=actions_in_flight,system_load1`, auth()));
      readers.push(await connectSse(`${exp.url}/api/v1/stream?series=stream-fault-1*,actions_per_minute`, auth()));
      // An unfiltered reader (~100 KB frames) that keeps up.
      readers.push(await connectSse(`${exp.url}/api/v1/stream`, auth()));
      await Promise.all(readers.map((r) => r.waitFor(3)));
      step('readers connected');

      // Warm-up: the same kinds of traffic once, so the baseline includes what Node keeps around.
      for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => cycle(i + k)));
      step('warm-up done');
      await sleep(1000);
      // Both after a full collection, so the figures after the attack compare like with like.
      const heapBaseline = await heapAfterGc(exp);
      await sleep(1000);
      const baseline = rssOf(exp.child.pid);
      figures.rssBaselineMb = mb(baseline);
      const started = Date.now();
      const before = await metricsText(exp);
      const slowBefore = metricValue(before, 'runboard_stream_disconnects_total', { reason: 'slow' }) ?? 0;

      // 1. Stalled readers: half plain, half asking for a replay of the whole live store.
      const stalled = await Promise.all(Array.from({ length: STALLED }, (_, i) => stalledClient(i % 2 ? '/api/v1/stream' : '/api/v1/stream?lastEventId=0')));
      let peak = rssOf(exp.child.pid);
      await waitFor(
        `${STALLED} stalled readers dropped as slow`,
        async () => {
          peak = Math.max(peak, rssOf(exp.child.pid));
          const m = await metricsText(exp);
          return (metricValue(m, 'runboard_stream_disconnects_total', { reason: 'slow' }) ?? 0) - slowBefore >= STALLED;
        },
        60000,
      );
      figures.rssPeakWithStalledMb = mb(peak);
      step('stalled readers dropped');
      for (const s of stalled) s.destroy();

      // 2. Disconnects in the middle of an event, with FIN and with RST.
      for (let i = 0; i < MID_EVENT; i += 20) await Promise.all(Array.from({ length: Math.min(20, MID_EVENT - i) }, (_, k) => midEventClient((i + k) % 2 === 0)));

      step('mid-event disconnects done');
      // 3. Connect/disconnect cycles, 25 at a time (RSS noted after each half, as a figure).
      const t0 = Date.now();
      const rssAtHalf: number[] = [];
      for (let i = 0; i < CYCLES; i += 25) {
        await Promise.all(Array.from({ length: Math.min(25, CYCLES - i) }, (_, k) => cycle(i + k)));
        peak = Math.max(peak, rssOf(exp.child.pid));
        if (i + 25 === Math.ceil(CYCLES / 50) * 25 || i + 25 >= CYCLES) {
          await sleep(1000);
          rssAtHalf.push(rssOf(exp.child.pid));
        }
      }
      figures.rssAfterEachHalfMb = rssAtHalf.map(mb);
      step('cycles done');
      figures.cyclesSeconds = Math.round((Date.now() - t0) / 100) / 10;
      figures.rssPeakMb = mb(peak);

      // A reader that asks for everything it missed (the whole store, ~20 MB) gets all of it, in
      // order, and then the live ticks: the replay waits for the reader instead of buffering it.
      const replayer = await connectSse(`${exp.url}/api/v1/stream`, { ...auth(), 'Last-Event-ID': '0' });
      const ringTicks = Math.round((20 * 1000) / INTERVAL_MS);
      await replayer.waitFor(ringTicks + 5, 60000);
      figures.replayTicks = replayer.events.length;
      figures.replayGaps = gaps(replayer);
      expect(gaps(replayer)).toBe(0);
      replayer.close();
      step('full replay read');

      // Only the readers are left in the hub.
      await waitFor('the hub to hold only the readers', async () => (await hubSize()) === readers.length, 15000);
      const after = await metricsText(exp);
      figures.streamClientsGauge = metricValue(after, 'runboard_stream_clients');
      figures.disconnects = {
        client: metricValue(after, 'runboard_stream_disconnects_total', { reason: 'client' }),
        slow: metricValue(after, 'runboard_stream_disconnects_total', { reason: 'slow' }),
      };
      expect(metricValue(after, 'runboard_stream_clients')).toBe(readers.length);

      // Memory: after a full collection (forced through the inspector, as for the baseline) the JS
      // heap is back at its baseline (no client, replay or buffer is kept) and so is RSS.
      const heapAfter = await heapAfterGc(exp);
      await sleep(1000);
      const rssAfter = rssOf(exp.child.pid);
      figures.heapAfterGcMb = { baseline: mb(heapBaseline), after: mb(heapAfter) };
      figures.rssAfterMb = mb(rssAfter);
      figures.rssGrowthPercent = Math.round(((rssAfter - baseline) / baseline) * 1000) / 10;
      expect(heapAfter).toBeLessThan(heapBaseline * 1.1 + 4 * 1048576);
      expect(rssAfter).toBeLessThan(baseline * 1.3 + 8 * 1048576);

      // The readers kept their ticks the whole time, none missing.
      const seconds = (Date.now() - started) / 1000;
      figures.attackSeconds = Math.round(seconds);
      figures.readerTicks = readers.map((r) => r.events.length);
      figures.readerGaps = readers.map(gaps);
      expect(readers.map(gaps)).toEqual(readers.map(() => 0));
      for (const r of readers) expect(r.events.length).toBeGreaterThan((seconds * 1000) / INTERVAL_MS / 2);
    } finally {
      for (const r of readers) r.close();
      const h = await health.stop();
      figures.healthWorstMs = h.worstMs;
      figures.healthFailures = h.failures.length;
      figures.exporterStallMaxMs = h.exporterStallMaxMs;
      report('stream-faults', figures);
      expect(h.failures).toEqual([]);
    }
  },
  FULL ? 900_000 : 180_000,
);
