/**
 * Every PromQL expression of the dashboards and rules, run against a real Prometheus that scrapes
 * the real exporter (running --demo) with the stack's own prometheus.yml and rules: each must
 * parse and return data, and read only metrics the exporter exposes. The Runboard queries of the
 * dashboards are checked against the same exporter's API.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { auth, readJson, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';
import { requireBinary, startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { connectSse } from '../helpers/sse-client';
import {
  PROV,
  dashboardQueries,
  dashboards,
  grafanaRules,
  metricNames,
  prometheusAlerts,
  readYaml,
  recordedNames,
  recordingRules,
  substitute,
  type Json,
} from './provisioning-files';

/** How long the exporter and Prometheus get to produce data for every expression. */
const DATA_DEADLINE_MS = 40000;

let exp: RunningExporter;
let prom: RunningPrometheus;
let startedAt: number;

/** An expression to run, and whether it must return data (some only need to parse). */
interface Check {
  where: string;
  expr: string;
  needsData: boolean;
}

function checks(): Check[] {
  const out: Check[] = [];
  for (const d of dashboards()) {
    for (const q of dashboardQueries(d.json)) {
      if (q.datasource.uid !== 'prometheus') continue;
      if (q.query.expr) out.push({ where: `${d.json.uid} ${q.where}`, expr: substitute(q.query.expr), needsData: true });
      if (q.query.variable) {
        // label_values(metric{…}, label) has data when some series of the metric carries the label.
        const m = /^label_values\((.+),\s*(\w+)\)$/s.exec(q.query.variable);
        if (!m) throw new Error(`${d.json.uid} ${q.where}: not a label_values() query: ${q.query.variable}`);
        out.push({ where: `${d.json.uid} ${q.where}`, expr: substitute(`count by (${m[2]}) (${m[1]})`), needsData: true });
      }
    }
  }
  for (const r of recordingRules()) {
    out.push({ where: `recording rule ${r.record} (expression)`, expr: r.expr, needsData: true });
    out.push({ where: `recording rule ${r.record} (recorded series)`, expr: r.record, needsData: true });
  }
  for (const r of grafanaRules()) {
    const query = r.data[0].model.expr as string;
    out.push({ where: `Grafana rule ${r.title}`, expr: query, needsData: false });
    // The value the threshold applies to has data; a guard (`and <series> > n`) filters on a series that has data.
    const [value, guard] = query.split('\nand ');
    out.push({ where: `Grafana rule ${r.title} (value)`, expr: value, needsData: true });
    if (guard) out.push({ where: `Grafana rule ${r.title} (guard series)`, expr: guard.replace(/\s*[<>]=?\s*[\d.]+$/, ''), needsData: true });
  }
  for (const a of prometheusAlerts()) out.push({ where: `Prometheus alert ${a.alert}`, expr: a.expr, needsData: false });
  return out;
}

beforeAll(async () => {
  requireBinary('prometheus');
  startedAt = Date.now();
  // A label limit of 20 makes the overflow counter appear with a handful of records.
  const cfg = path.join(tmpDir(), 'runboard.json');
  fs.writeFileSync(cfg, JSON.stringify({ limits: { labelValues: 20 } }));
  exp = await startExporter(['--demo', '--interval', '1', '--config', cfg]);

  // The stack's prometheus.yml (job name, rule files) with this exporter as target and 1 s intervals.
  const config = readYaml('provisioning/prometheus/prometheus.yml') as Json;
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  config.rule_files = (config.rule_files as string[]).map((f) => path.join(PROV, 'prometheus', f));
  for (const job of config.scrape_configs as Json[]) {
    job.scrape_interval = '1s';
    job.scrape_timeout = '1s';
    job.static_configs = [{ targets: [new URL(exp.url).host] }];
  }
  prom = await startPrometheus(YAML.stringify(config));

  // What the demo does not do by itself: command runs (one failing), rejected and overflowing
  // ingest, a failed event and LLM call, an unpriced model, a stream that disconnects.
  const headers = { ...auth(exp.token), 'Content-Type': 'application/json' };
  const post = (p: string, body: unknown) => fetch(`${exp.url}/api/v1${p}`, { method: 'POST', headers, body: JSON.stringify(body) });
  for (const parameters of [
    { steps: 2, delay_ms: 50 },
    { steps: 2, delay_ms: 50, fail: true },
  ]) {
    expect((await post('/commands/sample-task/runs', { parameters })).status).toBe(202);
  }
  expect((await post('/commands/system-report/runs', { parameters: {} })).status).toBe(202);
  const records = [
    ...Array.from({ length: 30 }, (_, i) => ({ kind: 'action', name: `overflow-${i}`, duration_seconds: 0.1, success: i % 10 !== 0 })),
    { kind: 'event', type: 'webhook', outcome: 'failed', processing_seconds: 0.2 },
    { kind: 'llm', provider: 'openai', model: 'gpt-4o', input_tokens: 100, output_tokens: 0, duration_seconds: 3, success: false },
    { kind: 'llm', provider: 'local', model: 'llama-3.1-8b', input_tokens: 100, output_tokens: 20, duration_seconds: 0.3 },
  ];
  expect((await post('/ingest', records)).status).toBe(202);
  expect((await post('/ingest', { kind: 'bad' })).status).toBe(400);
  const stream = await connectSse(`${exp.url}/api/v1/stream?series=system_cpu_usage_ratio`, auth(exp.token));
  await stream.waitFor(1, 5000);
  stream.close();
}, 60000);

