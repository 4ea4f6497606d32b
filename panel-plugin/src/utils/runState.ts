/**
 * A run as the console shows it, folded from the run's output events (status, line, progress,
 * llm, end). Pure, so the same fold serves a live run and a finished run's replay.
 */
import type { OutputLine, RunInfo, RunOutputEvent } from '@runboard/protocol';

/** Lines kept in the browser; older ones are dropped (the exporter keeps its own capped copy). */
export const MAX_VISIBLE_LINES = 5000;

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface RunViewState {
  run: RunInfo | null;
  lines: OutputLine[];
  /** Lines dropped from the front to keep MAX_VISIBLE_LINES. */
  droppedLines: number;
  progress: { percent: number; message: string } | null;
  /** Tokens and cost so far: the last status's totals plus the `llm` events since. */
  usage: RunUsage;
  ended: boolean;
}

export const emptyRunView: RunViewState = {
  run: null,
  lines: [],
  droppedLines: 0,
  progress: null,
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  ended: false,
};

export function foldRunEvents(state: RunViewState, events: RunOutputEvent[], maxLines = MAX_VISIBLE_LINES): RunViewState {
  if (events.length === 0) {
    return state;
  }
  let { run, progress, usage, ended, droppedLines } = state;
  let lines = state.lines;
  let copied = false;
  let lastSeq = lines.length > 0 ? lines[lines.length - 1].seq : -1;
  for (const e of events) {
    switch (e.event) {
      case 'status':
      case 'end':
        run = e.data;
        usage = { inputTokens: e.data.inputTokens, outputTokens: e.data.outputTokens, costUsd: e.data.costUsd };
        if (e.data.progress !== null) {
          progress = { percent: e.data.progress, message: e.data.progressMessage ?? '' };
        }
        if (e.event === 'end') {
          ended = true;
        }
        break;
      case 'line':
        // A reconnect may replay lines already shown.
        if (e.data.seq <= lastSeq) {
          break;
        }
        if (!copied) {
          lines = [...lines];
          copied = true;
        }
        lines.push(e.data);
        lastSeq = e.data.seq;
        break;
      case 'progress':
        progress = { percent: e.data.percent, message: e.data.message };
        break;
      case 'llm':
        usage = {
          inputTokens: usage.inputTokens + e.data.input_tokens,
          outputTokens: usage.outputTokens + e.data.output_tokens,
          costUsd: usage.costUsd + (e.data.cost_usd ?? 0),
        };
        break;
    }
  }
  if (lines.length > maxLines) {
    droppedLines += lines.length - maxLines;
    lines = lines.slice(lines.length - maxLines);
  }
  return { run, lines, droppedLines, progress, usage, ended };
}

export function isActive(run: RunInfo | null): boolean {
  return run !== null && run.status !== 'finished';
}

/** Milliseconds the run has been going (or went), or null before it started. */
export function runElapsedMs(run: RunInfo | null, now: number): number | null {
  if (!run || run.startedAt === null) {
    return null;
  }
  if (run.durationSeconds !== null) {
    return run.durationSeconds * 1000;
  }
  return Math.max(0, (run.finishedAt ?? now) - run.startedAt);
}

/** How close to the bottom counts as "at the bottom" (px): a line's height. */
export const FOLLOW_SLACK_PX = 24;

/** Auto-scroll follows new output only while the reader is at the bottom. */
export function isAtBottom(el: { scrollTop: number; scrollHeight: number; clientHeight: number }, slack = FOLLOW_SLACK_PX): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}
