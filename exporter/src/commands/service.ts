/**
 * Command runs end to end: validate parameters, record the run in the ledger before answering,
 * queue it under the per-command and global limits, run it without a shell, stream its output
 * to subscribers, turn protocol lines into progress and cost records, and record the outcome
 * (ledger, metrics, and an action named after the command so action cards include runs).
 */
import crypto from 'node:crypto';
import type { CommandSpec } from '../config';
import type { Logger } from '../log';
import type { CommandInfo, LlmRecord, OutputLine, RunInfo, RunOutputEvent, RunOutcome } from '../protocol';
import type { Ledger } from '../store/ledger';
import { renderArgv } from './argv';
import { OutputBuffer } from './output-buffer';
import { resolveParameters, toCommandInfo } from './parameters';
import { runProcess } from './process-runner';
import { parseProtocolLine } from './protocol-lines';
import { QueueFullError, RunScheduler, type RunTicket } from './scheduler';

export interface CommandServiceDeps {
  ledger: Ledger;
  log: Logger;
  /** Records a finished run's metrics and its action. */
  onFinished(run: RunInfo): void;
  /** Records an `::llm` line as an LLM call; returns the cost used (undefined when unpriced). */
  onLlm(rec: Omit<LlmRecord, 'kind'>, run: RunInfo): number | undefined;
  limits: { concurrentRuns: number; runQueue: number; runOutputBytes: number };
  /** The exporter's environment, filtered per command by its allow-list. */
  env?: NodeJS.ProcessEnv;
}

export class NotFoundError extends Error {}
export class ConflictError extends Error {}
export { QueueFullError };

type Listener = (e: RunOutputEvent) => void;

interface LiveRun {
  info: RunInfo;
  spec: CommandSpec;
  output: OutputBuffer;
  listeners: Set<Listener>;
  cancel?: () => void;
  cancelRequested: boolean;
  ticket?: RunTicket;
}

export class CommandService {
  private readonly specs = new Map<string, CommandSpec>();
  private readonly live = new Map<string, LiveRun>();
  private readonly scheduler: RunScheduler;
  private stopping = false;

  constructor(
    specs: CommandSpec[],
    private readonly deps: CommandServiceDeps,
  ) {
    for (const s of specs) this.specs.set(s.id, s);
    this.scheduler = new RunScheduler({ globalLimit: deps.limits.concurrentRuns, queueLimit: deps.limits.runQueue, onChange: () => this.refreshPositions() });
  }

  list(): CommandInfo[] {
    return [...this.specs.values()].map(toCommandInfo);
  }

  spec(id: string): CommandSpec | undefined {
    return this.specs.get(id);
  }

  get activeCount(): number {
    return this.scheduler.active;
  }

  get queuedCount(): number {
    return this.scheduler.queued;
  }

