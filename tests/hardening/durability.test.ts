/**
 * Durability under load (README "Reliability"), extending tests/commands/durability.test.ts: in every cycle
 * one client streams ingest batches, one starts command runs (quick and long ones) and one
 * creates, updates and deletes templates, all at once, and the exporter is killed with SIGKILL at
 * a random moment. Before each restart the ledger passes SQLite's integrity check and the
 * ledger's own (rollups = records); after it, every acknowledged cost record, run, template
 * write and delete of every earlier cycle is there (0 lost). Short run: 2 cycles; full: 10.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { Ledger } from '../../exporter/src/store/ledger';
import type { RunningExporter } from '../helpers/exporter-process';
import { FULL, report, request, scale, sleep, startWith, tmpDir } from './harness';

const CYCLES = scale('DURABILITY_CYCLES', 2, 10);

interface TemplateState {
  name: string;
  text: string;
  deleted: boolean;
}

const costs = new Map<number, { acked: number; inFlight: number }>();
const runs = new Map<string, string>();
const templates = new Map<string, TemplateState>();
/** Templates whose last write was in flight at the kill: either outcome is right. */
const uncertain = new Set<string>();
const totals = { ingestBatches: 0, costRecordsAcked: 0, runsAcked: 0, templateWritesAcked: 0, templateDeletesAcked: 0, kills: 0, integrityOk: 0, lost: 0 };

function load(exp: RunningExporter, cycle: number, stopAt: { killed: boolean }) {
  const headers = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
  const post = (p: string, body: unknown, method = 'POST') => request(exp.url, method, `/api/v1${p}`, { headers, body: JSON.stringify(body), timeoutMs: 10000 });
  const c = { acked: 0, inFlight: 0 };
  costs.set(cycle, c);

  const ingest = (async () => {
    for (let batch = 0; !stopAt.killed && batch < 100_000; batch++) {
      const records = Array.from({ length: 50 }, (_, i) => ({ kind: 'llm', provider: `dur-${cycle}`, model: `m${i % 5}`, input_tokens: 10, output_tokens: 2, cost_usd: 0.001 }));
      c.inFlight = records.length;
      try {
        const res = await post('/ingest', records);
        if (res.status === 202) {
          c.acked += records.length;
          totals.costRecordsAcked += records.length;
          totals.ingestBatches++;
        }
        c.inFlight = 0;
      } catch {
        return;
      }
    }
  })();

  const starter = (async () => {
    for (let n = 0; !stopAt.killed && n < 100_000; n++) {
      const long = n % 5 === 4;
      try {
        const res = await post(long ? '/commands/slow/runs' : '/commands/echo/runs', long ? {} : { parameters: { text: `c${cycle}-${n}` } });
        if (res.status === 202) {
          runs.set((JSON.parse(res.text) as { id: string }).id, long ? 'slow' : 'echo');
          totals.runsAcked++;
        }
      } catch {
        return;
      }
      await sleep(15);
    }
  })();

  const writer = (async () => {
    const mine: string[] = [];
    for (let n = 0; !stopAt.killed && n < 100_000; n++) {
      const op = mine.length < 5 || n % 3 === 0 ? 'create' : n % 3 === 1 ? 'update' : 'delete';
      const id = op === 'create' ? `c${cycle}-t${n}` : mine[n % mine.length];
      const state = templates.get(id);
      const text = `v${n}`;
      uncertain.add(id);
      try {
        if (op === 'delete') {
          const res = await request(exp.url, 'DELETE', `/api/v1/templates/${id}`, { headers, timeoutMs: 10000 });
          if (res.status === 204) {
            templates.set(id, { ...state!, deleted: true });
            mine.splice(mine.indexOf(id), 1);
            totals.templateDeletesAcked++;
          }
        } else {
          const name = state?.name ?? `tmpl-${id}`;
          const res = await post(`/templates/${id}`, { command: 'echo', name, parameters: { text } }, 'PUT');
          if (res.status === 200 || res.status === 201) {
            templates.set(id, { name, text, deleted: false });
            if (op === 'create') mine.push(id);
            totals.templateWritesAcked++;
          }
        }
        uncertain.delete(id);
      } catch {
        return;
      }
    }
  })();

  return Promise.all([ingest, starter, writer]);
}

