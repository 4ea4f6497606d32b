/**
 * SDK record path worker (its own process, so the JIT and heap are nobody else's). The in-process
 * SDK (`Exporter` from exporter/dist: recordAction / recordEvent / recordLlmCall) against the same
 * observations made directly on raw prom-client metrics (counter inc + histogram observe, same
 * names, labels and buckets), alternating A/B trials over the same pre-built records.
 *
 * Two clocks per trial: the CPU time of the app thread (the main thread, which the goal is
 * about: whatever the SDK does there, the app cannot do) and the CPU time of the whole process
 * (every thread: GC helpers, a ledger writer thread if there is one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { serveWorker } from '../lib/child';
import { EXPORTER_DIST } from '../lib/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Exporter } = require(path.join(EXPORTER_DIST, 'index.js')) as typeof import('../../../exporter/src/index');

type ActionRec = { name: string; duration_seconds: number; success: boolean };
type EventRec = { type: string; outcome: 'queued' | 'processed' | 'failed'; processing_seconds?: number };
type LlmRec = { provider: string; model: string; input_tokens: number; output_tokens: number; duration_seconds: number; cost_usd?: number };
type Rec = { kind: 'action'; rec: ActionRec } | { kind: 'event'; rec: EventRec } | { kind: 'llm'; rec: LlmRec };
export type Kinds = 'mix' | 'action' | 'event' | 'llm';

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const llmBuckets = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];
const PRICES: Record<string, { input: number; output: number }> = { 'gpt-4o-mini': { input: 0.15, output: 0.6 }, 'gpt-4o': { input: 2.5, output: 10 } };

function records(n: number, kinds: Kinds): Rec[] {
  const models = [
    ['openai', 'gpt-4o-mini'],
    ['openai', 'gpt-4o'],
    ['bench', 'bench-model-a'],
  ];
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    if (kinds === 'event') {
      // 20 types; a third queued (no processing time), the rest processed or failed with one.
      const outcome = i % 3 === 0 ? 'queued' : i % 17 === 0 ? 'failed' : 'processed';
      out.push({ kind: 'event', rec: { type: `event-${i % 20}`, outcome, ...(outcome === 'queued' ? {} : { processing_seconds: 0.002 * (1 + (i % 500)) }) } });
      continue;
    }
    const isAction = kinds === 'action' || (kinds === 'mix' && i % 2 === 0);
    if (isAction) out.push({ kind: 'action', rec: { name: `job-${i % 20}`, duration_seconds: 0.01 * (1 + (i % 300)), success: i % 13 !== 0 } });
    else {
      const [provider, model] = models[i % models.length];
      // Priced from the table (known models) or sent with cost_usd (the unknown one).
      out.push({
        kind: 'llm',
        rec: {
          provider,
          model,
          input_tokens: 200 + (i % 900),
          output_tokens: 20 + (i % 300),
          duration_seconds: 0.2 + (i % 40) * 0.05,
          ...(model.startsWith('bench') ? { cost_usd: 0.0004 } : {}),
        },
      });
    }
  }
  return out;
}

function rawMetrics() {
  const registry = new Registry();
  const r = [registry];
  return {
    actions: new Counter({ name: 'runboard_actions_total', help: 'h', labelNames: ['action', 'outcome'], registers: r }),
    actionDuration: new Histogram({ name: 'runboard_action_duration_seconds', help: 'h', labelNames: ['action'], buckets: durationBuckets, registers: r }),
    events: new Counter({ name: 'runboard_events_total', help: 'h', labelNames: ['type', 'outcome'], registers: r }),
    eventProcessing: new Histogram({ name: 'runboard_event_processing_seconds', help: 'h', labelNames: ['type'], buckets: durationBuckets, registers: r }),
    llmRequests: new Counter({ name: 'runboard_llm_requests_total', help: 'h', labelNames: ['provider', 'model', 'outcome', 'source'], registers: r }),
    llmTokens: new Counter({ name: 'runboard_llm_tokens_total', help: 'h', labelNames: ['provider', 'model', 'type', 'source'], registers: r }),
    llmCost: new Counter({ name: 'runboard_llm_cost_usd_total', help: 'h', labelNames: ['provider', 'model', 'source'], registers: r }),
    llmDuration: new Histogram({ name: 'runboard_llm_request_duration_seconds', help: 'h', labelNames: ['provider', 'model', 'source'], buckets: llmBuckets, registers: r }),
  };
}

type Raw = ReturnType<typeof rawMetrics>;

/** The same Prometheus observations Runboard makes for these records, on plain prom-client. */
function rawRecord(m: Raw, r: Rec): void {
  if (r.kind === 'action') {
    const a = r.rec;
    m.actions.inc({ action: a.name, outcome: a.success ? 'success' : 'failure' });
    m.actionDuration.observe({ action: a.name }, a.duration_seconds);
  } else if (r.kind === 'event') {
    const e = r.rec;
    m.events.inc({ type: e.type, outcome: e.outcome });
    if (e.processing_seconds !== undefined && e.outcome !== 'queued') m.eventProcessing.observe({ type: e.type }, e.processing_seconds);
  } else {
    const l = r.rec;
    const p = PRICES[l.model];
    const cost = l.cost_usd ?? (p ? (l.input_tokens * p.input + l.output_tokens * p.output) / 1e6 : undefined);
    m.llmRequests.inc({ provider: l.provider, model: l.model, outcome: 'success', source: 'sdk' });
    m.llmTokens.inc({ provider: l.provider, model: l.model, type: 'input', source: 'sdk' }, l.input_tokens);
    m.llmTokens.inc({ provider: l.provider, model: l.model, type: 'output', source: 'sdk' }, l.output_tokens);
    if (cost !== undefined) m.llmCost.inc({ provider: l.provider, model: l.model, source: 'sdk' }, cost);
    m.llmDuration.observe({ provider: l.provider, model: l.model, source: 'sdk' }, l.duration_seconds);
  }
}