  /** Validates and queues a run; the run is in the ledger when this returns. */
  start(commandId: string, input: { parameters?: Record<string, unknown>; startedBy?: string }): RunInfo {
    if (this.stopping) throw new ConflictError('the exporter is stopping');
    const spec = this.specs.get(commandId);
    if (!spec) throw new NotFoundError(`no command "${commandId}"`);
    const parameters = resolveParameters(spec, input.parameters ?? {});
    const info: RunInfo = {
      id: crypto.randomUUID(),
      command: spec.id,
      parameters,
      status: 'queued',
      outcome: null,
      queuePosition: null,
      startedBy: input.startedBy ?? null,
      requestedAt: Date.now(),
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
    const run: LiveRun = { info, spec, output: new OutputBuffer(this.deps.limits.runOutputBytes), listeners: new Set(), cancelRequested: false };
    // The scheduler may start the run at once; execute() waits a turn of the event loop so the
    // run is in the ledger (below) before anything runs, and a full queue records nothing.
    const ticket = this.scheduler.submit(spec.id, spec.maxConcurrent, () => new Promise<void>((r) => setImmediate(r)).then(() => this.execute(run)));
    run.ticket = ticket;
    info.queuePosition = ticket.position > 0 ? ticket.position : null;
    this.live.set(info.id, run);
    this.deps.ledger.insertRun(info);
    return { ...info };
  }

  get(id: string): RunInfo | undefined {
    const live = this.live.get(id);
    if (live) return { ...live.info };
    return this.deps.ledger.getRun(id);
  }

  /** Cancels a queued or running run; a finished run is a conflict. */
  cancel(id: string): RunInfo {
    const run = this.live.get(id);
    if (!run) {
      const stored = this.deps.ledger.getRun(id);
      if (!stored) throw new NotFoundError(`no run "${id}"`);
      throw new ConflictError(`run "${id}" has already finished (${stored.outcome})`);
    }
    run.cancelRequested = true;
    if (run.info.status === 'queued') {
      if (run.ticket) this.scheduler.cancelQueued(run.ticket);
      this.finish(run, { outcome: 'cancelled', exitCode: null, signal: null, durationSeconds: 0 });
    } else {
      run.cancel?.();
    }
    return { ...run.info };
  }

  /**
   * Output so far plus live events until the end; undefined for an unknown run. For a finished
   * run `live` is false and `lines` holds the whole stored output.
   */
  subscribe(id: string, listener: Listener): { lines: OutputLine[]; info: RunInfo; live: boolean; unsubscribe: () => void } | undefined {
    const run = this.live.get(id);
    if (run) {
      run.listeners.add(listener);
      return { lines: run.output.lines(), info: { ...run.info }, live: true, unsubscribe: () => run.listeners.delete(listener) };
    }
    const info = this.deps.ledger.getRun(id);
    if (!info) return undefined;
    return { lines: this.deps.ledger.getOutput(id) ?? [], info, live: false, unsubscribe: () => undefined };
  }

  /** Cancels everything still queued or running (shutdown) and waits until they are recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    const runs = [...this.live.values()];
    const ended = runs.map((r) => new Promise<void>((resolve) => r.listeners.add((e) => e.event === 'end' && resolve())));
    for (const r of runs) {
      if (!r.info.error) r.info.error = 'the exporter stopped while this run was active';
      this.cancel(r.info.id);
    }
    await Promise.all(ended);
  }

  /** Queue positions move as runs start or leave: watchers of a queued run see its new place. */
  private refreshPositions(): void {
    for (const run of this.live.values()) {
      if (run.info.status !== 'queued' || !run.ticket || run.ticket.position === 0) continue;
      if (run.info.queuePosition !== run.ticket.position) {
        run.info.queuePosition = run.ticket.position;
        this.emit(run, { event: 'status', data: { ...run.info } });
      }
    }
  }

  private async execute(run: LiveRun): Promise<void> {
    if (run.cancelRequested) return;
    const { spec, info } = run;
    info.status = 'running';
    info.queuePosition = null;
    info.startedAt = Date.now();
    this.deps.ledger.updateRun(info);
    this.emit(run, { event: 'status', data: { ...info } });

    const env: Record<string, string> = {};
    const source = this.deps.env ?? process.env;
    for (const name of spec.env) if (source[name] !== undefined) env[name] = source[name]!;
    env.RUNBOARD_RUN_ID = info.id;
    env.RUNBOARD_COMMAND = spec.id;

    const handle = runProcess(
      { executable: spec.executable, argv: renderArgv(spec, info.parameters), cwd: spec.cwd, env, timeoutMs: spec.timeoutSeconds * 1000 },
      { onLine: (stream, text, t) => this.onLine(run, stream, text, t) },
    );
    run.cancel = handle.cancel;
    if (run.cancelRequested) handle.cancel();
    const result = await handle.done;
    if (result.error) this.appendLine(run, 'system', result.error, Date.now());
    this.finish(run, result);
  }

  private onLine(run: LiveRun, stream: 'stdout' | 'stderr', text: string, t: number): void {
    const proto = stream === 'stdout' ? parseProtocolLine(text) : null;
    if (proto?.kind === 'progress') {
      run.info.progress = proto.percent;
      run.info.progressMessage = proto.message;
      this.emit(run, { event: 'progress', data: { percent: proto.percent, message: proto.message } });
    } else if (proto?.kind === 'llm') {
      const rec = { ...proto.record, run_id: run.info.id };
      const cost = this.deps.onLlm(rec, run.info);
      run.info.inputTokens += rec.input_tokens;
      run.info.outputTokens += rec.output_tokens;
      run.info.costUsd += cost ?? 0;
      this.emit(run, { event: 'llm', data: { ...rec, ...(cost !== undefined ? { cost_usd: cost } : {}) } });
    }
    // Protocol lines stay in the output too: the log shows what the command said.
    this.appendLine(run, stream, text, t);
  }

  private appendLine(run: LiveRun, stream: OutputLine['stream'], text: string, t: number): void {
    // append() may split a giant line into pieces: every piece goes out live.
    const lines = run.output.append(stream, text, t);
    run.info.outputBytes = run.output.totalBytes;
    run.info.truncated = run.output.truncated;
    for (const line of lines) this.emit(run, { event: 'line', data: line });
  }

  private finish(run: LiveRun, result: { outcome: RunOutcome; exitCode: number | null; signal: string | null; durationSeconds: number; error?: string }): void {
    const info = run.info;
    info.status = 'finished';
    info.outcome = result.outcome;
    info.exitCode = result.exitCode;
    info.signal = result.signal;
    info.finishedAt = Date.now();
    info.durationSeconds = result.durationSeconds;
    info.queuePosition = null;
    if (result.error && !info.error) info.error = result.error;
    try {
      this.deps.ledger.saveOutput(info.id, run.output.lines());
      this.deps.ledger.updateRun(info, run.output.tailText(4096));
    } catch (err) {
      this.deps.log.error(`could not record run ${info.id}: ${(err as Error).message}`);
    }
    this.live.delete(info.id);
    this.deps.onFinished({ ...info });
    this.emit(run, { event: 'end', data: { ...info } });
    run.listeners.clear();
  }

  private emit(run: LiveRun, e: RunOutputEvent): void {
    for (const l of run.listeners) {
      try {
        l(e);
      } catch (err) {
        this.deps.log.warn(`run output listener failed: ${(err as Error).message}`);
      }
    }
  }
}
