/** The ledger's self-check: SQLite's own checks, then whether the cost rollups match the records. */
import type Database from 'better-sqlite3';
import { rollupsOfRecords } from './costs';

/**
 * 'ok', or the problems one per line: SQLite's integrity check, foreign keys, and whether the
 * hourly cost rollups still equal the sums of the records. Reads the whole file: for start-up,
 * tests and diagnostics, not for a timer.
 */
export function integrityCheck(db: Database.Database): string {
  const problems = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  const result = problems.length === 1 && problems[0] === 'ok' ? [] : problems;
  for (const fk of db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>) {
    result.push(`foreign key: ${fk.table} row ${fk.rowid} refers to a missing ${fk.parent} row`);
  }
  if (result.length === 0) {
    const bad = db
      .prepare(
        `SELECT count(*) FROM (${rollupsOfRecords()}) r
         FULL OUTER JOIN cost_hourly h USING (hour, provider, model, command, source, tag)
         WHERE r.requests IS NOT h.requests OR r.input_tokens IS NOT h.input_tokens OR r.output_tokens IS NOT h.output_tokens
            OR r.unpriced IS NOT h.unpriced OR abs(r.cost_usd - h.cost_usd) > 1e-6 * max(1, abs(r.cost_usd))`,
      )
      .pluck()
      .get() as number;
    if (bad > 0) result.push(`cost_hourly: ${bad} rollup rows disagree with cost_records`);
  }
  return result.length === 0 ? 'ok' : result.join('\n');
}