interface RunRequest {
  trials: number;
  perTrial: number;
  warmupRounds: number;
}

/**
 * CPU time of the main (app) thread in ns, or undefined where it cannot be read. Node 20 has no
 * process.threadCpuUsage, so on Linux it is read from /proc: `se.sum_exec_runtime` of
 * /proc/self/task/<tid>/sched (ns; the main thread's tid is the pid), which the kernel brings up
 * to date when the thread leaves the CPU, so a 10 µs Atomics.wait first makes the reading exact
 * (without it the value lags by up to a scheduler tick). Without that file (no CONFIG_SCHED_DEBUG),
 * utime + stime of /proc/self/task/<tid>/stat, in clock ticks (10 ms: fine only summed over many
 * trials, which is how the figures use it).
 */
function threadClock(): { name: string; read: () => number } | undefined {
  const threadCpuUsage = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (typeof threadCpuUsage === 'function') {
    return { name: 'process.threadCpuUsage', read: () => ((u) => (u.user + u.system) * 1000)(threadCpuUsage.call(process)) };
  }
  const task = `/proc/self/task/${process.pid}`;
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  try {
    const read = () => {
      Atomics.wait(sleep, 0, 0, 0.01);
      const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(fs.readFileSync(`${task}/sched`, 'utf8'));
      if (!m) throw new Error('no se.sum_exec_runtime');
      return Math.round(Number(m[1]) * 1e6);
    };
    read();
    return { name: `${task}/sched se.sum_exec_runtime`, read };
  } catch {
    /* next */
  }
  try {
    const read = () => {
      const text = fs.readFileSync(`${task}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1e9) / 100; // CLK_TCK is 100 on Linux
    };
    read();
    return { name: `${task}/stat utime+stime`, read };
  } catch {
    return undefined;
  }
}

type Series = { runboardNs: number[]; rawNs: number[]; runboardThreadNs: number[]; rawThreadNs: number[]; wallNs: number[] };

async function run(req: RunRequest) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-bench-sdk-'));
  const silent = { info() {}, warn() {}, error() {} };
  const exp = await Exporter.start({ host: '127.0.0.1', port: 0, dataDir: dir, auth: { token: 'bench-sdk-token-0123456789' } }, { system: false, log: silent as never });
  const raw = rawMetrics();
  const runboardRecord = (r: Rec) => (r.kind === 'action' ? exp.recordAction(r.rec) : r.kind === 'event' ? exp.recordEvent(r.rec) : exp.recordLlmCall(r.rec));
  const clock = threadClock();
  const result: Partial<Record<Kinds, Series>> = {};
  let ledgerNsPerLlmRecord: number[] = [];
  try {
    for (const kinds of ['mix', 'action', 'event', 'llm'] as const) {
      const recs = records(req.perTrial, kinds);
      // Runboard's timing includes flush(): it resolves once the LLM cost records' ledger write
      // has committed. CPU time, not wall time, so a machine shared with other work does not
      // stretch the figures (wall time is kept too): of the app thread and of the whole process
      // (user + system, GC and any other threads included).
      const wall: number[] = [];
      const time = async (f: (r: Rec) => void, after?: () => Promise<void>) => {
        const th0 = clock?.read() ?? NaN;
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        for (let i = 0; i < recs.length; i++) f(recs[i]);
        if (after) await after();
        const c = process.cpuUsage(c0);
        wall.push(Number(process.hrtime.bigint() - t0) / recs.length);
        const th = (clock?.read() ?? NaN) - th0;
        return { cpu: ((c.user + c.system) * 1000) / recs.length, thread: th / recs.length };
      };
      const timeRunboard = () => time(runboardRecord, () => exp.flush());
      const timeRaw = () => time((r) => rawRecord(raw, r));
      for (let i = 0; i < req.warmupRounds; i++) {
        await timeRunboard();
        await timeRaw();
      }
      const s: Series = { runboardNs: [], rawNs: [], runboardThreadNs: [], rawThreadNs: [], wallNs: [] };
      const push = (side: 'runboard' | 'raw', m: { cpu: number; thread: number }) => {
        s[`${side}Ns`].push(m.cpu);
        s[`${side}ThreadNs`].push(m.thread);
      };
      for (let t = 0; t < req.trials; t++) {
        // ABBA order so neither side always runs right after the other's garbage.
        if (t % 2 === 0) {
          push('runboard', await timeRunboard());
          push('raw', await timeRaw());
        } else {
          push('raw', await timeRaw());
          push('runboard', await timeRunboard());
        }
        // Let the exporter tick (1 Hz) between trials as it would in an app, not inside them.
        await new Promise((resolve) => setImmediate(resolve));
      }
      s.wallNs = wall.slice(req.warmupRounds * 2);
      result[kinds] = s;
    }
    // How much of an LLM record is the ledger write alone (same rows, same batch size), on the
    // thread that calls it.
    const llm = records(req.perTrial, 'llm').map((r) => r.rec as LlmRec);
    const rows = llm.map((l) => ({
      t: Date.now(),
      provider: l.provider,
      model: l.model,
      input_tokens: l.input_tokens,
      output_tokens: l.output_tokens,
      cost_usd: l.cost_usd ?? 0.001,
      priced: 'table' as const,
      duration_seconds: l.duration_seconds,
      success: true,
      source: 'sdk' as const,
    }));
    const ledgerNs: number[] = [];
    for (let t = 0; t < Math.max(3, Math.floor(req.trials / 3)); t++) {
      const t0 = process.hrtime.bigint();
      exp.ledger.insertCostRecords(rows);
      ledgerNs.push(Number(process.hrtime.bigint() - t0) / rows.length);
    }
    ledgerNsPerLlmRecord = ledgerNs;
  } finally {
    await exp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ...(result as Record<Kinds, Series>), ledgerNsPerLlmRecord, threadClock: clock?.name ?? null };
}

serveWorker((msg: RunRequest) => run(msg));
