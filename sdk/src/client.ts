/**
 * The remote SDK client: the `Recorder` verbs over HTTP (`POST /api/v1/ingest`), with batching,
 * a bounded queue, retries with backoff, a per-request timeout and a flush on exit.
 *
 * Delivery is at least once: a request that timed out or lost its connection may have been
 * applied by the exporter, and is sent again. Records are validated here with the protocol's zod
 * schemas, so a bad record throws at the call site and never poisons a batch.
 *
 * Shutdown: with `flushOnExit` (the default) the client flushes on `beforeExit`, which Node emits
 * when the event loop runs dry. Node does NOT emit it on `process.exit()` or on a signal, so an
 * app that handles SIGINT/SIGTERM should close the client itself:
 *
 * ```ts
 * for (const sig of ['SIGINT', 'SIGTERM'] as const)
 *   process.once(sig, async () => { await client.close(); process.exit(0); });
 * ```
 */
import { API_PREFIX, ingestRecordSchema, type ActionRecord, type EventRecord, type IngestRecord, type LlmRecord, type RecordKind, type StateRecord } from '@runboard/protocol';
import { backoffDelay } from '@runboard/protocol/backoff';
import type { Recorder } from './recorder.js';
import { SDK_VERSION } from './version.js';

export interface RunboardClientOptions {
  /** The exporter's base URL, e.g. `http://127.0.0.1:9477` (a path prefix behind a proxy is kept). */
  url: string;
  /** API token for `Authorization: Bearer …`. Ingest always needs one. Default: `RUNBOARD_API_TOKEN`. */
  token?: string;
  /** Records per request. Default 500 (the exporter accepts up to `limits.batchRecords`, default 10000). */
  batchSize?: number;
  /** A partial batch is sent at most this long after its first record was queued. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Records held (queued or in flight) at most; when full, new records are dropped and counted. Default 10000. */
  maxQueue?: number;
  /** Retries per batch after a network error, a timeout, 408, 429 or 5xx. Default 5. */
  maxRetries?: number;
  /** Exponential backoff between retries: `baseMs · 2^attempt` ±20 % jitter, at least what `Retry-After` asks, capped at `maxMs`. Default 250 ms / 10 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Per-request timeout (connect, send, response and its body). Default 10000 ms. */
  timeoutMs?: number;
  /** Flush on the process's `beforeExit`. Default true. (Signals are the app's job: `await client.close()`.) */
  flushOnExit?: boolean;
  /**
   * Called when records are lost: a batch the exporter refused (400, 401, 413, other 4xx: not
   * retried), a batch given up on after `maxRetries`, or the queue filling up (once per episode).
   * Default: logs the first error of each code to stderr.
   */
  onError?: (err: RunboardClientError) => void;
}

export interface RunboardClientStats {
  /** Records accepted by the client and not yet acknowledged or given up on (queued + in flight). */
  queued: number;
  /** Records acknowledged by the exporter (202). */
  sent: number;
  /** Records lost: dropped because the queue was full, or in a batch that was refused or given up on. */
  dropped: number;
  /** Batches refused or given up on. */
  failedBatches: number;
  /** Requests sent again after a retryable failure. */
  retries: number;
}

/**
 * What `onError` receives. `code` is the exporter's error code when it answered with one
 * (`invalid_record`, `unauthorized`, `too_many_records`, `body_too_large`, …), otherwise one of
 * `queue_full`, `timeout`, `network_error`, `http_error`.
 */
