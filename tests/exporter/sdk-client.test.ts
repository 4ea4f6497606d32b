/**
 * The remote SDK client (@runboard/sdk, sdk/src/client.ts, run as built) against real HTTP servers.
 *
 * Most tests run against the real exporter started in-process, and check what arrived through its
 * own metrics. A few use a tiny `http.createServer` fake, ONLY to force failure modes the real
 * exporter cannot produce on demand: 503/429 then success (retry and backoff), a 400 (the client
 * validates records first, so it never sends one the exporter would refuse), a response held back
 * (flush waits for the acknowledgement) and a server that never answers (the timeout).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Exporter } from '../../exporter/src/exporter';
import { silentLogger } from '../../exporter/src/log';
import { createClient, InvalidRecordError, RunboardClient, RunboardClientError, type Recorder, type RunboardClientOptions } from '@runboard/sdk';
import * as exporterSdk from '../../exporter/src/sdk';

const TOKEN = 'test-token-0123456789';
const REPO = path.resolve(__dirname, '../..');

let exp: Exporter;
let dataDir: string;
const clients: RunboardClient[] = [];
const servers: http.Server[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-sdk-'));
  // limits.batchRecords 600 lets a test provoke a real 413 with a client batchSize of 700.
  exp = await Exporter.start({ port: 0, dataDir, auth: { token: TOKEN }, limits: { batchRecords: 600 } }, { log: silentLogger, system: false });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

afterAll(async () => {
  await exp.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A client that afterEach closes; no exit hook unless a test asks for one. */
function client(opts: Partial<RunboardClientOptions> = {}): RunboardClient {
  const c = createClient({ url: exp.url, token: TOKEN, flushOnExit: false, onError: () => {}, ...opts });
  clients.push(c);
  return c;
}

/** `runboard_actions_total` summed over outcomes for one action name, read from the exporter. */
async function actionCount(name: string): Promise<number> {
  const m = await exp.metrics.actions.get();
  return m.values.filter((v) => v.labels.action === name).reduce((s, v) => s + v.value, 0);
}

