/**
 * The OTLP receiver fed by the OpenTelemetry Python SDK (opentelemetry-sdk and
 * opentelemetry-exporter-otlp-proto-http from PyPI), configured by OTEL_EXPORTER_OTLP_ENDPOINT
 * and OTEL_EXPORTER_OTLP_HEADERS only (README "OpenTelemetry (OTLP)"): spans and cumulative
 * metrics, current and older attribute names; every figure equals what the app sent.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PYTHON } from '../helpers/python';
import type { RunningExporter } from '../helpers/exporter-process';
import { startWith } from '../hardening/harness';
import { expectedTotals, figures, type Call } from './helpers';

const PRICE = { input: 3, output: 15 };
let exp: RunningExporter;

beforeAll(async () => {
  exp = await startWith({ limits: { requestsPerSecond: 0 }, prices: { 'py-span': PRICE, 'py-old': PRICE, 'py-metric': PRICE, 'py-both': PRICE } });
});
afterAll(async () => {
  await exp?.stop();
});

function runPython(plan: object): void {
  const res = spawnSync(PYTHON, [path.join(__dirname, 'otel_python_client.py'), JSON.stringify(plan)], {
    env: { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: exp.url, OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${exp.token}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`python client exited ${res.status}: ${res.stderr}`);
  // The SDK logs a failed export instead of raising: any warning means one failed.
  expect(res.stderr).not.toMatch(/Failed to export|error/i);
}

const CALLS: Call[] = [
  { input: 1500, output: 320, seconds: 2.25 },
  { input: 64, output: 8, seconds: 0.5 },
  { input: 0, output: 0, seconds: 30, failed: true },
];

async function expectFigures(model: string, calls: Call[], provider = 'openai') {
  const f = await figures(exp, provider, model);
  const want = expectedTotals(calls, PRICE);
  expect(f.metrics).toEqual(want);
  expect({ requests: f.ledger.requests, failures: f.ledger.failures, input: f.ledger.input, output: f.ledger.output, costUsd: f.ledger.costUsd }).toEqual(want);
  expect(f.ledger.durations.sort((a, b) => a - b)).toEqual(calls.map((c) => c.seconds).sort((a, b) => a - b));
}

describe('the OpenTelemetry Python SDK over OTLP/HTTP protobuf', () => {
  it('GenAI spans: tokens, cost, failures and durations as sent', async () => {
    runPython({ service: 'py-spans', provider: 'openai', model: 'py-span', spans: CALLS });
    await expectFigures('py-span', CALLS);
    // The app's service.name is its records' tag (the cost view's per-app breakdown).
    expect((await figures(exp, 'openai', 'py-span')).ledger.tags).toEqual(['py-spans']);
  });

  it('GenAI spans with the v1.36-and-earlier names (gen_ai.system, prompt/completion tokens)', async () => {
    runPython({ service: 'py-old', provider: 'aws.bedrock', model: 'py-old', old: true, spans: CALLS });
    await expectFigures('py-old', CALLS, 'aws.bedrock');
  });

  it('GenAI metrics (cumulative): growing totals count once each, a restarted app is not counted twice', async () => {
    runPython({ service: 'py-metrics', provider: 'openai', model: 'py-metric', metric_batches: [[CALLS[0], CALLS[2]], [], [CALLS[1]]] });
    await expectFigures('py-metric', CALLS);
    runPython({ service: 'py-metrics', provider: 'openai', model: 'py-metric', metric_batches: [[CALLS[1]]] });
    await expectFigures('py-metric', [...CALLS, CALLS[1]]);
    expect((await figures(exp, 'openai', 'py-metric')).ledger.tags).toEqual(['py-metrics']);
  });

  it('one app sending spans and metrics for the same calls: counted once', async () => {
    runPython({ service: 'py-both', provider: 'openai', model: 'py-both', spans: CALLS, metric_batches: [CALLS] });
    await expectFigures('py-both', CALLS);
  });
});
