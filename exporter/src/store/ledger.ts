/**
 * The ledger: what must survive a restart and be queried in detail (DESIGN §1) — command runs
 * with their output, every LLM cost record, and command templates — in one SQLite file
 * (better-sqlite3, synchronous API).
 *
 * Durability. The database runs in WAL mode. Every write method below is one transaction that
 * has committed when the method returns: the commit has been written to the WAL file (a write()
 * into the OS page cache). So a caller that acknowledges only after the call returns (ingest's
 * 202, a run's id) never loses an acknowledged record to a crash or `kill -9` of the exporter:
 * the OS still holds the pages and the next open replays the WAL. With `synchronous = NORMAL`
 * (the default here) SQLite fsyncs the WAL only at checkpoints, not per commit, so an OS crash or
 * power loss can lose the last commits since the previous checkpoint — never corrupt the file,
 * WAL recovery is atomic per transaction. `synchronous: 'full'` fsyncs on every commit and
 * closes that gap too, at about the cost of one fsync per write call (milliseconds on an SSD,
 * more on network or spinning disks).
 *
 * Cost breakdowns read `cost_hourly`, per-hour sums kept in the same transactions that insert or
 * prune cost records, so `costs()` costs milliseconds whatever the number of records;
 * `integrityCheck()` verifies the sums still match the records.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  CostGrouping,
  CostRow,
  CostsResponse,
  OutputLine,
  ParameterValue,
  RunInfo,
  RunOutcome,
  RunStatus,
  Template,
} from '@runboard/protocol';
import { latestVersion, LedgerVersionError, runMigrations } from './migrations';
import { createPrivateFile } from './data-dir';

export { LedgerVersionError, migrations, latestVersion, runMigrations } from './migrations';
export type { Migration } from './migrations';

export interface LedgerOptions {
  /** Runs and cost records older than this many days are pruned (0 = keep forever). */
  retentionDays: number;
  /** Most runs kept; the oldest finished runs beyond it are pruned. */
  maxRuns: number;
  /** Most cost records kept; the oldest beyond it are pruned. */
  maxCostRecords: number;
  /**
   * 'normal' (default): WAL + synchronous=NORMAL; survives a killed process, an OS crash or power
   * loss may lose the last commits. 'full': fsync on every commit; survives those as well.
   */
  synchronous?: 'normal' | 'full';
  /**
   * Told of the first write a storage failure refused (`refused`) and of the first write that
   * succeeds after such a burst (`recoveredAfter`: how many were refused).
   */
  onStorage?: (event: { refused: LedgerWriteError } | { recoveredAfter: number }) => void;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Largest size of the database file in bytes (0 or absent = unlimited), through SQLite's
   * `max_page_count`: a write that needs more pages fails with SQLITE_FULL, as on a full disk.
   */
  maxSizeBytes?: number;
}

/** A cost record as the caller hands it over (ingest, SDK, `::llm` lines of a command). */
export interface CostRecordInput {
  /** ms since the epoch. */
  t: number;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** Required unless priced is 'unpriced' (then it is ignored and stored as NULL). */
  cost_usd?: number;
  /** Where the cost came from: sent by the client, computed from the price table, or unknown. */
  priced: 'client' | 'table' | 'unpriced';
  duration_seconds?: number;
  success: boolean;
  run_id?: string;
  command?: string;
  source: 'ingest' | 'sdk' | 'command';
}

/** A stored cost record (CSV export). */
export interface CostRecord {
  id: number;
  t: number;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  priced: 'client' | 'table' | 'unpriced';
  duration_seconds: number | null;
  success: boolean;
  run_id: string | null;
  command: string | null;
  source: 'ingest' | 'sdk' | 'command';
}

export interface ListRunsQuery {
  command?: string;
  outcome?: RunOutcome;
  status?: RunStatus;
  /** Inclusive bounds on requestedAt (ms). */
  from?: number;
  to?: number;
  limit: number;
  offset?: number;
}

