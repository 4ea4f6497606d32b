/**
 * Runs one command process: no shell, its own process group, output split into lines, and a
 * timeout or cancel that takes down everything the command started. A run owns its process group;
 * nothing of it is left running once `done` resolves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { RunOutcome } from '@runboard/protocol';
import { MAX_LINE_BYTES, splitUtf8 } from './output-buffer';

export interface RunProcessOptions {
  /** Absolute path (checkCommandSpec resolves it at start). */
  executable: string;
  /** Arguments after argv[0]. */
  argv: string[];
  cwd?: string;
  /** The whole environment of the command: nothing of the exporter's is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL on timeout or cancel. */
  killGraceMs?: number;
  /**
   * How long to wait, after the command itself exited, for its output pipes to close. A background
   * process it left behind may hold them open forever; after this it is killed.
   */
  pipeGraceMs?: number;
}

export interface ProcessHandlers {
  onLine(stream: 'stdout' | 'stderr', text: string, t: number): void;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  outcome: RunOutcome;
  durationSeconds: number;
  /** Set when the process could not be started (ENOENT, EACCES, …). */
  error?: string;
}

export interface ProcessHandle {
  /** Undefined when the process could not be started. */
  pid: number | undefined;
  /** SIGTERM to the process group, SIGKILL after the grace period; a no-op once it ended. */
  cancel(): void;
  done: Promise<ProcessResult>;
}

/**
 * Splits a byte stream into lines. UTF-8 is decoded with a StringDecoder so a character cut by a
 * chunk boundary is not mangled; CRLF counts as one line end; a line without a newline is still
 * delivered at the end; and a line longer than maxLineBytes is delivered in pieces so memory stays
 * bounded when a command prints megabytes without a newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private ended = false;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  write(chunk: Buffer | string): void {
    if (this.ended) return;
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.deliver(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (this.partial.length > this.maxLineBytes / 3 && Buffer.byteLength(this.partial) > this.maxLineBytes) {
      const pieces = splitUtf8(this.partial, this.maxLineBytes);
      this.partial = pieces.pop()!;
      for (const p of pieces) this.emit(p);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.deliver(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  private deliver(line: string): void {
    for (const piece of splitUtf8(line, this.maxLineBytes)) this.emit(piece);
  }
}

export function runProcess(opts: RunProcessOptions, handlers: ProcessHandlers): ProcessHandle {
  const killGraceMs = opts.killGraceMs ?? 5000;
  const pipeGraceMs = opts.pipeGraceMs ?? 2000;
  const started = process.hrtime.bigint();
  const seconds = (end: bigint) => Number(end - started) / 1e9;

  let resolveDone!: (r: ProcessResult) => void;
  const done = new Promise<ProcessResult>((r) => (resolveDone = r));

  let child: ChildProcess;
  try {
    child = spawn(opts.executable, opts.argv, {
      shell: false,
      // Its own process group (setsid), so one kill reaches everything it starts.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env,
      cwd: opts.cwd,
      windowsHide: true,
    });
  } catch (err) {
    // Invalid arguments (e.g. a NUL byte) throw synchronously instead of emitting 'error'.
    resolveDone({ exitCode: null, signal: null, outcome: 'failure', durationSeconds: 0, error: `cannot run ${opts.executable}: ${(err as Error).message}` });
    return { pid: undefined, cancel: () => undefined, done };
  }

  const pid = child.pid;
  let finished = false;
  let exited = false;
  let exitedAt = started;
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  /** Why the exporter ended the run, if it did so before the command exited by itself. */
  let stopOutcome: 'timeout' | 'cancelled' | null = null;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  let escalation: NodeJS.Timeout | null = null;

  const killGroup = (signal: NodeJS.Signals | 0): boolean => {
    if (pid === undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch (err) {
      // ESRCH: nobody left in the group. EPERM: a member changed user; nothing we can do.
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };

  const streams: Readable[] = [child.stdout!, child.stderr!];
  let open = streams.length;
  const splitters = streams.map(
    (s, i) =>
      new LineSplitter((text) => {
        try {
          handlers.onLine(i === 0 ? 'stdout' : 'stderr', text, Date.now());
        } catch (err) {
          // A failing consumer must not stop the output pipes (the process would block on write).
          process.emitWarning(`run output handler failed: ${(err as Error).message}`);
        }
      }),
  );
  streams.forEach((s, i) => {
    s.on('data', (chunk: Buffer) => splitters[i].write(chunk));
    s.on('end', () => splitters[i].end());
    s.on('error', () => undefined);
    s.on('close', () => {
      splitters[i].end();
      open -= 1;
      maybeFinish();
    });
  });

  // After SIGKILL the pipes close as soon as the kernel tears the processes down; this is only the
  // backstop for a writer outside the group (one that called setsid) still holding a pipe.
  const hardStop = () => {
    killGroup('SIGKILL');
    later(500, () => {
      for (const s of streams) s.destroy();
    });
  };

  const stop = (reason: 'timeout' | 'cancelled') => {
    if (finished || stopping) return;
    stopping = true;
    if (!exited) stopOutcome = reason;
    killGroup('SIGTERM');
    escalation = later(killGraceMs, hardStop);
  };

  const timeout = later(opts.timeoutMs, () => stop('timeout'));

  child.on('exit', (code, signal) => {
    exited = true;
    exitedAt = process.hrtime.bigint();
    exitCode = code;
    exitSignal = signal;
    clearTimeout(timeout);
    timers.delete(timeout);
    if (open > 0) {
      later(pipeGraceMs, () => {
        // A pending SIGKILL escalation already covers this; don't cut its grace short.
        if (!finished && !escalation) hardStop();
      });
    }
    maybeFinish();
  });

  child.on('error', (err: NodeJS.ErrnoException) => {
    // Also emitted when a kill fails; only a failure to start ends the run here.
    if (child.pid !== undefined || finished) return;
    finish({ exitCode: null, signal: null, outcome: 'failure', durationSeconds: seconds(process.hrtime.bigint()), error: spawnError(opts, err) });
    for (const s of streams) s.destroy();
  });

  function maybeFinish(): void {
    if (finished || !exited || open > 0) return;
    const outcome: RunOutcome = stopOutcome ?? (exitCode === 0 ? 'success' : 'failure');
    finish({ exitCode, signal: exitSignal, outcome, durationSeconds: seconds(exitedAt) });
  }

  function finish(result: ProcessResult): void {
    finished = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    // Whatever the command left in its group (background jobs that closed their output) goes
    // with it: once the run is recorded as over, nothing of it may keep running unwatched.
    if (pid !== undefined && killGroup(0)) killGroup('SIGKILL');
    resolveDone(result);
  }

  return { pid, cancel: () => stop('cancelled'), done };
}

function spawnError(opts: RunProcessOptions, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT' && opts.cwd !== undefined && !fs.existsSync(opts.cwd)) {
    return `cannot run ${opts.executable}: working directory ${opts.cwd} does not exist`;
  }
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
  return `cannot run ${opts.executable}: ${why}${err.code && why !== err.code ? ` (${err.code})` : ''}`;
}
