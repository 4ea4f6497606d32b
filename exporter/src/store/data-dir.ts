/**
 * The data dir (README "The data dir"): the API token and the ledger, private to the user the
 * exporter runs as (dir 0700, files 0600) and owned by one exporter at a time.
 *
 * The owner holds an exclusive SQLite lock on `runboard.lock` for its whole life. SQLite locks
 * with POSIX fcntl locks, which the OS drops when the process dies (`kill -9` included), so a
 * crash never leaves a stale lock; SQLite also refuses a second connection of the same process,
 * so two exporters in one process are kept apart too. `runboard.pid`, written once the lock is
 * held, only lets a refused exporter name the holder.
 *
 * Never open `runboard.lock` with node:fs once it may be locked: closing any descriptor of a file
 * drops every fcntl lock the process holds on it. Creating it with O_EXCL and chmod (no
 * descriptor) are safe.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log';

export const LEDGER_FILE = 'runboard.db';
export const TOKEN_FILE = 'api-token';
export const LOCK_FILE = 'runboard.lock';
export const PID_FILE = 'runboard.pid';

/** Where the data dir comes from, for start-up errors: the config key, the flag, the variable. */
export const DATA_DIR_SETTING = 'dataDir, --data-dir, RUNBOARD_DATA_DIR';

/** The ledger with SQLite's -wal and -shm files (created with the ledger's mode). */
const LEDGER_FILES = [LEDGER_FILE, `${LEDGER_FILE}-wal`, `${LEDGER_FILE}-shm`];
/** The files kept private besides the dir itself; the lock's journal exists while it is held. */
const PRIVATE_FILES = [TOKEN_FILE, ...LEDGER_FILES, LOCK_FILE, `${LOCK_FILE}-journal`, PID_FILE];

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'exists and is not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/** The reason of a file-system or SQLite error in a few words (no stack, no repeated path). */
export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e?.code && REASONS[e.code]) || (e instanceof Error ? e.message : String(err));
}

/** A start-up failure about one file, in one line: what failed, the file, the setting, why. */
export function startError(what: string, file: string, err: unknown, setting = DATA_DIR_SETTING): Error {
  const e = new Error(`${what} ${file} (${setting}): ${describeError(err)}`);
  (e as Error & { cause?: unknown }).cause = err;
  return e;
}

/** Creates `file` empty with mode 0600 unless it exists (O_EXCL: an existing file is never opened). */
export function createPrivateFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** The data dir's exclusive lock; release() (idempotent) gives the dir up. */
export class DataDirLock {
  private constructor(
    readonly dir: string,
    private db: Database.Database | undefined,
  ) {}

  /**
   * Makes the data dir private and takes it: creates it (0700) if needed, fixes looser modes of
   * the dir and its files with one warning each, locks it, writes the PID file. Throws a one-line
   * error naming the dir or file and the setting when any of that fails, and when another
   * exporter holds the dir (naming its PID).
   */
  static claim(dir: string, log: Logger): DataDirLock {
    const abs = path.resolve(dir);
    prepareDir(abs, log);
    const lockFile = path.join(abs, LOCK_FILE);
    let db: Database.Database | undefined;
    try {
      createPrivateFile(lockFile);
      makePrivate(lockFile, 0o600, 'file', log);
      db = new Database(lockFile);
      db.pragma('busy_timeout = 0');
      // Exclusive locking mode keeps the lock once taken; the open transaction takes it now.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db?.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new Error(`data dir ${abs} is in use by another Runboard exporter (${holder(abs)}); stop it or pass --data-dir`);
      }
      throw startError('cannot take the data dir lock', lockFile, err);
    }
    const lock = new DataDirLock(abs, db);
    try {
      for (const name of PRIVATE_FILES) makePrivate(path.join(abs, name), 0o600, 'file', log);
      // SQLite says only "unable to open database file" or "attempt to write a readonly database".
      for (const name of LEDGER_FILES) {
        const file = path.join(abs, name);
        try {
          fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw startError('cannot open the ledger', file, err);
        }
      }
      const pidFile = path.join(abs, PID_FILE);
      const tmp = `${pidFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
        fs.renameSync(tmp, pidFile);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw startError('cannot write', pidFile, err);
      }
    } catch (err) {
      lock.release();
      throw err;
    }
    return lock;
  }

  /** Removes the PID file and drops the lock. */
  release(): void {
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    const pidFile = path.join(this.dir, PID_FILE);
    try {
      if (readPid(pidFile) === process.pid) fs.unlinkSync(pidFile);
    } catch {
      // A PID file we cannot remove only names a dead process: the next owner overwrites it.
    }
    db.close();
  }
}

/** Creates the dir (0700) or checks it; fixes a looser mode; checks it can be written. */
function prepareDir(dir: string, log: Logger): void {
  try {
    // Created dirs (parents included) are 0700, as the XDG base-dir spec asks for a data dir.
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // EEXIST: the path is a file; ENOTDIR: a parent is one.
    throw startError('cannot create the data dir', dir, err);
  }
  makePrivate(dir, 0o700, 'data dir', log);
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw startError('cannot write to the data dir', dir, err);
  }
}

/**
 * Gives `p` mode `wanted` when group or others have any access to it, with one warning line.
 * Refuses (throws) when that is not allowed (the path belongs to another user): a ledger others
 * can read would break the promise the dir is private, and this exporter cannot keep it.
 * Only regular files inside the dir are changed, symbolic links never: chmod follows them, and a
 * link planted while the dir was open to others must not make the exporter change a file elsewhere.
 */
function makePrivate(p: string, wanted: number, what: 'data dir' | 'file', log: Logger): void {
  if (process.platform === 'win32') return;
  let st: fs.Stats;
  try {
    st = what === 'data dir' ? fs.statSync(p) : fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw startError(`cannot check the mode of the ${what}`, p, err);
  }
  if (what === 'file' && !st.isFile()) return;
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    fs.chmodSync(p, wanted);
  } catch (err) {
    const uid = process.getuid?.();
    throw new Error(
      `cannot make the ${what} ${p} private (${DATA_DIR_SETTING}): it has mode ${octal(mode)} and belongs to uid ${st.uid}, ` +
        `this exporter runs as uid ${uid} (${describeError(err)}); chown it to uid ${uid} or choose another data dir`,
    );
  }
  log.warn(`${what} ${p} had mode ${octal(mode)} (open to other users): changed to ${octal(wanted)}`);
}

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** "PID n" of the lock holder, as far as its PID file and the process table say. */
function holder(dir: string): string {
  const pid = readPid(path.join(dir, PID_FILE));
  if (pid === undefined) return 'PID unknown';
  if (pid === process.pid) return `PID ${pid}, this process`;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // The holder took the lock but has not written its PID yet: the file names a dead process.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'PID unknown';
  }
  return `PID ${pid}`;
}
