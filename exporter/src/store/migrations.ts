/**
 * Ledger schema migrations, versioned in code.
 *
 * Each migration has a version (1, 2, 3, … with no gaps) and an `up` step: SQL text, or a
 * function given the open database. The database's `PRAGMA user_version` holds the last version
 * applied. `runMigrations` applies the pending ones in order, each in its own IMMEDIATE
 * transaction together with the `user_version` bump, so a crash mid-migration leaves the
 * database at the previous version with nothing half-applied. A database whose version is newer
 * than the newest migration here was written by a newer Runboard and is refused, not touched.
 *
 * Rules for adding a migration: append, never edit or reorder a released one; keep `up` free of
 * `PRAGMA journal_mode` and other statements SQLite refuses inside a transaction.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up: string | ((db: Database) => void);
}

export class LedgerVersionError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `ledger ${file} has schema version ${found}, but this Runboard only knows versions up to ${known}: ` +
        'it was written by a newer Runboard. Upgrade Runboard, or point --data-dir at another directory.',
    );
    this.name = 'LedgerVersionError';
  }
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'runs, run output, cost records, templates',
    up: `
      CREATE TABLE runs (
        id                TEXT PRIMARY KEY,
        command           TEXT NOT NULL,
        parameters        TEXT NOT NULL DEFAULT '{}',   -- JSON object
        status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'finished')),
        outcome           TEXT CHECK (outcome IN ('success', 'failure', 'timeout', 'cancelled')),
        queue_position    INTEGER,
        started_by        TEXT,
        requested_at      INTEGER NOT NULL,             -- ms since the epoch
        started_at        INTEGER,
        finished_at       INTEGER,
        duration_seconds  REAL,
        exit_code         INTEGER,
        signal            TEXT,
        progress          REAL,
        progress_message  TEXT,
        input_tokens      INTEGER NOT NULL DEFAULT 0,
        output_tokens     INTEGER NOT NULL DEFAULT 0,
        cost_usd          REAL NOT NULL DEFAULT 0,
        output_bytes      INTEGER NOT NULL DEFAULT 0,
        truncated         INTEGER NOT NULL DEFAULT 0,   -- 0 / 1
        error             TEXT,
        output_tail       TEXT                          -- last few KiB of output, for list views
      );
      CREATE INDEX runs_requested_at ON runs (requested_at);
      CREATE INDEX runs_command ON runs (command, requested_at);
      CREATE INDEX runs_outcome ON runs (outcome, requested_at);

      -- The stored (capped) output of a finished run: one row per run, lines as a JSON array.
      CREATE TABLE run_output (
        run_id  TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        lines   TEXT NOT NULL
      );

      CREATE TABLE cost_records (
        id                INTEGER PRIMARY KEY,
        t                 INTEGER NOT NULL,             -- ms since the epoch
        provider          TEXT NOT NULL,
        model             TEXT NOT NULL,
        input_tokens      INTEGER NOT NULL,
        output_tokens     INTEGER NOT NULL,
        cost_usd          REAL,                         -- NULL when unpriced
        priced            TEXT NOT NULL CHECK (priced IN ('client', 'table', 'unpriced')),
        duration_seconds  REAL,
        success           INTEGER NOT NULL,             -- 0 / 1
        run_id            TEXT,                         -- no foreign key: ingest may name any run
        command           TEXT,
        source            TEXT NOT NULL CHECK (source IN ('ingest', 'sdk', 'command')),
        CHECK ((priced = 'unpriced') = (cost_usd IS NULL))
      );
      CREATE INDEX cost_records_t ON cost_records (t);

      CREATE TABLE templates (
        id          TEXT PRIMARY KEY,
        command     TEXT NOT NULL,
        name        TEXT NOT NULL,
        parameters  TEXT NOT NULL DEFAULT '{}',         -- JSON object
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (command, name)
      );
    `,
  },
  {
    version: 2,
    description: 'hourly cost rollups (cost breakdowns without scanning every record)',
    // One row per hour x provider x model x command (command '' = none), kept equal to the sums
    // of cost_records by Ledger in the same transactions that insert or prune records.
    up: `
      CREATE TABLE cost_hourly (
        hour           INTEGER NOT NULL,              -- ms since the epoch, start of the UTC hour
        provider       TEXT NOT NULL,
        model          TEXT NOT NULL,
        command        TEXT NOT NULL,                 -- '' for records without a command
        requests       INTEGER NOT NULL,
        input_tokens   INTEGER NOT NULL,
        output_tokens  INTEGER NOT NULL,
        cost_usd       REAL NOT NULL,                 -- priced records only
        unpriced       INTEGER NOT NULL,
        PRIMARY KEY (hour, provider, model, command)
      ) WITHOUT ROWID;
      INSERT INTO cost_hourly
        SELECT (t / 3600000) * 3600000, provider, model, coalesce(command, ''),
               count(*), total(input_tokens), total(output_tokens), total(cost_usd), total(cost_usd IS NULL)
        FROM cost_records GROUP BY 1, 2, 3, 4;
    `,
  },
  {
    version: 3,
    description: 'cost_records CHECKs as comparisons (same rules, ~0.7 µs less per insert)',
    // SQLite evaluates `x IN ('a', 'b', 'c')` in a CHECK through a lookup it sets up for each
    // row: the two IN lists cost ~0.35 µs each per inserted record, about a third of an insert
    // (bench/README.md, SDK). The same rules as OR-ed comparisons cost nothing measurable.
    // SQLite cannot alter a CHECK, so the table is rebuilt (its documented procedure: new table,
    // copy, drop, rename, index); ids are kept, and the rollups do not change.
    up: `
      CREATE TABLE cost_records_v3 (
        id                INTEGER PRIMARY KEY,
        t                 INTEGER NOT NULL,             -- ms since the epoch
        provider          TEXT NOT NULL,
        model             TEXT NOT NULL,
        input_tokens      INTEGER NOT NULL,
        output_tokens     INTEGER NOT NULL,
        cost_usd          REAL,                         -- NULL when unpriced
        priced            TEXT NOT NULL CHECK (priced = 'client' OR priced = 'table' OR priced = 'unpriced'),
        duration_seconds  REAL,
        success           INTEGER NOT NULL,             -- 0 / 1
        run_id            TEXT,                         -- no foreign key: ingest may name any run
        command           TEXT,
        source            TEXT NOT NULL CHECK (source = 'ingest' OR source = 'sdk' OR source = 'command'),
        CHECK ((priced = 'unpriced') = (cost_usd IS NULL))
      );
      INSERT INTO cost_records_v3 (id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, duration_seconds, success, run_id, command, source)
        SELECT id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, duration_seconds, success, run_id, command, source
        FROM cost_records;
      DROP TABLE cost_records;
      ALTER TABLE cost_records_v3 RENAME TO cost_records;
      CREATE INDEX cost_records_t ON cost_records (t);
    `,
  },
  {
    version: 4,
    description: "cost_records.source also 'otlp' and 'proxy' (README \"AI cost without code\")",
    // Same rebuild as version 3: SQLite cannot alter a CHECK.
    up: `
      CREATE TABLE cost_records_v4 (
        id                INTEGER PRIMARY KEY,
        t                 INTEGER NOT NULL,             -- ms since the epoch
        provider          TEXT NOT NULL,
        model             TEXT NOT NULL,
        input_tokens      INTEGER NOT NULL,
        output_tokens     INTEGER NOT NULL,
        cost_usd          REAL,                         -- NULL when unpriced
        priced            TEXT NOT NULL CHECK (priced = 'client' OR priced = 'table' OR priced = 'unpriced'),
        duration_seconds  REAL,
        success           INTEGER NOT NULL,             -- 0 / 1
        run_id            TEXT,                         -- no foreign key: ingest may name any run
        command           TEXT,
        source            TEXT NOT NULL CHECK (source = 'ingest' OR source = 'sdk' OR source = 'command' OR source = 'otlp' OR source = 'proxy'),
        CHECK ((priced = 'unpriced') = (cost_usd IS NULL))
      );
      INSERT INTO cost_records_v4 (id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, duration_seconds, success, run_id, command, source)
        SELECT id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, duration_seconds, success, run_id, command, source
        FROM cost_records;
      DROP TABLE cost_records;
      ALTER TABLE cost_records_v4 RENAME TO cost_records;
      CREATE INDEX cost_records_t ON cost_records (t);
    `,
  },
  {
    version: 5,
    description: 'cost_hourly per source too (the costs API filters by source without scanning records)',
    // Rebuilt from the records, which the rollups equal (README "The ledger").
    up: `
      CREATE TABLE cost_hourly_v5 (
        hour           INTEGER NOT NULL,              -- ms since the epoch, start of the UTC hour
        provider       TEXT NOT NULL,
        model          TEXT NOT NULL,
        command        TEXT NOT NULL,                 -- '' for records without a command
        source         TEXT NOT NULL,
        requests       INTEGER NOT NULL,
        input_tokens   INTEGER NOT NULL,
        output_tokens  INTEGER NOT NULL,
        cost_usd       REAL NOT NULL,                 -- priced records only
        unpriced       INTEGER NOT NULL,
        PRIMARY KEY (hour, provider, model, command, source)
      ) WITHOUT ROWID;
      INSERT INTO cost_hourly_v5
        SELECT (t / 3600000) * 3600000, provider, model, coalesce(command, ''), source,
               count(*), total(input_tokens), total(output_tokens), round(total(cost_usd), 9), total(cost_usd IS NULL)
        FROM cost_records GROUP BY 1, 2, 3, 4, 5;
      DROP TABLE cost_hourly;
      ALTER TABLE cost_hourly_v5 RENAME TO cost_hourly;
    `,
  },
  {
    version: 6,
    description: "cost_records.tag, the caller's tag, and cost_hourly per tag (costs by tag)",
    // Until now the proxy kept X-Runboard-Tag in `command` (a proxied call has no command):
    // moved to `tag`. The rollups are then rebuilt from the records, as in version 5.
    up: `
      ALTER TABLE cost_records ADD COLUMN tag TEXT;
      UPDATE cost_records SET tag = command, command = NULL WHERE source = 'proxy' AND command IS NOT NULL;
      CREATE TABLE cost_hourly_v6 (
        hour           INTEGER NOT NULL,              -- ms since the epoch, start of the UTC hour
        provider       TEXT NOT NULL,
        model          TEXT NOT NULL,
        command        TEXT NOT NULL,                 -- '' for records without a command
        source         TEXT NOT NULL,
        tag            TEXT NOT NULL,                 -- '' for records without a tag
        requests       INTEGER NOT NULL,
        input_tokens   INTEGER NOT NULL,
        output_tokens  INTEGER NOT NULL,
        cost_usd       REAL NOT NULL,                 -- priced records only
        unpriced       INTEGER NOT NULL,
        PRIMARY KEY (hour, provider, model, command, source, tag)
      ) WITHOUT ROWID;
      INSERT INTO cost_hourly_v6
        SELECT (t / 3600000) * 3600000, provider, model, coalesce(command, ''), source, coalesce(tag, ''),
               count(*), total(input_tokens), total(output_tokens), round(total(cost_usd), 9), total(cost_usd IS NULL)
        FROM cost_records GROUP BY 1, 2, 3, 4, 5, 6;
      DROP TABLE cost_hourly;
      ALTER TABLE cost_hourly_v6 RENAME TO cost_hourly;
    `,
  },
];

/** The schema version the code knows: the last migration's. */
export function latestVersion(list: readonly Migration[] = migrations): number {
  return list.length === 0 ? 0 : list[list.length - 1].version;
}

function checkList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`ledger migration #${i} has version ${m.version}; versions must be 1, 2, 3, … in order`);
  });
}

/**
 * Brings the database up to the newest migration in `list`. Returns the versions applied (empty
 * when it was up to date). Throws LedgerVersionError, touching nothing, for a database newer
 * than `list`; a failing step rolls back that step and throws, leaving earlier steps applied.
 */
export function runMigrations(db: Database, list: readonly Migration[] = migrations, file = db.name): number[] {
  checkList(list);
  const known = latestVersion(list);
  const current = () => db.pragma('user_version', { simple: true }) as number;
  const before = current();
  if (before > known) throw new LedgerVersionError(file, before, known);
  const applied: number[] = [];
  for (const m of list) {
    if (m.version <= before) continue;
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated since we looked.
      const now = current();
      if (now > known) throw new LedgerVersionError(file, now, known);
      if (now >= m.version) return false;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    try {
      if (step.immediate()) applied.push(m.version);
    } catch (err) {
      if (err instanceof LedgerVersionError) throw err;
      const e = new Error(`ledger migration ${m.version} (${m.description}) failed: ${(err as Error).message}`);
      (e as Error & { cause?: unknown }).cause = err;
      throw e;
    }
  }
  return applied;
}
