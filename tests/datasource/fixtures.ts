/** Exporter answers shaped like the real ones (see `serve --demo`), typed by the wire contract. */
import type { CommandInfo, CostsResponse, HistoryResponse, RunInfo, SeriesInfo, SeriesResponse } from '@runboard/protocol';

export const SERIES: SeriesInfo[] = [
  { id: 'actions_per_minute', name: 'actions_per_minute', labels: {}, unit: 'opm', description: 'Finished actions per minute over the rolling window.' },
  {
    id: 'actions_per_minute{action="deploy"}',
    name: 'actions_per_minute',
    labels: { action: 'deploy' },
    unit: 'opm',
    description: 'Finished actions per minute over the rolling window.',
  },
  {
    id: 'actions_per_minute{action="build"}',
    name: 'actions_per_minute',
    labels: { action: 'build' },
    unit: 'opm',
    description: 'Finished actions per minute over the rolling window.',
  },
  { id: 'action_success_ratio{action="deploy"}', name: 'action_success_ratio', labels: { action: 'deploy' }, unit: 'percentunit', description: 'Share of actions that succeeded.' },
  { id: 'events_queued_per_minute{type="webhook"}', name: 'events_queued_per_minute', labels: { type: 'webhook' }, unit: 'opm', description: 'Events queued per minute.' },
  { id: 'events_queued_per_minute{type="email"}', name: 'events_queued_per_minute', labels: { type: 'email' }, unit: 'opm', description: 'Events queued per minute.' },
  {
    id: 'llm_cost_usd_per_hour{model="gpt-4o",provider="openai"}',
    name: 'llm_cost_usd_per_hour',
    labels: { model: 'gpt-4o', provider: 'openai' },
    unit: 'currencyUSD',
    description: 'LLM cost per hour.',
  },
  {
    id: 'llm_cost_usd_per_hour{model="claude-sonnet-4",provider="anthropic"}',
    name: 'llm_cost_usd_per_hour',
    labels: { model: 'claude-sonnet-4', provider: 'anthropic' },
    unit: 'currencyUSD',
    description: 'LLM cost per hour.',
  },
  { id: 'system_memory_used_bytes', name: 'system_memory_used_bytes', labels: {}, unit: 'bytes', description: 'Memory in use.' },
  { id: 'system_load1', name: 'system_load1', labels: {}, unit: 'none', description: 'Load average over one minute.' },
  {
    id: 'system_network_receive_bytes_per_second{interface="eth0"}',
    name: 'system_network_receive_bytes_per_second',
    labels: { interface: 'eth0' },
    unit: 'Bps',
    description: 'Bytes received per second.',
  },
];

export const SERIES_RESPONSE: SeriesResponse = { series: SERIES, intervalMs: 1000, windowSeconds: 60 };

export const COMMANDS: CommandInfo[] = [
  { id: 'sample-task', title: 'Sample AI task', description: 'Works through a few steps.', parameters: {}, timeoutSeconds: 60, maxConcurrent: 1, confirm: false },
  { id: 'backup', title: 'Back up the database', description: 'Dumps the database.', parameters: {}, timeoutSeconds: 600, maxConcurrent: 1, confirm: true },
];

export function history(ids: string[], t: number[], value: (id: string, i: number) => number | null = (_, i) => i): HistoryResponse {
  return { from: t[0] ?? 0, to: t[t.length - 1] ?? 0, intervalMs: 1000, t, values: Object.fromEntries(ids.map((id) => [id, t.map((_, i) => value(id, i))])) };
}

export function run(over: Partial<RunInfo> = {}): RunInfo {
  return {
    id: 'r1',
    command: 'sample-task',
    parameters: { steps: 3 },
    status: 'finished',
    outcome: 'success',
    queuePosition: null,
    startedBy: 'alice',
    requestedAt: 1_700_000_000_000,
    startedAt: 1_700_000_000_100,
    finishedAt: 1_700_000_012_600,
    durationSeconds: 12.5,
    exitCode: 0,
    signal: null,
    progress: 100,
    progressMessage: 'done',
    inputTokens: 1200,
    outputTokens: 300,
    costUsd: 0.0123,
    outputBytes: 512,
    truncated: false,
    error: null,
    ...over,
  };
}

export const COSTS_BY_MODEL: CostsResponse = {
  groupBy: 'model',
  from: 0,
  to: 1,
  rows: [
    { key: 'claude-sonnet-4', requests: 8, inputTokens: 21139, outputTokens: 6326, costUsd: 0.158307, unpriced: 0 },
    { key: 'llama-3.1-8b', requests: 3, inputTokens: 2038, outputTokens: 814, costUsd: 0, unpriced: 3 },
  ],
  total: { requests: 11, inputTokens: 23177, outputTokens: 7140, costUsd: 0.158307, unpriced: 3 },
};

export const COSTS_BY_DAY: CostsResponse = {
  groupBy: 'day',
  from: 0,
  to: 1,
  rows: [
    { key: '2026-01-02T00:00:00.000Z', requests: 2, inputTokens: 10, outputTokens: 5, costUsd: 0.2, unpriced: 0 },
    { key: '2026-01-01T00:00:00.000Z', requests: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.1, unpriced: 0 },
  ],
  total: { requests: 3, inputTokens: 20, outputTokens: 10, costUsd: 0.3, unpriced: 0 },
};
