/**
 * 2. SDK record path: CPU ns per record through the in-process SDK (Exporter.recordAction /
 * recordLlmCall, from exporter/dist, ledger writes included) vs the same observations on raw
 * prom-client metrics. Runs in a worker process; A/B trials alternate (ABBA) and the figure is the
 * median over trials.
 */
import { startWorker } from '../lib/child';
import { row, type BenchResult, type Context } from '../lib/result';
import { median } from '../lib/stats';

type WorkerResult = Record<'mix' | 'action' | 'llm', { runboardNs: number[]; rawNs: number[]; wallNs: number[] }> & { ledgerNsPerLlmRecord: number[] };

export async function sdk(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  const settings = ctx.quick ? { trials: 9, perTrial: 20_000, warmupRounds: 3 } : { trials: 21, perTrial: 50_000, warmupRounds: 5 };
  const execArgv = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, '--cpu-prof-name=sdk-worker.cpuprofile'] : [];
  const worker = startWorker('sdk', { execArgv });
  let res: WorkerResult;
  try {
    res = await worker.ask<WorkerResult>(settings, 300_000);
  } finally {
    await worker.stop();
  }
  const fig = (k: 'mix' | 'action' | 'llm') => ({ rb: median(res[k].runboardNs), raw: median(res[k].rawNs) });
  const mix = fig('mix');
  const action = fig('action');
  const llm = fig('llm');
  const ratio = mix.rb / mix.raw;
  const rows = [
    row({
      benchmark: 'sdk',
      figure: 'ns per record, action + LLM mix (1:1)',
      unit: 'ns',
      runboard: mix.rb,
      baseline: mix.raw,
      baselineName: 'raw prom-client',
      goal: '≤ 1.5× raw',
      met: ratio <= 1.5,
    }),
    row({
      benchmark: 'sdk',
      figure: 'records/s, mix (one core)',
      unit: '/s',
      runboard: 1e9 / mix.rb,
      baseline: 1e9 / mix.raw,
      baselineName: 'raw prom-client',
      ratio: mix.raw / mix.rb,
    }),
    row({ benchmark: 'sdk', figure: 'ns per record, actions only', unit: 'ns', runboard: action.rb, baseline: action.raw, baselineName: 'raw prom-client' }),
    row({
      benchmark: 'sdk',
      figure: 'ns per record, LLM calls only',
      unit: 'ns',
      runboard: llm.rb,
      baseline: llm.raw,
      baselineName: 'raw prom-client',
      note: `of which the ledger write (SQLite, batched per event-loop turn): ${Math.round(median(res.ledgerNsPerLlmRecord))} ns`,
    }),
  ];
  return {
    name: 'sdk',
    title: 'SDK record path',
    seconds: (performance.now() - started) / 1000,
    rows,
    details: { ...settings, nsPerRecordPerTrial: res, profiled: Boolean(ctx.profileDir) },
  };
}
