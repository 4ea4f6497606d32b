/**
 * The one retry delay of the SDK client, the datasource's streams and the CLI's `follow`:
 * doubling from `initialMs` up to `maxMs`, with ±20 % jitter so many clients that lost the same
 * exporter do not come back in step. Pure (no timers, no Node or browser APIs): every runtime
 * imports it as `@runboard/protocol/backoff`.
 */
export interface BackoffOptions {
  /** Delay before the first retry (attempt 0), before jitter. */
  initialMs: number;
  /** Longest delay, jitter included. */
  maxMs: number;
  /** A lower bound the server asked for (`Retry-After`); the delay is still capped at `maxMs`. */
  atLeastMs?: number;
  /** Jitter as a fraction of the delay, each way. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** Fraction of the delay the jitter may add or take away, each way. */
export const DEFAULT_JITTER = 0.2;

/** Delay in whole ms before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const { initialMs, maxMs } = opts;
  const jitter = opts.jitter ?? DEFAULT_JITTER;
  const random = opts.random ?? Math.random;
  // The exponent is bounded so a long outage cannot overflow to Infinity before the cap applies.
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const jittered = base * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxMs, Math.max(jittered, opts.atLeastMs ?? 0)));
}