export interface PutTemplateInput {
  id?: string;
  command: string;
  name: string;
  parameters: Record<string, ParameterValue>;
}

export interface PruneResult {
  runs: number;
  costRecords: number;
  /** False when a per-call limit stopped the work early: call again (e.g. after setImmediate). */
  done: boolean;
}

/** A put that would give a template the command + name another template already has. */
export class TemplateConflictError extends Error {
  constructor(
    readonly command: string,
    readonly templateName: string,
    readonly existingId: string,
  ) {
    super(`command "${command}" already has a template named "${templateName}" (${existingId})`);
    this.name = 'TemplateConflictError';
  }
}

/**
 * A write the ledger could not store because of its storage (full disk or `ledger.maxSizeBytes`,
 * read-only file, I/O error, lock held too long): nothing of it was stored, and the same write
 * may succeed later. The message names the file, SQLite's reason and code, in one line.
 */
export class LedgerWriteError extends Error {
  /** The API's error code for it (503). */
  readonly code = 'ledger_unavailable';
  constructor(
    readonly file: string,
    readonly sqliteCode: string,
    reason: string,
    /** The setting that explains it, when one does. */
    setting = '',
  ) {
    super(`the ledger ${file} refused the write: ${reason} (${sqliteCode}${setting ? `; ${setting}` : ''})`);
    this.name = 'LedgerWriteError';
  }
}

/** SQLite result codes (extended ones start with these) that come from storage, not from the data. */
const STORAGE_ERRORS = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM', 'SQLITE_PERM'];

export const INTERRUPTED_RUN_ERROR = 'the exporter stopped while this run was active';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Default most rows each table loses in one prune() call, to bound the time it holds the loop. */
const PRUNE_BATCH = 100_000;

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

interface TemplateRow {
  id: string;
  command: string;
  name: string;
  parameters: string;
  created_at: number;
  updated_at: number;
}

interface CostRecordRow extends Omit<CostRecord, 'success'> {
  success: number;
}

