/**
 * What the OTLP specs share: an exporter started with a config, and every figure Runboard shows
 * for one (provider, model): the ledger (cost-records API), /metrics and the live series.
 */
import type { CostRecordsResponse } from '@runboard/protocol';
import type { RunningExporter } from '../helpers/exporter-process';
import { metricValue, metricsText, request } from '../hardening/harness';

export interface Figures {
  ledger: { requests: number; failures: number; input: number; output: number; costUsd: number; durations: number[]; sources: string[]; tags: Array<string | null> };
  metrics: { requests: number; failures: number; input: number; output: number; costUsd: number };
}

export async function figures(exp: RunningExporter, provider: string, model: string): Promise<Figures> {
  const res = await request(exp.url, 'GET', '/api/v1/costs/records?from=now-1d&limit=100000', { headers: { Authorization: `Bearer ${exp.token}` } });
  const recs = (JSON.parse(res.text) as CostRecordsResponse).records.filter((r) => r.provider === provider && r.model === model);
  const text = await metricsText(exp);
  const l = { provider, model };
  return {
    ledger: {
      requests: recs.length,
      failures: recs.filter((r) => !r.success).length,
      input: recs.reduce((s, r) => s + r.input_tokens, 0),
      output: recs.reduce((s, r) => s + r.output_tokens, 0),
      costUsd: round(recs.reduce((s, r) => s + (r.cost_usd ?? 0), 0)),
      durations: recs.map((r) => r.duration_seconds ?? NaN),
      sources: [...new Set(recs.map((r) => r.source))],
      tags: [...new Set(recs.map((r) => r.tag))],
    },
    metrics: {
      requests: metricValue(text, 'runboard_llm_requests_total', l) ?? 0,
      failures: metricValue(text, 'runboard_llm_requests_total', { ...l, outcome: 'failure' }) ?? 0,
      input: metricValue(text, 'runboard_llm_tokens_total', { ...l, type: 'input' }) ?? 0,
      output: metricValue(text, 'runboard_llm_tokens_total', { ...l, type: 'output' }) ?? 0,
      costUsd: round(metricValue(text, 'runboard_llm_cost_usd_total', l) ?? 0),
    },
  };
}

/** The live series `name` for (provider, model), once the tick after the records has run. */
export async function liveValue(exp: RunningExporter, name: string, provider: string, model: string, want: number, timeoutMs = 10_000): Promise<number | undefined> {
  const id = `${name}{model="${model}",provider="${provider}"}`;
  const deadline = Date.now() + timeoutMs;
  let v: number | undefined;
  while (Date.now() < deadline) {
    const res = await request(exp.url, 'GET', `/api/v1/latest?series=${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${exp.token}` } });
    v = (JSON.parse(res.text) as { values: Record<string, number> }).values[id];
    if (v === want) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return v;
}

export const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** One GenAI call as a test client reports it (a failed call's tokens are what it sent). */
export interface Call {
  input: number;
  output: number;
  seconds: number;
  failed?: boolean;
}

/** The price-table cost of tokens (USD per million), as Runboard prices a record without cost_usd. */
export const priced = (p: { input: number; output: number }, input: number, output: number) => round((input * p.input + output * p.output) / 1e6);

export async function otlpCounter(exp: RunningExporter, name: string, labels: Record<string, string>): Promise<number> {
  return metricValue(await metricsText(exp), name, labels) ?? 0;
}

/** The totals Runboard must show, in /metrics and the ledger alike, for these calls at this price. */
export function expectedTotals(calls: Call[], price: { input: number; output: number }) {
  const input = calls.reduce((s, c) => s + c.input, 0);
  const output = calls.reduce((s, c) => s + c.output, 0);
  return { requests: calls.length, failures: calls.filter((c) => c.failed).length, input, output, costUsd: priced(price, input, output) };
}
