/**
 * Money without float noise (README "Commands, runs, templates and costs"): costs whose float sum
 * is off the decimal one (0.1 + 0.2 = 0.30000000000000004, 7 × 0.0001794 priced from the table)
 * come out of the costs API (JSON and CSV), /metrics, a run and the ledger's hourly rollups as
 * the exact decimal sums.
 */
import type { CostsResponse, RunInfo } from '@runboard/protocol';
import { Ledger } from '../../exporter/src/store/ledger';
import { auth, readJson, startExporter, type RunningExporter } from '../helpers/exporter-process';

/** Costs whose float sum is noisy: 0.1 + 0.2 + 0.7 + 0.1 + 0.1 + 0.1 sums to 1.3000000000000003. */
const CLIENT_COSTS = [0.1, 0.2, 0.7, 0.1, 0.1, 0.1];
/** gpt-4o-mini at the default prices (0.15 / 0.6 USD per million tokens): 0.0001794 each. */
const TABLE_CALLS = 7;

/** Every number in a JSON or CSV text that has more than nine decimals (or an exponent). */
function noisyNumbers(text: string): string[] {
  return [...text.matchAll(/-?\d+\.\d+(e-?\d+)?/g)].map((m) => m[0]).filter((n) => /\.\d{10,}|e/.test(n));
}

describe('through the exporter', () => {
  let exp: RunningExporter;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${exp.url}/api/v1${path}`, { ...init, headers: { ...auth(exp.token), 'Content-Type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    exp = await startExporter();
    expect(CLIENT_COSTS.reduce((a, b) => a + b, 0)).not.toBe(1.3); // the noise this test is about
    const records = [
      ...CLIENT_COSTS.map((cost_usd) => ({ kind: 'llm', provider: 'acme', model: 'noisy', input_tokens: 1, output_tokens: 1, cost_usd })),
      ...Array.from({ length: TABLE_CALLS }, () => ({ kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 812, output_tokens: 96 })),
    ];
    // One record per request as well as in a batch: sums across batches and within one.
    for (const r of records.slice(0, 3)) expect((await api('/ingest', { method: 'POST', body: JSON.stringify(r) })).status).toBe(202);
    expect((await api('/ingest', { method: 'POST', body: JSON.stringify({ records: records.slice(3) }) })).status).toBe(202);
  });
  afterAll(async () => {
    await exp?.stop();
  });

  it('the costs API answers the exact sums, in JSON and CSV', async () => {
    const res = await api('/costs?groupBy=model&from=now-1h');
    const text = await res.text();
    expect(noisyNumbers(text)).toEqual([]);
    const costs = JSON.parse(text) as CostsResponse;
    expect(Object.fromEntries(costs.rows.map((r) => [r.key, r.costUsd]))).toEqual({ noisy: 1.3, 'gpt-4o-mini': 0.0012558 });
    expect(costs.total.costUsd).toBe(1.3012558);
    const csv = await (await api('/costs?groupBy=model&from=now-1h&format=csv')).text();
    expect(noisyNumbers(csv)).toEqual([]);
    expect(csv).toContain('noisy,6,6,6,1.3,0');
  });

  it('/metrics counts the exact sums', async () => {
    const metrics = await (await fetch(`${exp.url}/metrics`)).text();
    expect(metrics).toMatch(/^runboard_llm_cost_usd_total\{provider="acme",model="noisy",source="ingest"\} 1\.3$/m);
    expect(metrics).toMatch(/^runboard_llm_cost_usd_total\{provider="openai",model="gpt-4o-mini",source="ingest"\} 0\.0012558$/m);
  });

  it("a run's cost is the exact sum of its calls", async () => {
    const started = await readJson<RunInfo>(api('/commands/sample-task/runs', { method: 'POST', body: JSON.stringify({ parameters: { steps: 9, delay_ms: 0 } }) }));
    let run = started;
    const deadline = Date.now() + 20000;
    while (run.status !== 'finished') {
      if (Date.now() > deadline) throw new Error(`run ${run.id} did not finish`);
      await new Promise((r) => setTimeout(r, 100));
      run = await readJson<RunInfo>(api(`/runs/${started.id}`));
    }
    expect(run.costUsd).toBeGreaterThan(0);
    expect(noisyNumbers(JSON.stringify({ costUsd: run.costUsd }))).toEqual([]);
    // The ledger's cost records of the run, summed in whole nano-dollars, are the run's cost.
    const byCommand = await readJson<CostsResponse>(api('/costs?groupBy=command&from=now-1h'));
    expect(byCommand.rows.find((r) => r.key === 'sample-task')?.costUsd).toBe(run.costUsd);
  });
});

it("the ledger's hourly rollups keep exact sums, also as records are pruned", () => {
  const ledger = Ledger.open(':memory:', { retentionDays: 0, maxRuns: 100, maxCostRecords: 3 });
  try {
    const hour = Date.UTC(2026, 0, 1, 10);
    const rec = (t: number, cost_usd: number) => ({
      t,
      provider: 'acme',
      model: 'noisy',
      input_tokens: 1,
      output_tokens: 1,
      cost_usd,
      priced: 'client' as const,
      success: true,
      source: 'ingest' as const,
    });
    // One batch per record: each adds to the same rollup row.
    for (const [i, c] of CLIENT_COSTS.entries()) ledger.insertCostRecords([rec(hour + i * 1000, c)]);
    // The whole hour comes from the rollup.
    expect(ledger.costs('model', hour, hour + 3_600_000 - 1).total.costUsd).toBe(1.3);
    // Less than the hour: from the records themselves.
    expect(ledger.costs('model', hour, hour + 10_000).total.costUsd).toBe(1.3);
    // Pruning the oldest three (0.1, 0.2, 0.7) takes their sum off the rollup: 0.1 × 3 is left.
    ledger.prune(hour + 3_600_000);
    expect(ledger.costRecords({ from: 0, to: hour + 3_600_000 }).map((r) => r.cost_usd)).toEqual([0.1, 0.1, 0.1]);
    expect(ledger.costs('model', hour, hour + 3_600_000 - 1).total.costUsd).toBe(0.3);
  } finally {
    ledger.close();
  }
});
