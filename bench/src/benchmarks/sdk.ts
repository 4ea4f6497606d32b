/**
 * 2. SDK record path: CPU ns per record through the in-process SDK (Exporter.recordAction /
 * recordEvent / recordLlmCall, from exporter/dist, ledger writes included) vs the same
 * observations on raw prom-client metrics. The goals are about the app thread (the main thread,
 * where the SDK runs inside the app); the process's CPU (all threads) is reported beside it. Runs
 * in a worker process; A/B trials alternate (ABBA) and the figure is the median over trials.
 */
import { startWorker } from '../lib/child';
import { row, type BenchResult, type Context, type Row } from '../lib/result';
import { mean, median } from '../lib/stats';

type Kinds = 'mix' | 'action' | 'event' | 'llm';
type Series = { runboardNs: number[]; rawNs: number[]; runboardThreadNs: number[]; rawThreadNs: number[]; wallNs: number[] };
type WorkerResult = Record<Kinds, Series> & { ledgerNsPerLlmRecord: number[]; threadClock: string | null };

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
  // /proc/<pid>/task/<tid>/stat counts in 10 ms ticks: a trial is a few of them, so with that
  // clock the figure is the mean over all trials (the tick errors average out), not the median.
  const coarse = res.threadClock?.includes('/stat') ?? false;
  const thread = (xs: number[]) => (res.threadClock === null ? null : coarse ? mean(xs) : median(xs));
  const labels: Record<Kinds, string> = {
    action: 'actions only',
    event: 'events only',
    llm: 'LLM calls only, ledger write included',
    mix: 'action + LLM mix (1:1)',
  };
  const goals: Partial<Record<Kinds, number>> = { action: 1.5, event: 1.5, llm: 2 };
  const rows: Row[] = [];
  for (const k of ['action', 'event', 'llm', 'mix'] as const) {
    const rb = thread(res[k].runboardThreadNs);
    const raw = thread(res[k].rawThreadNs);
    const goal = goals[k];
    rows.push(
      row({
        benchmark: 'sdk',
        figure: `app-thread ns per record, ${labels[k]}`,
        unit: 'ns',
        runboard: rb,
        baseline: raw,
        baselineName: 'raw prom-client',
        goal: goal ? `≤ ${goal}× raw` : undefined,
        met: goal && rb !== null && raw !== null ? rb / raw <= goal : undefined,
      }),
    );
  }
  for (const k of ['action', 'event', 'llm', 'mix'] as const) {
    rows.push(
      row({
        benchmark: 'sdk',
        figure: `process CPU ns per record, ${labels[k]}`,
        unit: 'ns',
        runboard: median(res[k].runboardNs),
        baseline: median(res[k].rawNs),
        baselineName: 'raw prom-client',
        note:
          k === 'llm'
            ? `all threads; the ledger write alone (SQLite, one batch of ${settings.perTrial} records, on the calling thread): ${Math.round(median(res.ledgerNsPerLlmRecord))} ns`
            : undefined,
      }),
    );
  }
  return {
    name: 'sdk',
    title: 'SDK record path',
    seconds: (performance.now() - started) / 1000,
    rows,
    details: { ...settings, threadClock: res.threadClock, nsPerRecordPerTrial: res, profiled: Boolean(ctx.profileDir) },
  };
}