interface AggRow {
  key: string | number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced: number;
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

function toTemplate(r: TemplateRow): Template {
  return {
    id: r.id,
    command: r.command,
    name: r.name,
    parameters: JSON.parse(r.parameters) as Record<string, ParameterValue>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** ISO 8601 of an hour or day start; a time outside Date's range (a ledger written before `t` was bounded) stays a number. */
function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function toCostRow(r: AggRow, key: string): CostRow {
  return {
    key,
    requests: r.requests,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    costUsd: r.cost_usd,
    unpriced: r.unpriced,
  };
}

const INSERT_COST = `INSERT INTO cost_records (t, provider, model, input_tokens, output_tokens, cost_usd, priced,
  duration_seconds, success, run_id, command, source) VALUES`;
const COST_COLUMNS = 12;
const COST_ROW = `(${Array(COST_COLUMNS).fill('?').join(', ')})`;
/** Rows per multi-row INSERT (600 parameters, far below SQLite's limit of 32766). */
const COST_CHUNK = 50;

/** Aggregates over raw cost_records. */
const RAW_AGG = `count(*) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
  total(cost_usd) AS cost_usd, total(cost_usd IS NULL) AS unpriced`;
/** The same aggregates over the hourly rollups. */
const ROLLUP_AGG = `total(requests) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
  total(cost_usd) AS cost_usd, total(unpriced) AS unpriced`;

/** Group keys over raw records (t is stored as whole ms) and over rollups (command '' = none). */
const RAW_KEY: Record<CostGrouping, string> = {
  model: 'model',
  provider: 'provider',
  command: `coalesce(command, '(none)')`,
  hour: `(t / ${HOUR_MS}) * ${HOUR_MS}`,
  day: `(t / ${DAY_MS}) * ${DAY_MS}`,
};
const ROLLUP_KEY: Record<CostGrouping, string> = {
  model: 'model',
  provider: 'provider',
  command: `CASE command WHEN '' THEN '(none)' ELSE command END`,
  hour: 'hour',
  day: `(hour / ${DAY_MS}) * ${DAY_MS}`,
};

/** One rollup row's increments, accumulated per batch before the upsert. */
interface RollupDelta {
  hour: number;
  provider: string;
  model: string;
  command: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced: number;
}

/**
 * Caps the database file at `bytes` (rounded down to whole pages). Per connection, so applied at
 * every open; a file already larger keeps its size (SQLite never lowers the cap below it) and
 * takes new rows only into pages retention frees.
 */
function applyMaxSize(db: Database.Database, bytes: number): void {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(bytes / pageSize))}`);
}

export class Ledger {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<Ledger['prepareAll']>;
  private readonly listCache = new Map<string, { rows: Database.Statement; count: Database.Statement }>();
  private readonly insertCostsTx: (records: readonly CostRecordInput[]) => number;
  /** The kinds of write refused in the current burst, and how many writes it refused (see write). */
  private readonly refusedKinds = new Set<string>();
  private refusedWrites = 0;

  private constructor(
    readonly file: string,
    db: Database.Database,
    readonly options: Readonly<LedgerOptions>,
  ) {
    this.db = db;
    db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)');
    this.stmts = this.prepareAll();
    const { insertCost, insertCostChunk, upsertRollup } = this.stmts;
    const params: unknown[] = new Array(COST_COLUMNS * COST_CHUNK);
    this.insertCostsTx = db.transaction((records: readonly CostRecordInput[]) => {
      // Rows go in COST_CHUNK at a time through one multi-row INSERT (half the cost of one call
      // per row); the rest one by one. Rollup increments are summed per batch in JS: a batch
      // touches a handful of (hour, provider, model, command) keys, so a few upserts, not one per record.
      const deltas = new Map<string, RollupDelta>();
      const chunked = records.length - (records.length % COST_CHUNK);
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const unpriced = r.priced === 'unpriced';
        const cost = unpriced ? null : (r.cost_usd ?? null);
        const t = Math.floor(r.t);
        const command = r.command || null;
        const row = [
          t,
          r.provider,
          r.model,
          r.input_tokens,
          r.output_tokens,
          cost,
          r.priced,
          r.duration_seconds ?? null,
          r.success ? 1 : 0,
          r.run_id ?? null,
          command,
          r.source,
        ];
        if (i < chunked) {
          const o = (i % COST_CHUNK) * COST_COLUMNS;
          for (let k = 0; k < COST_COLUMNS; k++) params[o + k] = row[k];
          if (i % COST_CHUNK === COST_CHUNK - 1) insertCostChunk.run(params);
        } else {
          insertCost.run(row);
        }
        const hour = Math.floor(t / HOUR_MS) * HOUR_MS;
        const key = `${hour}\u0000${r.provider}\u0000${r.model}\u0000${command ?? ''}`;
        let d = deltas.get(key);
        if (!d) {
          d = { hour, provider: r.provider, model: r.model, command: command ?? '', requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, unpriced: 0 };
          deltas.set(key, d);
        }
        d.requests += 1;
        d.input_tokens += r.input_tokens;
        d.output_tokens += r.output_tokens;
        if (cost === null) d.unpriced += 1;
        else d.cost_usd += cost;
      }
      for (const d of deltas.values()) upsertRollup.run(d);
      return records.length;
    });
  }

  /**
   * Opens (creating it 0600 and its directory 0700 if needed) and migrates the ledger at `file`
   * (`:memory:` for a throw-away one). Throws LedgerVersionError for a ledger written by a newer
   * Runboard.
   */
  static open(file: string, opts: LedgerOptions): Ledger {
    const memory = file === ':memory:';
    if (!memory) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
      // SQLite gives the -wal and -shm files the database file's mode: a new ledger is created
      // 0600 here, before SQLite opens it, so all three are private (README "The data dir").
      createPrivateFile(file);
    }
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      // Refuse a ledger from a newer Runboard before changing anything in it (even its journal mode).
      const found = db.pragma('user_version', { simple: true }) as number;
      if (found > latestVersion()) throw new LedgerVersionError(file, found, latestVersion());
      if (!memory) {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new Error(`ledger ${file}: could not switch to WAL mode (got "${String(mode)}")`);
      }
      // See the header: NORMAL in WAL mode loses nothing to a killed process.
      db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      // Keep the WAL file from staying large after a burst (it is reused, then truncated to this).
      db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      // prune() stages ids in a temp table; keep it off the disk.
      db.pragma('temp_store = MEMORY');
      runMigrations(db, undefined, file);
      if (opts.maxSizeBytes) applyMaxSize(db, opts.maxSizeBytes);
      return new Ledger(file, db, { ...opts });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private prepareAll() {
    const db = this.db;
    const cols = RUN_COLUMNS.join(', ');
    const vals = RUN_COLUMNS.map((c) => `@${c}`).join(', ');
    const sets = RUN_COLUMNS.filter((c) => c !== 'id' && c !== 'output_tail')
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    return {
      insertRun: db.prepare(`INSERT INTO runs (${cols}) VALUES (${vals})`),
      upsertRun: db.prepare(
        `INSERT INTO runs (${cols}) VALUES (${vals})
         ON CONFLICT (id) DO UPDATE SET ${sets}, output_tail = coalesce(excluded.output_tail, runs.output_tail)`,
      ),
      getRun: db.prepare(`SELECT * FROM runs WHERE id = ?`),
      getTail: db.prepare(`SELECT output_tail FROM runs WHERE id = ?`).pluck(),
      saveOutput: db.prepare(`INSERT INTO run_output (run_id, lines) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET lines = excluded.lines`),
      getOutput: db.prepare(`SELECT lines FROM run_output WHERE run_id = ?`).pluck(),
      interrupt: db.prepare(
        `UPDATE runs SET status = 'finished', outcome = 'cancelled', queue_position = NULL,
           finished_at = coalesce(finished_at, @now), error = coalesce(error, @error)
         WHERE status IN ('queued', 'running')`,
      ),
      insertCost: db.prepare(`${INSERT_COST} ${COST_ROW}`),
      insertCostChunk: db.prepare(`${INSERT_COST} ${Array(COST_CHUNK).fill(COST_ROW).join(', ')}`),
      upsertRollup: db.prepare(
        `INSERT INTO cost_hourly (hour, provider, model, command, requests, input_tokens, output_tokens, cost_usd, unpriced)
         VALUES (@hour, @provider, @model, @command, @requests, @input_tokens, @output_tokens, @cost_usd, @unpriced)
         ON CONFLICT (hour, provider, model, command) DO UPDATE SET
           requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
           output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd,
           unpriced = unpriced + excluded.unpriced`,
      ),
      costRecords: db.prepare(`SELECT * FROM cost_records WHERE t >= ? AND t <= ? ORDER BY t, id LIMIT ?`),
      rawGroups: Object.fromEntries(
        Object.entries(RAW_KEY).map(([g, key]) => [
          g,
          db.prepare(`SELECT ${key} AS key, ${RAW_AGG} FROM cost_records WHERE t >= ? AND t <= ? GROUP BY 1`),
        ]),
      ) as Record<CostGrouping, Database.Statement>,
      rollupGroups: Object.fromEntries(
        Object.entries(ROLLUP_KEY).map(([g, key]) => [
          g,
          db.prepare(`SELECT ${key} AS key, ${ROLLUP_AGG} FROM cost_hourly WHERE hour >= ? AND hour < ? GROUP BY 1`),
        ]),
      ) as Record<CostGrouping, Database.Statement>,
      rollupMismatches: db
        .prepare(
          `SELECT count(*) FROM (
             SELECT (t / ${HOUR_MS}) * ${HOUR_MS} AS hour, provider, model, coalesce(command, '') AS command,
                    count(*) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
                    total(cost_usd) AS cost_usd, total(cost_usd IS NULL) AS unpriced
             FROM cost_records GROUP BY 1, 2, 3, 4) r
           FULL OUTER JOIN cost_hourly h USING (hour, provider, model, command)
           WHERE r.requests IS NOT h.requests OR r.input_tokens IS NOT h.input_tokens OR r.output_tokens IS NOT h.output_tokens
              OR r.unpriced IS NOT h.unpriced OR abs(r.cost_usd - h.cost_usd) > 1e-6 * max(1, abs(r.cost_usd))`,
        )
        .pluck(),
      listTemplates: db.prepare(`SELECT * FROM templates ORDER BY command, name, id`),
      listTemplatesOf: db.prepare(`SELECT * FROM templates WHERE command = ? ORDER BY name, id`),
      getTemplate: db.prepare(`SELECT * FROM templates WHERE id = ?`),
      templateByName: db.prepare(`SELECT * FROM templates WHERE command = ? AND name = ?`),
      insertTemplate: db.prepare(
        `INSERT INTO templates (id, command, name, parameters, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      updateTemplate: db.prepare(`UPDATE templates SET command = ?, name = ?, parameters = ?, updated_at = ? WHERE id = ?`),
      deleteTemplate: db.prepare(`DELETE FROM templates WHERE id = ?`),
      // Retention. Active runs are never pruned: the process that runs them still updates them.
      pruneRunsByAge: db.prepare(
        `DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE status = 'finished' AND requested_at < ? ORDER BY requested_at LIMIT ?)`,
      ),
      countRuns: db.prepare(`SELECT count(*) FROM runs`).pluck(),
      pruneRunsByCount: db.prepare(
        `DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE status = 'finished' ORDER BY requested_at, rowid LIMIT ?)`,
      ),
      countCosts: db.prepare(`SELECT count(*) FROM cost_records`).pluck(),
      countCostsBefore: db.prepare(`SELECT count(*) FROM cost_records WHERE t < ?`).pluck(),
      // Pruning cost records: the doomed ids (always the oldest by t, id) go to a temp table,
      // their sums come off the rollups, then they go.
      pickOldestCosts: db.prepare(`INSERT INTO temp.prune_ids (id) SELECT id FROM cost_records ORDER BY t, id LIMIT ?`),
      subtractRollups: db.prepare(
        `UPDATE cost_hourly SET requests = cost_hourly.requests - d.requests, input_tokens = cost_hourly.input_tokens - d.input_tokens,
           output_tokens = cost_hourly.output_tokens - d.output_tokens, cost_usd = cost_hourly.cost_usd - d.cost_usd,
           unpriced = cost_hourly.unpriced - d.unpriced
         FROM (SELECT (t / ${HOUR_MS}) * ${HOUR_MS} AS hour, provider, model, coalesce(command, '') AS command,
                      count(*) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
                      total(cost_usd) AS cost_usd, total(cost_usd IS NULL) AS unpriced
               FROM cost_records WHERE id IN (SELECT id FROM temp.prune_ids) GROUP BY 1, 2, 3, 4) AS d
         WHERE cost_hourly.hour = d.hour AND cost_hourly.provider = d.provider AND cost_hourly.model = d.model
           AND cost_hourly.command = d.command`,
      ),
      deletePicked: db.prepare(`DELETE FROM cost_records WHERE id IN (SELECT id FROM temp.prune_ids)`),
      deleteEmptyRollups: db.prepare(`DELETE FROM cost_hourly WHERE requests <= 0`),
      clearPicked: db.prepare(`DELETE FROM temp.prune_ids`),
    };
  }

