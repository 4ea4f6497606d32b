/** Command runs and their output: rows of `runs` and `run_output`. */
import type Database from 'better-sqlite3';
import type { OutputLine, ParameterValue, RunInfo, RunOutcome, RunStatus } from '@runboard/protocol';
import type { ListRunsQuery } from './types';

export const INTERRUPTED_RUN_ERROR = 'the exporter stopped while this run was active';

interface RunRow {
  id: string;
  command: string;
  parameters: string;
  status: RunStatus;
  outcome: RunOutcome | null;
  queue_position: number | null;
  started_by: string | null;
  requested_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_seconds: number | null;
  exit_code: number | null;
  signal: string | null;
  progress: number | null;
  progress_message: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  output_bytes: number;
  truncated: number;
  error: string | null;
  output_tail: string | null;
}

const RUN_COLUMNS = [
  'id',
  'command',
  'parameters',
  'status',
  'outcome',
  'queue_position',
  'started_by',
  'requested_at',
  'started_at',
  'finished_at',
  'duration_seconds',
  'exit_code',
  'signal',
  'progress',
  'progress_message',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'output_bytes',
  'truncated',
  'error',
  'output_tail',
] as const;

function runParams(run: RunInfo, outputTail: string | null): Record<(typeof RUN_COLUMNS)[number], unknown> {
  return {
    id: run.id,
    command: run.command,
    parameters: JSON.stringify(run.parameters ?? {}),
    status: run.status,
    outcome: run.outcome,
    queue_position: run.queuePosition,
    started_by: run.startedBy,
    requested_at: run.requestedAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_seconds: run.durationSeconds,
    exit_code: run.exitCode,
    signal: run.signal,
    progress: run.progress,
    progress_message: run.progressMessage,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    cost_usd: run.costUsd,
    output_bytes: run.outputBytes,
    truncated: run.truncated ? 1 : 0,
    error: run.error,
    output_tail: outputTail,
  };
}

function toRunInfo(r: RunRow): RunInfo {
  return {
    id: r.id,
    command: r.command,
    parameters: JSON.parse(r.parameters) as Record<string, ParameterValue>,
    status: r.status,
    outcome: r.outcome,
    queuePosition: r.queue_position,
    startedBy: r.started_by,
    requestedAt: r.requested_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationSeconds: r.duration_seconds,
    exitCode: r.exit_code,
    signal: r.signal,
    progress: r.progress,
    progressMessage: r.progress_message,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    costUsd: r.cost_usd,
    outputBytes: r.output_bytes,
    truncated: r.truncated !== 0,
    error: r.error,
  };
}

export class RunStore {
  private readonly insertRun: Database.Statement;
  private readonly upsertRun: Database.Statement;
  private readonly getRun: Database.Statement;
  private readonly getTail: Database.Statement;
  private readonly saveOutputStmt: Database.Statement;
  private readonly getOutputStmt: Database.Statement;
  private readonly interrupt: Database.Statement;
  private readonly listCache = new Map<string, { rows: Database.Statement; count: Database.Statement }>();

  constructor(private readonly db: Database.Database) {
    const cols = RUN_COLUMNS.join(', ');
    const vals = RUN_COLUMNS.map((c) => `@${c}`).join(', ');
    const sets = RUN_COLUMNS.filter((c) => c !== 'id' && c !== 'output_tail')
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    this.insertRun = db.prepare(`INSERT INTO runs (${cols}) VALUES (${vals})`);
    this.upsertRun = db.prepare(
      `INSERT INTO runs (${cols}) VALUES (${vals})
       ON CONFLICT (id) DO UPDATE SET ${sets}, output_tail = coalesce(excluded.output_tail, runs.output_tail)`,
    );
    this.getRun = db.prepare(`SELECT * FROM runs WHERE id = ?`);
    this.getTail = db.prepare(`SELECT output_tail FROM runs WHERE id = ?`).pluck();
    this.saveOutputStmt = db.prepare(`INSERT INTO run_output (run_id, lines) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET lines = excluded.lines`);
    this.getOutputStmt = db.prepare(`SELECT lines FROM run_output WHERE run_id = ?`).pluck();
    this.interrupt = db.prepare(
      `UPDATE runs SET status = 'finished', outcome = 'cancelled', queue_position = NULL,
         finished_at = coalesce(finished_at, @now), error = coalesce(error, @error)
       WHERE status IN ('queued', 'running')`,
    );
  }

  insert(run: RunInfo): void {
    this.insertRun.run(runParams(run, null));
  }

  upsert(run: RunInfo, outputTail?: string): void {
    this.upsertRun.run(runParams(run, outputTail ?? null));
  }

  get(id: string): RunInfo | undefined {
    const row = this.getRun.get(id) as RunRow | undefined;
    return row ? toRunInfo(row) : undefined;
  }

  outputTail(id: string): string | undefined {
    return (this.getTail.get(id) as string | null | undefined) ?? undefined;
  }

  list(q: ListRunsQuery): { runs: RunInfo[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (clause: string, value: unknown) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    filter('command = ?', q.command);
    filter('outcome = ?', q.outcome);
    filter('status = ?', q.status);
    filter('requested_at >= ?', q.from);
    filter('requested_at <= ?', q.to);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    let cached = this.listCache.get(cond);
    if (!cached) {
      cached = {
        rows: this.db.prepare(`SELECT * FROM runs ${cond} ORDER BY requested_at DESC, rowid DESC LIMIT ? OFFSET ?`),
        count: this.db.prepare(`SELECT count(*) FROM runs ${cond}`).pluck(),
      };
      this.listCache.set(cond, cached);
    }
    const limit = Math.max(0, Math.floor(q.limit));
    const offset = Math.max(0, Math.floor(q.offset ?? 0));
    const read = this.db.transaction(() => ({
      runs: (cached.rows.all(...args, limit, offset) as RunRow[]).map(toRunInfo),
      total: cached.count.get(...args) as number,
    }));
    return read();
  }

  saveOutput(runId: string, lines: readonly OutputLine[]): void {
    this.saveOutputStmt.run(runId, JSON.stringify(lines));
  }

  output(runId: string): OutputLine[] | undefined {
    const text = this.getOutputStmt.get(runId) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as OutputLine[]);
  }

  interruptActive(now: number): number {
    return this.interrupt.run({ now, error: INTERRUPTED_RUN_ERROR }).changes;
  }
}
