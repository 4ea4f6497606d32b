import type { ParameterValue, RunInfo } from './index';

/**
 * A run as it is when requested: queued, nothing measured yet. The exporter records this when it
 * accepts a run; tests start their runs from it too, so a new RunInfo field is added once.
 */
export function queuedRun(fields: { id: string; command: string; parameters: Record<string, ParameterValue>; startedBy: string | null; requestedAt: number }): RunInfo {
  return {
    ...fields,
    status: 'queued',
    outcome: null,
    queuePosition: null,
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
    exitCode: null,
    signal: null,
    progress: null,
    progressMessage: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    outputBytes: 0,
    truncated: false,
    error: null,
  };
}
