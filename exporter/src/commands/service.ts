/**
 * Command runs end to end: validate parameters, record the run in the ledger before answering,
 * queue it under the per-command and global limits, run it without a shell, stream its output
 * to subscribers, turn protocol lines into progress and cost records, and record the outcome
 * (ledger, metrics, and an action named after the command so action cards include runs).
 */
import crypto from 'node:crypto';
import type { CommandSpec } from '../config';
import type { Logger } from '../log';
import { queuedRun, type CommandInfo, type LlmRecord, type OutputLine, type RunInfo, type RunOutputEvent, type RunOutcome } from '@runboard/protocol';
import { LedgerWriteError, type Ledger } from '../store/ledger';
import { renderArgv } from './argv';
import { OutputBuffer } from './output-buffer';
import { ParameterError, resolveParameters, toCommandInfo } from './parameters';
import { runProcess } from './process-runner';
import { parseProtocolLine } from './protocol-lines';
import { QueueFullError, RunScheduler, type RunTicket } from './scheduler';
import { roundUsd } from '../money';

export interface CommandServiceDeps {
  ledger: Ledger;
  log: Logger;
  /** Records a finished run's metrics and its action. */
  onFinished(run: RunInfo): void;
  /**
   * Records an `::llm` line as an LLM call (ledger first, then metrics); returns the cost used
   * (cost_usd undefined when unpriced), or undefined when the ledger refused the record.
   */
  onLlm(rec: Omit<LlmRecord, 'kind'>, run: RunInfo): { cost_usd?: number } | undefined;
  limits: { concurrentRuns: number; runQueue: number; runOutputBytes: number };
  /** The exporter's environment, filtered per command by its allow-list. */
  env?: NodeJS.ProcessEnv;
  /** The exporter's own base URL, given to commands as RUNBOARD_URL (http-check's `--allow-exporter`). */
  selfUrl?: () => string | undefined;
}

/**
 * Who asked for a run, as the HTTP layer saw it. Grafana's data proxy removes any X-Grafana-User
 * the browser sent and, with `send_user_header`, sets the signed-in login; the datasource's routes
 * add `X-Runboard-Via: grafana` server side. So through Grafana the browser cannot choose the name.
 */
export interface RunOrigin {
  /** What a direct API client said in the body (ignored through Grafana). */
  startedBy?: string;
  /** The login Grafana named in X-Grafana-User. */
  grafanaUser?: string;
  /** The request came through the datasource's routes. */
  viaGrafana?: boolean;
}

/** `grafana` and `grafana:…` name what Grafana vouched for; a direct client may not claim them. */
const RESERVED_STARTED_BY = /^\s*grafana\s*(:|$)/i;

/** The startedBy a run records (README "Grafana plugins", "Who started a run"). */
export function startedByFor(origin: RunOrigin): string | null {
  const login = origin.grafanaUser
    ?.replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, 192);
  if (login) return `grafana:${login}`;
  if (origin.viaGrafana || origin.grafanaUser !== undefined) return 'grafana';
  if (origin.startedBy === undefined || origin.startedBy === '') return null;
  if (RESERVED_STARTED_BY.test(origin.startedBy)) throw new ParameterError('startedBy', '"grafana" and "grafana:…" are reserved for runs started through Grafana');
  return origin.startedBy;
}

export class NotFoundError extends Error {}
export class ConflictError extends Error {}
export { QueueFullError };

type Listener = (e: RunOutputEvent) => void;

