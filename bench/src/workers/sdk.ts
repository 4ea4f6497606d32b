/**
 * SDK record path worker (its own process, so the JIT and heap are nobody else's). The in-process
 * SDK (`Exporter` from exporter/dist: recordAction / recordLlmCall) against the same observations
 * made directly on raw prom-client metrics (counter inc + histogram observe, same names, labels
 * and buckets), alternating A/B trials over the same pre-built records.
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
type LlmRec = { provider: string; model: string; input_tokens: number; output_tokens: number; duration_seconds: number; cost_usd?: number };
type Rec = { kind: 'action'; rec: ActionRec } | { kind: 'llm'; rec: LlmRec };

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const llmBuckets = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];
const PRICES: Record<string, { input: number; output: number }> = { 'gpt-4o-mini': { input: 0.15, output: 0.6 }, 'gpt-4o': { input: 2.5, output: 10 } };

function records(n: number, kinds: 'action' | 'llm' | 'mix'): Rec[] {
  const models = [
    ['openai', 'gpt-4o-mini'],
    ['openai', 'gpt-4o'],
    ['bench', 'bench-model-a'],
  ];
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
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
    llmRequests: new Counter({ name: 'runboard_llm_requests_total', help: 'h', labelNames: ['provider', 'model', 'outcome'], registers: r }),
    llmTokens: new Counter({ name: 'runboard_llm_tokens_total', help: 'h', labelNames: ['provider', 'model', 'type'], registers: r }),
    llmCost: new Counter({ name: 'runboard_llm_cost_usd_total', help: 'h', labelNames: ['provider', 'model'], registers: r }),
    llmDuration: new Histogram({ name: 'runboard_llm_request_duration_seconds', help: 'h', labelNames: ['provider', 'model'], buckets: llmBuckets, registers: r }),
  };
}

type Raw = ReturnType<typeof rawMetrics>;

/** The same Prometheus observations Runboard makes for these records, on plain prom-client. */
function rawRecord(m: Raw, r: Rec): void {
  if (r.kind === 'action') {
    const a = r.rec;
    m.actions.inc({ action: a.name, outcome: a.success ? 'success' : 'failure' });
    m.actionDuration.observe({ action: a.name }, a.duration_seconds);
  } else {
    const l = r.rec;
    const p = PRICES[l.model];
    const cost = l.cost_usd ?? (p ? (l.input_tokens * p.input + l.output_tokens * p.output) / 1e6 : undefined);
    m.llmRequests.inc({ provider: l.provider, model: l.model, outcome: 'success' });
    m.llmTokens.inc({ provider: l.provider, model: l.model, type: 'input' }, l.input_tokens);
    m.llmTokens.inc({ provider: l.provider, model: l.model, type: 'output' }, l.output_tokens);
    if (cost !== undefined) m.llmCost.inc({ provider: l.provider, model: l.model }, cost);
    m.llmDuration.observe({ provider: l.provider, model: l.model }, l.duration_seconds);
  }
}

interface RunRequest {
  trials: number;
  perTrial: number;
  warmupRounds: number;
}

async function run(req: RunRequest) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-bench-sdk-'));
  const silent = { info() {}, warn() {}, error() {} };
  const exp = await Exporter.start({ host: '127.0.0.1', port: 0, dataDir: dir, auth: { token: 'bench-sdk-token-0123456789' } }, { system: false, log: silent as never });
  const raw = rawMetrics();
  const runboardRecord = (r: Rec) => (r.kind === 'action' ? exp.recordAction(r.rec) : exp.recordLlmCall(r.rec));
  const result: Record<string, { runboardNs: number[]; rawNs: number[]; wallNs: number[] }> = {};
  let ledgerNsPerLlmRecord: number[] = [];
  try {
    for (const kinds of ['mix', 'action', 'llm'] as const) {
      const recs = records(req.perTrial, kinds);
      // Runboard's timing includes flush(): the LLM cost records' ledger write happens there.
      // CPU time of the process (user + system, GC threads included), so a machine shared with
      // other work does not stretch the figures; wall time is kept too.
      const time = async (f: (r: Rec) => void, after?: () => Promise<void>) => {
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        for (let i = 0; i < recs.length; i++) f(recs[i]);
        if (after) await after();
        const c = process.cpuUsage(c0);
        wall.push(Number(process.hrtime.bigint() - t0) / recs.length);
        return ((c.user + c.system) * 1000) / recs.length;
      };
      const wall: number[] = [];
      const timeRunboard = () => time(runboardRecord, () => exp.flush());
      const timeRaw = () => time((r) => rawRecord(raw, r));
      for (let i = 0; i < req.warmupRounds; i++) {
        await timeRunboard();
        await timeRaw();
      }
      const rb: number[] = [];
      const rw: number[] = [];
      for (let t = 0; t < req.trials; t++) {
        // ABBA order so neither side always runs right after the other's garbage.
        if (t % 2 === 0) {
          rb.push(await timeRunboard());
          rw.push(await timeRaw());
        } else {
          rw.push(await timeRaw());
          rb.push(await timeRunboard());
        }
        // Let the exporter tick (1 Hz) between trials as it would in an app, not inside them.
        await new Promise((resolve) => setImmediate(resolve));
      }
      result[kinds] = { runboardNs: rb, rawNs: rw, wallNs: wall.slice(req.warmupRounds * 2) };
    }
    // How much of an LLM record is the ledger write alone (same rows, same batch size).
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
  return { ...result, ledgerNsPerLlmRecord };
}

serveWorker((msg: RunRequest) => run(msg));
