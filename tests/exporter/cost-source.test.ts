/**
 * Every cost record keeps where it came from (README "Prometheus metrics" and "Commands, runs,
 * templates and costs"): one call through each path that exists in the exporter itself — the
 * ingest API, the in-process SDK and a command's `::llm` line — shows on /metrics with its
 * `source` label, and the costs API and its records export select by source (one or several).
 * A record may carry the caller's `tag`, kept with it and grouped by (`groupBy=tag`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CostRecordsResponse, CostsResponse, RunInfo } from '@runboard/protocol';
import { Exporter } from '../../exporter/src/exporter';
import type { Logger } from '../../exporter/src/log';
import { until } from '../helpers/cli';

const TOKEN = 'cost-source-token-0123456789abcdef';
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let exp: Exporter;
let dataDir: string;
const api = (route: string, init: RequestInit = {}) =>
  fetch(`${exp.url}/api/v1${route}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...init.headers } });
const json = async <T>(route: string): Promise<T> => {
  const res = await api(route);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-cost-source-'));
  exp = await Exporter.start({ port: 0, dataDir, auth: { token: TOKEN } }, { log: quiet, system: false });

  // ingest API
  const ingest = await api('/ingest', {
    method: 'POST',
    body: JSON.stringify({ kind: 'llm', provider: 'src', model: 'via-ingest', input_tokens: 11, output_tokens: 1, cost_usd: 0.01, tag: 'team-a' }),
  });
  expect(ingest.status).toBe(202);
  // in-process SDK
  exp.recordLlmCall({ provider: 'src', model: 'via-sdk', input_tokens: 22, output_tokens: 2, cost_usd: 0.02, duration_seconds: 0.5 });
  await exp.flush();
  // a command's ::llm lines (the sample task prints one per step, with the model it is given)
  const started = await api('/commands/sample-task/runs', { method: 'POST', body: JSON.stringify({ parameters: { steps: 1, delay_ms: 0, model: 'gpt-4o' } }) });
  expect(started.status).toBe(202);
  const { id } = (await started.json()) as RunInfo;
  await until(async () => ((await json<RunInfo>(`/runs/${id}`)).status === 'finished' ? true : undefined), `run ${id} finished`, 20_000);
});

afterAll(async () => {
  await exp?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('/metrics labels each call with its source', async () => {
  const text = await (await fetch(`${exp.url}/metrics`)).text();
  expect(text).toContain('runboard_llm_requests_total{provider="src",model="via-ingest",outcome="success",source="ingest"} 1');
  expect(text).toContain('runboard_llm_requests_total{provider="src",model="via-sdk",outcome="success",source="sdk"} 1');
  expect(text).toMatch(/^runboard_llm_requests_total\{provider="[^"]+",model="gpt-4o",outcome="success",source="command"\} 1$/m);
  expect(text).toContain('runboard_llm_tokens_total{provider="src",model="via-sdk",type="input",source="sdk"} 22');
  expect(text).toContain('runboard_llm_cost_usd_total{provider="src",model="via-ingest",source="ingest"} 0.01');
  expect(text).toContain('runboard_llm_request_duration_seconds_count{provider="src",model="via-sdk",source="sdk"} 1');
  // Each call is counted under its own source only.
  expect(text).not.toMatch(/model="via-ingest"[^\n]*source="(?!ingest)/);
  expect(text).not.toMatch(/model="via-sdk"[^\n]*source="(?!sdk)/);
});

it('the costs breakdown selects one source', async () => {
  const models = async (source: string) => (await json<CostsResponse>(`/costs?groupBy=model&from=now-1h&source=${source}`)).rows.map((r) => r.key);
  expect(await models('ingest')).toEqual(['via-ingest']);
  expect(await models('sdk')).toEqual(['via-sdk']);
  expect(await models('command')).toEqual(['gpt-4o']);
  expect(await models('proxy')).toEqual([]);
  const all = await json<CostsResponse>('/costs?groupBy=model&from=now-1h');
  expect(all.rows.map((r) => r.key).sort()).toEqual(['gpt-4o', 'via-ingest', 'via-sdk']);
  const sdkCsv = await (await api('/costs?groupBy=model&from=now-1h&source=sdk&format=csv')).text();
  expect(sdkCsv.trim().split('\n')).toEqual(['model,requests,input_tokens,output_tokens,cost_usd,unpriced', 'via-sdk,1,22,2,0.02,0']);
  // Several sources: comma-separated (as a dashboard's multi-value variable sends them) or repeated.
  for (const q of ['source=ingest,sdk', 'source=sdk&source=ingest', 'source=ingest,sdk,ingest']) expect((await models(q.slice(7))).sort()).toEqual(['via-ingest', 'via-sdk']);
});

it('the costs breakdown groups by tag: the tagged record alone, the rest under (none)', async () => {
  const byTag = await json<CostsResponse>('/costs?groupBy=tag&from=now-1h');
  const none = byTag.rows.find((r) => r.key === '(none)');
  expect(byTag.rows.find((r) => r.key === 'team-a')).toEqual({ key: 'team-a', requests: 1, inputTokens: 11, outputTokens: 1, costUsd: 0.01, unpriced: 0 });
  expect(none?.requests).toBe(2);
  expect(byTag.rows).toHaveLength(2);
  expect(byTag.total.requests).toBe(3);
  expect(byTag.total.costUsd).toBeCloseTo(0.01 + (none?.costUsd ?? NaN), 9);
});

it('the records export returns each record with its source, and filters by it', async () => {
  const all = await json<CostRecordsResponse>('/costs/records?from=now-1h');
  expect(all.truncated).toBe(false);
  expect(Object.fromEntries(all.records.map((r) => [r.model, r.source]))).toEqual({ 'via-ingest': 'ingest', 'via-sdk': 'sdk', 'gpt-4o': 'command' });
  const commandOnly = await json<CostRecordsResponse>('/costs/records?from=now-1h&source=command');
  expect(commandOnly.records).toHaveLength(1);
  expect(commandOnly.records[0]).toMatchObject({ model: 'gpt-4o', source: 'command', command: 'sample-task' });
  const csv = (await (await api('/costs/records?from=now-1h&source=sdk&format=csv')).text()).trim().split('\n');
  expect(csv[0]).toBe('t,provider,model,input_tokens,output_tokens,cost_usd,priced,duration_seconds,success,run_id,command,source,tag');
  expect(csv.slice(1).map((l) => l.split(',').slice(1))).toEqual([['src', 'via-sdk', '22', '2', '0.02', 'client', '0.5', 'true', '', '', 'sdk', '']]);
  const ingestCsv = (await (await api('/costs/records?from=now-1h&source=ingest&format=csv')).text()).trim().split('\n');
  expect(ingestCsv[1].split(',').slice(-2)).toEqual(['ingest', 'team-a']);
  const tagged = await json<CostRecordsResponse>('/costs/records?from=now-1h&source=ingest');
  expect(tagged.records.map((r) => [r.tag, r.command])).toEqual([['team-a', null]]);
  const limited = await json<CostRecordsResponse>('/costs/records?from=now-1h&limit=2');
  expect(limited).toMatchObject({ truncated: true, records: [{}, {}] });
});

it('a bad source is a 400 naming the parameter and the value', async () => {
  for (const [route, bad] of [
    ['/costs?source=email', 'email'],
    ['/costs/records?source=SDK', 'SDK'],
    ['/costs?source=sdk,$source', '$source'],
  ]) {
    const res = await api(route);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_request', message: `source: "${bad}" is not a source: give one or more of ingest, sdk, command, otlp, proxy, comma-separated`, field: 'source' },
    });
  }
});

it('a bad tag on an ingested record is a 400 naming the field; nothing is stored', async () => {
  for (const tag of ['', 'a b', '-lead', 'x'.repeat(65)]) {
    const res = await api('/ingest', { method: 'POST', body: JSON.stringify({ kind: 'llm', provider: 'src', model: 'bad-tag', input_tokens: 1, output_tokens: 1, tag }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.field).toMatch(/tag$/);
  }
  expect((await json<CostsResponse>('/costs?groupBy=model&from=now-1h')).rows.map((r) => r.key)).not.toContain('bad-tag');
});
