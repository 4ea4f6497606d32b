/**
 * What an exporter holds in its data dir for its whole life (README "The data dir"): the claim
 * (lock), the API token and the open ledger.
 */
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import { resolveToken } from '../token';
import { DataDirLock, LEDGER_FILE, startError } from './data-dir';
import { Ledger, LedgerVersionError } from './ledger';

export interface OwnedDataDir {
  token: ReturnType<typeof resolveToken>;
  ledger: Ledger;
  /** Closes the ledger (checkpointing it) and gives up the claim. */
  close(): void;
}

/**
 * Claims the data dir, then reads the token and opens the ledger, marking runs left active by a
 * previous owner cancelled. The claim comes first: a second exporter on the same dir stops there,
 * before it could touch the owner's token, ledger or live runs. Start-up errors are one line
 * naming the file and the setting; whatever was opened is closed again.
 */
export function openDataDir(config: Config, log: Logger): OwnedDataDir {
  const lock = DataDirLock.claim(config.dataDir, log);
  let ledger: Ledger | undefined;
  try {
    const token = resolveToken(config.auth.token, lock.dir);
    const file = path.join(lock.dir, LEDGER_FILE);
    try {
      ledger = Ledger.open(file, {
        ...config.ledger,
        // A full disk refuses every write until space is freed: one line when a burst of
        // refusals starts and one when writes succeed again, never a line (or a stack) per request.
        onStorage: (e) =>
          'refused' in e
            ? log.error(
                `${e.refused.message}: writes that need the ledger (LLM calls, run starts, templates) answer 503 and nothing is counted until a write succeeds; further failures are counted in runboard_ledger_refused_records_total and runboard_ingest_rejected_total, not logged`,
              )
            : log.info(`ledger writes recovered after ${e.recoveredAfter} failure${e.recoveredAfter === 1 ? '' : 's'}`),
      });
      const interrupted = ledger.interruptActiveRuns(Date.now());
      if (interrupted > 0) log.warn(`${interrupted} command run(s) were active when the exporter last stopped; marked cancelled`);
      ledger.prune(Date.now());
    } catch (err) {
      // A newer Runboard's ledger already says so in one line, with the file.
      throw err instanceof LedgerVersionError ? err : startError('cannot open the ledger', file, err);
    }
    const opened = ledger;
    return {
      token,
      ledger: opened,
      close: () => {
        try {
          opened.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    try {
      ledger?.close();
    } catch {
      // The error being thrown already says what is wrong with the ledger.
    }
    lock.release();
    throw err;
  }
}

/**
 * Retention in slices of 5k rows every 5 minutes, yielding between slices so ticks and requests
 * keep flowing (a 20k-row slice held the event loop ~150 ms under a 10k records/s load: the soak
 * test). A failed slice (a full disk can refuse even deletes) is logged and tried again at the
 * next interval, never thrown from the timer. Returns the function that stops it.
 */
export function startRetention(ledger: Ledger, log: Logger, everyMs = 5 * 60_000): () => void {
  let stopped = false;
  const prune = (): void => {
    if (stopped || !ledger.isOpen) return;
    let done: boolean;
    try {
      ({ done } = ledger.prune(Date.now(), { maxDeletes: 5_000 }));
    } catch (err) {
      log.warn(`ledger retention failed, retried in ${Math.round(everyMs / 1000)} s: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!done) setImmediate(prune);
  };
  const timer = setInterval(prune, everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
