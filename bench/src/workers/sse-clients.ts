/**
 * The SSE fan-out load: many stream clients in one process on raw TCP sockets (a hand-written
 * GET, no HTTP parser: the bytes are only searched), recording for every sample the tick time `t`
 * it carries against the time its bytes were read here (same machine clock:
 * performance.timeOrigin + performance.now(), sub-millisecond).
 *
 * Messages: connect {url, token, clients} → {connected, failed, ms}; start → starts recording;
 * collect → {latency stats, samples, clients still open} and stops recording; close.
 */
import net from 'node:net';
import { serveWorker } from '../lib/child';
import { percentile } from '../lib/stats';

const NEEDLE = Buffer.from('data: {"t":');
const HEADER_END = Buffer.from('\r\n\r\n');

interface Client {
  socket: net.Socket;
  open: boolean;
  headers: boolean;
  status: number;
  /** Bytes kept from the previous read, in case the needle or t is split across reads. */
  tail: Buffer | null;
}

const clients: Client[] = [];
let recording = false;
let latencies: number[] = [];
let samples = 0;
let bytes = 0;
let closedDuring = 0;

function readT(buf: Buffer, at: number): number {
  let t = 0;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return i > at ? t : NaN;
    t = t * 10 + (c - 48);
  }
  return NaN; // incomplete: the caller keeps the tail
}

function onData(c: Client, chunk: Buffer): void {
  const now = performance.timeOrigin + performance.now();
  bytes += chunk.length;
  let buf = c.tail ? Buffer.concat([c.tail, chunk]) : chunk;
  c.tail = null;
  if (!c.headers) {
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      c.tail = buf;
      return;
    }
    c.headers = true;
    c.status = Number(buf.subarray(9, 12).toString('latin1'));
    buf = buf.subarray(end + 4);
  }
  let from = 0;
  for (;;) {
    const i = buf.indexOf(NEEDLE, from);
    if (i < 0) break;
    const t = readT(buf, i + NEEDLE.length);
    if (Number.isNaN(t)) {
      c.tail = buf.subarray(i);
      return;
    }
    if (recording) {
      latencies.push(now - t);
      samples++;
    }
    from = i + NEEDLE.length;
  }
  // Keep enough to find a needle split across this read and the next.
  if (buf.length - from > NEEDLE.length) c.tail = Buffer.from(buf.subarray(buf.length - NEEDLE.length));
}

function connectOne(host: string, port: number, path: string, token: string): Promise<Client> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const c: Client = { socket, open: true, headers: false, status: 0, tail: null };
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve(c);
      }
    };
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('data', (d: Buffer) => {
      onData(c, d);
      if (c.headers) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (c.open && recording) closedDuring++;
      c.open = false;
      done();
    });
    setTimeout(done, 30_000).unref();
  });
}

async function connect(msg: { url: string; token: string; clients: number; parallel?: number }) {
  const u = new URL(msg.url);
  const started = performance.now();
  const parallel = msg.parallel ?? 200;
  let failed = 0;
  for (let i = 0; i < msg.clients; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, msg.clients - i) }, () => connectOne(u.hostname, Number(u.port), '/api/v1/stream', msg.token)));
    for (const c of batch) {
      if (c.open && c.status === 200) clients.push(c);
      else {
        failed++;
        c.socket.destroy();
      }
    }
  }
  return { connected: clients.length, failed, ms: performance.now() - started };
}

serveWorker(async (msg: { cmd: string } & Record<string, unknown>) => {
  switch (msg.cmd) {
    case 'connect':
      return connect(msg as never);
    case 'start':
      latencies = [];
      samples = 0;
      bytes = 0;
      closedDuring = 0;
      recording = true;
      return { ok: true };
    case 'collect': {
      recording = false;
      const s = latencies.sort((a, b) => a - b);
      const open = clients.filter((c) => c.open).length;
      return {
        samples,
        bytes,
        open,
        closedDuring,
        p50: percentile(s, 50, true),
        p90: percentile(s, 90, true),
        p99: percentile(s, 99, true),
        max: s[s.length - 1] ?? NaN,
        min: s[0] ?? NaN,
      };
    }
    case 'close':
      for (const c of clients.splice(0)) c.socket.destroy();
      return { ok: true };
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
