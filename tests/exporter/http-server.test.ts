/**
 * The listener's answers to requests Node's parser refuses (exporter/src/http/server.ts), on raw
 * sockets against the real exporter binary: a JSON error on an idle keep-alive connection, and
 * nothing written into a response already under way (an SSE stream) — that socket is closed.
 */
import net from 'node:net';
import { startExporter, type RunningExporter } from '../helpers/exporter-process';

let exp: RunningExporter;
beforeAll(async () => {
  exp = await startExporter(['--interval', '0.2']);
});
afterAll(async () => {
  await exp.stop();
});

/** Opens a raw connection; `received()` is everything read so far, `closed` settles when it ends. */
function rawSocket(): { socket: net.Socket; received: () => string; closed: Promise<void>; waitFor: (re: RegExp) => Promise<void> } {
  const u = new URL(exp.url);
  const socket = net.connect(Number(u.port), u.hostname);
  let text = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
    for (const w of waiters.splice(0)) {
      if (w.re.test(text)) w.resolve();
      else waiters.push(w);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const waitFor = (re: RegExp) => (re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve })));
  return { socket, received: () => text, closed, waitFor };
}

const GARBAGE = 'GARBAGE \u0000\r\n\r\n';

it('answers a malformed request after a finished one with the JSON error body', async () => {
  const c = rawSocket();
  c.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await c.waitFor(/"status"/);
  c.socket.write(GARBAGE);
  await c.closed;
  const answer = c.received().slice(c.received().lastIndexOf('HTTP/1.1 '));
  expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(answer).toContain('Content-Type: application/json; charset=utf-8');
  expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'bad_request', message: 'malformed HTTP request' } });
});

it('writes nothing into a stream under way when the same socket then sends garbage: it closes it', async () => {
  const c = rawSocket();
  c.socket.write(`GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\n\r\n`);
  await c.waitFor(/event: sample/);
  c.socket.write(GARBAGE);
  await c.closed;
  const text = c.received();
  expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
  expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  expect(text).not.toContain('bad_request');
});