/** Everything acknowledged so far is in the restarted exporter; returns what is missing. */
async function verify(exp: RunningExporter): Promise<string[]> {
  const headers = { Authorization: `Bearer ${exp.token}` };
  const get = async (p: string) => request(exp.url, 'GET', `/api/v1${p}`, { headers, timeoutMs: 20000 });
  const missing: string[] = [];
  const byProvider = JSON.parse((await get('/costs?groupBy=provider&from=0&to=now')).text) as { rows: Array<{ key: string; requests: number }> };
  for (const [cycle, c] of costs) {
    const got = byProvider.rows.find((r) => r.key === `dur-${cycle}`)?.requests ?? 0;
    if (got < c.acked) missing.push(`cycle ${cycle}: ${c.acked} cost records acknowledged, ${got} stored`);
    if (got > c.acked + c.inFlight) missing.push(`cycle ${cycle}: ${got} cost records stored, more than acknowledged (${c.acked}) plus in flight (${c.inFlight})`);
  }
  for (const [id, command] of runs) {
    const res = await get(`/runs/${id}`);
    if (res.status !== 200) missing.push(`run ${id} (${command}): ${res.status}`);
    else if ((JSON.parse(res.text) as { command: string }).command !== command) missing.push(`run ${id}: wrong command`);
  }
  const stored = new Map(
    (JSON.parse((await get('/templates')).text) as { templates: Array<{ id: string; name: string; parameters: { text?: string } }> }).templates.map((t) => [t.id, t]),
  );
  for (const [id, want] of templates) {
    if (uncertain.has(id)) continue;
    const got = stored.get(id);
    if (want.deleted && got) missing.push(`template ${id}: deleted (acknowledged) but back`);
    if (!want.deleted && !got) missing.push(`template ${id}: acknowledged but gone`);
    if (!want.deleted && got && got.parameters.text !== want.text) missing.push(`template ${id}: has ${got.parameters.text}, acknowledged ${want.text}`);
  }
  return missing;
}

function checkLedgerOffline(dataDir: string): string {
  const file = path.join(dataDir, 'runboard.db');
  const db = new Database(file, { readonly: true });
  let sqlite: string;
  try {
    sqlite = String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
  const ledger = Ledger.open(file, { retentionDays: 0, maxRuns: 1e9, maxCostRecords: 1e12 });
  try {
    const own = ledger.integrityCheck();
    return sqlite === 'ok' && own === 'ok' ? 'ok' : `sqlite: ${sqlite}; ledger: ${own}`;
  } finally {
    ledger.close();
  }
}

it(
  `keeps every acknowledged cost record, run and template across ${CYCLES} kill -9 cycles under concurrent load`,
  async () => {
    const dataDir = tmpDir('runboard-durability-');
    const config = { limits: { concurrentRuns: 4, runQueue: 100 } };
    const problems: string[] = [];
    const started = Date.now();
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const exp = await startWith(config, { commands: true, dataDir });
        // What earlier cycles acknowledged is all there after the restart.
        if (cycle > 0) problems.push(...(await verify(exp)).map((p) => `after kill ${cycle}: ${p}`));
        const stopAt = { killed: false };
        const loading = load(exp, cycle, stopAt);
        await sleep((FULL ? 2000 : 1000) + Math.random() * (FULL ? 3000 : 1000));
        stopAt.killed = true;
        exp.child.kill('SIGKILL');
        totals.kills++;
        await loading;
        await exp.stop();
        const integrity = checkLedgerOffline(dataDir);
        if (integrity === 'ok') totals.integrityOk++;
        else problems.push(`after kill ${cycle + 1}: ${integrity}`);
      }
      const last = await startWith(config, { commands: true, dataDir });
      try {
        problems.push(...(await verify(last)).map((p) => `after the last kill: ${p}`));
        expect(last.stderr()).toMatch(/were active when the exporter last stopped/);
      } finally {
        await last.stop();
      }
    } finally {
      totals.lost = problems.length;
      report('durability', { cycles: CYCLES, ...totals, templatesTracked: templates.size, uncertainAtKills: uncertain.size, seconds: Math.round((Date.now() - started) / 1000) });
    }
    expect(problems).toEqual([]);
    expect(totals.costRecordsAcked).toBeGreaterThan(100 * CYCLES);
    expect(totals.runsAcked).toBeGreaterThan(5 * CYCLES);
    expect(totals.templateWritesAcked).toBeGreaterThan(10 * CYCLES);
  },
  FULL ? 900_000 : 180_000,
);