function action(name: string, i = 0) {
  return { name, duration_seconds: 0.01 * (i % 100), success: i % 7 !== 0 };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface FakeRequest {
  t: number;
  body: string;
  auth?: string;
}
type FakeHandler = (req: FakeRequest, res: http.ServerResponse, index: number) => void;

/** A fake ingest endpoint for failure modes only (see the header comment). */
async function fakeServer(handler: FakeHandler): Promise<{ url: string; requests: FakeRequest[] }> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const r = { t: Date.now(), body, auth: req.headers.authorization };
      requests.push(r);
      handler(r, res, requests.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function accepted(req: FakeRequest, res: http.ServerResponse): void {
  const n = (JSON.parse(req.body) as { records: unknown[] }).records.length;
  reply(res, 202, { accepted: n, byKind: { action: n } });
}

describe('delivery to the real exporter', () => {
  test('records arrive, in order, in ceil(N / batchSize) requests', async () => {
    const spy = jest.spyOn(globalThis, 'fetch');
    const c = client({ batchSize: 500, flushIntervalMs: 60_000 });
    const N = 1234;
    for (let i = 0; i < N; i++) c.recordAction(action('batching', i));
    await c.flush();

    expect(spy).toHaveBeenCalledTimes(Math.ceil(N / 500));
    const sizes = spy.mock.calls.map(([, init]) => (JSON.parse(String(init!.body)) as { records: unknown[] }).records.length);
    expect(sizes).toEqual([500, 500, 234]);
    // In order: the concatenated batches are the records as given.
    const durations = spy.mock.calls.flatMap(([, init]) =>
      (JSON.parse(String(init!.body)) as { records: Array<{ duration_seconds: number }> }).records.map((r) => r.duration_seconds),
    );
    expect(durations).toEqual(Array.from({ length: N }, (_, i) => action('batching', i).duration_seconds));
    expect(spy.mock.calls[0][0]).toBe(`${exp.url}/api/v1/ingest`);
    expect(await actionCount('batching')).toBe(N);
    expect(c.stats()).toEqual({ queued: 0, sent: N, dropped: 0, failedBatches: 0, retries: 0 });
  });

  test('a full batch goes out at once; a partial one after flushIntervalMs', async () => {
    const spy = jest.spyOn(globalThis, 'fetch');
    const c = client({ batchSize: 500, flushIntervalMs: 150 });
    const start = Date.now();
    for (let i = 0; i < 3; i++) c.recordAction(action('interval', i));
    expect(spy).not.toHaveBeenCalled();
    expect(c.stats().queued).toBe(3);

    await waitFor(async () => (await actionCount('interval')) === 3, 3000);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
    expect(spy).toHaveBeenCalledTimes(1);
    await waitFor(() => c.stats().sent === 3);
  });

  test('flush() resolves only once the exporter has acknowledged (applied) the records', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 42; i++) c.recordAction(action('flush-ack', i));
    c.recordEvent({ type: 'flush.ack', outcome: 'processed', processing_seconds: 0.2 });
    c.recordLlmCall({ provider: 'openai', model: 'flush-ack-model', input_tokens: 100, output_tokens: 20, cost_usd: 0.01 });
    c.setState({ current_action: 'flush-ack', action_queue_depth: 4 });
    await c.flush();
    // No polling: by the time flush() resolves, the records are in the exporter's metrics.
    expect(await actionCount('flush-ack')).toBe(42);
    const events = await exp.metrics.events.get();
    expect(events.values.find((v) => v.labels.type === 'flush.ack' && v.labels.outcome === 'processed')?.value).toBe(1);
    const llm = await exp.metrics.llmRequests.get();
    expect(llm.values.find((v) => v.labels.model === 'flush-ack-model')?.value).toBe(1);
    expect(exp.currentAction).toBe('flush-ack');
    expect(c.stats()).toMatchObject({ queued: 0, sent: 45 });
    await c.flush(); // nothing pending: resolves at once
  });

  test('the bounded queue drops new records when full, counts them and reports once', async () => {
    const onError = jest.fn();
    const c = client({ maxQueue: 10, batchSize: 100, flushIntervalMs: 60_000, onError });
    for (let i = 0; i < 15; i++) c.recordAction(action('bounded', i));
    expect(c.stats()).toMatchObject({ queued: 10, dropped: 5, sent: 0 });
    expect(onError).toHaveBeenCalledTimes(1);
    const err = onError.mock.calls[0][0] as RunboardClientError;
    expect(err).toBeInstanceOf(RunboardClientError);
    expect(err.code).toBe('queue_full');

    await c.flush();
    expect(await actionCount('bounded')).toBe(10);
    c.recordAction(action('bounded')); // room again
    await c.flush();
    expect(c.stats()).toEqual({ queued: 0, sent: 11, dropped: 5, failedBatches: 0, retries: 0 });
  });

  test('close() flushes, stops, and later records throw', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    c.recordAction(action('closing'));
    c.recordAction(action('closing', 1));
    await c.close();
    expect(await actionCount('closing')).toBe(2);
    expect(c.isClosed).toBe(true);
    expect(() => c.recordAction(action('closing'))).toThrow(/closed/);
    expect(() => c.setState({ actions_in_flight: 1 })).toThrow(/closed/);
    await c.close(); // twice is fine
    await c.flush();
    expect(c.stats()).toMatchObject({ queued: 0, sent: 2 });
  });

  test('a wrong token (401) is not retried: the batch is dropped and reported', async () => {
    const spy = jest.spyOn(globalThis, 'fetch');
    const onError = jest.fn();
    const c = client({ token: 'wrong-token-0123456789', onError, backoff: { baseMs: 1 } });
    c.recordAction(action('unauthorized'));
    await c.flush();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledTimes(1);
    const err = onError.mock.calls[0][0] as RunboardClientError;
    expect(err).toMatchObject({ status: 401, code: 'unauthorized', records: 1, attempts: 1 });
    expect(err.message).toMatch(/token/);
    expect(c.stats()).toEqual({ queued: 0, sent: 0, dropped: 1, failedBatches: 1, retries: 0 });
    expect(await actionCount('unauthorized')).toBe(0);
  });

  test('a batch over the exporter limit (413) is not retried', async () => {
    const spy = jest.spyOn(globalThis, 'fetch');
    const onError = jest.fn();
    const c = client({ batchSize: 700, onError, backoff: { baseMs: 1 } });
    for (let i = 0; i < 700; i++) c.recordAction(action('too-many', i));
    await c.flush();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0]).toMatchObject({ status: 413, code: 'too_many_records', records: 700 });
    expect(c.stats()).toMatchObject({ dropped: 700, failedBatches: 1, retries: 0 });
  });
});

