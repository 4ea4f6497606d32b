import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendErrorUnread } from './errors';

/** Methods that change nothing; the rate limit applies to the others (ingest, runs, templates). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Token buckets per key (the client's IP): `ratePerSecond` tokens a second, at most `burst` held.
 * The map is bounded: a bucket idle long enough to be full again is forgotten (that changes
 * nothing), and past `maxKeys` the oldest buckets go first.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = ratePerSecond * 2,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token: 0 when allowed, else the seconds until one is available. */
  take(key: string, now = Date.now()): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.ratePerSecond;
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    const refillMs = (this.burst / this.ratePerSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= refillMs) this.buckets.delete(k);
    // Still full of busy clients: drop the oldest tenth at once, so this stays amortised O(1).
    if (this.buckets.size >= this.maxKeys) {
      let drop = this.buckets.size - Math.floor(this.maxKeys * 0.9);
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}

/**
 * `limits.requestsPerSecond`: mutating requests per client IP (burst of twice that), checked
 * before the token so a flood of bad tokens is limited too. 429 with Retry-After beyond.
 * A rate of 0 turns it off. One limiter for every way in: Express mounts it as middleware, and
 * the HTTP server calls it for the recording proxy, which Express never sees (app.ts).
 */
export function rateLimit(ratePerSecond: number, onLimited: () => void): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  if (!(ratePerSecond > 0)) return (_req, _res, next) => next();
  const buckets = new TokenBuckets(ratePerSecond);
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method ?? '')) return next();
    const wait = buckets.take(req.socket.remoteAddress ?? '');
    if (wait === 0) return next();
    onLimited();
    const seconds = Math.max(1, Math.ceil(wait));
    sendErrorUnread(
      req,
      res,
      429,
      'rate_limited',
      `more than ${ratePerSecond} mutating requests per second from this client (limits.requestsPerSecond); retry in ${seconds} s`,
      undefined,
      {
        'Retry-After': String(seconds),
      },
    );
  };
}
