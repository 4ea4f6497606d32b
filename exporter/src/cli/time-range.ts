import { HttpError } from '../http/errors';
import { parseTime } from '../http/query-params';
import { EXIT_USAGE } from './connection';
import { CliError } from './errors';

/**
 * `--from` and `--to` in the same time forms the exporter accepts, checked here so a typo is
 * exit 2, not a 400. Returns them as ms since the epoch.
 */
export function checkTimeRange(flags: { from: string; to: string }): { from: number; to: number } {
  const now = Date.now();
  const to = checkTime('--to', flags.to, now);
  const from = checkTime('--from', flags.from, now);
  if (from > to) throw new CliError('--from: must not be after --to', EXIT_USAGE);
  return { from, to };
}

function checkTime(flag: string, raw: string, now: number): number {
  try {
    return parseTime(flag, raw, now, now);
  } catch (err) {
    if (err instanceof HttpError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
}
