/**
 * The OTLP receiver's answers (README "OpenTelemetry (OTLP)"), as the OTLP/HTTP specification
 * says: a google.rpc.Status body in the request's encoding for every error, partial success for
 * rejected GenAI items, gzip bounded by limits.bodyBytes (a gzip bomb is refused without being
 * inflated: checked by the exporter's memory), 503 + Retry-After when the ledger refuses, and
 * the cumulative-stream rules a hand-made payload can pin down.
 */
import zlib from 'node:zlib';
import { otlpTypes } from '../../exporter/src/otlp/proto';
import type { RunningExporter } from '../helpers/exporter-process';
import { mb, metricValue, metricsText, report, request, rssOf, startWith, type RawResponse } from '../hardening/harness';
import { figures } from './helpers';

const types = otlpTypes();
const BODY_LIMIT = 256 * 1024;
let exp: RunningExporter;

beforeAll(async () => {
  exp = await startWith({ limits: { requestsPerSecond: 0, bodyBytes: BODY_LIMIT }, prices: { 'm-ok': { input: 1, output: 1 } } });
});
afterAll(async () => {
  await exp?.stop();
});

const attr = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) } });
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

function spansPayload(service: string, spans: Array<Record<string, string | number>>) {
  const end = nowNs();
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', service)] },
        scopeSpans: [
          {
            scope: { name: 'hand-made' },
            spans: spans.map((a, i) => ({
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b17' + i,
              name: 'chat',
              kind: 3,
              startTimeUnixNano: String(end - 500_000_000n),
              endTimeUnixNano: String(end),
              attributes: Object.entries(a).map(([k, v]) => attr(k, v)),
            })),
          },
        ],
      },
    ],
  };
}

const H = () => ({ Authorization: `Bearer ${exp.token}` });
const post = (path: string, body: Buffer | string, headers: Record<string, string>) => request(exp.url, 'POST', path, { headers: { ...H(), ...headers }, body });
const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body), { 'Content-Type': 'application/json' });
const statusOf = (res: RawResponse) =>
  String(res.headers['content-type']).startsWith('application/x-protobuf')
    ? (types.status.toObject(types.status.decode(res.body)) as { code: number; message: string })
    : (JSON.parse(res.text) as { code: number; message: string });

/**
 * An ExportTraceServiceRequest whose one attribute is an AnyValue nested 15,000 levels deep, built
 * inside out as bytes (protobufjs itself refuses to encode, or take from an object, past its depth
 * limit). Built when the file loads, before the exporter starts: built inside the test it held this
 * process's event loop for seconds on a loaded CI machine, past the exporter's 5 s keep-alive
 * timeout, so the next request went out on a keep-alive socket the exporter had just closed
 * ("socket hang up").
 */
function deepProtobufBody(): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    out.push(n);
    return Buffer.from(out);
  };
  const field = (tag: number, bytes: Buffer) => Buffer.concat([Buffer.from([tag]), varint(bytes.length), bytes]);
  let value = field(0x0a, Buffer.from('x')); // AnyValue.string_value
  for (let i = 0; i < 15_000; i++) {
    const kv = Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, value)]); // KeyValue key, value
    value = field(0x32, field(0x0a, kv)); // AnyValue.kvlist_value { values }
  }
  const resource = field(0x0a, Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, value)])); // Resource.attributes
  return field(0x0a, field(0x0a, resource)); // ExportTraceServiceRequest.resource_spans { resource }
}
const DEEP_PROTOBUF_BODY = deepProtobufBody();

const GOOD = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.response.model': 'm-ok',
  'gen_ai.usage.input_tokens': 10,
  'gen_ai.usage.output_tokens': 5,
};