  // ---------- runs ----------

  /** Records a new run (its id comes from the caller); throws if the id exists. */
  insertRun(run: RunInfo): void {
    this.write('insertRun', () => this.stmts.insertRun.run(runParams(run, null)));
  }

  /**
   * Stores the run's current state (inserting it if it is missing). The output tail is kept
   * unless a new one is given.
   */
  updateRun(run: RunInfo, outputTail?: string): void {
    this.write('updateRun', () => this.stmts.upsertRun.run(runParams(run, outputTail ?? null)));
  }

  getRun(id: string): RunInfo | undefined {
    const row = this.stmts.getRun.get(id) as RunRow | undefined;
    return row ? toRunInfo(row) : undefined;
  }

  /** The output tail stored with the run's last update, if any. */
  getOutputTail(id: string): string | undefined {
    return (this.stmts.getTail.get(id) as string | null | undefined) ?? undefined;
  }

  /** Runs matching the filters, newest (requestedAt) first, and how many match in all. */
  listRuns(q: ListRunsQuery): { runs: RunInfo[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.command !== undefined) (where.push('command = ?'), args.push(q.command));
    if (q.outcome !== undefined) (where.push('outcome = ?'), args.push(q.outcome));
    if (q.status !== undefined) (where.push('status = ?'), args.push(q.status));
    if (q.from !== undefined) (where.push('requested_at >= ?'), args.push(q.from));
    if (q.to !== undefined) (where.push('requested_at <= ?'), args.push(q.to));
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

  /** Stores a run's (capped) output lines, replacing what was stored. The run must exist. */
  saveOutput(runId: string, lines: readonly OutputLine[]): void {
    this.write('saveOutput', () => this.stmts.saveOutput.run(runId, JSON.stringify(lines)));
  }

  getOutput(runId: string): OutputLine[] | undefined {
    const text = this.stmts.getOutput.get(runId) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as OutputLine[]);
  }