afterAll(async () => {
  await prom?.stop();
  await exp?.stop();
});

it(
  'every PromQL expression of the dashboards and rules parses and returns data',
  async () => {
    const all = checks();
    expect(all.length).toBeGreaterThan(80);
    let pending = all;
    const failures = new Map<string, string>();
    while (pending.length > 0) {
      const results = await Promise.all(
        pending.map(async (c) => {
          try {
            const result = await prom.query(c.expr);
            if (c.needsData && result.length === 0) return `no data: ${c.expr}`;
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        }),
      );
      failures.clear();
      pending = pending.filter((c, i) => {
        if (results[i]) failures.set(c.where, results[i]!);
        return results[i] !== undefined;
      });
      if (pending.length === 0 || Date.now() - startedAt > DATA_DEADLINE_MS) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(Object.fromEntries(failures)).toEqual({});
  },
  DATA_DEADLINE_MS + 20000,
);

it("every metric a dashboard or rule reads is in the exporter's /metrics", async () => {
  const body = await (await fetch(`${exp.url}/metrics`)).text();
  const exposed = new Set<string>();
  for (const line of body.split('\n')) {
    const m = /^# (?:TYPE|HELP) (\S+)/.exec(line) ?? /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) exposed.add(m[1]);
  }
  exposed.add('up'); // Prometheus' own per-target series
  const recorded = new Set(recordingRules().map((r) => r.record as string));
  const missing: string[] = [];
  let count = 0;
  for (const c of checks()) {
    for (const name of metricNames(c.expr)) {
      count++;
      if (!exposed.has(name)) missing.push(`${c.where}: ${name}`);
    }
    for (const name of recordedNames(c.expr)) if (!recorded.has(name)) missing.push(`${c.where}: ${name} (no such recording rule)`);
  }
  expect(count).toBeGreaterThan(80);
  expect(missing).toEqual([]);
});

it("every live series a dashboard streams is in the exporter's series list", async () => {
  const wanted = new Map<string, string>();
  for (const d of dashboards()) {
    for (const q of dashboardQueries(d.json)) {
      if (q.datasource.uid !== 'runboard' || !Array.isArray(q.query.series)) continue;
      for (const s of q.query.series as string[]) wanted.set(s, `${d.json.uid} ${q.where}`);
    }
  }
  expect(wanted.size).toBeGreaterThan(20);
  const body = await readJson<{ series: Array<{ id: string }> }>(fetch(`${exp.url}/api/v1/series`, { headers: auth(exp.token) }));
  const ids = new Set(body.series.map((s) => s.id));
  expect([...wanted].filter(([id]) => !ids.has(id)).map(([id, where]) => `${where}: ${id}`)).toEqual([]);
});

it('the runs and costs queries of the dashboards are answered by the exporter', async () => {
  const urls = new Set<string>();
  for (const d of dashboards()) {
    for (const q of dashboardQueries(d.json)) {
      if (q.datasource.uid !== 'runboard') continue;
      const t = q.query;
      if (t.queryType === 'runs') {
        const params = new URLSearchParams();
        for (const k of ['command', 'outcome', 'limit']) if (t[k] !== undefined) params.set(k, String(t[k]));
        urls.add(`/api/v1/runs?${params}`);
      }
      if (t.queryType === 'costs') urls.add(`/api/v1/costs?groupBy=${t.groupBy}&from=now-7d`);
    }
  }
  expect(urls.size).toBeGreaterThanOrEqual(6);
  for (const u of urls) {
    const res = await fetch(exp.url + u, { headers: auth(exp.token) });
    expect([u, res.status]).toEqual([u, 200]);
  }
});
