/**
 * Integration: the SSE stream of the real exporter binary, read by a real SSE parser.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { auth, readJson, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';
import { connectSse } from '../helpers/sse-client';

function configFile(obj: object): string {
  const file = path.join(tmpDir(), 'runboard.json');
  fs.writeFileSync(file, JSON.stringify(obj));
  return file;
}

describe('stream', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--interval', '0.1', '--config', configFile({ stream: { heartbeatSeconds: 1, retryMs: 1500 }, limits: { streamClients: 3 } })]);
  });
  afterAll(async () => {
    await exp.stop();
  });

  it('sends headers and the retry hint at once, then one sample per tick with rising ids', async () => {
    const c = await connectSse(`${exp.url}/api/v1/stream`, auth(exp.token));
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await c.waitFor(5);
    c.close();
    expect(c.retry).toBe(1500);
    expect(events.every((e) => e.event === 'sample')).toBe(true);
    const ids = events.map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
    const data = JSON.parse(events[0].data);
    expect(typeof data.t).toBe('number');
    expect(data.values.system_memory_total_bytes).toBeGreaterThan(0);
  });

  it('sends the body unframed until the connection closes: no chunk sizes between frames', async () => {
    const u = new URL(exp.url);
    const socket = net.connect(Number(u.port), u.hostname);
    let text = '';
    socket.setEncoding('latin1');
    const twoFrames = new Promise<void>((resolve) =>
      socket.on('data', (d: string) => {
        text += d;
        if ((text.match(/\nevent: sample\n/g) ?? []).length >= 2) resolve();
      }),
    );
    socket.write(`GET /api/v1/stream?series=system_load1 HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
    await twoFrames;
    socket.destroy();
    const [head, body] = text.split('\r\n\r\n', 2);
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\nConnection: close\r\n/i);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(body.startsWith('retry: 1500\n\n')).toBe(true);
    // Frames follow each other directly: every non-empty line is an SSE field.
    for (const line of body.split('\n').filter(Boolean)) expect(line).toMatch(/^(retry|id|event|data): /);
  });

  it('filters series by exact id and prefix', async () => {
    const c = await connectSse(`${exp.url}/api/v1/stream?series=${encodeURIComponent('system_mem*,system_load1')}`, auth(exp.token));
    const events = await c.waitFor(3);
    c.close();
    for (const e of events) {
      const keys = Object.keys(JSON.parse(e.data).values);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k === 'system_load1' || k.startsWith('system_mem')).toBe(true);
    }
  });

  it('replays every missed tick after a reconnect with Last-Event-ID (header or query)', async () => {
    const first = await connectSse(`${exp.url}/api/v1/stream?series=system_load1`, auth(exp.token));
    const seen = await first.waitFor(2);
    first.close();
    const lastId = Number(seen[seen.length - 1].id);
    await new Promise((r) => setTimeout(r, 700)); // ~7 ticks missed
    const again = await connectSse(`${exp.url}/api/v1/stream?series=system_load1`, { ...auth(exp.token), 'Last-Event-ID': String(lastId) });
    const replay = await again.waitFor(8);
    again.close();
    const ids = replay.map((e) => Number(e.id));
    expect(ids[0]).toBe(lastId + 1);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);

    const viaQuery = await connectSse(`${exp.url}/api/v1/stream?series=system_load1&lastEventId=${lastId}`, auth(exp.token));
    const q = await viaQuery.waitFor(3);
    viaQuery.close();
    expect(Number(q[0].id)).toBe(lastId + 1);
  });

  it('rejects a malformed Last-Event-ID', async () => {
    const res = await fetch(`${exp.url}/api/v1/stream`, { headers: { ...auth(exp.token), 'Last-Event-ID': 'abc' } });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.field).toBe('Last-Event-ID');
  });

  // The canonical path skips Express (stream-route.ts); other spellings Express matches go
  // through it. Both must answer the same way.
  it.each(['/api/v1/stream', '/API/v1/stream/'])('answers %s the same way: auth, bad input, SSE headers', async (p) => {
    const noToken = await fetch(`${exp.url}${p}`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer realm="runboard"');
    expect(noToken.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await readJson(noToken)).error).toEqual({ code: 'unauthorized', message: 'missing API token: send "Authorization: Bearer <token>"' });
    const wrong = await fetch(`${exp.url}${p}`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } });
    expect((await readJson(wrong)).error.message).toBe('invalid API token');
    const badId = await fetch(`${exp.url}${p}?lastEventId=x1`, { headers: auth(exp.token) });
    expect(badId.status).toBe(400);
    expect((await readJson(badId)).error).toEqual({ code: 'invalid_request', message: 'Last-Event-ID: must be a sequence number', field: 'Last-Event-ID' });
    const head = await fetch(`${exp.url}${p}`, { method: 'HEAD', headers: auth(exp.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const c = await connectSse(`${exp.url}${p}?series=system_load1&series=system_mem*`, auth(exp.token));
    expect(c.status).toBe(200);
    expect(c.headers.get('cache-control')).toBe('no-cache, no-transform');
    const [e] = await c.waitFor(1);
    c.close();
    for (const k of Object.keys(JSON.parse(e.data).values)) expect(k === 'system_load1' || k.startsWith('system_mem')).toBe(true);
  });

  it('sends no heartbeat comment while samples flow: the ticks keep the connection in use', async () => {
    // Heartbeats every 1 s, ticks every 0.1 s: 25 samples span two and a half heartbeat periods.
    // (A quiet stream gets them: tests/hardening/run-output-streams.test.ts, a run that sleeps.)
    const c = await connectSse(`${exp.url}/api/v1/stream?series=none`, auth(exp.token));
    await c.waitFor(25);
    c.close();
    expect(c.comments).not.toContain('heartbeat');
  });

  it('answers 503 over the stream client limit and counts it', async () => {
    const conns = await Promise.all([1, 2, 3].map(() => connectSse(`${exp.url}/api/v1/stream?series=none`, auth(exp.token))));
    expect(conns.map((c) => c.status)).toEqual([200, 200, 200]);
    const res = await fetch(`${exp.url}/api/v1/stream`, { headers: auth(exp.token) });
    expect(res.status).toBe(503);
    expect((await readJson(res)).error.message).toMatch(/limits.streamClients/);
    conns.forEach((c) => c.close());
    await new Promise((r) => setTimeout(r, 200));
    const health = await readJson(fetch(`${exp.url}/api/v1/health`));
    expect(health.streamClients).toBe(0);
    const metrics = await (await fetch(`${exp.url}/metrics`)).text();
    expect(metrics).toMatch(/runboard_stream_disconnects_total\{reason="limit"\} 1/);
  });
});

describe('stream back-pressure and shutdown', () => {
  it('drops a stalled client without hurting a reading one', async () => {
    const exp = await startExporter(['--interval', '0.1', '--config', configFile({ limits: { labelValues: 2000, liveSeries: 20000, streamBufferBytes: 262144 } })]);
    try {
      // ~5,000 series make each tick's frame ~300 KB, so a reader that stops reading falls
      // behind by megabytes within seconds.
      const records = Array.from({ length: 1000 }, (_, i) => ({ kind: 'action', name: `bulk-action-${i}`, duration_seconds: 0.5, success: i % 3 !== 0 }));
      const res = await fetch(`${exp.url}/api/v1/ingest`, { method: 'POST', headers: { ...auth(exp.token), 'Content-Type': 'application/json' }, body: JSON.stringify(records) });
      expect(res.status).toBe(202);

      const reader = await connectSse(`${exp.url}/api/v1/stream`, auth(exp.token));
      // A raw socket that asks for the stream and then never reads.
      const stalled = net.connect(Number(new URL(exp.url).port), '127.0.0.1');
      stalled.write(`GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
      stalled.once('data', () => stalled.pause());
      const closed = new Promise<void>((resolve) => stalled.on('close', () => resolve()));

      let dropped = false;
      const deadline = Date.now() + 25000;
      while (!dropped && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const text = await (await fetch(`${exp.url}/metrics`)).text();
        dropped = /runboard_stream_disconnects_total\{reason="slow"\} 1/.test(text);
      }
      expect(dropped).toBe(true);
      stalled.resume(); // let the socket drain so its close is seen
      await closed;

      const before = reader.events.length;
      await reader.waitFor(before + 5);
      const ids = reader.events.map((e) => Number(e.id));
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
      reader.close();
    } finally {
      await exp.stop();
    }
  }, 60000);

  it('ends open streams cleanly and exits 0 on SIGTERM', async () => {
    const exp = await startExporter(['--interval', '0.2']);
    const c = await connectSse(`${exp.url}/api/v1/stream?series=system_load1`, auth(exp.token));
    await c.waitFor(1);
    const code = await exp.stop('SIGTERM');
    await c.closed;
    expect(code).toBe(0);
    expect(exp.stderr()).toMatch(/SIGTERM received/);
  });
});
