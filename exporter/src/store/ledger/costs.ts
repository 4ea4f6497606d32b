/**
 * LLM cost records (table `cost_records`) and their hourly sums (`cost_hourly`), kept in the same
 * transactions that insert or prune records, so a breakdown reads a few rollup rows instead of
 * every record (README "The ledger").
 */
import type Database from 'better-sqlite3';
import type { CostGrouping, CostRow, CostSource, CostsResponse } from '@runboard/protocol';
import { DAY_MS, HOUR_MS, type CostRecord, type CostRecordInput } from './types';
import { roundUsd, USD_DECIMALS } from '../../money';

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
  duration_seconds, success, run_id, command, source, tag) VALUES`;
const COST_COLUMNS = 13;
const COST_ROW = `(${Array(COST_COLUMNS).fill('?').join(', ')})`;
/** Rows per multi-row INSERT (650 parameters, far below SQLite's limit of 32766). */
const COST_CHUNK = 50;

/** Aggregates over raw cost_records. */
const RAW_AGG = `count(*) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
  total(cost_usd) AS cost_usd, total(cost_usd IS NULL) AS unpriced`;
/** The same aggregates over the hourly rollups. */
const ROLLUP_AGG = `total(requests) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
  total(cost_usd) AS cost_usd, total(unpriced) AS unpriced`;

/** Group keys over raw records (t is stored as whole ms) and over rollups (command or tag '' = none). */
const RAW_KEY: Record<CostGrouping, string> = {
  model: 'model',
  provider: 'provider',
  command: `coalesce(command, '(none)')`,
  tag: `coalesce(tag, '(none)')`,
  hour: `(t / ${HOUR_MS}) * ${HOUR_MS}`,
  day: `(t / ${DAY_MS}) * ${DAY_MS}`,
};
const ROLLUP_KEY: Record<CostGrouping, string> = {
  model: 'model',
  provider: 'provider',
  command: `CASE command WHEN '' THEN '(none)' ELSE command END`,
  tag: `CASE tag WHEN '' THEN '(none)' ELSE tag END`,
  hour: 'hour',
  day: `(hour / ${DAY_MS}) * ${DAY_MS}`,
};

/** One rollup row's increments, accumulated per batch before the upsert. */
interface RollupDelta {
  hour: number;
  provider: string;
  model: string;
  command: string;
  source: CostSource;
  tag: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced: number;
}

/**
 * The rollup rows the cost records matching `where` add up to: what cost_hourly holds for them.
 * Retention subtracts these before deleting records; the integrity check compares all of them.
 */
export function rollupsOfRecords(where = ''): string {
  return `SELECT (t / ${HOUR_MS}) * ${HOUR_MS} AS hour, provider, model, coalesce(command, '') AS command, source, coalesce(tag, '') AS tag,
                 count(*) AS requests, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
                 total(cost_usd) AS cost_usd, total(cost_usd IS NULL) AS unpriced
          FROM cost_records ${where} GROUP BY 1, 2, 3, 4, 5, 6`;
}

export class CostStore {
  private readonly insertTx: (records: readonly CostRecordInput[]) => number;
  /** [all sources, some sources (a last parameter: their JSON array)]. */
  private readonly recordsStmt: [Database.Statement, Database.Statement];
  private readonly rawGroups: [Record<CostGrouping, Database.Statement>, Record<CostGrouping, Database.Statement>];
  private readonly rollupGroups: [Record<CostGrouping, Database.Statement>, Record<CostGrouping, Database.Statement>];

  constructor(private readonly db: Database.Database) {
    const insertCost = db.prepare(`${INSERT_COST} ${COST_ROW}`);
    const insertCostChunk = db.prepare(`${INSERT_COST} ${Array(COST_CHUNK).fill(COST_ROW).join(', ')}`);
    const upsertRollup = db.prepare(
      `INSERT INTO cost_hourly (hour, provider, model, command, source, tag, requests, input_tokens, output_tokens, cost_usd, unpriced)
       VALUES (@hour, @provider, @model, @command, @source, @tag, @requests, @input_tokens, @output_tokens, @cost_usd, @unpriced)
       ON CONFLICT (hour, provider, model, command, source, tag) DO UPDATE SET
         requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens, cost_usd = round(cost_usd + excluded.cost_usd, ${USD_DECIMALS}),
         unpriced = unpriced + excluded.unpriced`,
    );
    const bySource = ['', ' AND source IN (SELECT value FROM json_each(?))'] as const;
    const [all, one] = bySource.map((and) => db.prepare(`SELECT * FROM cost_records WHERE t >= ? AND t <= ?${and} ORDER BY t, id LIMIT ?`));
    this.recordsStmt = [all, one];
    const groups = (keys: Record<CostGrouping, string>, sql: (key: string, and: string) => string) =>
      bySource.map((and) => Object.fromEntries(Object.entries(keys).map(([g, key]) => [g, db.prepare(sql(key, and))])) as Record<CostGrouping, Database.Statement>) as [
        Record<CostGrouping, Database.Statement>,
        Record<CostGrouping, Database.Statement>,
      ];
    this.rawGroups = groups(RAW_KEY, (key, and) => `SELECT ${key} AS key, ${RAW_AGG} FROM cost_records WHERE t >= ? AND t <= ?${and} GROUP BY 1`);
    this.rollupGroups = groups(ROLLUP_KEY, (key, and) => `SELECT ${key} AS key, ${ROLLUP_AGG} FROM cost_hourly WHERE hour >= ? AND hour < ?${and} GROUP BY 1`);
    const params: unknown[] = new Array(COST_COLUMNS * COST_CHUNK);
    this.insertTx = db.transaction((records: readonly CostRecordInput[]) => {
      // Rows go in COST_CHUNK at a time through one multi-row INSERT (half the cost of one call
      // per row); the rest one by one. Rollup increments are summed per batch in JS: a batch
      // touches a handful of (hour, provider, model, command, source, tag) keys, so a few upserts, not one per record.
      const deltas = new Map<string, RollupDelta>();
      const chunked = records.length - (records.length % COST_CHUNK);
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const unpriced = r.priced === 'unpriced';
        // Whole nano-dollars, and every sum of them rounded again (money.ts): no float noise.
        const cost = unpriced || r.cost_usd === undefined ? null : roundUsd(r.cost_usd);
        const t = Math.floor(r.t);
        const command = r.command || null;
        const tag = r.tag || null;
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
          tag,
        ];
        if (i < chunked) {
          const o = (i % COST_CHUNK) * COST_COLUMNS;
          for (let k = 0; k < COST_COLUMNS; k++) params[o + k] = row[k];
          if (i % COST_CHUNK === COST_CHUNK - 1) insertCostChunk.run(params);
        } else {
          insertCost.run(row);
        }
        const hour = Math.floor(t / HOUR_MS) * HOUR_MS;
        const key = `${hour}\u0000${r.provider}\u0000${r.model}\u0000${command ?? ''}\u0000${r.source}\u0000${tag ?? ''}`;
        let d = deltas.get(key);
        if (!d) {
          d = {
            hour,
            provider: r.provider,
            model: r.model,
            command: command ?? '',
            source: r.source,
            tag: tag ?? '',
            requests: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0,
            unpriced: 0,
          };
          deltas.set(key, d);
        }
        d.requests += 1;
        d.input_tokens += r.input_tokens;
        d.output_tokens += r.output_tokens;
        if (cost === null) d.unpriced += 1;
        else d.cost_usd = roundUsd(d.cost_usd + cost);
      }
      for (const d of deltas.values()) upsertRollup.run(d);
      return records.length;
    });
  }

  /** Stores a batch in one transaction (see Ledger.insertCostRecords). */
  insert(records: readonly CostRecordInput[]): number {
    return this.insertTx(records);
  }

  costs(groupBy: CostGrouping, from: number, to: number, sources?: readonly CostSource[]): CostsResponse {
    const f = sources === undefined ? 0 : 1;
    const rawStmt = this.rawGroups[f][groupBy];
    const rollupStmt = this.rollupGroups[f][groupBy];
    if (!rawStmt || !rollupStmt) throw new Error(`unknown cost grouping "${String(groupBy)}"`);
    const filter = sources === undefined ? [] : [JSON.stringify(sources)];
    const raw = { all: (a: number, b: number) => rawStmt.all(a, b, ...filter) };
    const rollup = { all: (a: number, b: number) => rollupStmt.all(a, b, ...filter) };
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
        acc.cost_usd = roundUsd(acc.cost_usd + g.cost_usd);
        acc.unpriced += g.unpriced;
      }
    }
    const groups = [...merged.values()].filter((g) => g.requests > 0);
    let rows: CostRow[];
    if (groupBy === 'hour' || groupBy === 'day') {
      rows = groups.sort((a, b) => Number(a.key) - Number(b.key)).map((g) => toCostRow(g, isoTime(Number(g.key))));
    } else {
      rows = groups.map((g) => toCostRow(g, String(g.key))).sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    const { key: _key, ...totalRow } = toCostRow(total, '');
    return { groupBy, from, to, rows, total: totalRow };
  }

  records(q: { from: number; to: number; limit?: number; sources?: readonly CostSource[] }): CostRecord[] {
    const limit = Math.max(0, Math.floor(q.limit ?? 100_000));
    const rows = (
      q.sources === undefined ? this.recordsStmt[0].all(q.from, q.to, limit) : this.recordsStmt[1].all(q.from, q.to, JSON.stringify(q.sources), limit)
    ) as CostRecordRow[];
    return rows.map((r) => ({ ...r, success: r.success !== 0 }));
  }
}