describe('OTLP/HTTP answers', () => {
  it('no token: 401 with a Status body, nothing counted', async () => {
    const res = await request(exp.url, 'POST', '/v1/traces', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(spansPayload('no-token', [{ ...GOOD, 'gen_ai.response.model': 'm-401' }])),
    });
    expect(res.status).toBe(401);
    expect(statusOf(res)).toEqual({ code: 16, message: expect.stringContaining('missing API token') });
    expect((await figures(exp, 'openai', 'm-401')).ledger.requests).toBe(0);
  });

  it('an unknown content type: 415', async () => {
    const res = await post('/v1/metrics', 'hello', { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(statusOf(res).message).toMatch(/application\/x-protobuf or application\/json/);
  });

  it('malformed protobuf: 400 with a protobuf Status naming the problem', async () => {
    const res = await post('/v1/traces', Buffer.from('this is not protobuf at all'), { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/x-protobuf/);
    expect(statusOf(res)).toEqual({ code: 3, message: expect.stringMatching(/not a valid OTLP ExportTraceServiceRequest in protobuf: .+/) });
  });

  it('malformed JSON (not JSON, or not the OTLP shape): 400 with a JSON Status', async () => {
    for (const body of ['{"resourceSpans": [', '{"resourceMetrics": "everything"}']) {
      const res = await post(body.includes('Metrics') ? '/v1/metrics' : '/v1/traces', body, { 'Content-Type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(statusOf(res)).toEqual({ code: 3, message: expect.stringMatching(/not a valid OTLP Export(Trace|Metrics)ServiceRequest in JSON: .+/) });
    }
  });

  it('partial success: the invalid GenAI span is rejected and reported, the valid one counted, the others ignored', async () => {
    const payload = spansPayload('partial', [
      { ...GOOD, 'gen_ai.response.model': 'm-partial' },
      { 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 3 },
      { 'http.route': '/x' },
    ]);
    const res = await postJson('/v1/traces', payload);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('gen_ai.response.model') } });
    // The same over protobuf, answered in protobuf.
    const pb = await post('/v1/traces', Buffer.from(types.traceRequest.encode(types.traceRequest.fromObject(payload)).finish()), { 'Content-Type': 'application/x-protobuf' });
    expect(pb.status).toBe(200);
    const answer = types.traceResponse.toObject(types.traceResponse.decode(pb.body), { longs: Number }) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe(1);
    const f = await figures(exp, 'openai', 'm-partial');
    expect([f.ledger.requests, f.metrics.requests, f.ledger.input, f.metrics.input]).toEqual([2, 2, 20, 20]);
    expect(metricValue(await metricsText(exp), 'runboard_otlp_rejected_total', { signal: 'traces' })).toBe(2);
  });

  it('partial success on /v1/metrics: invalid GenAI points (negative or NaN sum, no model) rejected and reported, the valid ones counted exactly', async () => {
    const time = String(nowNs());
    const point = (count: number, sum: number, attrs: Record<string, string>) => ({
      startTimeUnixNano: String(nowNs() - 60_000_000_000n),
      timeUnixNano: time,
      count: String(count),
      sum,
      attributes: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    const call = (model: string) => ({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model });
    const histogram = (name: string, dataPoints: unknown[]) => ({ name, histogram: { aggregationTemporality: 1, dataPoints } });
    const payload = {
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.name', 'partial-metrics')] },
          scopeMetrics: [
            {
              scope: { name: 'hand-built' },
              metrics: [
                histogram('gen_ai.client.token.usage', [
                  point(2, 300, { ...call('m-mpartial'), 'gen_ai.token.type': 'input' }),
                  point(2, 50, { ...call('m-mpartial'), 'gen_ai.token.type': 'output' }),
                  point(1, -5, { ...call('m-negative'), 'gen_ai.token.type': 'input' }),
                  point(1, NaN, { ...call('m-nan'), 'gen_ai.token.type': 'input' }),
                  point(1, 10, { 'gen_ai.provider.name': 'openai', 'gen_ai.token.type': 'input' }),
                ]),
                histogram('gen_ai.client.operation.duration', [point(2, 3, call('m-mpartial'))]),
                { name: 'app.queue.depth', gauge: { dataPoints: [{ timeUnixNano: time, asInt: '4' }] } },
              ],
            },
          ],
        },
      ],
    };
    const before = metricValue(await metricsText(exp), 'runboard_otlp_rejected_total', { signal: 'metrics' }) ?? 0;
    // Encoded by protobufjs from the vendored OTLP .proto files (JSON cannot carry a NaN number).
    const body = Buffer.from(types.metricsRequest.encode(types.metricsRequest.fromObject(payload)).finish());
    const res = await post('/v1/metrics', body, { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const answer = types.metricsResponse.toObject(types.metricsResponse.decode(res.body), { longs: Number }) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedDataPoints).toBe(3);
    expect(answer.partialSuccess.errorMessage).toMatch(/sum must be a non-negative number.*sum must be a non-negative number.*gen_ai\.response\.model/);
    const f = await figures(exp, 'openai', 'm-mpartial');
    expect(f.metrics).toEqual({ requests: 2, failures: 0, input: 300, output: 50, costUsd: 0 });
    expect({ requests: f.ledger.requests, input: f.ledger.input, output: f.ledger.output, durations: f.ledger.durations }).toEqual({
      requests: 2,
      input: 300,
      output: 50,
      durations: [1.5, 1.5],
    });
    for (const model of ['m-negative', 'm-nan']) expect((await figures(exp, 'openai', model)).ledger.requests).toBe(0);
    expect((metricValue(await metricsText(exp), 'runboard_otlp_rejected_total', { signal: 'metrics' }) ?? 0) - before).toBe(3);
  });

  it('a fully accepted request: 200 with an empty response', async () => {
    const res = await postJson('/v1/traces', spansPayload('ok', [{ ...GOOD, 'gen_ai.response.model': 'm-ok' }]));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({});
  });

  it('gzip: a compressed protobuf request is inflated and counted', async () => {
    const payload = spansPayload('gzip', [{ ...GOOD, 'gen_ai.response.model': 'm-gzip', 'gen_ai.usage.input_tokens': 1234 }]);
    const body = zlib.gzipSync(types.traceRequest.encode(types.traceRequest.fromObject(payload)).finish());
    const res = await post('/v1/traces', body, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect((await figures(exp, 'openai', 'm-gzip')).metrics.input).toBe(1234);
    const bad = await post('/v1/traces', Buffer.from('not gzip'), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
    expect(bad.status).toBe(400);
    const br = await post('/v1/traces', body, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'br' });
    expect(br.status).toBe(415);
  });

  it('a body over limits.bodyBytes: 413', async () => {
    const res = await post('/v1/traces', Buffer.alloc(BODY_LIMIT + 1), { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(413);
    expect(statusOf(res).code).toBe(8);
  });

  it('a gzip bomb (240 MiB of zeros in well under limits.bodyBytes) is refused with 413 without being inflated', async () => {
    // Concatenated gzip members are one valid gzip stream: 30 members of 8 MiB of zeros each.
    const member = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 30 }, () => member));
    expect(bomb.length).toBeLessThan(BODY_LIMIT);
    const before = rssOf(exp.child.pid);
    const started = Date.now();
    const res = await post('/v1/metrics', bomb, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
    const ms = Date.now() - started;
    const grew = rssOf(exp.child.pid) - before;
    report('otlp-gzip-bomb', { compressedKiB: Math.round(bomb.length / 1024), inflatedMiB: 240, answerMs: ms, rssGrowthMiB: mb(grew) });
    expect(res.status).toBe(413);
    // Inflating it would take 240 MiB; the receiver stops at the limit (256 KiB).
    expect(grew).toBeLessThan(64 * 1024 * 1024);
    expect(ms).toBeLessThan(5000);
  });
});

describe('OTLP/HTTP conformance (specification details SDKs rely on)', () => {
  it('an error before the body is read (no token) is answered in the encoding of the request', async () => {
    const res = await request(exp.url, 'POST', '/v1/traces', { headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.alloc(0) });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/x-protobuf/);
    expect(statusOf(res)).toEqual({ code: 16, message: expect.stringContaining('missing API token') });
  });

  it('a GenAI span ending within the first millisecond of 1970 (time 0 in the ledger) is rejected with that reason', async () => {
    const payload = spansPayload('epoch', [{ ...GOOD, 'gen_ai.response.model': 'm-epoch' }]);
    const span = payload.resourceSpans[0].scopeSpans[0].spans[0];
    Object.assign(span, { startTimeUnixNano: '100', endTimeUnixNano: '400000' });
    const res = await postJson('/v1/traces', payload);
    expect(JSON.parse(res.text)).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('must be after 1970-01-01') } });
    expect((await figures(exp, 'openai', 'm-epoch')).ledger.requests).toBe(0);
  });

  it('a JSON body that is not an object (array, number, string, null) is not an OTLP request: 400', async () => {
    for (const body of ['[]', '[{"resourceSpans": []}]', '5', '"x"', 'null']) {
      const res = await post('/v1/traces', body, { 'Content-Type': 'application/json' });
      expect([body, res.status]).toEqual([body, 400]);
      expect(statusOf(res)).toEqual({ code: 3, message: expect.stringMatching(/not a valid OTLP ExportTraceServiceRequest in JSON: .+/) });
    }
  });

  it('OTLP/JSON as SDKs write it: int64 as numbers or strings, enums as integers, hex ids, intValue as a string, unknown fields; charset, an empty or upper-case Content-Encoding', async () => {
    const end = nowNs();
    const span = (model: string) => ({
      traceId: '5B8EFFF798038103D269B633813FC60C',
      spanId: 'EEE19B7EC3C1B174',
      name: 'chat',
      kind: 3,
      // A JSON number (as a double, so to the microsecond) and a string.
      startTimeUnixNano: Number(end - 2_000_000_000n),
      endTimeUnixNano: String(end),
      status: { code: 2, futureField: true },
      attributes: [
        attr('gen_ai.provider.name', 'openai'),
        attr('gen_ai.response.model', model),
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '77' } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: 8 } },
      ],
      aFieldFromANewerProto: { nested: [1, 2] },
    });
    const payload = (model: string) => ({
      resourceSpans: [{ resource: { attributes: [attr('service.name', 'conform')] }, scopeSpans: [{ scope: { name: 's' }, spans: [span(model)] }] }],
      unknownTopLevel: 1,
    });
    const cases: Array<[string, Record<string, string>, (s: string) => Buffer | string]> = [
      ['m-json-charset', { 'Content-Type': 'application/json; charset=utf-8' }, (s) => s],
      ['m-json-empty-ce', { 'Content-Type': 'application/json', 'Content-Encoding': '' }, (s) => s],
      ['m-json-gzip-upper', { 'Content-Type': 'Application/JSON', 'Content-Encoding': 'GZIP' }, (s) => zlib.gzipSync(s)],
      ['m-json-identity', { 'Content-Type': 'application/json', 'Content-Encoding': 'Identity' }, (s) => s],
    ];
    for (const [model, headers, encode] of cases) {
      const res = await post('/v1/traces', encode(JSON.stringify(payload(model))), headers);
      expect([model, res.status, res.text]).toEqual([model, 200, '{}']);
      const f = await figures(exp, 'openai', model);
      expect([model, f.ledger.requests, f.ledger.failures, f.ledger.input, f.ledger.output, f.ledger.durations.map((d) => Math.round(d * 1e3) / 1e3)]).toEqual([
        model,
        1,
        1,
        77,
        8,
        [2],
      ]);
    }
  });

  it('a GenAI histogram point without a sum (optional in OTLP) is rejected, not counted as calls with 0 tokens', async () => {
    const time = String(nowNs());
    const point = (model: string, count: number, sum: number | undefined, type: string) => ({
      timeUnixNano: time,
      count: String(count),
      ...(sum === undefined ? {} : { sum }),
      min: 1,
      max: 9,
      exemplars: [{ timeUnixNano: time, asDouble: 5 }],
      attributes: [attr('gen_ai.provider.name', 'openai'), attr('gen_ai.request.model', model), attr('gen_ai.token.type', type)],
    });
    const payload = {
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.name', 'no-sum-metrics')] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'gen_ai.client.token.usage',
                  histogram: { aggregationTemporality: 1, dataPoints: [point('m-nosum', 2, undefined, 'input'), point('m-withsum', 2, 40, 'input')] },
                },
              ],
            },
          ],
        },
      ],
    };
    const body = Buffer.from(types.metricsRequest.encode(types.metricsRequest.fromObject(payload)).finish());
    const res = await post('/v1/metrics', body, { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const answer = types.metricsResponse.toObject(types.metricsResponse.decode(res.body), { longs: Number }) as {
      partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(answer.partialSuccess).toEqual({ rejectedDataPoints: 1, errorMessage: expect.stringContaining('sum must be set') });
    expect((await figures(exp, 'openai', 'm-nosum')).ledger.requests).toBe(0);
    expect((await figures(exp, 'openai', 'm-withsum')).ledger).toMatchObject({ requests: 2, input: 40 });
  });

  it('an AnyValue nested 15,000 levels deep (kvlist in kvlist…; 4,000 in JSON) is answered 400, and the exporter keeps answering', async () => {
    const body = DEEP_PROTOBUF_BODY;
    expect(body.length).toBeLessThan(BODY_LIMIT);
    const res = await post('/v1/traces', body, { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(statusOf(res).message).toMatch(/not a valid OTLP ExportTraceServiceRequest in protobuf/);
    const json =
      '{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":' + '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(4_000) + '{}' + '}]}}'.repeat(4_000) + '}]}}]}';
    expect(json.length).toBeLessThan(BODY_LIMIT);
    expect((await post('/v1/traces', json, { 'Content-Type': 'application/json' })).status).toBe(400);
    expect((await postJson('/v1/traces', spansPayload('after-deep', [{ ...GOOD, 'gen_ai.response.model': 'm-after-deep' }]))).status).toBe(200);
    expect((await figures(exp, 'openai', 'm-after-deep')).ledger.requests).toBe(1);
  });
});