export type RunSubscription = { live: true; info: RunInfo; lines: OutputLine[]; unsubscribe: () => void } | { live: false; info: RunInfo; storedLines: () => OutputLine[] };

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
  private warnedUnnamedGrafanaUser = false;

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
  start(commandId: string, input: { parameters?: Record<string, unknown> } & RunOrigin): RunInfo {
    if (this.stopping) throw new ConflictError('the exporter is stopping');
    const spec = this.specs.get(commandId);
    if (!spec) throw new NotFoundError(`no command "${commandId}"`);
    const parameters = resolveParameters(spec, input.parameters ?? {});
    const startedBy = startedByFor(input);
    if (startedBy === 'grafana' && !this.warnedUnnamedGrafanaUser) {
      this.warnedUnnamedGrafanaUser = true;
      this.deps.log.warn(
        'a run was started through Grafana without X-Grafana-User, so it is recorded as "grafana": set [dataproxy] send_user_header = true in Grafana (GF_DATAPROXY_SEND_USER_HEADER=true) to record who started it',
      );
    }
    const info = queuedRun({ id: crypto.randomUUID(), command: spec.id, parameters, startedBy, requestedAt: Date.now() });
    const run: LiveRun = { info, spec, output: new OutputBuffer(this.deps.limits.runOutputBytes), listeners: new Set(), cancelRequested: false };
    // The scheduler may start the run at once; execute() waits a turn of the event loop so the
    // run is in the ledger (below) before anything runs, and a full queue records nothing.
    const ticket = this.scheduler.submit(spec.id, spec.maxConcurrent, () => new Promise<void>((r) => setImmediate(r)).then(() => this.execute(run)));
    run.ticket = ticket;
    info.queuePosition = ticket.position > 0 ? ticket.position : null;
    this.live.set(info.id, run);
    try {
      this.deps.ledger.insertRun(info);
    } catch (err) {
      // Not in the ledger, so it must not run: take it back (a started slot frees itself once
      // execute() sees cancelRequested), and the caller answers 503.
      run.cancelRequested = true;
      if (ticket.position > 0) this.scheduler.cancelQueued(ticket);
      this.live.delete(info.id);
      throw err;
    }
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
   * A live run: its output so far, and `listener` gets its events until the end. Callers bound
   * how many listeners a run gets (the output route admits each reader under the stream limits,
   * and drops a reader that stops reading). A finished run: its info, and its stored output read
   * only if asked (the route may have it already). Undefined for an unknown run.
   */
  subscribe(id: string, listener: Listener): RunSubscription | undefined {
    const run = this.live.get(id);
    if (run) {
      run.listeners.add(listener);
      return { live: true, lines: run.output.lines(), info: { ...run.info }, unsubscribe: () => run.listeners.delete(listener) };
    }
    const info = this.deps.ledger.getRun(id);
    if (!info) return undefined;
    return { live: false, info, storedLines: () => this.deps.ledger.getOutput(id) ?? [] };
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
    this.recordRun(() => this.deps.ledger.updateRun(info));
    this.emit(run, { event: 'status', data: { ...info } });

    const env: Record<string, string> = {};
    const source = this.deps.env ?? process.env;
    for (const name of spec.env) if (source[name] !== undefined) env[name] = source[name]!;
    env.RUNBOARD_RUN_ID = info.id;
    env.RUNBOARD_COMMAND = spec.id;
    const selfUrl = this.deps.selfUrl?.();
    if (selfUrl) env.RUNBOARD_URL = selfUrl;

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
      const priced = this.deps.onLlm(rec, run.info);
      // A call the ledger refused (logged by the exporter) is left out of the run's totals too;
      // the run goes on, and its output keeps the line.
      if (priced) {
        const cost = priced.cost_usd;
        run.info.inputTokens += rec.input_tokens;
        run.info.outputTokens += rec.output_tokens;
        run.info.costUsd = roundUsd(run.info.costUsd + (cost ?? 0));
        this.emit(run, { event: 'llm', data: { ...rec, ...(cost !== undefined ? { cost_usd: cost } : {}) } });
      }
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
    this.recordRun(() => {
      this.deps.ledger.saveOutput(info.id, run.output.lines());
      this.deps.ledger.updateRun(info, run.output.tailText(4096));
    });
    this.live.delete(info.id);
    this.deps.onFinished({ ...info });
    this.emit(run, { event: 'end', data: { ...info } });
    run.listeners.clear();
  }

  /**
   * A run's progress into the ledger. A run already started goes on when the ledger refuses
   * (full disk): its row keeps the last state stored, and the refusal was logged once per burst
   * by the ledger's owner. Anything else is a bug worth a line of its own.
   */
  private recordRun(write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!(err instanceof LedgerWriteError)) this.deps.log.error(`could not record a run: ${(err as Error).message}`);
    }
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
