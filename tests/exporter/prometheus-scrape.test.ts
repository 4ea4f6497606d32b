/**
 * The real Prometheus scrapes the real exporter; every metric family of README "Metrics (Prometheus)" (the exporter
 * part; command metrics come with the command runner) must arrive through Prometheus' HTTP API,
 * and `promtool check metrics` must find nothing to lint.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { auth, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';
import { requireBinary, startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { connectSse } from '../helpers/sse-client';

const FAMILIES = [
  'runboard_system_cpu_usage_ratio',
  'runboard_system_load1',
  'runboard_system_memory_used_bytes',
  'runboard_system_memory_total_bytes',
  'runboard_system_network_receive_bytes_total',
  'runboard_system_network_transmit_bytes_total',
  'runboard_system_disk_read_bytes_total',
  'runboard_system_disk_written_bytes_total',
  'runboard_system_processes',
  'runboard_system_threads',
  'runboard_system_filesystem_size_bytes',
  'runboard_system_filesystem_avail_bytes',
  'runboard_system_info',
  'runboard_actions_total',
  'runboard_action_duration_seconds_bucket',
  'runboard_actions_in_flight',
  'runboard_action_queue_depth',
  'runboard_current_action_info',
  'runboard_events_total',
  'runboard_event_processing_seconds_bucket',
  'runboard_event_queue_depth',
  'runboard_llm_requests_total',
  'runboard_llm_tokens_total',
  'runboard_llm_cost_usd_total',
  'runboard_llm_unpriced_requests_total',
  'runboard_llm_request_duration_seconds_bucket',
  'runboard_stream_clients',
  'runboard_stream_disconnects_total',
  'runboard_ingest_rejected_total',
  'runboard_ingest_records_total',
  'runboard_label_overflow_total',
  'runboard_collect_duration_seconds',
  'runboard_collect_success',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
];

let exp: RunningExporter;
let prom: RunningPrometheus;

beforeAll(async () => {
  requireBinary('promtool');
  const cfg = path.join(tmpDir(), 'runboard.json');
  // A label limit of 20 makes the overflow counter appear with a handful of records.
  fs.writeFileSync(cfg, JSON.stringify({ limits: { labelValues: 20 } }));
  exp = await startExporter(['--demo', '--interval', '0.5', '--config', cfg]);
  const { host } = new URL(exp.url);
  prom = await startPrometheus(`global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: runboard\n    static_configs:\n      - targets: ['${host}']\n`);
});

afterAll(async () => {
  await prom?.stop();
  await exp?.stop();
});

it('Prometheus scrapes every metric family from the exporter', async () => {
  const records = Array.from({ length: 30 }, (_, i) => ({ kind: 'action', name: `overflow-${i}`, duration_seconds: 0.1, success: true }));
  const headers = { ...auth(exp.token), 'Content-Type': 'application/json' };
  expect((await fetch(`${exp.url}/api/v1/ingest`, { method: 'POST', headers, body: JSON.stringify(records) })).status).toBe(202);
  expect((await fetch(`${exp.url}/api/v1/ingest`, { method: 'POST', headers, body: '{"kind":"bad"}' })).status).toBe(400);
  const stream = await connectSse(`${exp.url}/api/v1/stream?series=none`, auth(exp.token));
  stream.close();

  let missing: string[] = FAMILIES;
  const deadline = Date.now() + 20000;
  while (missing.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const up = await prom.query('up{job="runboard"}');
    if (up[0]?.value[1] !== '1') continue;
    const present = await Promise.all(missing.map(async (f) => ((await prom.query(`count(${f})`)).length > 0 ? null : f)));
    missing = present.filter((f): f is string => f !== null);
  }
  expect(missing).toEqual([]);

  const overflow = await prom.query('runboard_label_overflow_total{metric="runboard_actions_total",label="action"}');
  expect(Number(overflow[0].value[1])).toBeGreaterThan(0);
  const other = await prom.query('runboard_actions_total{action="other"}');
  expect(other.length).toBeGreaterThan(0);
  const cpu = await prom.query('runboard_system_cpu_usage_ratio');
  expect(Number(cpu[0].value[1])).toBeGreaterThanOrEqual(0);
  expect(Number(cpu[0].value[1])).toBeLessThanOrEqual(1);
}, 60000);

it('promtool finds nothing to lint in the runboard_ metrics', async () => {
  const text = await (await fetch(`${exp.url}/metrics`)).text();
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const problems = (res.stdout + res.stderr).split('\n').filter((l) => l.trim() !== '');
  // prom-client's own default metrics carry one known lint (nodejs_active_handles_total is a
  // gauge named like a counter); that name is prom-client's, not ours to change.
  expect(
    problems.filter((l) => !l.startsWith('nodejs_active_handles_total') && !l.startsWith('nodejs_active_requests_total') && !l.startsWith('nodejs_active_resources_total')),
  ).toEqual([]);
  expect(text).toContain('runboard_');
});
