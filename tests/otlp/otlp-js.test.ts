/**
 * The OTLP receiver (README "OpenTelemetry (OTLP)") fed by the OpenTelemetry JS SDK, a real client
 * this project did not write: GenAI spans and metrics over OTLP/HTTP protobuf and JSON, cumulative
 * and delta, current and older attribute names. Every figure Runboard shows (ledger, /metrics,
 * live series) must equal what the client sent.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CostsResponse } from '@runboard/protocol';
import type { RunningExporter } from '../helpers/exporter-process';
import { request, startWith } from '../hardening/harness';
import { expectedTotals, figures, liveValue, otlpCounter, type Call } from './helpers';

const PRICE = { input: 1, output: 2 };
let exp: RunningExporter;

beforeAll(async () => {
  exp = await startWith({
    limits: { requestsPerSecond: 0 },
    prices: {
      'model-span-proto': PRICE,
      'model-span-json': PRICE,
      'model-old': PRICE,
      'model-delta': PRICE,
      'model-cumul': PRICE,
      'model-both': PRICE,
      'model-env': PRICE,
      'model-untagged': PRICE,
      'model-first': PRICE,
    },
  });
});
afterAll(async () => {
  await exp?.stop();
});

interface Plan {
  signal: 'traces' | 'metrics';
  protocol: 'proto' | 'json';
  temporality?: 'delta' | 'cumulative';
  service: string;
  provider: string;
  model: string;
  old?: boolean;
  batches: Call[][];
  env?: boolean;
  startAt?: number;
}

/** Runs otel-js-client.js (an app using the OpenTelemetry JS SDK) with a plan; resolves when it exited 0. */
function runClient(plan: Plan): Promise<void> {
  const { env, ...rest } = plan;
  const arg = JSON.stringify(env ? rest : { ...rest, url: exp.url, token: exp.token });
  const childEnv = { ...process.env };
  if (env) Object.assign(childEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: exp.url, OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${exp.token}` });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'otel-js-client.js'), arg], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`otel-js-client exited ${code}: ${out}`))));
  });
}

function expectFigures(f: Awaited<ReturnType<typeof figures>>, calls: Call[]) {
  const want = expectedTotals(calls, PRICE);
  expect(f.metrics).toEqual(want);
  expect({ requests: f.ledger.requests, failures: f.ledger.failures, input: f.ledger.input, output: f.ledger.output, costUsd: f.ledger.costUsd }).toEqual(want);
  expect(f.ledger.sources).toEqual(['otlp']);
}

const CALLS: Call[] = [
  { input: 120, output: 30, seconds: 0.8 },
  { input: 400, output: 90, seconds: 1.5 },
  { input: 7, output: 0, seconds: 0.25, failed: true },
];

const span = (protocol: Plan['protocol'], service: string, provider: string, model: string, calls: Call[], old = false): Plan => ({
  signal: 'traces',
  protocol,
  service,
  provider,
  model,
  old,
  batches: [calls],
});

describe('GenAI spans from the OpenTelemetry JS SDK', () => {
  it('over protobuf: every figure equals what the spans carried, durations and failures included', async () => {
    await runClient(span('proto', 'js-proto', 'openai', 'model-span-proto', CALLS));
    const f = await figures(exp, 'openai', 'model-span-proto');
    expectFigures(f, CALLS);
    expect(f.ledger.durations.sort()).toEqual([0.25, 0.8, 1.5]);
    expect(f.ledger.tags).toEqual(['js-proto']);
    expect(await liveValue(exp, 'llm_failures', 'openai', 'model-span-proto', 1)).toBe(1);
    expect(await otlpCounter(exp, 'runboard_otlp_ignored_total', { signal: 'traces', reason: 'not_genai' })).toBeGreaterThanOrEqual(1);
  });

  it("the app's service.name tags its records, so costs break down per app; a name the tag rule refuses leaves them untagged", async () => {
    await runClient(span('json', 'my app (test)', 'openai', 'model-untagged', CALLS.slice(0, 1)));
    const f = await figures(exp, 'openai', 'model-untagged');
    expectFigures(f, CALLS.slice(0, 1));
    expect(f.ledger.tags).toEqual([null]);
    const res = await request(exp.url, 'GET', '/api/v1/costs?groupBy=tag&from=now-1d', { headers: { Authorization: `Bearer ${exp.token}` } });
    const rows = (JSON.parse(res.text) as CostsResponse).rows;
    const input = CALLS.reduce((s, c) => s + c.input, 0);
    expect(rows.find((r) => r.key === 'js-proto')).toMatchObject({ requests: CALLS.length, inputTokens: input });
    expect(rows.find((r) => r.key === '(none)')).toMatchObject({ requests: 1, inputTokens: CALLS[0].input });
  });

  it('over JSON, the same', async () => {
    await runClient(span('json', 'js-json', 'openai', 'model-span-json', CALLS));
    expectFigures(await figures(exp, 'openai', 'model-span-json'), CALLS);
  });

  it('with the older attribute names (gen_ai.system, gen_ai.usage.prompt_tokens/completion_tokens) and an ERROR status', async () => {
    await runClient(span('proto', 'js-old', 'anthropic', 'model-old', CALLS, true));
    expectFigures(await figures(exp, 'anthropic', 'model-old'), CALLS);
  });

  it('configured by OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS alone (README example)', async () => {
    await runClient({ ...span('proto', 'js-env', 'openai', 'model-env', CALLS.slice(0, 1)), env: true });
    expectFigures(await figures(exp, 'openai', 'model-env'), CALLS.slice(0, 1));
  });
});

const okCalls = (calls: Call[]) => calls.map((c) => (c.failed ? { ...c, input: 0, output: 0 } : c));

describe('GenAI metrics from the OpenTelemetry JS SDK', () => {
  it('delta temporality over JSON: each export adds its calls; tokens and calls exact', async () => {
    await runClient({ signal: 'metrics', protocol: 'json', temporality: 'delta', service: 'js-delta', provider: 'openai', model: 'model-delta', batches: [CALLS, [CALLS[0]]] });
    const f = await figures(exp, 'openai', 'model-delta');
    expectFigures(f, okCalls([...CALLS, CALLS[0]]));
    expect(f.ledger.tags).toEqual(['js-delta']);
    expect(await otlpCounter(exp, 'runboard_otlp_ignored_total', { signal: 'metrics', reason: 'not_genai' })).toBeGreaterThanOrEqual(2);
  });

  it('cumulative temporality over protobuf, with the older names: only the increase counts, and a restarted app is not counted twice', async () => {
    const plan: Plan = {
      signal: 'metrics',
      protocol: 'proto',
      temporality: 'cumulative',
      service: 'js-cumul',
      provider: 'anthropic',
      model: 'model-cumul',
      old: true,
      batches: [],
    };
    // Three exports of growing totals, the middle one with nothing new.
    await runClient({ ...plan, batches: [[CALLS[0], CALLS[2]], [], [CALLS[1]]] });
    expectFigures(await figures(exp, 'anthropic', 'model-cumul'), okCalls([CALLS[0], CALLS[2], CALLS[1]]));
    // The app restarts: the same streams begin again from zero with a new start time.
    await runClient({ ...plan, batches: [[CALLS[0]]] });
    const f = await figures(exp, 'anthropic', 'model-cumul');
    expectFigures(f, okCalls([CALLS[0], CALLS[2], CALLS[1], CALLS[0]]));
    expect(f.ledger.durations.sort()).toEqual([0.25, 0.8, 0.8, 1.5]);
  });

  it('one call reported as a span and as metric points by the same app counts once (spans win)', async () => {
    const before = await otlpCounter(exp, 'runboard_otlp_ignored_total', { signal: 'metrics', reason: 'spans_preferred' });
    const call = CALLS[1];
    await runClient(span('proto', 'js-both', 'openai', 'model-both', [call]));
    await runClient({ signal: 'metrics', protocol: 'proto', temporality: 'cumulative', service: 'js-both', provider: 'openai', model: 'model-both', batches: [[call]] });
    expectFigures(await figures(exp, 'openai', 'model-both'), [call]);
    // The three GenAI points (input tokens, output tokens, duration) were received and set aside, twice (flush, shutdown).
    expect((await otlpCounter(exp, 'runboard_otlp_ignored_total', { signal: 'metrics', reason: 'spans_preferred' })) - before).toBe(6);
  });

  it('an app whose GenAI metrics arrive before its first span (e.g. metrics exported first at shutdown): each call still counts once', async () => {
    const app = { service: 'js-metrics-first', provider: 'openai', model: 'model-first' };
    const setAside = () => otlpCounter(exp, 'runboard_otlp_ignored_total', { signal: 'traces', reason: 'counted_in_metrics' });
    const before = await setAside();
    const first = [CALLS[0], CALLS[1]];
    await runClient({ signal: 'metrics', protocol: 'proto', temporality: 'cumulative', ...app, batches: [first] });
    // The spans of those same calls (they ended before the metric export was collected) come next: already counted.
    await runClient(span('proto', app.service, app.provider, app.model, first));
    expectFigures(await figures(exp, app.provider, app.model), first);
    expect((await setAside()) - before).toBe(2);
    // A later call: its span counts, and from now on the app's metric points are set aside.
    const later: Call[] = [{ input: 11, output: 3, seconds: 0.01 }];
    await runClient({ ...span('proto', app.service, app.provider, app.model, later), startAt: Date.now() });
    await runClient({ signal: 'metrics', protocol: 'proto', temporality: 'cumulative', ...app, batches: [later] });
    expectFigures(await figures(exp, app.provider, app.model), [...first, ...later]);
  });
});
