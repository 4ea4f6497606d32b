/**
 * The OTLP receiver's bounds (README "OpenTelemetry (OTLP)"), checked by their effect on the
 * ledger, /metrics and the exporter's heap: limits.batchRecords per request (the excess is
 * rejected the OTLP way, as partial success, and counted nowhere; a point claiming 2^53 calls
 * costs nothing), and otlp.maxStreams (the cumulative streams remembered: forgotten ones are
 * counted, and one that comes back is a baseline, never counted twice).
 * Payloads are built with protobufjs from the vendored OTLP .proto files.
 */
import { otlpTypes } from '../../exporter/src/otlp/proto';
import type { RunningExporter } from '../helpers/exporter-process';
import { heapAfterGc, mb, metricValue, metricsText, report, request, startWith } from '../hardening/harness';
import { figures, otlpCounter } from './helpers';

const types = otlpTypes();
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const attr = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) } });

function post(exp: RunningExporter, signal: 'traces' | 'metrics', payload: Record<string, unknown>) {
  const type = signal === 'traces' ? types.traceRequest : types.metricsRequest;
  return request(exp.url, 'POST', `/v1/${signal}`, {
    headers: { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/x-protobuf' },
    body: Buffer.from(type.encode(type.fromObject(payload)).finish()),
  });
}

interface Point {
  model: string;
  start: bigint;
  count: number;
  sum: number;
}

/** gen_ai.client.token.usage input points of one app, one stream per model. */
function tokenPoints(service: string, temporality: 1 | 2, points: Point[]) {
  const time = String(nowNs());
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', service)] },
        scopeMetrics: [
          {
            scope: { name: 'limits-test' },
            metrics: [
              {
                name: 'gen_ai.client.token.usage',
                histogram: {
                  aggregationTemporality: temporality,
                  dataPoints: points.map((p) => ({
                    startTimeUnixNano: String(p.start),
                    timeUnixNano: time,
                    count: String(p.count),
                    sum: p.sum,
                    attributes: [attr('gen_ai.provider.name', 'openai'), attr('gen_ai.request.model', p.model), attr('gen_ai.token.type', 'input')],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('limits.batchRecords on OTLP', () => {
  const CAP = 5;
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startWith({ limits: { requestsPerSecond: 0, batchRecords: CAP } });
  });
  afterAll(async () => {
    await exp?.stop();
  });

  it('more GenAI spans than the cap: 200 with partial success rejecting the excess, which is counted nowhere', async () => {
    const end = nowNs();
    const spans = Array.from({ length: CAP + 3 }, (_, i) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: `eee19b7ec3c1b1${String(i).padStart(2, '0')}`,
      name: 'chat',
      startTimeUnixNano: String(end - 1_000_000_000n),
      endTimeUnixNano: String(end),
      attributes: [attr('gen_ai.provider.name', 'openai'), attr('gen_ai.response.model', 'm-cap'), attr('gen_ai.usage.input_tokens', 100), attr('gen_ai.usage.output_tokens', 1)],
    }));
    const res = await post(exp, 'traces', { resourceSpans: [{ resource: { attributes: [attr('service.name', 'cap')] }, scopeSpans: [{ spans }] }] });
    expect(res.status).toBe(200);
    const answer = types.traceResponse.toObject(types.traceResponse.decode(res.body), { longs: Number }) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe(3);
    expect(answer.partialSuccess.errorMessage).toContain(`more than ${CAP} GenAI records in one request (limits.batchRecords)`);
    const f = await figures(exp, 'openai', 'm-cap');
    expect([f.ledger.requests, f.ledger.input, f.metrics.requests, f.metrics.input]).toEqual([CAP, CAP * 100, CAP, CAP * 100]);
  });

  it('a point claiming 2^53 calls is rejected at once, without a record made for it; the other calls of the request count', async () => {
    const start = nowNs() - 1_000_000_000n;
    const payload = tokenPoints('huge-count', 1, [
      { model: 'm-huge', start, count: Number.MAX_SAFE_INTEGER, sum: 1e6 },
      { model: 'm-small', start, count: 2, sum: 40 },
    ]);
    const res = await post(exp, 'metrics', payload);
    expect(res.status).toBe(200);
    const answer = types.metricsResponse.toObject(types.metricsResponse.decode(res.body), { longs: Number }) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedDataPoints).toBe(1);
    expect(answer.partialSuccess.errorMessage).toContain(`openai/m-huge: ${Number.MAX_SAFE_INTEGER} calls would pass ${CAP} GenAI records in one request (limits.batchRecords)`);
    const huge = await figures(exp, 'openai', 'm-huge');
    expect([huge.ledger.requests, huge.metrics.requests]).toEqual([0, 0]);
    const small = await figures(exp, 'openai', 'm-small');
    expect([small.ledger.requests, small.ledger.input, small.metrics.requests, small.metrics.input]).toEqual([2, 40, 2, 40]);
  });
});

describe('otlp.maxStreams', () => {
  const MAX = 3;
  let exp: RunningExporter;
  beforeAll(async () => {
    // With the inspector, for the JS heap after a full collection (heapAfterGc).
    exp = await startWith({ limits: { requestsPerSecond: 0 }, otlp: { maxStreams: MAX } }, { env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
  });
  afterAll(async () => {
    await exp?.stop();
  });

  const evicted = () => otlpCounter(exp, 'runboard_otlp_streams_evicted_total', {});
  const send = async (points: Point[]) => expect((await post(exp, 'metrics', tokenPoints('lru', 2, points))).status).toBe(200);

  it('beyond the cap the least recently seen stream is forgotten; when it comes back it is a baseline, not counted again', async () => {
    const start = nowNs(); // after the exporter started: a stream first seen counts whole
    await send([{ model: 'lru-a', start, count: 1, sum: 10 }]);
    await send([
      { model: 'lru-b', start, count: 1, sum: 1 },
      { model: 'lru-c', start, count: 1, sum: 1 },
    ]);
    expect(await evicted()).toBe(0);
    await send([{ model: 'lru-d', start, count: 1, sum: 1 }]);
    expect(await evicted()).toBe(1); // lru-a
    expect((await figures(exp, 'openai', 'lru-a')).metrics).toMatchObject({ requests: 1, input: 10 });
    // lru-a again, grown by 2 calls: its last value is forgotten, so 3 calls / 30 tokens would count its first call twice.
    await send([{ model: 'lru-a', start, count: 3, sum: 30 }]);
    expect((await figures(exp, 'openai', 'lru-a')).metrics).toMatchObject({ requests: 1, input: 10 });
    // From that baseline on, only increases count.
    await send([{ model: 'lru-a', start, count: 4, sum: 45 }]);
    const f = await figures(exp, 'openai', 'lru-a');
    expect([f.metrics.requests, f.metrics.input, f.ledger.requests, f.ledger.input]).toEqual([2, 25, 2, 25]);
    expect(await evicted()).toBe(2); // lru-b, to make room for lru-a
  });

  it('200,000 distinct streams leave the heap where 3 streams left it, and each one beyond the cap is counted as forgotten', async () => {
    const STREAMS = 200_000;
    const PER_REQUEST = 5_000;
    const old = nowNs() - 3_600_000_000_000n; // started before the exporter: baselines, so no record is written
    const heapBefore = await heapAfterGc(exp);
    const evictedBefore = await evicted();
    for (let i = 0; i < STREAMS; i += PER_REQUEST) {
      await send(Array.from({ length: PER_REQUEST }, (_, j) => ({ model: `many-${i + j}`, start: old, count: 1, sum: 1 })));
    }
    const heapAfter = await heapAfterGc(exp);
    const text = await metricsText(exp);
    report('otlp-max-streams', { streams: STREAMS, maxStreams: MAX, heapBeforeMiB: mb(heapBefore), heapAfterMiB: mb(heapAfter) });
    expect((metricValue(text, 'runboard_otlp_streams_evicted_total') ?? 0) - evictedBefore).toBe(STREAMS);
    // Remembering them all would take ~25 MiB (a key and a state per stream); the label guard's few "other" series stay.
    expect(heapAfter - heapBefore).toBeLessThan(6 * 1024 * 1024);
  });
});
