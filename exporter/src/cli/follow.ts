/**
 * Following a run's output (`GET /api/v1/runs/:id/output`, SSE): stdout lines to stdout, stderr
 * lines to stderr, the exporter's own `system` lines to stderr with a prefix, progress as a bar
 * redrawn in place when stderr is a terminal (plain `progress N% message` lines otherwise), and a
 * one-line summary at the end. Well-formed `::progress` and `::llm` lines are shown as the bar and
 * in the summary rather than printed (as the exporter reads them: the same parser). A stream that drops before `end` is resumed with Last-Event-ID
 * (the last line's seq), and lines already printed are never printed again.
 */
import { API_PREFIX, type OutputLine, type RunInfo, type RunProgressEvent } from '@runboard/protocol';
import { backoffDelay } from '@runboard/protocol/backoff';
import { readSse } from '@runboard/protocol/sse';
import { parseProtocolLine } from '../commands/protocol-lines';
import { apiError, unreachable } from './api';
import { EXIT_API_ERROR, EXIT_UNREACHABLE, type Connection } from './connection';
import { CliError } from './errors';
import { formatNumber } from './table';

export const EXIT_TIMEOUT = 124;
export const EXIT_CANCELLED = 130;

export const SYSTEM_PREFIX = '[runboard] ';

/** The CLI's exit code for a finished run: its own exit code when it has one. */
export function exitCodeOf(run: RunInfo): number {
  if (run.outcome === 'timeout') return EXIT_TIMEOUT;
  if (run.outcome === 'cancelled') return EXIT_CANCELLED;
  if (run.outcome === 'success') return run.exitCode ?? 0;
  // A failure always exits non-zero, even if the process itself said 0.
  return run.exitCode !== null && run.exitCode !== 0 ? run.exitCode : 1;
}

