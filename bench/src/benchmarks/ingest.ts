/**
 * 3. HTTP ingest: records/s through POST /api/v1/ingest in batches of 1,000 records, from a
 * separate load process (autocannon, pre-built body, keep-alive), against the built exporter at
 * 1 Hz. Absolute, and per core: records/s divided by the CPU the exporter used (cores busy).
 */
import { startWorker } from '../lib/child';
import { startExporter } from '../lib/exporter';
import { coreShare, readCpu } from '../lib/proc';
import { row, type BenchResult, type Context } from '../lib/result';
import { median } from '../lib/stats';
import { ingestBatch } from '../lib/workload';

const BATCH = 1000;
const CONNECTIONS = 8;

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  latencyP50: number;
  latencyP99: number;
  statusCodes: string[];
}

export async function ingest(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  const trials = ctx.quick ? 2 : 3;
  const seconds = ctx.quick ? 3 : 8;
  const body = JSON.stringify({ records: ingestBatch(BATCH) });
  const nodeArgs = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, '--cpu-prof-name=ingest.cpuprofile'] : [];
  const exp = await startExporter({ nodeArgs });
  const load = startWorker('ingest-load');
  const perTrial: Array<LoadResult & { recordsPerSecond: number; exporterCores: number; loadCores: number }> = [];
  try {
    await load.ask<LoadResult>({ url: exp.url, token: exp.token, body, connections: CONNECTIONS, seconds: 2 }, 60_000); // warm-up
    for (let i = 0; i < trials; i++) {
      const a = readCpu(exp.pid);
      const la = readCpu(load.pid);
      const r = await load.ask<LoadResult>({ url: exp.url, token: exp.token, body, connections: CONNECTIONS, seconds }, 120_000);
      const b = readCpu(exp.pid);
      const lb = readCpu(load.pid);
      const recordsPerSecond = (r.ok * BATCH) / r.seconds;
      perTrial.push({ ...r, recordsPerSecond, exporterCores: coreShare(a, b), loadCores: coreShare(la, lb) });
      ctx.log(
        `  trial ${i + 1}/${trials}: ${Math.round(recordsPerSecond)} records/s, exporter ${(coreShare(a, b) * 100).toFixed(0)}% of a core, non-2xx ${r.non2xx}, errors ${r.errors}`,
      );
    }
  } finally {
    await load.stop();
    await exp.stop();
  }
  const rps = median(perTrial.map((t) => t.recordsPerSecond));
  const perCore = median(perTrial.map((t) => t.recordsPerSecond / t.exporterCores));
  const rows = [
    row({ benchmark: 'ingest', figure: `records/s, POST /api/v1/ingest, batches of ${BATCH}`, unit: '/s', runboard: rps, baseline: null, goal: '≥ 250k/s', met: rps >= 250_000 }),
    row({ benchmark: 'ingest', figure: 'records/s per core of exporter CPU', unit: '/s', runboard: perCore, baseline: null }),
    row({ benchmark: 'ingest', figure: 'request latency p99 (1,000 records)', unit: 'ms', runboard: median(perTrial.map((t) => t.latencyP99)), baseline: null }),
  ];
  return {
    name: 'ingest',
    title: 'HTTP ingest',
    seconds: (performance.now() - started) / 1000,
    rows,
    details: {
      trials,
      secondsPerTrial: seconds,
      batch: BATCH,
      bodyBytes: Buffer.byteLength(body),
      connections: CONNECTIONS,
      mix: '40% action, 30% llm, 20% event, 10% state',
      perTrial,
      profiled: Boolean(ctx.profileDir),
    },
  };
}
