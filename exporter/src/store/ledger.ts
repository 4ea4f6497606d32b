/**
 * The ledger: what must survive a restart and be queried in detail (docs/architecture.md) — command runs
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
 *
 * This class is the facade: each concern lives in ./ledger/ (open, runs, costs, templates,
 * retention, integrity), and every write passes through `write()` here, the one place that turns
 * storage failures into LedgerWriteError and reports their bursts.
 */
import type Database from 'better-sqlite3';
import type { CostGrouping, CostsResponse, OutputLine, RunInfo, Template } from '@runboard/protocol';
import { CostStore } from './ledger/costs';
import { WriteGuard } from './ledger/errors';
import { integrityCheck } from './ledger/integrity';
import { openDatabase } from './ledger/open';
import { Retention } from './ledger/retention';
import { RunStore } from './ledger/runs';
import { TemplateStore } from './ledger/templates';
import type { CostRecord, CostRecordInput, CostSource, LedgerOptions, ListRunsQuery, PruneResult, PutTemplateInput } from './ledger/types';

export { LedgerVersionError, migrations, latestVersion, runMigrations } from './migrations';
export type { Migration } from './migrations';
export { LedgerWriteError, TemplateConflictError } from './ledger/errors';
export { INTERRUPTED_RUN_ERROR } from './ledger/runs';
export type { CostRecord, CostRecordInput, CostSource, LedgerOptions, ListRunsQuery, PruneResult, PutTemplateInput } from './ledger/types';

export class Ledger {
  private readonly runs: RunStore;
  private readonly costStore: CostStore;
  private readonly templates: TemplateStore;
  private readonly retention: Retention;
  private readonly guard: WriteGuard;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    readonly options: Readonly<LedgerOptions>,
  ) {
    this.runs = new RunStore(db);
    this.costStore = new CostStore(db);
    this.templates = new TemplateStore(db);
    this.retention = new Retention(db, options);
    this.guard = new WriteGuard(file, options.maxSizeBytes, options.onStorage);
  }

  /**
   * Opens (creating it 0600 and its directory 0700 if needed) and migrates the ledger at `file`
   * (`:memory:` for a throw-away one). Throws LedgerVersionError for a ledger written by a newer
   * Runboard.
   */
  static open(file: string, opts: LedgerOptions): Ledger {
    const db = openDatabase(file, opts);
    try {
      return new Ledger(file, db, { ...opts });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  // ---------- runs ----------

  /** Records a new run (its id comes from the caller); throws if the id exists. */
  insertRun(run: RunInfo): void {
    this.write('insertRun', () => this.runs.insert(run));
  }

  /**
   * Stores the run's current state (inserting it if it is missing). The output tail is kept
   * unless a new one is given.
   */
  updateRun(run: RunInfo, outputTail?: string): void {
    this.write('updateRun', () => this.runs.upsert(run, outputTail));
  }

  getRun(id: string): RunInfo | undefined {
    return this.runs.get(id);
  }

  /** The output tail stored with the run's last update, if any. */
  getOutputTail(id: string): string | undefined {
    return this.runs.outputTail(id);
  }

  /** Runs matching the filters, newest (requestedAt) first, and how many match in all. */
  listRuns(q: ListRunsQuery): { runs: RunInfo[]; total: number } {
    return this.runs.list(q);
  }

  /** Stores a run's (capped) output lines, replacing what was stored. The run must exist. */
  saveOutput(runId: string, lines: readonly OutputLine[]): void {
    this.write('saveOutput', () => this.runs.saveOutput(runId, lines));
  }

  getOutput(runId: string): OutputLine[] | undefined {
    return this.runs.output(runId);
  }

  /**
   * At start-up: runs a previous process left queued or running can no longer finish; they
   * become finished / cancelled with an error saying why. Returns how many.
   */
  interruptActiveRuns(now: number): number {
    return this.runs.interruptActive(now);
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
    return this.write('insertCostRecords', () => this.costStore.insert(records));
  }

  /**
   * Cost breakdown over records with from <= t <= to (ms). Whole UTC hours inside the range come
   * from the hourly rollups, the partial hours at either end from the records themselves, so the
   * cost stays small however many records the range holds. With `sources`, those sources' records only.
   */
  costs(groupBy: CostGrouping, from: number, to: number, sources?: readonly CostSource[]): CostsResponse {
    return this.costStore.costs(groupBy, from, to, sources);
  }

  /** Raw cost records with from <= t <= to (and of `sources` when given), oldest first, at most `limit` (default 100,000). */
  costRecords(q: { from: number; to: number; limit?: number; sources?: readonly CostSource[] }): CostRecord[] {
    return this.costStore.records(q);
  }

  // ---------- templates ----------

  listTemplates(command?: string): Template[] {
    return this.templates.list(command);
  }

  getTemplate(id: string): Template | undefined {
    return this.templates.get(id);
  }

  /**
   * Saves a template. With an id: updates that template, or creates it under that id. Without
   * one: updates the template with the same command + name, or creates one with a new id.
   * Throws TemplateConflictError when the id's template would take another one's command + name.
   */
  putTemplate(input: PutTemplateInput): Template {
    return this.write('putTemplate', () => this.templates.put(input));
  }

  deleteTemplate(id: string): boolean {
    return this.write('deleteTemplate', () => this.templates.delete(id));
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
    return this.retention.prune(now, opts);
  }

  /**
   * 'ok', or the problems one per line: SQLite's integrity check, foreign keys, and whether the
   * hourly cost rollups still equal the sums of the records. Reads the whole file: for start-up,
   * tests and diagnostics, not for a timer.
   */
  integrityCheck(): string {
    return integrityCheck(this.db);
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

  /** Every write: a storage failure becomes a LedgerWriteError, bursts reported once (ledger/errors.ts). */
  private write<T>(kind: string, fn: () => T): T {
    return this.guard.run(kind, fn);
  }
}
