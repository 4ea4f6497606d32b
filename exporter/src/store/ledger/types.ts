/** The ledger's option and record types (the facade, ../ledger.ts, re-exports them). */
import type { CostRecord, CostSource, ParameterValue, RunOutcome, RunStatus } from '@runboard/protocol';
import type { LedgerWriteError } from './errors';

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
  source: CostSource;
  /** The caller's tag (ingest `tag`, the proxy's X-Runboard-Tag). */
  tag?: string;
}

// The wire types of cost records live in @runboard/protocol; the ledger stores and returns them.
export type { CostRecord, CostSource };

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

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
