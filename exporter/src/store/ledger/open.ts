/**
 * Opening the ledger's SQLite file: where and with which mode it is created, the pragmas that
 * make its durability what the README says ("The ledger"), the version check and migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile } from '../data-dir';
import { latestVersion, LedgerVersionError, runMigrations } from '../migrations';
import type { LedgerOptions } from './types';

/**
 * Opens (creating it 0600 and its directory 0700 if needed) and migrates the database at `file`
 * (`:memory:` for a throw-away one). Throws LedgerVersionError for a ledger written by a newer
 * Runboard.
 */
export function openDatabase(file: string, opts: LedgerOptions): Database.Database {
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
    // See ../ledger.ts: NORMAL in WAL mode loses nothing to a killed process.
    db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Keep the WAL file from staying large after a burst (it is reused, then truncated to this).
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    // prune() stages ids in a temp table; keep it off the disk.
    db.pragma('temp_store = MEMORY');
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection; a scan of a large
    // ledger kept it full (~28 MB more RSS). SQLite's own 2 MB default reads and inserts as fast
    // (README "Performance").
    db.pragma('cache_size = -2000');
    runMigrations(db, undefined, file);
    if (opts.maxSizeBytes) applyMaxSize(db, opts.maxSizeBytes);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
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