  /**
   * At start-up: runs a previous process left queued or running can no longer finish; they
   * become finished / cancelled with an error saying why. Returns how many.
   */
  interruptActiveRuns(now: number): number {
    return this.stmts.interrupt.run({ now, error: INTERRUPTED_RUN_ERROR }).changes;
  }

  // ---------- cost records ----------

  /**
   * Stores a batch of cost records in one transaction: all or none, committed when this returns.
   * Throws (storing nothing) a LedgerWriteError when the storage refuses the write (full disk or
   * maxSizeBytes, read-only, I/O error), and SQLite's own error when a record breaks a
   * constraint, e.g. priced 'client' without cost (a caller's bug: retrying cannot help).
   */
  insertCostRecords(records: readonly CostRecordInput[]): number {
    if (records.length === 0) return 0;
    return this.write('insertCostRecords', () => this.insertCostsTx(records));
  }

  /**
   * Runs one write: a storage failure becomes a LedgerWriteError. A burst starts with the first
   * refused write and ends when every kind of write that was refused has succeeded again; its
   * start and end go to `onStorage`. On a nearly full disk small writes (a run's status) keep
   * succeeding between refused large ones (its output): counting any success as the end would
   * log a line per run, which is what the burst is for to avoid.
   */
  private write<T>(kind: string, fn: () => T): T {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      const refused = this.storageError(err);
      if (!refused) throw err;
      if (this.refusedKinds.size === 0) this.options.onStorage?.({ refused });
      this.refusedKinds.add(kind);
      this.refusedWrites++;
      throw refused;
    }
    if (this.refusedKinds.delete(kind) && this.refusedKinds.size === 0) {
      const n = this.refusedWrites;
      this.refusedWrites = 0;
      this.options.onStorage?.({ recoveredAfter: n });
    }
    return result;
  }

  /** The LedgerWriteError for a storage failure, undefined for any other error. */
  private storageError(err: unknown): LedgerWriteError | undefined {
    if (typeof err !== 'object' || err === null) return undefined;
    const { code, message } = err as { code?: unknown; message?: unknown };
    // By its code, not by `instanceof`: the native addon keeps the error class of the first load
    // of better-sqlite3 in the process, so where the module is loaded again in another realm
    // (jest's per-file contexts) its errors are instances of neither SqliteError nor Error here.
    if (typeof code !== 'string' || !STORAGE_ERRORS.some((c) => code.startsWith(c))) return undefined;
    const setting = code === 'SQLITE_FULL' && this.options.maxSizeBytes ? `ledger.maxSizeBytes is ${this.options.maxSizeBytes}` : '';
    return new LedgerWriteError(this.file, code, String(message), setting);
  }

  /**
   * Cost breakdown over records with from <= t <= to (ms). Whole UTC hours inside the range come
   * from the hourly rollups, the partial hours at either end from the records themselves, so the
   * cost stays small however many records the range holds.
   */
  costs(groupBy: CostGrouping, from: number, to: number): CostsResponse {
    const raw = this.stmts.rawGroups[groupBy];
    const rollup = this.stmts.rollupGroups[groupBy];
    if (!raw || !rollup) throw new Error(`unknown cost grouping "${String(groupBy)}"`);
    // Hours [fullFrom, fullTo) lie wholly inside [from, to] (timestamps are whole ms).
    const fullFrom = Math.ceil(from / HOUR_MS) * HOUR_MS;
    const fullTo = Math.floor((Math.floor(to) + 1) / HOUR_MS) * HOUR_MS;
    const read = this.db.transaction((): AggRow[] => {
      if (fullFrom >= fullTo) return raw.all(from, to) as AggRow[];
      return [
        ...(rollup.all(fullFrom, fullTo) as AggRow[]),
        ...(from < fullFrom ? (raw.all(from, fullFrom - 1) as AggRow[]) : []),
        ...(fullTo <= to ? (raw.all(fullTo, to) as AggRow[]) : []),
      ];
    });
    const merged = new Map<string | number, AggRow>();
    const total: AggRow = { key: '', requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, unpriced: 0 };
    for (const g of read()) {
      let m = merged.get(g.key);
      if (!m) merged.set(g.key, (m = { key: g.key, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, unpriced: 0 }));
      for (const acc of [m, total]) {
        acc.requests += g.requests;
        acc.input_tokens += g.input_tokens;
        acc.output_tokens += g.output_tokens;
        acc.cost_usd += g.cost_usd;
        acc.unpriced += g.unpriced;
      }
    }
    const groups = [...merged.values()].filter((g) => g.requests > 0);
    let rows: CostRow[];
    if (groupBy === 'hour' || groupBy === 'day') {
      rows = groups
        .sort((a, b) => Number(a.key) - Number(b.key))
        .map((g) => toCostRow(g, isoTime(Number(g.key))));
    } else {
      rows = groups
        .map((g) => toCostRow(g, String(g.key)))
        .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    const { key: _key, ...totalRow } = toCostRow(total, '');
    return { groupBy, from, to, rows, total: totalRow };
  }

  /** Raw cost records with from <= t <= to, oldest first, at most `limit` (default 100,000). */
  costRecords(q: { from: number; to: number; limit?: number }): CostRecord[] {
    const rows = this.stmts.costRecords.all(q.from, q.to, Math.max(0, Math.floor(q.limit ?? 100_000))) as CostRecordRow[];
    return rows.map((r) => ({ ...r, success: r.success !== 0 }));
  }

  // ---------- templates ----------

  listTemplates(command?: string): Template[] {
    const rows = (command === undefined ? this.stmts.listTemplates.all() : this.stmts.listTemplatesOf.all(command)) as TemplateRow[];
    return rows.map(toTemplate);
  }

  getTemplate(id: string): Template | undefined {
    const row = this.stmts.getTemplate.get(id) as TemplateRow | undefined;
    return row ? toTemplate(row) : undefined;
  }

  /**
   * Saves a template. With an id: updates that template, or creates it under that id. Without
   * one: updates the template with the same command + name, or creates one with a new id.
   * Throws TemplateConflictError when the id's template would take another one's command + name.
   */
  putTemplate(input: PutTemplateInput): Template {
    const put = this.db.transaction((t: PutTemplateInput): Template => {
      const now = Date.now();
      const params = JSON.stringify(t.parameters ?? {});
      const byName = this.stmts.templateByName.get(t.command, t.name) as TemplateRow | undefined;
      const target = t.id !== undefined ? (this.stmts.getTemplate.get(t.id) as TemplateRow | undefined) : byName;
      if (t.id !== undefined && byName && byName.id !== t.id) throw new TemplateConflictError(t.command, t.name, byName.id);
      if (target) {
        const updatedAt = Math.max(now, target.created_at);
        this.stmts.updateTemplate.run(t.command, t.name, params, updatedAt, target.id);
        return toTemplate({ ...target, command: t.command, name: t.name, parameters: params, updated_at: updatedAt });
      }
      const row: TemplateRow = { id: t.id ?? crypto.randomUUID(), command: t.command, name: t.name, parameters: params, created_at: now, updated_at: now };
      this.stmts.insertTemplate.run(row.id, row.command, row.name, row.parameters, row.created_at, row.updated_at);
      return toTemplate(row);
    });
    return this.write('putTemplate', () => put.immediate(input));
  }

  deleteTemplate(id: string): boolean {
    return this.write('deleteTemplate', () => this.stmts.deleteTemplate.run(id).changes > 0);
  }

  // ---------- maintenance ----------

  /**
   * Applies retention: deletes finished runs (with their output) and cost records older than
   * retentionDays (0 = no age limit), then the oldest beyond maxRuns / maxCostRecords. Queued and
   * running runs are never deleted. Each table loses at most `maxDeletes` rows per call (default
   * 100,000) so one call stays short; `done` is false when more is left. Uses the time indexes;
   * the count limits cost one index scan (a few ms per million records).
   */
  prune(now: number, opts: { maxDeletes?: number } = {}): PruneResult {
    const budget = Math.max(1, Math.floor(opts.maxDeletes ?? PRUNE_BATCH));
    const { retentionDays, maxRuns, maxCostRecords } = this.options;
    const s = this.stmts;
    const work = this.db.transaction(() => {
      let runs = 0;
      let costRecords = 0;
      let done = true;
      const cutoff = retentionDays > 0 ? now - retentionDays * DAY_MS : undefined;
      if (cutoff !== undefined) runs += s.pruneRunsByAge.run(cutoff, budget).changes;
      const excessRuns = (s.countRuns.get() as number) - maxRuns;
      if (excessRuns > 0) {
        const n = Math.min(excessRuns, budget - runs);
        if (n > 0) runs += s.pruneRunsByCount.run(n).changes;
        if (n < excessRuns) done = false;
      }
      if (runs >= budget) done = false;

      // Cost records: both limits remove the oldest (by t), so one "oldest n" delete covers them.
      const tooOld = cutoff !== undefined ? (s.countCostsBefore.get(cutoff) as number) : 0;
      const tooMany = (s.countCosts.get() as number) - tooOld - maxCostRecords;
      const wanted = tooOld + Math.max(0, tooMany);
      const n = Math.min(wanted, budget);
      if (n < wanted) done = false;
      if (n > 0) {
        s.pickOldestCosts.run(n);
        s.subtractRollups.run();
        costRecords = s.deletePicked.run().changes;
        s.deleteEmptyRollups.run();
        s.clearPicked.run();
      }
      return { runs, costRecords, done };
    });
    return work.immediate();
  }

  /**
   * 'ok', or the problems one per line: SQLite's integrity check, foreign keys, and whether the
   * hourly cost rollups still equal the sums of the records. Reads the whole file: for start-up,
   * tests and diagnostics, not for a timer.
   */
  integrityCheck(): string {
    const problems = (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const result = problems.length === 1 && problems[0] === 'ok' ? [] : problems;
    for (const fk of this.db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>) {
      result.push(`foreign key: ${fk.table} row ${fk.rowid} refers to a missing ${fk.parent} row`);
    }
    if (result.length === 0) {
      const bad = this.stmts.rollupMismatches.get() as number;
      if (bad > 0) result.push(`cost_hourly: ${bad} rollup rows disagree with cost_records`);
    }
    return result.length === 0 ? 'ok' : result.join('\n');
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Checkpoints the WAL into the database file and closes. Safe to call more than once. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.file !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }
}
