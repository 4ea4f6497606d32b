/** The ledger's errors, and which SQLite failures are the storage's rather than the data's. */

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
const STORAGE_ERRORS = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
];

/** The LedgerWriteError for a storage failure, undefined for any other error. */
export function storageError(err: unknown, file: string, maxSizeBytes: number | undefined): LedgerWriteError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  // By its code, not by `instanceof`: the native addon keeps the error class of the first load
  // of better-sqlite3 in the process, so where the module is loaded again in another realm
  // (jest's per-file contexts) its errors are instances of neither SqliteError nor Error here.
  if (typeof code !== 'string' || !STORAGE_ERRORS.some((c) => code.startsWith(c))) return undefined;
  const setting = code === 'SQLITE_FULL' && maxSizeBytes ? `ledger.maxSizeBytes is ${maxSizeBytes}` : '';
  return new LedgerWriteError(file, code, String(message), setting);
}

/**
 * Runs the ledger's writes: a storage failure becomes a LedgerWriteError. A burst starts with the
 * first refused write and ends when every kind of write that was refused has succeeded again; its
 * start and end go to `onStorage`. On a nearly full disk small writes (a run's status) keep
 * succeeding between refused large ones (its output): counting any success as the end would log
 * a line per run, which is what the burst is for to avoid.
 */
export class WriteGuard {
  /** The kinds of write refused in the current burst, and how many writes it refused. */
  private readonly refusedKinds = new Set<string>();
  private refusedWrites = 0;

  constructor(
    private readonly file: string,
    private readonly maxSizeBytes: number | undefined,
    private readonly onStorage: ((event: { refused: LedgerWriteError } | { recoveredAfter: number }) => void) | undefined,
  ) {}

  run<T>(kind: string, fn: () => T): T {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      const refused = storageError(err, this.file, this.maxSizeBytes);
      if (!refused) throw err;
      if (this.refusedKinds.size === 0) this.onStorage?.({ refused });
      this.refusedKinds.add(kind);
      this.refusedWrites++;
      throw refused;
    }
    if (this.refusedKinds.delete(kind) && this.refusedKinds.size === 0) {
      const n = this.refusedWrites;
      this.refusedWrites = 0;
      this.onStorage?.({ recoveredAfter: n });
    }
    return result;
  }
}