/** `[#####-----] 50% message`, cut to the terminal's width. */
export function renderProgressBar(percent: number, message: string, columns = 80, width = 20): string {
  const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((p / 100) * width);
  const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatNumber(Math.round(p * 10) / 10)}%${message ? ` ${message}` : ''}`;
  const max = Math.max(10, columns - 1);
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** One line for the end of a run: outcome, exit code, duration, tokens, cost. */
export function summaryLine(run: RunInfo): string {
  const parts = [`run ${run.id} (${run.command}): ${run.outcome ?? run.status}`];
  if (run.exitCode !== null) parts.push(`exit code ${run.exitCode}`);
  else if (run.signal) parts.push(`signal ${run.signal}`);
  if (run.durationSeconds !== null) parts.push(`${formatDuration(run.durationSeconds)}`);
  parts.push(`tokens ${run.inputTokens} in / ${run.outputTokens} out`);
  parts.push(`cost ${formatUsd(run.costUsd)}`);
  return parts.join(', ') + (run.error ? ` (${run.error})` : '');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${formatNumber(Math.round(seconds * 100) / 100)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatUsd(v: number): string {
  if (v === 0) return '$0';
  return Math.abs(v) >= 1 ? `$${v.toFixed(2)}` : `$${formatNumber(v)}`;
}

export interface FollowOptions {
  /** Print each SSE event as one JSON line on stdout instead of the human view. */
  json?: boolean;
  /** Called on the first Ctrl-C (e.g. to cancel the run); without it, Ctrl-C ends at once. */
  onInterrupt?: () => Promise<void>;
  /** Print the summary line at the end (default true). */
  summary?: boolean;
}

interface Out {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** Longest wait between reconnect attempts while the exporter is away. */
const MAX_RETRY_MS = 5000;

/**
 * Follows the run until its `end` event and returns the finished run. Reconnects when the
 * stream drops, backing off from the exporter's `retry:` hint; gives up (exit 3) when the
 * exporter stays unreachable for the connection timeout.
 */
export async function followRun(conn: Connection, runId: string, opts: FollowOptions = {}): Promise<RunInfo> {
  const stdout: Out = process.stdout;
  const stderr: Out = process.stderr;
  const tty = !opts.json && stderr.isTTY === true;
  let bar: string | null = null;
  let lastSeq = -1;
  let retryHintMs = 1000;
  let final: RunInfo | undefined;
  let current: RunInfo | undefined;
  let shownQueued = false;
  let interrupts = 0;
  /** A live `progress` event was just shown; the `::progress` line that follows it is not shown again. */
  let interpreted = false;
  let active: AbortController | undefined;

  const clearBar = () => {
    if (bar !== null) stderr.write('\r\x1b[2K');
  };
  const drawBar = () => {
    if (bar !== null) stderr.write(bar);
  };
  /** Writes a whole line without tearing the progress bar. */
  const writeLine = (out: Out, text: string) => {
    if (tty && bar !== null) {
      clearBar();
      out.write(text + '\n');
      drawBar();
    } else {
      out.write(text + '\n');
    }
  };

  const showProgress = (percent: number, message: string) => {
    if (tty) {
      clearBar();
      bar = renderProgressBar(percent, message, stderr.columns || 80);
      drawBar();
    } else {
      stderr.write(`progress ${formatNumber(percent)}%${message ? ` ${message}` : ''}\n`);
    }
  };

  const onSigint = () => {
    interrupts++;
    if (interrupts === 1 && opts.onInterrupt) {
      writeLine(stderr, `${SYSTEM_PREFIX}cancelling run ${runId} (Ctrl-C again to stop waiting)`);
      opts.onInterrupt().catch((err: unknown) => writeLine(stderr, `${SYSTEM_PREFIX}could not cancel: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    clearBar();
    active?.abort();
    process.exit(EXIT_CANCELLED);
  };
  process.on('SIGINT', onSigint);

  const handle = (msg: { event: string; data: string }) => {
    let data: unknown;
    try {
      data = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (opts.json && msg.event !== 'line') stdout.write(JSON.stringify({ event: msg.event, data }) + '\n');
    switch (msg.event) {
      case 'line': {
        const line = data as OutputLine;
        if (typeof line.seq === 'number') {
          if (line.seq <= lastSeq) return;
          lastSeq = line.seq;
        }
        if (opts.json) return void stdout.write(JSON.stringify({ event: 'line', data: line }) + '\n');
        // Protocol lines show as the bar (or `progress` lines) and in the summary, not as text. A
        // live `progress` event comes just before its line; replayed lines come without one.
        const proto = line.stream === 'stdout' ? parseProtocolLine(line.text) : null;
        const drawn = interpreted;
        interpreted = false;
        if (proto) {
          if (proto.kind === 'progress' && !drawn) showProgress(proto.percent, proto.message);
          return;
        }
        if (line.stream === 'stdout') writeLine(stdout, line.text);
        else if (line.stream === 'stderr') writeLine(stderr, line.text);
        else writeLine(stderr, SYSTEM_PREFIX + line.text);
        return;
      }
      case 'progress': {
        if (opts.json) return;
        interpreted = true;
        const p = data as RunProgressEvent;
        showProgress(p.percent, p.message);
        return;
      }
      case 'status': {
        current = data as RunInfo;
        if (!opts.json && current.status === 'queued' && !shownQueued) {
          shownQueued = true;
          writeLine(stderr, `${SYSTEM_PREFIX}queued${current.queuePosition ? ` at position ${current.queuePosition}` : ''}, waiting for a free slot`);
        }
        return;
      }
      case 'end':
        final = data as RunInfo;
        return;
      default:
        return;
    }
  };

  try {
    let downSince: number | undefined;
    let attempt = 0;
    while (final === undefined) {
      let connected = false;
      try {
        connected = await streamOnce();
      } catch (err) {
        if (err instanceof CliError && err.exitCode !== EXIT_UNREACHABLE) throw err;
      }
      if (final !== undefined) break;
      // The stream ended (or never opened) before `end`: resume from the last line after the
      // exporter's retry hint, until it has been unreachable for longer than the timeout.
      const now = Date.now();
      if (connected) {
        downSince = now;
        attempt = 0;
      }
      downSince ??= now;
      if (now - downSince > conn.timeoutMs) {
        throw new CliError(`lost the output stream of run ${runId} and could not reconnect to ${conn.url} within ${conn.timeoutMs / 1000} s`, EXIT_UNREACHABLE);
      }
      const delay = backoffDelay(attempt++, { initialMs: Math.min(retryHintMs, MAX_RETRY_MS), maxMs: MAX_RETRY_MS });
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    process.off('SIGINT', onSigint);
    if (tty && bar !== null) {
      clearBar();
      bar = null;
    }
  }
  if (!opts.json && opts.summary !== false) stderr.write(summaryLine(final) + '\n');
  return final;

  /** One connection; true when it got a 200 and read until the server closed it. */
  async function streamOnce(): Promise<boolean> {
    const ctrl = new AbortController();
    active = ctrl;
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (conn.token !== undefined) headers.Authorization = `Bearer ${conn.token}`;
    if (lastSeq >= 0) headers['Last-Event-ID'] = String(lastSeq);
    // The timeout bounds the wait for the answer's headers, not the (long) stream.
    const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), conn.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${conn.url}${API_PREFIX}/runs/${encodeURIComponent(runId)}/output`, { headers, signal: ctrl.signal });
    } catch (err) {
      throw unreachable(conn, err);
    } finally {
      clearTimeout(timer);
    }
    if (res.status !== 200 || !res.body) {
      const text = await res.text().catch(() => '');
      if (res.status >= 500) throw new CliError(`exporter answered ${res.status}`, EXIT_UNREACHABLE);
      throw apiError(conn, { status: res.status, contentType: res.headers.get('content-type') ?? '', text });
    }
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      throw new CliError(`exporter answered ${res.status} without an event stream (is ${conn.url} a Runboard exporter?)`, EXIT_API_ERROR);
    }
    try {
      for await (const msg of readSse(res.body)) {
        if (msg.type === 'retry') {
          if (msg.ms > 0) retryHintMs = msg.ms;
        } else if (msg.type === 'event') {
          handle(msg);
          // Leaving the loop cancels the body, which closes the connection.
          if (final !== undefined) break;
        }
      }
    } catch {
      // Dropped mid-stream: the caller reconnects from lastSeq.
    }
    return true;
  }
}
