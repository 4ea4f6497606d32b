/**
 * The OpenAI-compatible recording proxy (README "OpenAI-compatible recording proxy"), driven by
 * the official `openai` clients for Node and Python against the real exporter. The upstream is
 * a local OpenAI-compatible server of the tests' own (stand-in-upstream.ts): the one stand-in,
 * since there is no internet here. Every figure checked must equal what the upstream reported.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import OpenAI, { APIError } from 'openai';
import { freePort } from '../helpers/spawned';
import { PYTHON } from '../helpers/python';
import { createHash } from 'node:crypto';
import { labelValues, mb, metricValue, metricsText, report, rssOf, startWith } from '../hardening/harness';
import type { RunningExporter } from '../helpers/exporter-process';
import { HUGE_EVENT_BYTES, startStandIn, USAGE, type StandIn } from './stand-in-upstream';

/** The app's provider key: it must reach the upstream and appear nowhere in Runboard. */
const KEY = 'sk-proxy-test-SECRET-4f1d9c2a7b';

/** Polls until `check` holds (the proxy records a call after its answer ended). */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const llm = async (exp: RunningExporter, name: string, labels: Record<string, string>) => metricValue(await metricsText(exp), name, { provider: 'standin', ...labels }) ?? 0;

async function recorded(exp: RunningExporter, model: string, outcome: 'success' | 'failure', n = 1): Promise<void> {
  await waitFor(async () => (await llm(exp, 'runboard_llm_requests_total', { model, outcome })) === n, `${n} ${outcome} record(s) of ${model}`);
}

/** runboard_proxy_requests_total of one upstream and outcome. */
const proxied = async (exp: RunningExporter, upstream: string, outcome: string) => metricValue(await metricsText(exp), 'runboard_proxy_requests_total', { upstream, outcome }) ?? 0;

const api = async (exp: RunningExporter, p: string) => {
  const res = await fetch(`${exp.url}/api/v1${p}`, { headers: { Authorization: `Bearer ${exp.token}` } });
  return res.headers.get('content-type')?.startsWith('text/csv') ? res.text() : res.json();
};

async function tokens(exp: RunningExporter, model: string): Promise<[number, number]> {
  return [await llm(exp, 'runboard_llm_tokens_total', { model, type: 'input' }), await llm(exp, 'runboard_llm_tokens_total', { model, type: 'output' })];
}

function client(exp: RunningExporter, opts: { token?: string; tag?: string } = {}): OpenAI {
  const headers: Record<string, string> = { 'X-Runboard-Token': opts.token ?? exp.token };
  if (opts.tag) headers['X-Runboard-Tag'] = opts.tag;
  return new OpenAI({ baseURL: `${exp.url}/proxy/standin/v1`, apiKey: KEY, defaultHeaders: headers, maxRetries: 0 });
}

