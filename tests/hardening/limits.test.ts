/**
 * Every documented limit hit on purpose and answered as the README says ("Reliability"):
 * limits.bodyBytes → 413, limits.batchRecords → 413, limits.labelValues → "other" and
 * runboard_label_overflow_total, limits.runOutputBytes → truncated output with a marker,
 * timeoutSeconds → outcome timeout, limits.concurrentRuns / limits.runQueue → queued then 429,
 * limits.streamClients → 503 with Retry-After, limits.historyMaxPoints → 400, and
 * limits.requestsPerSecond → 429 with Retry-After, counted as rate_limited. (limits.liveSeries:
 * cardinality.test.ts.) Small limits keep it quick.
 */
import zlib from 'node:zlib';
import { TokenBuckets } from '../../exporter/src/http/rate-limit';
import type { RunningExporter } from '../helpers/exporter-process';
import { connectSse, type SseConnection } from '../helpers/sse-client';
import { labelValues, metricsText, metricValue, report, request, sleep, startWith, type RawResponse } from './harness';
import { startStandIn } from '../proxy/stand-in-upstream';

let exp: RunningExporter;
const figures: Record<string, unknown> = {};
const H = () => ({ Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' });
const errorOf = (res: RawResponse) => (JSON.parse(res.text) as { error: { code: string; message: string; field?: string } }).error;

beforeAll(async () => {
  exp = await startWith(
    {
      limits: {
        bodyBytes: 65536,
        batchRecords: 100,
        labelValues: 5,
        streamClients: 4,
        historyMaxPoints: 50,
        concurrentRuns: 1,
        runQueue: 1,
        runOutputBytes: 4096,
        requestsPerSecond: 0,
      },
      sampling: { intervalSeconds: 0.2 },
    },
    { commands: true },
  );
});
afterAll(async () => {
  await exp?.stop();
  report('limits', figures);
});

describe('limits.bodyBytes (65536 here)', () => {
  const padded = (size: number) => JSON.stringify([{ kind: 'action', name: 'body-limit', duration_seconds: 1, success: true }]).padEnd(size, ' ');

  it('accepts a body of exactly the limit and answers 413 one byte over, on every route with a body', async () => {
    expect((await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: padded(65536) })).status).toBe(202);
    const over = await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: padded(65537) });
    expect(over.status).toBe(413);
    expect(errorOf(over)).toMatchObject({ code: 'body_too_large' });
    expect(errorOf(over).message).toMatch(/limits\.bodyBytes/);
    for (const [method, path] of [
      ['POST', '/api/v1/templates'],
      ['PUT', '/api/v1/templates/x'],
      ['POST', '/api/v1/commands/echo/runs'],
    ]) {
      const res = await request(exp.url, method, path, { headers: H(), body: '{}'.padEnd(65537, ' ') });
      expect([method, path, res.status]).toEqual([method, path, 413]);
    }
    // Chunked, with no Content-Length to refuse up front.
    const chunked = await request(exp.url, 'POST', '/api/v1/ingest', { headers: { ...H(), 'Transfer-Encoding': 'chunked' }, body: padded(200_000) });
    expect(chunked.status).toBe(413);
  });

  it('applies the limit to the inflated body: a gzip bomb is a 413', async () => {
    const bomb = zlib.gzipSync(Buffer.from(`{"kind":"action","name":"${'a'.repeat(20 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(65536);
    const res = await request(exp.url, 'POST', '/api/v1/ingest', { headers: { ...H(), 'Content-Encoding': 'gzip' }, body: bomb });
    expect(res.status).toBe(413);
    figures.gzipBomb = { sentBytes: bomb.length, inflatedBytes: 20 * 1024 * 1024 + 30, status: res.status };
  });

  it('counts refused ingest bodies and tokens in runboard_ingest_rejected_total', async () => {
    await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: '{"kind":' });
    await request(exp.url, 'POST', '/api/v1/ingest', { headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const text = await metricsText(exp);
    const reasons = ['body_too_large', 'invalid_json', 'unauthorized'];
    figures.rejectedReasons = Object.fromEntries(reasons.map((r) => [r, metricValue(text, 'runboard_ingest_rejected_total', { reason: r })]));
    for (const r of reasons) expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: r })).toBeGreaterThanOrEqual(1);
  });
});

describe('limits.batchRecords (100 here)', () => {
  const records = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'event', type: 'batch-limit', outcome: 'processed', processing_seconds: i / 1000 }));
  it('accepts 100 records and answers 413 naming the limit for 101, in both batch shapes, accepting none of them', async () => {
    expect((await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: JSON.stringify(records(100)) })).status).toBe(202);
    for (const body of [records(101), { records: records(101) }]) {
      const res = await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: JSON.stringify(body) });
      expect(res.status).toBe(413);
      expect(errorOf(res)).toMatchObject({ code: 'too_many_records' });
      expect(errorOf(res).message).toMatch(/limits\.batchRecords/);
    }
    const text = await metricsText(exp);
    expect(metricValue(text, 'runboard_events_total', { type: 'batch-limit', outcome: 'processed' })).toBe(100);
    expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: 'too_many_records' })).toBe(2);
  });
});

describe('limits.labelValues (5 here)', () => {
  it('keeps 5 distinct values per label, folds the rest into "other" and counts them', async () => {
    const names = Array.from({ length: 8 }, (_, i) => ({ kind: 'action', name: `label-limit-${i}`, duration_seconds: 1, success: true }));
    expect((await request(exp.url, 'POST', '/api/v1/ingest', { headers: H(), body: JSON.stringify(names) })).status).toBe(202);
    const text = await metricsText(exp);
    const values = labelValues(text, 'runboard_actions_total', 'action');
    // body-limit (above) took one of the five.
    expect(values.size).toBe(6);
    expect(values.has('other')).toBe(true);
    expect(metricValue(text, 'runboard_actions_total', { action: 'other', outcome: 'success' })).toBe(4);
    expect(metricValue(text, 'runboard_label_overflow_total', { metric: 'runboard_actions_total', label: 'action' })).toBe(4);
    figures.labelValues = { limit: 5, sent: 9, kept: [...values].sort() };
  });
});

async function waitRun(
  id: string,
  timeoutMs = 20000,
): Promise<{ status: string; outcome: string; durationSeconds: number; truncated: boolean; outputBytes: number; queuePosition: number | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = JSON.parse((await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: H() })).text);
    if (run.status === 'finished' || Date.now() > deadline) return run;
    await sleep(50);
  }
}

describe('command limits', () => {
  it('limits.runOutputBytes (4096 here): keeps head and tail with a truncation marker', async () => {
    const start = await request(exp.url, 'POST', '/api/v1/commands/flood/runs', { headers: H(), body: '{}' });
    expect(start.status).toBe(202);
    const run = await waitRun(JSON.parse(start.text).id);
    expect(run).toMatchObject({ outcome: 'success', truncated: true });
    const out = await fetch(`${exp.url}/api/v1/runs/${JSON.parse(start.text).id}/output`, { headers: H() });
    const lines = [...(await out.text()).matchAll(/^event: line\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]) as { text: string }).text);
    const storedBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    figures.runOutputBytes = { limit: 4096, printedBytes: run.outputBytes, storedBytes, storedLines: lines.length };
    expect(run.outputBytes).toBeGreaterThan(40_000);
    expect(storedBytes).toBeLessThan(4096 + 512);
    expect(lines[0]).toMatch(/^line 0\b/);
    expect(lines[lines.length - 1]).toMatch(/^line 1999\b/);
    expect(lines.some((l) => /truncated/.test(l))).toBe(true);
  });

  it('timeoutSeconds (0.5 here): the run is killed and ends as a timeout', async () => {
    const start = await request(exp.url, 'POST', '/api/v1/commands/quick-timeout/runs', { headers: H(), body: '{}' });
    const run = await waitRun(JSON.parse(start.text).id);
    figures.timeout = { timeoutSeconds: 0.5, outcome: run.outcome, durationSeconds: run.durationSeconds };
    expect(run.outcome).toBe('timeout');
    expect(run.durationSeconds).toBeGreaterThanOrEqual(0.45);
    expect(run.durationSeconds).toBeLessThan(6);
  });

  it('limits.concurrentRuns (1) and limits.runQueue (1): one runs, one waits, the next is a 429', async () => {
    const first = JSON.parse((await request(exp.url, 'POST', '/api/v1/commands/slow/runs', { headers: H(), body: '{}' })).text);
    const second = JSON.parse((await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: H(), body: '{}' })).text);
    expect(second).toMatchObject({ status: 'queued', queuePosition: 1 });
    const third = await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: H(), body: '{}' });
    expect(third.status).toBe(429);
    expect(errorOf(third)).toMatchObject({ code: 'queue_full' });
    figures.runQueue = { concurrentRuns: 1, runQueue: 1, third: third.status, message: errorOf(third).message };
    await request(exp.url, 'POST', `/api/v1/runs/${first.id}/cancel`, { headers: H() });
    expect((await waitRun(second.id)).outcome).toBe('success');
  });
});

describe('limits.streamClients (4 here)', () => {
  it('answers the fifth stream 503 with Retry-After, and takes a new one once a slot is free', async () => {
    const streams: SseConnection[] = [];
    try {
      for (let i = 0; i < 4; i++) streams.push(await connectSse(`${exp.url}/api/v1/stream?series=actions_in_flight`, H()));
      expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200]);
      const fifth = await request(exp.url, 'GET', '/api/v1/stream', { headers: H() });
      expect(fifth.status).toBe(503);
      expect(fifth.headers['retry-after']).toBe('5');
      expect(errorOf(fifth)).toMatchObject({ code: 'too_many_streams' });
      expect(errorOf(fifth).message).toMatch(/limits\.streamClients/);
      streams.shift()!.close();
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        await sleep(100);
        const c = await connectSse(`${exp.url}/api/v1/stream?series=actions_in_flight`, H());
        again = c.status;
        if (c.status === 200) streams.push(c);
      }
      expect(again).toBe(200);
      figures.streamClients = { limit: 4, fifth: fifth.status, retryAfter: fifth.headers['retry-after'], afterOneLeft: again };
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('limits.historyMaxPoints (50 here)', () => {
  it('answers 50 points and refuses 51 with 400 naming maxPoints', async () => {
    await sleep(500);
    const ok = await request(exp.url, 'GET', '/api/v1/history?series=actions_in_flight&maxPoints=50', { headers: H() });
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.text) as { t: number[] }).t.length).toBeLessThanOrEqual(50);
    for (const v of ['51', '0', '100000']) {
      const res = await request(exp.url, 'GET', `/api/v1/history?series=actions_in_flight&maxPoints=${v}`, { headers: H() });
      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatchObject({ field: 'maxPoints' });
      expect(errorOf(res).message).toMatch(/50/);
    }
    // Without maxPoints the default is capped by the limit too.
    expect((await request(exp.url, 'GET', '/api/v1/history?series=actions_in_flight', { headers: H() })).status).toBe(200);
  });
});

describe('limits.requestsPerSecond (10 here, bursts of 20)', () => {
  it('answers mutating requests past the bucket 429 with Retry-After, counts them, never limits reads, and refills', async () => {
    const rl = await startWith({ limits: { requestsPerSecond: 10 } });
    try {
      const h = { Authorization: `Bearer ${rl.token}`, 'Content-Type': 'application/json' };
      const post = (headers = h) => request(rl.url, 'POST', '/api/v1/ingest', { headers, body: '[]' });
      const statuses: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < 40; i++) statuses.push((await post()).status);
      const elapsed = (Date.now() - t0) / 1000;
      const accepted = statuses.filter((s) => s === 202).length;
      const limited = statuses.filter((s) => s === 429).length;
      expect(accepted + limited).toBe(40);
      // The burst of 20, plus what refilled (10/s) while the 40 requests went out.
      expect(accepted).toBeGreaterThanOrEqual(20);
      expect(accepted).toBeLessThanOrEqual(20 + Math.ceil(elapsed * 10) + 1);
      expect(limited).toBeGreaterThan(0);
      // The bucket is empty, but a token refills every 100 ms: on a busy machine the next request
      // may find one. Send until the answer is a 429 (at once when the machine keeps up).
      let res = await post();
      let extra = { accepted: 0, limited: 0 };
      for (let i = 0; i < 20 && res.status === 202; i++, res = await post()) extra.accepted++;
      expect(res.status).toBe(429);
      extra.limited++;
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(errorOf(res)).toMatchObject({ code: 'rate_limited' });
      expect(errorOf(res).message).toMatch(/limits\.requestsPerSecond/);
      // Checked before the token: guessing tokens is limited too (a guess that found a refilled
      // token is a 401; one of a quick burst of guesses meets the empty bucket).
      const guesses: number[] = [];
      for (let i = 0; i < 5; i++) guesses.push((await post({ Authorization: 'Bearer guess-guess-guess-guess', 'Content-Type': 'application/json' })).status);
      expect(guesses.every((g) => g === 429 || g === 401)).toBe(true);
      expect(guesses).toContain(429);
      extra = { ...extra, limited: extra.limited + guesses.filter((g) => g === 429).length };
      // Reads are never limited.
      const reads = await Promise.all(Array.from({ length: 50 }, () => request(rl.url, 'GET', '/api/v1/series', { headers: h })));
      expect(reads.every((r) => r.status === 200)).toBe(true);
      const text = await metricsText(rl);
      expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: 'rate_limited' })).toBe(limited + extra.limited);
      // A second later the bucket has refilled by ~10.
      await sleep(1100);
      const later: number[] = [];
      for (let i = 0; i < 12; i++) later.push((await post()).status);
      const refilled = later.filter((s) => s === 202).length;
      expect(refilled).toBeGreaterThanOrEqual(9);
      expect(refilled).toBeLessThanOrEqual(12);
      figures.requestsPerSecond = { limit: 10, burst: 20, sent: 40, accepted, limited, retryAfter: res.headers['retry-after'], refilledAfter1s: refilled };
    } finally {
      await rl.stop();
    }
  });

  it('limits the recording proxy with the same buckets: past the burst no call reaches the upstream, bad tokens included', async () => {
    const up = await startStandIn();
    const rl = await startWith({ limits: { requestsPerSecond: 10 }, proxy: { enabled: true, upstreams: { standin: { url: up.url, provider: 'standin' } } } });
    try {
      const call = (token: string) =>
        request(rl.url, 'POST', '/proxy/standin/v1/chat/completions', {
          headers: { 'X-Runboard-Token': token, Authorization: 'Bearer sk-test', 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: 'm-chat', messages: [{ role: 'user', content: 'hi' }] }),
        });
      const statuses: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < 40; i++) statuses.push((await call(rl.token)).status);
      const elapsed = (Date.now() - t0) / 1000;
      const answered = statuses.filter((s) => s === 200).length;
      const limited = statuses.filter((s) => s === 429).length;
      expect(answered + limited).toBe(40);
      expect(limited).toBeGreaterThan(0);
      // The effect: only the calls the bucket let through reached the upstream (burst 20 plus the refill).
      expect(up.seen.length).toBe(answered);
      expect(answered).toBeLessThanOrEqual(20 + Math.ceil(elapsed * 10) + 1);
      // Ingest shares the client's bucket: it is empty for that too (a token may refill meanwhile).
      let ingest = await request(rl.url, 'POST', '/api/v1/ingest', { headers: { Authorization: `Bearer ${rl.token}`, 'Content-Type': 'application/json' }, body: '[]' });
      for (let i = 0; i < 20 && ingest.status === 202; i++) {
        ingest = await request(rl.url, 'POST', '/api/v1/ingest', { headers: { Authorization: `Bearer ${rl.token}`, 'Content-Type': 'application/json' }, body: '[]' });
      }
      expect(ingest.status).toBe(429);
      // Guessed tokens meet the empty bucket before the token check.
      const guesses: number[] = [];
      for (let i = 0; i < 5; i++) guesses.push((await call('guess-guess-guess-guess')).status);
      expect(guesses.every((g) => g === 429 || g === 401)).toBe(true);
      expect(guesses).toContain(429);
      const res = await call(rl.token);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(errorOf(res)).toMatchObject({ code: 'rate_limited' });
      }
      const text = await metricsText(rl);
      expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: 'rate_limited' })).toBeGreaterThanOrEqual(limited + 2);
      figures.requestsPerSecondProxy = { limit: 10, burst: 20, sent: 40, answered, limited, upstreamSaw: up.seen.length };
    } finally {
      await rl.stop();
      await up.close();
    }
  });

  it('keeps one bucket per client and a bounded number of buckets', () => {
    const b = new TokenBuckets(10, 20, 100);
    const t = 1_000_000;
    for (let i = 0; i < 20; i++) expect(b.take('a', t)).toBe(0);
    expect(b.take('a', t)).toBeGreaterThan(0);
    expect(b.take('b', t)).toBe(0);
    expect(b.take('a', t + 100)).toBe(0);
    for (let i = 0; i < 10_000; i++) b.take(`client-${i}`, t + i);
    expect(b.size).toBeLessThanOrEqual(100);
  });
});