export class RunboardClientError extends Error {
  override readonly name = 'RunboardClientError';
  constructor(
    message: string,
    readonly code: string,
    /** How many records were lost with this error. */
    readonly records: number,
    /** Requests made for the batch (1 + retries); 0 for `queue_full`. */
    readonly attempts: number,
    readonly status?: number,
    /** The field the exporter named, e.g. `records[3].name`. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A record that fails the protocol schema: a programmer error, thrown at the call site. */
export class InvalidRecordError extends TypeError {
  override readonly name = 'InvalidRecordError';
  constructor(
    readonly method: string,
    /** The offending field (`duration_seconds`, `name`, …); empty when the record itself is not an object. */
    readonly field: string,
    reason: string,
  ) {
    super(`${method}: ${field ? `${field}: ` : ''}${reason}`);
  }
}

type Outcome = { ok: true } | { ok: false; retryable: boolean; error: Omit<ErrorInit, 'records' | 'attempts'>; retryAfterMs?: number };
interface ErrorInit {
  message: string;
  code: string;
  status?: number;
  field?: string;
  cause?: unknown;
}

const DEFAULTS = {
  batchSize: 500,
  flushIntervalMs: 1000,
  maxQueue: 10_000,
  maxRetries: 5,
  baseMs: 250,
  maxMs: 10_000,
  timeoutMs: 10_000,
};

/** Creates a remote client; see {@link RunboardClientOptions} for the defaults. */
export function createClient(opts: RunboardClientOptions): RunboardClient {
  return new RunboardClient(opts);
}

export class RunboardClient implements Recorder {
  readonly url: string;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxRetries: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly timeoutMs: number;
  private readonly onError: (err: RunboardClientError) => void;

  private readonly queue: IngestRecord[] = [];
  private inFlight = 0;
  /** Records ever accepted into the queue, and of those the ones acknowledged or given up on (FIFO). */
  private enqueued = 0;
  private settled = 0;
  /** Records up to this count go out without waiting for a full batch (timer fired or flush asked). */
  private sendUntil = 0;
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private backoffTimer?: NodeJS.Timeout;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private overflowing = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly counts = { sent: 0, dropped: 0, failedBatches: 0, retries: 0 };
  private readonly exitHook?: () => void;

  constructor(opts: RunboardClientOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('createClient: options must be an object with at least { url, token }');
    this.url = parseUrl(opts.url);
    const token = opts.token ?? process.env.RUNBOARD_API_TOKEN;
    if (typeof token !== 'string' || token === '') {
      throw new TypeError('createClient: token is required (ingest always needs the API token; pass { token } or set RUNBOARD_API_TOKEN)');
    }
    if (!/^[\x21-\x7e]+$/.test(token)) throw new TypeError('createClient: token must be printable ASCII without spaces');
    this.endpoint = new URL(`${API_PREFIX.replace(/^\//, '')}/ingest`, this.url.endsWith('/') ? this.url : `${this.url}/`).toString();
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      'user-agent': `runboard-sdk/${SDK_VERSION}`,
    };
    this.batchSize = int('batchSize', opts.batchSize, DEFAULTS.batchSize, 1);
    this.flushIntervalMs = int('flushIntervalMs', opts.flushIntervalMs, DEFAULTS.flushIntervalMs, 1);
    this.maxQueue = int('maxQueue', opts.maxQueue, DEFAULTS.maxQueue, 1);
    this.maxRetries = int('maxRetries', opts.maxRetries, DEFAULTS.maxRetries, 0);
    this.baseMs = int('backoff.baseMs', opts.backoff?.baseMs, DEFAULTS.baseMs, 1);
    this.maxMs = int('backoff.maxMs', opts.backoff?.maxMs, Math.max(DEFAULTS.maxMs, this.baseMs), this.baseMs);
    this.timeoutMs = int('timeoutMs', opts.timeoutMs, DEFAULTS.timeoutMs, 1);
    if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new TypeError('createClient: onError must be a function');
    this.onError = opts.onError ?? logOncePerCode();
    if (opts.flushOnExit ?? true) {
      // When the loop runs dry, send what is left; the flush's request (and any backoff timer it
      // waits on) keeps the process alive until the records are acknowledged or given up on.
      this.exitHook = () => {
        if (this.pending > 0) void this.flush();
      };
      process.on('beforeExit', this.exitHook);
    }
  }

  // ---- Recorder ----
  recordAction(rec: Omit<ActionRecord, 'kind'>): void {
    this.enqueue('action', 'recordAction', rec);
  }

  recordEvent(rec: Omit<EventRecord, 'kind'>): void {
    this.enqueue('event', 'recordEvent', rec);
  }

  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void {
    this.enqueue('llm', 'recordLlmCall', rec);
  }

  setState(state: Omit<StateRecord, 'kind'>): void {
    this.enqueue('state', 'setState', state);
  }

  /**
   * Sends every record queued before this call without waiting for a full batch, and resolves
   * once each of them is acknowledged (202) or given up on. Never rejects: losses go to `onError`
   * and `stats()`.
   */
  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.settled >= target) return Promise.resolve();
    this.sendUntil = Math.max(this.sendUntil, target);
    const done = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    // Someone waits for this: a backoff in progress may now keep the process alive.
    this.backoffTimer?.ref();
    this.pump();
    return done;
  }

  /** Flushes, then stops the timers and the exit hook. Records given after `close()` throw. Safe to call twice. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.flush().then(() => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        if (this.exitHook) process.off('beforeExit', this.exitHook);
      });
    }
    return this.closing;
  }

  stats(): RunboardClientStats {
    return { queued: this.pending, ...this.counts };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- queue ----
  private get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private enqueue(kind: RecordKind, method: string, rec: unknown): void {
    if (this.closed) throw new Error(`RunboardClient.${method}: the client is closed`);
    const record = validate(kind, method, rec);
    if (this.pending >= this.maxQueue) {
      this.counts.dropped++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.report(
          {
            message: `queue full (maxQueue ${this.maxQueue}): dropping new records until it drains; is the exporter at ${this.url} reachable?`,
            code: 'queue_full',
          },
          1,
          0,
        );
      }
      return;
    }
    this.queue.push(record);
    this.enqueued++;
    this.pump();
  }

  /** Starts the sender when a batch is due, and arms the flush timer for a partial batch. */
  private pump(): void {
    if (this.queue.length === 0) return;
    if (!this.timer && !this.closingDone) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sendUntil = Math.max(this.sendUntil, this.enqueued);
        this.pump();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
    if (this.running || !this.due()) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private get closingDone(): boolean {
    return this.closed && this.pending === 0;
  }

  private due(): boolean {
    // With nothing in flight, the queue's head is record number `settled`.
    return this.queue.length >= this.batchSize || this.settled < this.sendUntil;
  }

  /** Sends due batches one at a time, in order. Never throws. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.due()) {
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight = batch.length;
      try {
        await this.deliver(batch);
      } finally {
        this.inFlight = 0;
        this.settled += batch.length;
      }
      if (this.pending === 0) {
        this.overflowing = false;
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
      }
      while (this.waiters.length > 0 && this.waiters[0].target <= this.settled) this.waiters.shift()!.resolve();
    }
  }

  private async deliver(batch: IngestRecord[]): Promise<void> {
    const body = JSON.stringify({ records: batch });
    for (let attempt = 0; ; attempt++) {
      let outcome: Outcome;
      try {
        outcome = await this.post(body);
      } catch (err) {
        outcome = { ok: false, retryable: false, error: { message: `unexpected client error: ${errMessage(err)}`, code: 'client_error', cause: err } };
      }
      if (outcome.ok) {
        this.counts.sent += batch.length;
        return;
      }
      if (outcome.retryable && attempt < this.maxRetries) {
        this.counts.retries++;
        await this.sleep(backoffDelay(attempt, { initialMs: this.baseMs, maxMs: this.maxMs, atLeastMs: outcome.retryAfterMs }));
        continue;
      }
      this.counts.dropped += batch.length;
      this.counts.failedBatches++;
      const e = outcome.error;
      const tries = attempt + 1;
      const why = outcome.retryable ? ` after ${tries} attempt${tries === 1 ? '' : 's'}` : '';
      this.report({ ...e, message: `${batch.length} records dropped${why}: ${e.message}` }, batch.length, tries);
      return;
    }
  }

  private async post(body: string): Promise<Outcome> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    timer.unref();
    try {
      const res = await fetch(this.endpoint, { method: 'POST', headers: this.headers, body, signal: ctrl.signal });
      // Read the body inside the timeout too: it frees the connection for keep-alive.
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const api = parseApiError(text);
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      const code = api?.code ?? 'http_error';
      let message = `exporter answered ${res.status}${api ? ` ${api.code}: ${api.message}` : ''}`;
      if (res.status === 401) message += ' (check the client token: RUNBOARD_API_TOKEN on the exporter)';
      if (res.status === 413) message += " (lower batchSize below the exporter's limits.batchRecords / limits.bodyBytes)";
      return {
        ok: false,
        retryable,
        error: { message, code, status: res.status, ...(api?.field !== undefined ? { field: api.field } : {}) },
        retryAfterMs: retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined,
      };
    } catch (err) {
      if (ctrl.signal.aborted) {
        return { ok: false, retryable: true, error: { message: `no answer from ${this.endpoint} within ${this.timeoutMs} ms`, code: 'timeout', cause: err } };
      }
      return { ok: false, retryable: true, error: { message: `cannot reach ${this.endpoint}: ${errMessage(err)}`, code: 'network_error', cause: err } };
    } finally {
      clearTimeout(timer);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.backoffTimer = undefined;
        resolve();
      }, ms);
      // Only an awaited flush (or close, or the exit hook) keeps the process alive through a backoff.
      if (this.waiters.length === 0) timer.unref();
      this.backoffTimer = timer;
    });
  }

  private report(e: ErrorInit, records: number, attempts: number): void {
    const err = new RunboardClientError(e.message, e.code, records, attempts, e.status, e.field, e.cause !== undefined ? { cause: e.cause } : undefined);
    try {
      this.onError(err);
    } catch (cbErr) {
      process.stderr.write(`runboard client: onError threw: ${errMessage(cbErr)}\n`);
    }
  }
}

// ---- helpers ----
function validate(kind: RecordKind, method: string, rec: unknown): IngestRecord {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
    throw new InvalidRecordError(method, '', `expected a record object, got ${rec === null ? 'null' : Array.isArray(rec) ? 'an array' : typeof rec}`);
  }
  const given = (rec as { kind?: unknown }).kind;
  if (given !== undefined && given !== kind) throw new InvalidRecordError(method, 'kind', `must be "${kind}" or absent, got ${JSON.stringify(given)}`);
  const parsed = ingestRecordSchema.safeParse({ ...rec, kind });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map(String);
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path.push(issue.keys[0]);
    reason = 'unknown field';
  } else if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), rec);
    reason = value === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${JSON.stringify(value) ?? typeof value}`;
  }
  throw new InvalidRecordError(method, path.join('.') || 'kind', reason);
}

function parseUrl(url: unknown): string {
  if (typeof url !== 'string' || url === '') throw new TypeError('createClient: url is required (the exporter base URL, e.g. http://127.0.0.1:9477)');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`createClient: url: not a valid URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`createClient: url: expected http:// or https://, got ${u.protocol}`);
  if (u.search || u.hash) throw new TypeError('createClient: url: must not have a query or fragment');
  return u.toString().replace(/\/+$/, '');
}

function int(name: string, v: number | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`createClient: ${name}: expected an integer >= ${min}, got ${String(v)}`);
  return v;
}

function parseApiError(text: string): { code: string; message: string; field?: string } | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const e = body?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return { code: e.code, message: e.message, ...(typeof e.field === 'string' ? { field: e.field } : {}) };
    }
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/** `Retry-After`: delta seconds or an HTTP date. */
function parseRetryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim()) * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

function errMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici's fetch says "fetch failed" and keeps the reason (ECONNREFUSED, …) in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message} (${(cause as NodeJS.ErrnoException).code ?? cause.message})`;
  return err.message;
}

function logOncePerCode(): (err: RunboardClientError) => void {
  const seen = new Set<string>();
  return (err) => {
    if (seen.has(err.code)) return;
    seen.add(err.code);
    process.stderr.write(`runboard client: ${err.message} (further "${err.code}" errors are not logged; see client.stats())\n`);
  };
}