describe('recording proxy, on', () => {
  let up: StandIn;
  let exp: RunningExporter;
  let openai: OpenAI;

  beforeAll(async () => {
    up = await startStandIn();
    exp = await startWith({
      proxy: { enabled: true, upstreams: { standin: { url: up.url, provider: 'standin' } } },
      prices: { 'standin/m-chat-2024': { input: 1, output: 2 } },
    });
    openai = client(exp, { tag: 'node-app' });
  });
  afterAll(async () => {
    await exp?.stop();
    await up?.close();
  });

  test('a chat completion comes back as the upstream sent it, and is recorded with its usage and the tag', async () => {
    const before = up.seen.length;
    const succeeded = await proxied(exp, 'standin', 'success');
    const answer = await openai.chat.completions.create({ model: 'm-chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(up.seen.length).toBe(before + 1);
    expect(answer).toEqual(JSON.parse(up.sent[before].toString()));
    // The provider key reaches the upstream untouched; Runboard's own headers do not.
    const seen = up.seen[before];
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen.headers['x-runboard-token']).toBeUndefined();
    expect(seen.headers['x-runboard-tag']).toBeUndefined();
    await recorded(exp, 'm-chat-2024', 'success');
    expect(await tokens(exp, 'm-chat-2024')).toEqual([USAGE.chat.prompt_tokens, USAGE.chat.completion_tokens]);
    // Priced from the table like any record: 11 × $1 + 7 × $2 per million.
    expect(await llm(exp, 'runboard_llm_cost_usd_total', { model: 'm-chat-2024' })).toBeCloseTo(0.000025, 12);
    // The tag is the record's own field, not its command: the breakdown by tag shows it.
    const byTag = await api(exp, '/costs?groupBy=tag');
    expect(byTag.rows).toEqual([{ key: 'node-app', requests: 1, inputTokens: 11, outputTokens: 7, costUsd: 0.000025, unpriced: 0 }]);
    expect((await api(exp, '/costs?groupBy=command')).rows.map((r: { key: string }) => r.key)).toEqual(['(none)']);
    const { records } = await api(exp, '/costs/records?source=proxy');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ model: 'm-chat-2024', tag: 'node-app', command: null, source: 'proxy' });
    expect(await proxied(exp, 'standin', 'success')).toBe(succeeded + 1);
  });

  test('a streamed chat passes chunk by chunk: the first arrives before the upstream sends the last', async () => {
    const stream = await openai.chat.completions.create({ model: 'hold', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const got: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      if (got.length === 0) {
        // Had the proxy buffered the stream, this chunk could not be here yet.
        expect(up.sentLast).toBe(false);
        up.release();
      }
      got.push(chunk);
    }
    expect(up.sentLast).toBe(true);
    expect(got.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
    expect(got.at(-1)?.usage).toMatchObject(USAGE.chatStream);
    await recorded(exp, 'hold-2024', 'success');
    expect(await tokens(exp, 'hold-2024')).toEqual([USAGE.chatStream.prompt_tokens, USAGE.chatStream.completion_tokens]);
  });

  test('the Responses API, plain and streamed, is recorded with its input and output tokens', async () => {
    const resp = await openai.responses.create({ model: 'm-resp', input: 'hi' });
    expect(resp.output_text).toBe('Hi from responses.');
    expect(resp.usage).toMatchObject(USAGE.responses);
    const types: string[] = [];
    for await (const ev of await openai.responses.create({ model: 'm-resp-stream', input: 'hi', stream: true })) types.push(ev.type);
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    await recorded(exp, 'm-resp-2024', 'success');
    await recorded(exp, 'm-resp-stream-2024', 'success');
    expect(await tokens(exp, 'm-resp-2024')).toEqual([USAGE.responses.input_tokens, USAGE.responses.output_tokens]);
    expect(await tokens(exp, 'm-resp-stream-2024')).toEqual([USAGE.responsesStream.input_tokens, USAGE.responsesStream.output_tokens]);
  });

  test('embeddings come back as sent and count their prompt tokens', async () => {
    const emb = await openai.embeddings.create({ model: 'm-emb', input: ['a', 'b'] });
    expect(emb.data.map((d) => d.embedding)).toEqual([
      [0.25, -0.5, 0.125],
      [0.25, -0.5, 0.125],
    ]);
    expect(emb.usage.prompt_tokens).toBe(USAGE.embeddings.prompt_tokens);
    await recorded(exp, 'm-emb-2024', 'success');
    expect(await tokens(exp, 'm-emb-2024')).toEqual([USAGE.embeddings.prompt_tokens, 0]);
  });

  test.each([400, 429, 500])('an upstream %i reaches the app as sent and counts as a failure', async (status) => {
    const before = up.seen.length;
    const errors = await proxied(exp, 'standin', 'upstream_error');
    const err = await openai.chat.completions.create({ model: `error-${status}`, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(status);
    expect((err as APIError).error).toEqual(JSON.parse(up.sent[before].toString()).error);
    await recorded(exp, `error-${status}`, 'failure');
    expect(await proxied(exp, 'standin', 'upstream_error')).toBe(errors + 1);
  });

  test('request and answer bytes pass through unchanged, end-to-end headers too', async () => {
    const before = up.seen.length;
    // Odd spacing and key order: a proxy that re-serialised the body would change these bytes.
    const body = '{ "messages":[{"content":"hi","role":"user"}],\n  "model" : "m-raw"  }';
    const res = await fetch(`${exp.url}/proxy/standin/v1/chat/completions?api-version=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}`, 'X-Runboard-Token': exp.token, 'OpenAI-Organization': 'org-1' },
      body,
    });
    const text = await res.text();
    expect(up.seen[before].body.toString()).toBe(body);
    expect(up.seen[before].path).toBe('/v1/chat/completions?api-version=1');
    expect(up.seen[before].headers['openai-organization']).toBe('org-1');
    expect(text).toBe(up.sent[before].toString());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(`req_${before}`);
    expect(res.headers.get('openai-processing-ms')).toBe('12');
    await recorded(exp, 'm-raw-2024', 'success');
  });

  test('a stream cut by the upstream is cut for the app too and recorded as a failure', async () => {
    const cuts = await proxied(exp, 'standin', 'cut');
    const stream = await openai.chat.completions.create({
      model: 'cut-upstream',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const got: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    // fetch's own error (undici's "terminated"), from another realm than the test's Error.
    expect(String((err as Error | undefined)?.message)).toMatch(/terminated|aborted|closed|socket/i);
    expect(got[0]).toBe('Hello');
    await recorded(exp, 'cut-upstream-2024', 'failure');
    expect(await proxied(exp, 'standin', 'cut')).toBe(cuts + 1);
  });

  test('a stream cut by the app ends the upstream call and is recorded as a failure', async () => {
    const cuts = await proxied(exp, 'standin', 'cut');
    const abort = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'cut-client', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
      { signal: abort.signal },
    );
    const got: string[] = [];
    // The client library ends the loop quietly or throws its abort error: either way the app left.
    await (async () => {
      for await (const chunk of stream) {
        got.push(chunk.choices[0]?.delta?.content ?? '');
        abort.abort();
      }
    })().catch(() => undefined);
    expect(got).toEqual(['Hello']);
    await up.clientGone;
    await recorded(exp, 'cut-client-2024', 'failure');
    expect(await proxied(exp, 'standin', 'cut')).toBe(cuts + 1);
  });

  test('without the Runboard token: 401, and the upstream is never called', async () => {
    const before = up.seen.length;
    const refused = await proxied(exp, 'standin', 'refused');
    for (const token of ['', 'wrong-token-0123456789']) {
      const err = await client(exp, { token })
        .chat.completions.create({ model: 'm-chat', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect((err as APIError).status).toBe(401);
      expect((err as APIError).error).toMatchObject({ code: 'unauthorized' });
    }
    expect(up.seen.length).toBe(before);
    expect(await proxied(exp, 'standin', 'refused')).toBe(refused + 2);
  });

  test('a bad tag, another path, an unknown upstream or another method: JSON errors, the upstream never called', async () => {
    const before = up.seen.length;
    const refused = await proxied(exp, 'standin', 'refused');
    const post = (p: string, headers: Record<string, string> = {}, method = 'POST') =>
      fetch(`${exp.url}${p}`, {
        method,
        headers: { 'X-Runboard-Token': exp.token, Authorization: `Bearer ${KEY}`, ...headers },
        body: method === 'POST' ? '{"model":"m"}' : undefined,
      });
    const bad = await post('/proxy/standin/v1/chat/completions', { 'X-Runboard-Tag': 'a b' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_request', field: 'X-Runboard-Tag' });
    for (const p of ['/proxy/standin/v1/models', '/proxy/standin/v1/files', '/proxy/nope/v1/chat/completions', '/proxy/standin/chat/completions']) {
      const res = await post(p);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    const get = await post('/proxy/standin/v1/embeddings', {}, 'GET');
    expect(get.status).toBe(405);
    expect(up.seen.length).toBe(before);
    // Counted for the configured upstream (bad tag, two paths, GET); a path naming none is not a label value.
    expect(await proxied(exp, 'standin', 'refused')).toBe(refused + 4);
    expect(labelValues(await metricsText(exp), 'runboard_proxy_requests_total', 'upstream')).toEqual(new Set(['standin']));
  });

  test('the official Python client, streamed and not, sees what the upstream sent; its calls are recorded', async () => {
    const script = path.join(__dirname, 'openai_client.py');
    const child = spawn(PYTHON, [script, `${exp.url}/proxy/standin/v1`, exp.token, KEY, 'py-app'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const seen = JSON.parse(out);
    expect(seen.chat.model).toBe('py-chat-2024');
    expect(seen.chat.usage).toMatchObject(USAGE.chat);
    expect(seen.chat.choices[0].message.content).toBe('Hello from the stand-in.');
    expect(seen.chat_stream.map((c: { choices: Array<{ delta: { content?: string } }> }) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
    expect(seen.chat_stream.at(-1).usage).toMatchObject(USAGE.chatStream);
    expect(seen.responses).toMatchObject({ model: 'py-resp-2024', usage: USAGE.responses, output_text: 'Hi from responses.' });
    expect(seen.responses_stream).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(seen.responses_stream_usage).toMatchObject(USAGE.responsesStream);
    expect(seen.embeddings.vectors).toEqual([
      [0.25, -0.5, 0.125],
      [0.25, -0.5, 0.125],
    ]);
    expect(seen.error_429).toMatchObject({ status: 429, body: { message: 'stand-in error 429', code: 'e429' } });

    for (const m of ['py-chat', 'py-chat-stream', 'py-resp', 'py-resp-stream', 'py-emb']) await recorded(exp, `${m}-2024`, 'success');
    await recorded(exp, 'error-429', 'failure', 2);
    expect(await tokens(exp, 'py-chat-2024')).toEqual([USAGE.chat.prompt_tokens, USAGE.chat.completion_tokens]);
    expect(await tokens(exp, 'py-chat-stream-2024')).toEqual([USAGE.chatStream.prompt_tokens, USAGE.chatStream.completion_tokens]);
    expect(await tokens(exp, 'py-resp-2024')).toEqual([USAGE.responses.input_tokens, USAGE.responses.output_tokens]);
    expect(await tokens(exp, 'py-resp-stream-2024')).toEqual([USAGE.responsesStream.input_tokens, USAGE.responsesStream.output_tokens]);
    expect(await tokens(exp, 'py-emb-2024')).toEqual([USAGE.embeddings.prompt_tokens, 0]);
    const csv = await api(exp, '/costs?groupBy=tag&format=csv');
    const inTotal = USAGE.chat.prompt_tokens + USAGE.chatStream.prompt_tokens + USAGE.responses.input_tokens + USAGE.responsesStream.input_tokens + USAGE.embeddings.prompt_tokens;
    const outTotal = USAGE.chat.completion_tokens + USAGE.chatStream.completion_tokens + USAGE.responses.output_tokens + USAGE.responsesStream.output_tokens;
    expect(csv.split('\n')).toContain(`py-app,6,${inTotal},${outTotal},0,6`);
  });

  test('the provider key is nowhere: not in /metrics, the logs or the data dir; every record has source proxy', async () => {
    // Runs last in this file: it stops the exporter to read everything it wrote.
    const metrics = await metricsText(exp);
    expect(metrics).toContain('runboard_llm_requests_total');
    expect(metrics).not.toContain(KEY);
    const code = await exp.stop();
    expect(code).toBe(0);
    expect(exp.stdout()).not.toContain(KEY);
    expect(exp.stderr()).not.toContain(KEY);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => files.push(f))(path.join(dir, e.name));
    };
    walk(exp.dataDir);
    expect(files.some((f) => f.endsWith('runboard.db'))).toBe(true);
    for (const f of files) expect({ f, found: fs.readFileSync(f).includes(KEY) }).toEqual({ f, found: false });
    const db = new Database(path.join(exp.dataDir, 'runboard.db'), { readonly: true });
    const rows = db.prepare('SELECT source, command, tag, model, input_tokens, output_tokens, success FROM cost_records ORDER BY id').all() as Array<Record<string, unknown>>;
    db.close();
    expect(rows.length).toBeGreaterThan(15);
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['proxy']));
    expect(rows.find((r) => r.model === 'm-chat-2024')).toEqual({
      source: 'proxy',
      command: null,
      tag: 'node-app',
      model: 'm-chat-2024',
      input_tokens: 11,
      output_tokens: 7,
      success: 1,
    });
    expect(rows.find((r) => r.model === 'cut-client-2024')).toMatchObject({ success: 0 });
  });
});

describe('recording proxy, upstream trouble and limits', () => {
  let up: StandIn;
  let exp: RunningExporter;

  beforeAll(async () => {
    up = await startStandIn();
    const closedPort = await freePort();
    exp = await startWith({
      proxy: {
        enabled: true,
        timeoutSeconds: 1,
        bodyBytes: 4096,
        maxConcurrentPerClient: 1,
        upstreams: { standin: { url: up.url, provider: 'standin' }, down: { url: `http://127.0.0.1:${closedPort}/v1`, provider: 'standin' } },
      },
    });
  });
  afterAll(async () => {
    await exp?.stop();
    await up?.close();
  });

  const call = (upstream: string, body: string) =>
    fetch(`${exp.url}/proxy/${upstream}/v1/chat/completions`, { method: 'POST', headers: { 'X-Runboard-Token': exp.token, Authorization: `Bearer ${KEY}` }, body });

  test('a slow upstream: 504 with a JSON error after proxy.timeoutSeconds; meanwhile the per-client limit answers 503', async () => {
    const before = up.seen.length;
    const [timeouts, refused] = [await proxied(exp, 'standin', 'timeout'), await proxied(exp, 'standin', 'refused')];
    const slow = call('standin', '{"model":"slow"}');
    await waitFor(async () => up.seen.length === before + 1, 'the upstream to get the slow call');
    const busy = await call('standin', '{"model":"m"}');
    expect(busy.status).toBe(503);
    expect((await busy.json()).error.code).toBe('proxy_busy');
    const res = await slow;
    expect(res.status).toBe(504);
    expect((await res.json()).error.code).toBe('upstream_timeout');
    expect(up.seen.length).toBe(before + 1);
    await recorded(exp, 'slow', 'failure');
    expect([await proxied(exp, 'standin', 'timeout'), await proxied(exp, 'standin', 'refused')]).toEqual([timeouts + 1, refused + 1]);
  });

  test('an upstream that refuses connections: 502 with a JSON error, counted as a failure', async () => {
    const res = await call('down', '{"model":"m-down"}');
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe('upstream_unreachable');
    await recorded(exp, 'm-down', 'failure');
    expect(await proxied(exp, 'down', 'unreachable')).toBe(1);
  });

  test('a body over proxy.bodyBytes: 413, and nothing reaches the upstream', async () => {
    const before = up.seen.length;
    const refused = await proxied(exp, 'standin', 'refused');
    const res = await call('standin', JSON.stringify({ model: 'm', input: 'x'.repeat(10_000) }));
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('body_too_large');
    expect(up.seen.length).toBe(before);
    expect(await proxied(exp, 'standin', 'refused')).toBe(refused + 1);
  });

  test('one endless streamed event: the app gets every byte, the exporter memory stays flat, the call is recorded without its usage', async () => {
    const baseline = rssOf(exp.child.pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(exp.child.pid))), 20);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const res = await call('standin', '{"model":"huge-event","stream":true,"stream_options":{"include_usage":true}}');
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        bytes += value.length;
      }
    } finally {
      clearInterval(sampler);
    }
    const sent = await up.huge;
    expect(sent.bytes).toBeGreaterThan(HUGE_EVENT_BYTES);
    expect({ bytes, sha256: hash.digest('hex') }).toEqual(sent);
    const grew = peak - baseline;
    report('proxy-huge-sse-event', { eventMb: mb(HUGE_EVENT_BYTES), rssBaselineMb: mb(baseline), rssGrowthMb: mb(grew) });
    expect(grew).toBeLessThan(64 * 1024 * 1024);
    // The usage came after the big event, where the proxy no longer reads: recorded without it,
    // as a success (the upstream ended the answer as usual), with the model of the first chunk.
    await recorded(exp, 'huge-event-2024', 'success');
    expect(await tokens(exp, 'huge-event-2024')).toEqual([0, 0]);
  }, 120_000);
});

describe('recording proxy, off (the default)', () => {
  test('/proxy/ answers 404 with the JSON error', async () => {
    const exp = await startWith({});
    try {
      const res = await fetch(`${exp.url}/proxy/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { 'X-Runboard-Token': exp.token, Authorization: `Bearer ${KEY}` },
        body: '{"model":"gpt-4o-mini"}',
      });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    } finally {
      await exp.stop();
    }
  });
});
