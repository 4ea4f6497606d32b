/**
 * 5. SSE fan-out: 100, 1,000 and 10,000 concurrent stream clients (unfiltered streams) at 1 Hz
 * from a separate process (raw sockets). Per level, a fresh exporter (limits.streamClients raised
 * through a config file): tick-to-client latency p50/p99 (tick time `t` in the sample vs the time
 * the client read it, same clock), exporter CPU, and exporter RSS per client (RSS with the
 * clients minus RSS before they connected, divided by the clients). Medians over trial windows;
 * at 10k (the goal level) over four phases of each side, in ABBA order twice.
 */
import { execFileSync } from 'node:child_process';
import { startWorker } from '../lib/child';
import { startExporter } from '../lib/exporter';
import { getJson } from '../lib/http';
import { coreShare, readCpu, readRss } from '../lib/proc';
import { row, type BenchResult, type Context, type Row } from '../lib/result';
import { median, sleep } from '../lib/stats';

/** ABBA cycles at the goal level (10k clients): four phases a side. */
const GOAL_LEVEL_CYCLES = 2;

interface Collected {
  samples: number;
  bytes: number;
  open: number;
  closedDuring: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
}

function fileLimit(): { soft: number; hard: number } {
  try {
    const soft = Number(execFileSync('bash', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim());
    const hard = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return { soft, hard: hard === 'unlimited' ? Infinity : Number(hard) };
  } catch {
    return { soft: 1024, hard: 1024 };
  }
}

interface LevelResult {
  connected: number;
  failed: number;
  connectSeconds: number;
  rssBeforeMB: number;
  rssWithClientsMB: number;
  perClientKB: number;
  p50: number;
  p99: number;
  cpu: number;
  samplesDeliveredShare: number;
  frameBytes: number;
  windows: Array<Collected & { cpu: number; loadCpu: number; rss: number }>;
}

/** Connects `clients` stream clients to a server (pid, url), then measures trial windows. */
async function measureLevel(ctx: Context, server: { pid: number; url: string; token: string }, clients: number, trials: number, windowMs: number): Promise<LevelResult> {
  const load = startWorker('sse-clients');
  try {
    const rssBefore: number[] = [];
    for (let i = 0; i < 3; i++) {
      rssBefore.push(readRss(server.pid));
      await sleep(300);
    }
    const conn = await load.ask<{ connected: number; failed: number; ms: number }>({ cmd: 'connect', url: server.url, token: server.token, clients }, 300_000);
    await sleep(2_200); // every client has had two ticks
    const windows: LevelResult['windows'] = [];
    for (let t = 0; t < trials; t++) {
      await load.ask({ cmd: 'start' });
      const a = readCpu(server.pid);
      const la = readCpu(load.pid);
      await sleep(windowMs);
      const b = readCpu(server.pid);
      const lb = readCpu(load.pid);
      const c = await load.ask<Collected>({ cmd: 'collect' });
      windows.push({ ...c, cpu: coreShare(a, b) * 100, loadCpu: coreShare(la, lb) * 100, rss: readRss(server.pid) });
    }
    const base = median(rssBefore);
    const rss = median(windows.map((w) => w.rss));
    const expected = (conn.connected * windowMs) / 1000;
    return {
      connected: conn.connected,
      failed: conn.failed,
      connectSeconds: conn.ms / 1000,
      rssBeforeMB: base / 2 ** 20,
      rssWithClientsMB: rss / 2 ** 20,
      perClientKB: (rss - base) / 1024 / Math.max(1, conn.connected),
      p50: median(windows.map((w) => w.p50)),
      p99: median(windows.map((w) => w.p99)),
      cpu: median(windows.map((w) => w.cpu)),
      samplesDeliveredShare: median(windows.map((w) => w.samples)) / Math.max(1, expected),
      frameBytes: Math.round(median(windows.map((w) => w.bytes / Math.max(1, w.samples)))),
      windows,
    };
  } finally {
    await load.ask({ cmd: 'close' }).catch(() => undefined);
    await load.stop();
  }
}

/** One figure from several phases of the same side: medians over all their windows. */
function pool(phases: LevelResult[]): LevelResult {
  const windows = phases.flatMap((p) => p.windows);
  const connected = Math.min(...phases.map((p) => p.connected));
  return {
    connected,
    failed: Math.max(...phases.map((p) => p.failed)),
    connectSeconds: median(phases.map((p) => p.connectSeconds)),
    rssBeforeMB: median(phases.map((p) => p.rssBeforeMB)),
    rssWithClientsMB: median(phases.map((p) => p.rssWithClientsMB)),
    perClientKB: median(phases.map((p) => p.perClientKB)),
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    cpu: median(windows.map((w) => w.cpu)),
    samplesDeliveredShare: median(phases.map((p) => p.samplesDeliveredShare)),
    frameBytes: median(phases.map((p) => p.frameBytes)),
    windows,
  };
}

export async function sse(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  const levels = process.env.BENCH_SSE_LEVELS ? process.env.BENCH_SSE_LEVELS.split(',').map(Number) : [100, 1_000, 10_000];
  const trials = ctx.quick ? 2 : 3;
  const windowMs = ctx.quick ? 2_000 : 5_000;
  const limit = fileLimit();
  // Each side holds one descriptor per client (plus a few dozen of its own).
  if (limit.soft < Math.max(...levels) + 200) ctx.log(`  ulimit -n is ${limit.soft} (hard ${limit.hard}): levels above ${limit.soft - 200} clients will fail`);
  const rows: Row[] = [];
  const details: Record<string, unknown> = {
    fileLimit: limit,
    windowSeconds: windowMs / 1000,
    trials,
    baseline: 'minimal node:http SSE server, same frame, res.write per client (bench/src/workers/sse-baseline.ts)',
  };
  let valuesJson = '{}';
  for (const [li, clients] of levels.entries()) {
    const name = clients >= 10_000 ? '10k' : clients >= 1_000 ? '1k' : String(clients);
    const withBaseline = !ctx.quick || clients === 10_000;
    const runRunboard = async () => {
      const nodeArgs = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=sse-${clients}.cpuprofile`] : [];
      const exp = await startExporter({ config: { limits: { streamClients: 20_000, streamClientsPerClient: 20_000 } }, nodeArgs });
      try {
        await sleep(ctx.quick ? 1_500 : 2_500); // start-up settles: first ticks, inventory
        const r = await measureLevel(ctx, { pid: exp.pid, url: exp.url, token: exp.token }, clients, trials, windowMs);
        const latest = await getJson<{ values: Record<string, number> }>(`${exp.url}/api/v1/latest`, exp.token);
        valuesJson = JSON.stringify(latest.values);
        return r;
      } finally {
        await exp.stop();
      }
    };
    const runBaseline = async () => {
      const w = startWorker('sse-baseline', {
        execArgv: ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=sse-baseline-${clients}.cpuprofile`] : [],
      });
      try {
        const { url } = await w.ask<{ url: string }>({ valuesJson });
        await sleep(1_000);
        return await measureLevel(ctx, { pid: w.pid, url, token: 'none' }, clients, trials, windowMs);
      } finally {
        await w.stop();
      }
    };
    // The goal level runs Runboard, baseline, baseline, Runboard (ABBA) twice and pools each
    // side's windows: this VM's speed drifts over minutes (one build's CPU ratio moved 1.07–1.36×
    // with one phase each), ABBA puts both sides at the same mean time, so a steady drift cancels,
    // and with four phases a side a step in the machine's speed during one phase moves a quarter
    // of a side's windows, not half (one ABBA read p99 1.00× and 1.24× in two runs of one build).
    // Other levels alternate which goes first; the baseline needs a Runboard sample for its frame.
    let rb: LevelResult;
    let base: LevelResult | undefined;
    if (clients === 10_000 && !ctx.quick) {
      const rbPhases: LevelResult[] = [];
      const basePhases: LevelResult[] = [];
      for (let cycle = 0; cycle < GOAL_LEVEL_CYCLES; cycle++) {
        rbPhases.push(await runRunboard());
        basePhases.push(await runBaseline());
        basePhases.push(await runBaseline());
        rbPhases.push(await runRunboard());
      }
      rb = pool(rbPhases);
      base = pool(basePhases);
    } else if (withBaseline && li % 2 === 1 && valuesJson !== '{}') {
      base = await runBaseline();
      rb = await runRunboard();
    } else {
      rb = await runRunboard();
      if (withBaseline) base = await runBaseline();
    }
    const bl = (v: number | undefined) => (base ? (v ?? null) : null);
    const baselineName = 'minimal node:http SSE';
    const goal10k = clients === 10_000;
    rows.push(row({ benchmark: 'sse', figure: `${name} clients: tick-to-client p50`, unit: 'ms', runboard: rb.p50, baseline: bl(base?.p50), baselineName }));
    rows.push(
      row({
        benchmark: 'sse',
        figure: `${name} clients: tick-to-client p99`,
        unit: 'ms',
        runboard: rb.p99,
        baseline: bl(base?.p99),
        baselineName,
        // Issue 16 settled the 10k goal as a ratio: one Node process on two cores cannot reach an
        // absolute 50 ms (the minimal server misses it too; bench/README.md).
        ...(goal10k && base ? { goal: '≤ 1.1× minimal SSE', met: rb.p99 <= 1.1 * base.p99 } : {}),
      }),
    );
    rows.push(
      row({
        benchmark: 'sse',
        figure: `${name} clients: CPU, % of one core`,
        unit: '%',
        runboard: rb.cpu,
        baseline: bl(base?.cpu),
        baselineName,
        ...(goal10k && base ? { goal: '≤ 1.1× minimal SSE', met: rb.cpu <= 1.1 * base.cpu } : {}),
      }),
    );
    // Below 1k clients the difference is within the RSS noise (±2 MB): not reported (it is in the JSON).
    if (clients >= 1_000) {
      rows.push(
        row({
          benchmark: 'sse',
          figure: `${name} clients: RSS per client`,
          unit: 'KB',
          runboard: rb.perClientKB,
          baseline: bl(base?.perClientKB),
          baselineName,
          ...(goal10k ? { goal: '< 20 KB', met: rb.perClientKB < 20 } : {}),
        }),
      );
    }
    details[name] = { runboard: rb, baseline: base };
    ctx.log(
      `  ${clients} clients: Runboard p50 ${rb.p50.toFixed(1)} / p99 ${rb.p99.toFixed(1)} ms, CPU ${rb.cpu.toFixed(1)}%, ${rb.perClientKB.toFixed(1)} KB/client` +
        (base ? `; baseline p50 ${base.p50.toFixed(1)} / p99 ${base.p99.toFixed(1)} ms, CPU ${base.cpu.toFixed(1)}%, ${base.perClientKB.toFixed(1)} KB/client` : ''),
    );
  }
  return { name: 'sse', title: 'SSE fan-out', seconds: (performance.now() - started) / 1000, rows, details };
}