describe('cumulative streams (hand-made points)', () => {
  function point(start: bigint, count: number, sum: number) {
    return {
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.name', 'hand-cumulative')] },
          scopeMetrics: [
            {
              scope: { name: 'hand-made' },
              metrics: [
                {
                  name: 'gen_ai.client.token.usage',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        startTimeUnixNano: String(start),
                        timeUnixNano: String(nowNs()),
                        count: String(count),
                        sum,
                        attributes: [attr('gen_ai.provider.name', 'openai'), attr('gen_ai.request.model', 'm-cumul'), attr('gen_ai.token.type', 'input')],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
  }

  it('a stream that began before the exporter started is a baseline; a lower value is a restart, counted whole, never negative', async () => {
    const old = nowNs() - 3600n * 1_000_000_000n;
    const send = async (start: bigint, count: number, sum: number) => expect((await postJson('/v1/metrics', point(start, count, sum))).status).toBe(200);
    await send(old, 5, 500); // may have been counted before an exporter restart: baseline only
    expect((await figures(exp, 'openai', 'm-cumul')).metrics).toMatchObject({ requests: 0, input: 0 });
    await send(old, 7, 740);
    expect((await figures(exp, 'openai', 'm-cumul')).metrics).toMatchObject({ requests: 2, input: 240 });
    await send(old, 1, 30); // went down with the same start: the app restarted
    expect((await figures(exp, 'openai', 'm-cumul')).metrics).toMatchObject({ requests: 3, input: 270 });
    await send(old, 1, 30); // the same again: nothing new
    expect((await figures(exp, 'openai', 'm-cumul')).ledger).toMatchObject({ requests: 3, input: 270 });
  });
});

describe('a ledger that refuses writes (ledger.maxSizeBytes reached)', () => {
  let full: RunningExporter;
  afterAll(async () => {
    await full?.stop();
  });

  it('answers 503 + Retry-After with a Status, and counts nothing of the request', async () => {
    full = await startWith({ ledger: { maxSizeBytes: 256 * 1024 }, limits: { requestsPerSecond: 0 } });
    const headers = { Authorization: `Bearer ${full.token}`, 'Content-Type': 'application/json' };
    const records = Array.from({ length: 50 }, (_, i) => ({ kind: 'llm', provider: 'openai', model: 'filler', input_tokens: i, output_tokens: 1, run_id: `fill-${i}` }));
    // Batches of 50, then of 1, until the ledger takes no more.
    for (const size of [50, 1]) {
      let status = 202;
      for (let n = 0; n < 5000 && status === 202; n++) {
        status = (await request(full.url, 'POST', '/api/v1/ingest', { headers, body: JSON.stringify(records.slice(0, size)) })).status;
      }
      expect(status).toBe(503);
    }
    const spans = Array.from({ length: 5 }, () => ({ ...GOOD, 'gen_ai.response.model': 'm-refused' }));
    const res = await request(full.url, 'POST', '/v1/traces', { headers, body: JSON.stringify(spansPayload('refused', spans)) });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(statusOf(res).code).toBe(14);
    const f = await figures(full, 'openai', 'm-refused');
    expect([f.ledger.requests, f.metrics.requests, f.metrics.input]).toEqual([0, 0, 0]);
  });
});