describe('validation', () => {
  test('an invalid record throws a TypeError naming the field and never reaches a batch', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    const bad: Array<[() => void, RegExp]> = [
      [() => c.recordAction({ name: 'v', duration_seconds: -1, success: true }), /^recordAction: duration_seconds: /],
      [() => c.recordAction({ name: '', duration_seconds: 1, success: true }), /^recordAction: name: must not be empty/],
      [() => c.recordAction({ name: 'v', duration_seconds: 1 } as never), /^recordAction: success: is required/],
      [() => c.recordAction({ name: 'v', duration_seconds: 1, success: true, extra: 1 } as never), /^recordAction: extra: unknown field/],
      [() => c.recordAction({ name: 'v', duration_seconds: '1', success: true } as never), /^recordAction: duration_seconds: expected number, got "1"/],
      [() => c.recordEvent({ type: 'v', outcome: 'done' } as never), /^recordEvent: outcome: /],
      [() => c.recordLlmCall({ provider: 'p', input_tokens: 1, output_tokens: 1 } as never), /^recordLlmCall: model: is required/],
      [() => c.recordLlmCall({ provider: 'p', model: 'm', input_tokens: 1.5, output_tokens: 1 }), /^recordLlmCall: input_tokens: /],
      [() => c.setState({ action_queue_depth: -2 }), /^setState: action_queue_depth: /],
      [() => c.recordAction({ kind: 'event', name: 'v', duration_seconds: 1, success: true } as never), /^recordAction: kind: /],
      [() => c.recordAction(null as never), /^recordAction: expected a record object/],
    ];
    for (const [call, message] of bad) {
      let thrown: unknown;
      try {
        call();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(thrown).toBeInstanceOf(InvalidRecordError);
      expect((thrown as Error).message).toMatch(message);
    }
    expect(
      (() => {
        try {
          c.recordAction({ name: 'v', duration_seconds: -1, success: true });
        } catch (e) {
          return (e as InvalidRecordError).field;
        }
      })(),
    ).toBe('duration_seconds');
    expect(c.stats().queued).toBe(0);

    // The valid records around them go through in one clean batch.
    c.recordAction(action('validated'));
    c.setState({ current_action: null, actions_in_flight: 0 });
    await c.flush();
    expect(c.stats()).toEqual({ queued: 0, sent: 2, dropped: 0, failedBatches: 0, retries: 0 });
    expect(await actionCount('validated')).toBe(1);
  });

  test('bad options throw at creation', () => {
    expect(() => createClient({ url: '', token: TOKEN })).toThrow(/url is required/);
    expect(() => createClient({ url: 'ftp://x', token: TOKEN })).toThrow(/http/);
    const saved = process.env.RUNBOARD_API_TOKEN;
    delete process.env.RUNBOARD_API_TOKEN;
    try {
      expect(() => createClient({ url: 'http://127.0.0.1:1' })).toThrow(/token is required/);
    } finally {
      if (saved !== undefined) process.env.RUNBOARD_API_TOKEN = saved;
    }
    expect(() => createClient({ url: 'http://127.0.0.1:1', token: TOKEN, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => createClient({ url: 'http://127.0.0.1:1', token: TOKEN, maxRetries: -1 })).toThrow(/maxRetries/);
  });
});

describe('failure modes (fake server)', () => {
  test('503 twice, then 202: retried with growing backoff, nothing lost', async () => {
    const fake = await fakeServer((req, res, i) => (i < 2 ? reply(res, 503, { error: { code: 'unavailable', message: 'busy' } }) : accepted(req, res)));
    const onError = jest.fn();
    const c = client({ url: fake.url, batchSize: 5, onError, backoff: { baseMs: 40, maxMs: 1000 } });
    for (let i = 0; i < 5; i++) c.recordAction(action('retry', i));
    await c.flush();

    expect(fake.requests).toHaveLength(3);
    expect(new Set(fake.requests.map((r) => r.body)).size).toBe(1); // the same batch each time
    expect(fake.requests[0].auth).toBe(`Bearer ${TOKEN}`);
    // The shared backoff: attempt n waits baseMs·2^n ±20 %.
    expect(fake.requests[1].t - fake.requests[0].t).toBeGreaterThanOrEqual(30);
    expect(fake.requests[2].t - fake.requests[1].t).toBeGreaterThanOrEqual(60);
    expect(onError).not.toHaveBeenCalled();
    expect(c.stats()).toEqual({ queued: 0, sent: 5, dropped: 0, failedBatches: 0, retries: 2 });
  });

  test('429 honours Retry-After', async () => {
    const fake = await fakeServer((req, res, i) =>
      i === 0 ? reply(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '1' }) : accepted(req, res),
    );
    const c = client({ url: fake.url, backoff: { baseMs: 5, maxMs: 5000 } });
    c.recordAction(action('retry-after'));
    await c.flush();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].t - fake.requests[0].t).toBeGreaterThanOrEqual(950);
    expect(c.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  test('gives up after maxRetries and reports the loss', async () => {
    const fake = await fakeServer((_req, res) => reply(res, 500, { error: { code: 'internal', message: 'boom' } }));
    const onError = jest.fn();
    const c = client({ url: fake.url, maxRetries: 2, onError, backoff: { baseMs: 5 } });
    c.recordAction(action('give-up'));
    c.recordAction(action('give-up'));
    await c.flush();
    expect(fake.requests).toHaveLength(3);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0]).toMatchObject({ status: 500, code: 'internal', records: 2, attempts: 3 });
    expect(c.stats()).toEqual({ queued: 0, sent: 0, dropped: 2, failedBatches: 1, retries: 2 });
  });

  test('400 is not retried: that batch is dropped and reported, the next one still goes', async () => {
    const fake = await fakeServer((req, res, i) =>
      i === 0 ? reply(res, 400, { error: { code: 'invalid_record', message: 'records[0].name: must not be empty', field: 'records[0].name' } }) : accepted(req, res),
    );
    const onError = jest.fn();
    const c = client({ url: fake.url, batchSize: 5, onError, backoff: { baseMs: 1 } });
    for (let i = 0; i < 10; i++) c.recordAction(action('bad-request', i));
    await c.flush();
    expect(fake.requests).toHaveLength(2); // two batches, no retry
    expect(onError).toHaveBeenCalledTimes(1);
    const err = onError.mock.calls[0][0] as RunboardClientError;
    expect(err).toMatchObject({ status: 400, code: 'invalid_record', field: 'records[0].name', records: 5, attempts: 1 });
    expect(err.message).toMatch(/records\[0\]\.name/);
    expect(c.stats()).toEqual({ queued: 0, sent: 5, dropped: 5, failedBatches: 1, retries: 0 });
  });

  test('the default onError logs once per error code to stderr', async () => {
    const fake = await fakeServer((_req, res) => reply(res, 400, { error: { code: 'invalid_record', message: 'nope' } }));
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const c = createClient({ url: fake.url, token: TOKEN, batchSize: 1, flushOnExit: false });
    clients.push(c);
    for (let i = 0; i < 3; i++) c.recordAction(action('log-once', i));
    await c.flush();
    expect(fake.requests).toHaveLength(3);
    const lines = write.mock.calls.map(([s]) => String(s)).filter((s) => s.startsWith('runboard client:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/invalid_record/);
  });

  test('flush() waits for the acknowledgement, not just the send', async () => {
    let release!: () => void;
    const fake = await fakeServer((req, res) => (release = () => accepted(req, res)));
    const c = client({ url: fake.url });
    c.recordAction(action('held'));
    let done = false;
    const flushed = c.flush().then(() => (done = true));
    await waitFor(() => fake.requests.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    expect(c.stats()).toMatchObject({ queued: 1, sent: 0 });
    release();
    await flushed;
    expect(c.stats()).toMatchObject({ queued: 0, sent: 1 });
  });

  test('a server that never answers hits timeoutMs, is retried, then given up on', async () => {
    const fake = await fakeServer(() => {}); // never responds
    const onError = jest.fn();
    const c = client({ url: fake.url, timeoutMs: 200, maxRetries: 1, onError, backoff: { baseMs: 10 } });
    c.recordAction(action('hang'));
    const start = Date.now();
    await c.flush();
    expect(Date.now() - start).toBeGreaterThanOrEqual(390);
    expect(fake.requests).toHaveLength(2);
    expect(onError.mock.calls[0][0]).toMatchObject({ code: 'timeout', records: 1, attempts: 2 });
    expect(c.stats()).toEqual({ queued: 0, sent: 0, dropped: 1, failedBatches: 1, retries: 1 });
  });

  test('network errors (connection refused) are retried, then reported', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const onError = jest.fn();
    const c = client({ url: `http://127.0.0.1:${port}`, maxRetries: 2, onError, backoff: { baseMs: 5 } });
    c.recordAction(action('refused'));
    await c.flush();
    expect(onError.mock.calls[0][0]).toMatchObject({ code: 'network_error', attempts: 3 });
    expect(c.stats()).toMatchObject({ dropped: 1, retries: 2 });
  });
});

describe('same verbs in-process and remote', () => {
  test('the client and the in-process Exporter both implement Recorder', async () => {
    const c = client({ flushIntervalMs: 60_000 });
    const methods: Array<keyof Recorder> = ['recordAction', 'recordEvent', 'recordLlmCall', 'setState', 'flush', 'close'];
    for (const m of methods) {
      expect(typeof c[m]).toBe('function');
      expect(typeof exp[m]).toBe('function');
    }
    // The same code drives both flavours.
    const drive = async (r: Recorder) => {
      r.recordAction(action('parity'));
      r.recordEvent({ type: 'parity', outcome: 'queued' });
      r.recordLlmCall({ provider: 'p', model: 'parity-model', input_tokens: 1, output_tokens: 1 });
      r.setState({ event_queue_depth: 0 });
      await r.flush();
    };
    const both: Recorder[] = [exp, c];
    for (const r of both) await drive(r);
    expect(await actionCount('parity')).toBe(2);
  });
  test("runboard-exporter/sdk: startExporter() is the in-process flavour (Exporter.start); the remote client is @runboard/sdk's", async () => {
    expect(exporterSdk.createClient).toBe(createClient);
    expect(exporterSdk.RunboardClient).toBe(RunboardClient);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-sdk-start-'));
    const inProc = await exporterSdk.startExporter({ port: 0, dataDir: dir, auth: { token: TOKEN } }, { log: silentLogger, system: false });
    try {
      expect(inProc).toBeInstanceOf(Exporter);
      const c = client({ url: inProc.url });
      c.recordAction(action('start-exporter'));
      await c.flush();
      expect(c.stats().sent).toBe(1);
    } finally {
      await inProc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('process lifetime (child processes)', () => {
  /** Runs a snippet in a fresh node with the built client (`npm run build --workspace sdk`). */
  function runChild(snippet: string, opts: Record<string, unknown>): Promise<{ code: number | null; ms: number; stderr: string }> {
    const script = `
      const { createClient } = require('@runboard/sdk');
      const client = createClient(JSON.parse(process.env.CLIENT_OPTS));
      ${snippet}`;
    const start = Date.now();
    return new Promise((resolve) => {
      execFile(process.execPath, ['-e', script], { cwd: REPO, env: { ...process.env, CLIENT_OPTS: JSON.stringify(opts) }, timeout: 20_000 }, (err, _stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, ms: Date.now() - start, stderr });
      });
    });
  }

  test('flushOnExit sends what is left when the loop runs dry, then the process exits', async () => {
    const r = await runChild(`for (let i = 0; i < 3; i++) client.recordAction({ name: 'exit-flush', duration_seconds: 0.1, success: true });`, {
      url: exp.url,
      token: TOKEN,
      flushIntervalMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await actionCount('exit-flush')).toBe(3);
  });

  test('on exit, a backoff in progress still completes: the retry is sent before the process ends', async () => {
    const fake = await fakeServer((req, res, i) => (i === 0 ? reply(res, 503, { error: { code: 'unavailable', message: 'busy' } }) : accepted(req, res)));
    const r = await runChild(`client.recordAction({ name: 'exit-retry', duration_seconds: 0.1, success: true });`, {
      url: fake.url,
      token: TOKEN,
      flushIntervalMs: 60_000,
      backoff: { baseMs: 200 },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fake.requests).toHaveLength(2);
  });

  test('timers are unref()ed: a client never keeps the process alive by itself', async () => {
    const r = await runChild(`client.recordAction({ name: 'exit-unref', duration_seconds: 0.1, success: true });`, {
      url: exp.url,
      token: TOKEN,
      flushIntervalMs: 60_000,
      flushOnExit: false,
    });
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000); // not the 60 s flush interval
    expect(await actionCount('exit-unref')).toBe(0); // no flush on exit asked for: dropped, as documented
  });
});
