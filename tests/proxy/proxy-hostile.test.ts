/**
 * The recording proxy against hostile or odd upstreams and clients (README "OpenAI-compatible
 * recording proxy"). The upstream here is a raw TCP server of the test's own (a stand-in, as in
 * recording-proxy.test.ts): it records the bytes the proxy sent and answers with whatever bytes
 * a test gives it, so headers and status lines no well-behaved server would write can be tried.
 */
import net, { type AddressInfo } from 'node:net';
import { metricValue, metricsText, request, startWith } from '../hardening/harness';
import type { RunningExporter } from '../helpers/exporter-process';

const KEY = 'sk-hostile-SECRET-9a8b7c6d5e';

interface RawUpstream {
  port: number;
  /** The raw request bytes (head and body) of every request received. */
  seen: string[];
  /** What to answer the next requests with; `null` means never answer. */
  answer: (head: string) => Buffer | string | null;
  close(): Promise<void>;
}

async function rawUpstream(host = '127.0.0.1'): Promise<RawUpstream> {
  const sockets = new Set<net.Socket>();
  const state: RawUpstream = { port: 0, seen: [], answer: () => null, close: async () => undefined };
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const whole = buf.subarray(0, end + 4 + len).toString('latin1');
      buf = buf.subarray(end + 4 + len);
      state.seen.push(whole);
      const a = state.answer(whole);
      if (a !== null) s.end(a);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

const okJson = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;

describe('recording proxy, hostile upstream and client', () => {
  let up: RawUpstream;
  let exp: RunningExporter;
  beforeAll(async () => {
    up = await rawUpstream();
    exp = await startWith({
      proxy: {
        enabled: true,
        timeoutSeconds: 2,
        maxConcurrentPerClient: 2,
        upstreams: { raw: { url: `http://127.0.0.1:${up.port}/v1`, provider: 'raw' }, root: { url: `http://127.0.0.1:${up.port}`, provider: 'raw' } },
      },
    });
  });
  afterAll(async () => {
    await exp?.stop();
    await up?.close();
  });
  const headers = (more: Record<string, string> = {}) => ({ 'X-Runboard-Token': exp.token, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...more });
  const proxied = async (outcome: string) => metricValue(await metricsText(exp), 'runboard_proxy_requests_total', { upstream: 'raw', outcome }) ?? 0;

  test("headers that the other side's Connection names, and Expect, are not passed on either way", async () => {
    up.answer = () =>
      okJson('{"model":"m-hop","usage":{"prompt_tokens":1,"completion_tokens":2}}', 'Connection: close, x-upstream-hop\r\nX-Upstream-Hop: 1\r\nX-Upstream-End: 2\r\n');
    const n = up.seen.length;
    const res = await request(exp.url, 'POST', '/proxy/raw/v1/chat/completions', {
      headers: headers({ Connection: 'keep-alive, X-Client-Hop', 'X-Client-Hop': 'a', 'X-Client-End': 'b', Expect: '100-continue' }),
      body: '{"model":"m-hop"}',
    });
    expect(res.status).toBe(200);
    const head = up.seen[n].toLowerCase();
    expect(head).toContain('\r\nx-client-end: b\r\n');
    expect(head).not.toContain('x-client-hop');
    expect(head).not.toContain('expect:');
    expect(res.headers['x-upstream-end']).toBe('2');
    expect(res.headers['x-upstream-hop']).toBeUndefined();
  });

  test('an upstream configured as a bare origin gets /<endpoint>, not //<endpoint>', async () => {
    up.answer = () => okJson('{"model":"m-root"}');
    const n = up.seen.length;
    const res = await request(exp.url, 'POST', '/proxy/root/v1/chat/completions?a=1', { headers: headers(), body: '{"model":"m-root"}' });
    expect(res.status).toBe(200);
    expect(up.seen[n].split('\r\n')[0]).toBe('POST /chat/completions?a=1 HTTP/1.1');
  });

  test('a status line Node cannot pass on (099): 502 with a JSON error, counted as a failure, and the exporter keeps running', async () => {
    const errors = await proxied('upstream_error');
    up.answer = () => 'HTTP/1.1 099 Odd\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}';
    const res = await request(exp.url, 'POST', '/proxy/raw/v1/chat/completions', { headers: headers(), body: '{"model":"m-odd"}' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error.code).toBe('upstream_invalid_answer');
    expect(await proxied('upstream_error')).toBe(errors + 1);
    expect((await request(exp.url, 'GET', '/api/v1/health')).status).toBe(200);
    expect(exp.stderr()).not.toContain(KEY);
  });
});
