import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { latestVersion, Ledger, LedgerVersionError, migrations, runMigrations, type Migration } from '../../exporter/src/store/ledger';

const OPTS = { retentionDays: 0, maxRuns: 10_000, maxCostRecords: 1_000_000 };

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'ledger.db');
}

const userVersion = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

const tables = (db: Database.Database): string[] => db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];

describe('Ledger migrations', () => {
  it('migrates a new ledger to the latest version and does nothing on reopen', () => {
    const file = tmpFile();
    expect(latestVersion()).toBe(migrations.length);
    migrations.forEach((m, i) => expect(m.version).toBe(i + 1));
    const ledger = Ledger.open(file, OPTS);
    ledger.close();
    expect(userVersion(file)).toBe(latestVersion());

    const db = new Database(file);
    expect(tables(db)).toEqual(expect.arrayContaining(['cost_hourly', 'cost_records', 'run_output', 'runs', 'templates']));
    expect(runMigrations(db)).toEqual([]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('upgrades an older ledger in place (v1 -> latest backfills the cost rollups)', () => {
    const file = tmpFile();
    const db = new Database(file);
    expect(runMigrations(db, migrations.slice(0, 1))).toEqual([1]);
    const insert = db.prepare(
      `INSERT INTO cost_records (t, provider, model, input_tokens, output_tokens, cost_usd, priced, success, command, source) VALUES (?, 'openai', ?, ?, 1, ?, ?, 1, ?, 'ingest')`,
    );
    const hour = 3_600_000;
    insert.run(10 * hour + 5, 'gpt-4o', 100, 0.5, 'client', 'build');
    insert.run(10 * hour + 6, 'gpt-4o', 200, 0.25, 'table', null);
    insert.run(11 * hour, 'mystery', 50, null, 'unpriced', null);
    db.close();
    expect(userVersion(file)).toBe(1);

    const ledger = Ledger.open(file, OPTS);
    try {
      expect(userVersion(file)).toBe(latestVersion());
      expect(ledger.integrityCheck()).toBe('ok');
      const byHour = ledger.costs('hour', 0, 24 * hour);
      expect(byHour.rows).toEqual([
        { key: new Date(10 * hour).toISOString(), requests: 2, inputTokens: 300, outputTokens: 2, costUsd: 0.75, unpriced: 0 },
        { key: new Date(11 * hour).toISOString(), requests: 1, inputTokens: 50, outputTokens: 1, costUsd: 0, unpriced: 1 },
      ]);
      expect(ledger.costs('command', 0, 24 * hour).rows.map((r) => [r.key, r.requests])).toEqual([
        ['build', 1],
        ['(none)', 2],
      ]);
    } finally {
      ledger.close();
    }

    // v3 rebuilt cost_records with its CHECKs written as comparisons: rows and ids kept, the same
    // rules still refuse what they refused.
    const after = new Database(file);
    try {
      expect(after.prepare('SELECT id, t, model, cost_usd, priced, command FROM cost_records ORDER BY id').all()).toEqual([
        { id: 1, t: 10 * hour + 5, model: 'gpt-4o', cost_usd: 0.5, priced: 'client', command: 'build' },
        { id: 2, t: 10 * hour + 6, model: 'gpt-4o', cost_usd: 0.25, priced: 'table', command: null },
        { id: 3, t: 11 * hour, model: 'mystery', cost_usd: null, priced: 'unpriced', command: null },
      ]);
      expect(after.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'cost_records'`).pluck().all()).toEqual(['cost_records_t']);
      const add = after.prepare(
        `INSERT INTO cost_records (t, provider, model, input_tokens, output_tokens, cost_usd, priced, success, source) VALUES (1, 'p', 'm', 1, 1, ?, ?, 1, ?)`,
      );
      expect(() => add.run(0.1, 'bogus', 'ingest')).toThrow(/CHECK constraint failed/);
      expect(() => add.run(0.1, 'client', 'shell')).toThrow(/CHECK constraint failed/);
      expect(() => add.run(0.1, 'unpriced', 'ingest')).toThrow(/CHECK constraint failed/);
      expect(() => add.run(null, 'table', 'ingest')).toThrow(/CHECK constraint failed/);
      expect(add.run(null, 'unpriced', 'sdk').changes).toBe(1);
    } finally {
      after.close();
    }
  });

  it("upgrades a version-5 ledger holding data (v6): records and rollups kept, the proxy's tags moved out of command", () => {
    const file = tmpFile();
    const db = new Database(file);
    expect(runMigrations(db, migrations.slice(0, 5))).toEqual([1, 2, 3, 4, 5]);
    const insert = db.prepare(
      `INSERT INTO cost_records (t, provider, model, input_tokens, output_tokens, cost_usd, priced, success, command, source) VALUES (?, 'openai', ?, ?, ?, ?, ?, 1, ?, ?)`,
    );
    const hour = 3_600_000;
    insert.run(10 * hour + 5, 'gpt-4o', 100, 10, 0.5, 'client', 'build', 'command');
    insert.run(10 * hour + 6, 'gpt-4o', 200, 20, 0.25, 'table', null, 'ingest');
    // Before version 6 the proxy kept its caller's tag in `command`.
    insert.run(10 * hour + 7, 'gpt-4o', 300, 30, 0.125, 'table', 'node-app', 'proxy');
    insert.run(11 * hour, 'mystery', 50, 5, null, 'unpriced', null, 'otlp');
    // The version-5 rollups, as its Ledger kept them.
    db.exec(`INSERT INTO cost_hourly SELECT (t / 3600000) * 3600000, provider, model, coalesce(command, ''), source,
               count(*), total(input_tokens), total(output_tokens), round(total(cost_usd), 9), total(cost_usd IS NULL)
             FROM cost_records GROUP BY 1, 2, 3, 4, 5`);
    const perHour = (d: Database.Database) =>
      d
        .prepare(
          'SELECT hour, sum(requests) AS requests, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cost_usd) AS cost, sum(unpriced) AS unpriced FROM cost_hourly GROUP BY hour ORDER BY hour',
        )
        .all();
    const rollupsBefore = perHour(db);
    const recordsBefore = db.prepare('SELECT id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, success, source FROM cost_records ORDER BY id').all();
    db.close();

    const ledger = Ledger.open(file, OPTS);
    try {
      expect(userVersion(file)).toBe(6);
      expect(ledger.integrityCheck()).toBe('ok');
      const peek = new Database(file, { readonly: true });
      try {
        expect(perHour(peek)).toEqual(rollupsBefore);
        expect(peek.prepare('SELECT id, t, provider, model, input_tokens, output_tokens, cost_usd, priced, success, source FROM cost_records ORDER BY id').all()).toEqual(
          recordsBefore,
        );
      } finally {
        peek.close();
      }
      const range = [0, 24 * hour] as const;
      expect(ledger.costs('tag', ...range).rows.map((r) => [r.key, r.requests, r.inputTokens])).toEqual([
        ['(none)', 3, 350],
        ['node-app', 1, 300],
      ]);
      expect(ledger.costs('command', ...range).rows.map((r) => [r.key, r.requests])).toEqual([
        ['build', 1],
        ['(none)', 3],
      ]);
      expect(ledger.costRecords({ from: range[0], to: range[1] }).map((r) => [r.id, r.command, r.tag])).toEqual([
        [1, 'build', null],
        [2, null, null],
        [3, null, 'node-app'],
        [4, null, null],
      ]);
      // Records added after the upgrade keep the rollups equal to the records.
      ledger.insertCostRecords([
        {
          t: 10 * hour + 9,
          provider: 'openai',
          model: 'gpt-4o',
          input_tokens: 1,
          output_tokens: 1,
          cost_usd: 1,
          priced: 'client',
          success: true,
          source: 'proxy',
          tag: 'node-app',
        },
      ]);
      expect(ledger.costs('tag', ...range).rows.find((r) => r.key === 'node-app')).toMatchObject({ requests: 2, costUsd: 1.125 });
      expect(ledger.integrityCheck()).toBe('ok');
    } finally {
      ledger.close();
    }
  });

  it('refuses a ledger written by a newer Runboard and leaves it untouched', () => {
    const file = tmpFile();
    Ledger.open(file, OPTS).close();
    const db = new Database(file);
    db.pragma('journal_mode = DELETE'); // as an older or foreign tool might leave it
    db.pragma(`user_version = ${latestVersion() + 7}`);
    db.close();
    const before = fs.readFileSync(file);
    expect(fs.existsSync(file + '-wal')).toBe(false);

    let err: unknown;
    try {
      Ledger.open(file, OPTS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LedgerVersionError);
    expect((err as Error).message).toMatch(new RegExp(`schema version ${latestVersion() + 7}.*only knows versions up to ${latestVersion()}.*newer Runboard`));
    expect(userVersion(file)).toBe(latestVersion() + 7);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(file + '-wal')).toBe(false); // not even switched to WAL
  });

  it('applies function and SQL steps in order, each in a transaction with its version', () => {
    const db = new Database(':memory:');
    const list: Migration[] = [
      { version: 1, description: 'sql', up: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, description: 'fn', up: (d) => d.prepare('INSERT INTO a VALUES (?)').run(42) },
      {
        version: 3,
        description: 'fails half way',
        up: (d) => {
          d.exec('CREATE TABLE b (y INTEGER)');
          d.exec('INSERT INTO nowhere VALUES (1)');
        },
      },
    ];
    expect(() => runMigrations(db, list)).toThrow(/ledger migration 3 \(fails half way\) failed: no such table: nowhere/);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toEqual(['a']); // b rolled back with step 3
    expect(db.prepare('SELECT x FROM a').pluck().all()).toEqual([42]);

    list[2] = { version: 3, description: 'fixed', up: 'CREATE TABLE b (y INTEGER)' };
    expect(runMigrations(db, list)).toEqual([3]);
    expect(() => runMigrations(db, [list[0], { ...list[1], version: 3 }])).toThrow(/versions must be 1, 2, 3/);
    expect(() => runMigrations(db, list.slice(0, 2))).toThrow(LedgerVersionError);
    db.close();
  });

  it('close() checkpoints and is idempotent', () => {
    const file = tmpFile();
    const ledger = Ledger.open(file, OPTS);
    ledger.putTemplate({ command: 'x', name: 'y', parameters: {} });
    ledger.close();
    ledger.close();
    expect(ledger.isOpen).toBe(false);
    expect(fs.existsSync(file + '-wal') ? fs.statSync(file + '-wal').size : 0).toBe(0);
    expect(() => ledger.listTemplates()).toThrow(/not open/);
    const again = Ledger.open(file, OPTS);
    expect(again.listTemplates()).toHaveLength(1);
    expect(again.integrityCheck()).toBe('ok');
    again.close();
  });
});
