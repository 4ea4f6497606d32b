/**
 * Retention (README "The ledger"): finished runs and cost records beyond `ledger.retentionDays`,
 * `ledger.maxRuns` or `ledger.maxCostRecords` are deleted, oldest first, in bounded slices.
 */
import type Database from 'better-sqlite3';
import { rollupsOfRecords } from './costs';
import { DAY_MS, type LedgerOptions, type PruneResult } from './types';
import { USD_DECIMALS } from '../../money';

/** Default most rows each table loses in one prune() call, to bound the time it holds the loop. */
const PRUNE_BATCH = 100_000;

export class Retention {
  private readonly work: Database.Transaction<(now: number, budget: number) => PruneResult>;

  constructor(db: Database.Database, options: Readonly<Pick<LedgerOptions, 'retentionDays' | 'maxRuns' | 'maxCostRecords'>>) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)');
    // Active runs are never pruned: the process that runs them still updates them.
    const pruneRunsByAge = db.prepare(`DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE status = 'finished' AND requested_at < ? ORDER BY requested_at LIMIT ?)`);
    const countRuns = db.prepare(`SELECT count(*) FROM runs`).pluck();
    const pruneRunsByCount = db.prepare(`DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE status = 'finished' ORDER BY requested_at, rowid LIMIT ?)`);
    const countCosts = db.prepare(`SELECT count(*) FROM cost_records`).pluck();
    const countCostsBefore = db.prepare(`SELECT count(*) FROM cost_records WHERE t < ?`).pluck();
    // Pruning cost records: the doomed ids (always the oldest by t, id) go to a temp table,
    // their sums come off the rollups, then they go.
    const pickOldestCosts = db.prepare(`INSERT INTO temp.prune_ids (id) SELECT id FROM cost_records ORDER BY t, id LIMIT ?`);
    const subtractRollups = db.prepare(
      `UPDATE cost_hourly SET requests = cost_hourly.requests - d.requests, input_tokens = cost_hourly.input_tokens - d.input_tokens,
         output_tokens = cost_hourly.output_tokens - d.output_tokens, cost_usd = round(cost_hourly.cost_usd - d.cost_usd, ${USD_DECIMALS}),
         unpriced = cost_hourly.unpriced - d.unpriced
       FROM (${rollupsOfRecords('WHERE id IN (SELECT id FROM temp.prune_ids)')}) AS d
       WHERE cost_hourly.hour = d.hour AND cost_hourly.provider = d.provider AND cost_hourly.model = d.model
         AND cost_hourly.command = d.command AND cost_hourly.source = d.source AND cost_hourly.tag = d.tag`,
    );
    const deletePicked = db.prepare(`DELETE FROM cost_records WHERE id IN (SELECT id FROM temp.prune_ids)`);
    const deleteEmptyRollups = db.prepare(`DELETE FROM cost_hourly WHERE requests <= 0`);
    const clearPicked = db.prepare(`DELETE FROM temp.prune_ids`);
    const { retentionDays, maxRuns, maxCostRecords } = options;

    this.work = db.transaction((now: number, budget: number): PruneResult => {
      let runs = 0;
      let costRecords = 0;
      let done = true;
      const cutoff = retentionDays > 0 ? now - retentionDays * DAY_MS : undefined;
      if (cutoff !== undefined) runs += pruneRunsByAge.run(cutoff, budget).changes;
      const excessRuns = (countRuns.get() as number) - maxRuns;
      if (excessRuns > 0) {
        const n = Math.min(excessRuns, budget - runs);
        if (n > 0) runs += pruneRunsByCount.run(n).changes;
        if (n < excessRuns) done = false;
      }
      if (runs >= budget) done = false;

      // Cost records: both limits remove the oldest (by t), so one "oldest n" delete covers them.
      const tooOld = cutoff !== undefined ? (countCostsBefore.get(cutoff) as number) : 0;
      const tooMany = (countCosts.get() as number) - tooOld - maxCostRecords;
      const wanted = tooOld + Math.max(0, tooMany);
      const n = Math.min(wanted, budget);
      if (n < wanted) done = false;
      if (n > 0) {
        pickOldestCosts.run(n);
        subtractRollups.run();
        costRecords = deletePicked.run().changes;
        deleteEmptyRollups.run();
        clearPicked.run();
      }
      return { runs, costRecords, done };
    });
  }

  /** See Ledger.prune. */
  prune(now: number, opts: { maxDeletes?: number } = {}): PruneResult {
    const budget = Math.max(1, Math.floor(opts.maxDeletes ?? PRUNE_BATCH));
    return this.work.immediate(now, budget);
  }
}
