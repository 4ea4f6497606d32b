import type { RunInfo } from '@runboard/protocol';

/** How a run's state reads in words; `tone` picks the theme colour, `icon` repeats it without colour. */
export interface RunStatusText {
  label: string;
  tone: 'info' | 'success' | 'error' | 'warning' | 'neutral';
  icon: 'clock-nine' | 'sync' | 'check-circle' | 'times-circle' | 'hourglass' | 'minus-circle';
}

export function runStatusText(run: Pick<RunInfo, 'status' | 'outcome' | 'queuePosition'>): RunStatusText {
  if (run.status === 'queued') {
    return { label: run.queuePosition ? `Queued (#${run.queuePosition})` : 'Queued', tone: 'neutral', icon: 'clock-nine' };
  }
  if (run.status === 'running') {
    return { label: 'Running', tone: 'info', icon: 'sync' };
  }
  switch (run.outcome) {
    case 'success':
      return { label: 'Succeeded', tone: 'success', icon: 'check-circle' };
    case 'failure':
      return { label: 'Failed', tone: 'error', icon: 'times-circle' };
    case 'timeout':
      return { label: 'Timed out', tone: 'warning', icon: 'hourglass' };
    case 'cancelled':
      return { label: 'Cancelled', tone: 'neutral', icon: 'minus-circle' };
    default:
      return { label: 'Finished', tone: 'neutral', icon: 'check-circle' };
  }
}

/** "exit code 3", "signal SIGKILL", or undefined before the run ended. */
export function exitText(run: Pick<RunInfo, 'exitCode' | 'signal'>): string | undefined {
  if (run.exitCode !== null) {
    return `exit code ${run.exitCode}`;
  }
  return run.signal ? `signal ${run.signal}` : undefined;
}
