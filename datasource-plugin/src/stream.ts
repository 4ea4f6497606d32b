/**
 * Streaming, kept apart from the hub (datasource.ts) the way TestData keeps runStreams.ts. Every
 * Observable here owns a fetch() and at most one timer, and its teardown aborts the one and
 * clears the other.
 *
 * - `sseStream`: one Server-Sent Events connection over fetch() and the shared SSE reader
 *   (`@runboard/protocol/sse`; an EventSource cannot report or recover from HTTP errors, and
 *   cannot be told where to resume once it gave up). It reconnects with the shared backoff
 *   (`@runboard/protocol/backoff`) and sends the last event id as `Last-Event-ID`, so the
 *   exporter replays what was missed.
 * - `SampleStreamHub`: one shared `/api/v1/stream` connection per datasource instance.
 * - `liveQuery`: back-fill from history, then live samples, in a bounded StreamingDataFrame.
 * - `runOutputStream`: a command run's output, resumed by line number after a drop.
 *
 * No Grafana runtime services are used here (only @grafana/data types and frames), so the tests
 * run this module under Node against a real exporter.
 */
import { LoadingState, type DataQueryResponse, type QueryResultMetaNotice, type StreamingDataFrame } from '@grafana/data';
import { Observable, type Subscription } from 'rxjs';
import type { HistoryResponse, RunOutputEvent, SeriesResponse, StreamSample } from '@runboard/protocol';
import { backoffDelay } from '@runboard/protocol/backoff';
import { readSse } from '@runboard/protocol/sse';
import { API_PATH, MAX_LIVE_ROWS } from './constants';
import { errorFromResponse, messageOf, networkError, RunboardError } from './errors';
import { appendSample, createLiveFrame, indexSeries, lastTime, liveBounds } from './frames';

// ---------- one SSE connection with reconnects ----------

export interface Backoff {
  /** First delay; the server's `retry:` hint when this is not set, else 1 s. */
  initialMs?: number;
  /** Longest delay between attempts. */
  maxMs?: number;
}

const DEFAULT_INITIAL_MS = 1000;
const DEFAULT_MAX_MS = 10_000;

export interface SseOptions {
  /** Evaluated at each connection attempt, so a reconnect can ask for a different set. */
  url: string | (() => string);
  /** Resume after this event id (sent as the `Last-Event-ID` header). */
  lastEventId?: string;
  /** Extra request headers. In Grafana `X-Grafana-Org-Id` (grafana.ts); the datasource proxy adds the token. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  backoff?: Backoff;
  /** Errors that end the Observable instead of a retry (e.g. a run that does not exist). */
  isFatal?: (err: RunboardError) => boolean;
}

export type SseEvent =
  | { type: 'open' }
  | { type: 'message'; event: string; id?: string; data: string }
  /** The connection failed or ended; the next attempt starts in `retryInMs`. */
  | { type: 'interrupted'; error: RunboardError; retryInMs: number; attempt: number };

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function sseStream(opts: SseOptions): Observable<SseEvent> {
  return new Observable<SseEvent>((subscriber) => {
    const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    let lastEventId = opts.lastEventId;
    let retryHint: number | undefined;
    let attempt = 0;
    let closed = false;
    let ctrl: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = async (): Promise<void> => {
      ctrl = new AbortController();
      const signal = ctrl.signal;
      try {
        const url = typeof opts.url === 'function' ? opts.url() : opts.url;
        const headers: Record<string, string> = { Accept: 'text/event-stream', ...opts.headers };
        if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
        let res: Response;
        try {
          // same-origin: the Grafana session cookie goes to Grafana's proxy, which strips it.
          res = await doFetch(url, { headers, credentials: 'same-origin', cache: 'no-store', signal });
        } catch (err) {
          throw networkError(err);
        }
        if (!res.ok) throw errorFromResponse(res.status, await readBody(res), res.statusText);
        const type = res.headers.get('content-type') ?? '';
        if (!res.body || !type.includes('text/event-stream')) {
          await res.body?.cancel().catch(() => undefined);
          throw new RunboardError(`expected an event stream, got ${type || 'no content type'}`, res.status);
        }
        if (closed) return;
        subscriber.next({ type: 'open' });
        try {
          for await (const msg of readSse(res.body)) {
            if (closed) break;
            if (msg.type === 'retry') {
              retryHint = msg.ms;
            } else if (msg.type === 'event') {
              if (msg.id !== undefined) lastEventId = msg.id;
              attempt = 0;
              subscriber.next({ type: 'message', event: msg.event, id: msg.id, data: msg.data });
            }
          }
        } catch (err) {
          if (!closed) throw networkError(err);
        }
        if (closed) return;
        throw new RunboardError('the exporter ended the stream');
      } catch (err) {
        if (closed) return;
        const error = err instanceof RunboardError ? err : networkError(err);
        if (opts.isFatal?.(error)) {
          subscriber.error(error);
          return;
        }
        const retryInMs = backoffDelay(attempt, { initialMs: opts.backoff?.initialMs ?? retryHint ?? DEFAULT_INITIAL_MS, maxMs: opts.backoff?.maxMs ?? DEFAULT_MAX_MS });
        attempt++;
        subscriber.next({ type: 'interrupted', error, retryInMs, attempt });
        if (!closed) timer = setTimeout(() => void connect(), retryInMs);
      }
    };

    void connect();
    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      ctrl?.abort();
    };
  });
}

// ---------- the shared sample stream ----------

export type HubEvent =
  /** The connection is up and asks for (at least) the watcher's series. */
  { type: 'open' } | { type: 'sample'; seq?: number; sample: StreamSample } | { type: 'interrupted'; message: string; retryInMs: number };

export interface HubOptions {
  /** Grafana's datasource proxy URL under its sub-path (grafana.ts), or the exporter URL in tests. */
  baseUrl: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  backoff?: Backoff;
}

interface Watcher {
  series: ReadonlySet<string>;
  emit(e: HubEvent): void;
}

interface Connection {
  /** The series the current (or next) attempt asks for. */
  series: Set<string>;
  open: boolean;
  sub?: Subscription;
}

export function streamUrl(baseUrl: string, series: Iterable<string>): string {
  return `${baseUrl}${API_PATH}/stream?series=${encodeURIComponent([...series].sort().join(','))}`;
}

/**
 * One `/api/v1/stream` connection per datasource instance, shared by every live query of every
 * panel that uses the instance.
 *
 * The connection asks for the union of the series its watchers want. A watcher that wants a
 * series outside it makes the hub reconnect with the larger union, sending the last event id it
 * saw, so the exporter replays the ticks that passed during the switch and no other watcher loses
 * one. A watcher that leaves does not force a reconnect: the next attempt (after a drop) asks for
 * the smaller union. The last watcher to leave closes the connection.
 */
export class SampleStreamHub {
  private readonly watchers = new Set<Watcher>();
  private conn?: Connection;
  private lastEventId?: string;
  /** Connections opened since creation (reconnects after a drop are not counted). */
  connectionsStarted = 0;

  constructor(private readonly opts: HubOptions) {}

  /** Hub events for these series; unsubscribing releases them. */
  watch(series: readonly string[]): Observable<HubEvent> {
    return new Observable<HubEvent>((subscriber) => {
      const watcher: Watcher = { series: new Set(series), emit: (e) => subscriber.next(e) };
      this.watchers.add(watcher);
      const conn = this.conn;
      if (conn && [...watcher.series].every((id) => conn.series.has(id))) {
        if (conn.open) watcher.emit({ type: 'open' });
      } else {
        this.connect();
      }
      return () => {
        this.watchers.delete(watcher);
        if (this.watchers.size === 0) this.disconnect();
      };
    });
  }

  /** The series the connection asks for, or undefined when there is none. */
  get connectedSeries(): string[] | undefined {
    return this.conn ? [...this.conn.series].sort() : undefined;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private union(): Set<string> {
    const all = new Set<string>();
    for (const w of this.watchers) for (const id of w.series) all.add(id);
    return all;
  }

  private broadcast(e: HubEvent): void {
    for (const w of [...this.watchers]) w.emit(e);
  }

  private connect(): void {
    this.conn?.sub?.unsubscribe();
    const conn: Connection = { series: this.union(), open: false };
    this.conn = conn;
    if (conn.series.size === 0) return;
    this.connectionsStarted++;
    const url = () => {
      const wanted = this.union();
      if (wanted.size > 0) conn.series = wanted;
      return streamUrl(this.opts.baseUrl, conn.series);
    };
    conn.sub = sseStream({ url, lastEventId: this.lastEventId, headers: this.opts.headers, fetch: this.opts.fetch, backoff: this.opts.backoff }).subscribe((e) => {
      if (this.conn !== conn) return;
      if (e.type === 'open') {
        conn.open = true;
        this.broadcast({ type: 'open' });
      } else if (e.type === 'interrupted') {
        conn.open = false;
        this.broadcast({ type: 'interrupted', message: e.error.message, retryInMs: e.retryInMs });
      } else if (e.event === 'sample') {
        if (e.id !== undefined) this.lastEventId = e.id;
        let sample: StreamSample;
        try {
          sample = JSON.parse(e.data) as StreamSample;
        } catch {
          return;
        }
        if (typeof sample?.t !== 'number' || typeof sample.values !== 'object' || sample.values === null) return;
        this.broadcast({ type: 'sample', seq: e.id !== undefined ? Number(e.id) : undefined, sample });
      }
    });
  }

  private disconnect(): void {
    this.conn?.sub?.unsubscribe();
    this.conn = undefined;
    // Nobody is left to resume for: the next live query back-fills from history instead.
    this.lastEventId = undefined;
  }
}

// ---------- live queries ----------

export interface LiveQuery {
  refId: string;
  /** Series ids, variables already expanded. */
  series: readonly string[];
  alias?: string;
  /** The panel's time range (ms). */
  from: number;
  to: number;
  maxDataPoints: number;
}

export interface LiveSources {
  hub: Pick<SampleStreamHub, 'watch'>;
  series(): Promise<SeriesResponse>;
  history(ids: string[], from: number, to: number, maxPoints: number): Promise<HistoryResponse>;
  /** How long the back-fill waits for the stream to open before it goes ahead anyway. */
  openTimeoutMs?: number;
  now?: () => number;
}

const warning = (text: string): QueryResultMetaNotice => ({ severity: 'warning', text });

/**
 * A live query: `{ data: [frame], key: refId, state: Streaming }` after the back-fill and on every
 * tick that carries one of the query's series.
 *
 * Order matters for "no gaps, no duplicates": the query first watches the stream and waits (up
 * to `openTimeoutMs`) until the connection is open, then asks for history. Every tick committed
 * after the history answer is then also on the stream; ticks that arrive before the back-fill are
 * held, and a tick is kept only if it is newer than the newest row (history or live) already in
 * the frame. A dropped connection shows as a notice while the hub reconnects and replays.
 */
export function liveQuery(q: LiveQuery, src: LiveSources): Observable<DataQueryResponse> {
  return new Observable<DataQueryResponse>((subscriber) => {
    const ids = [...new Set(q.series)];
    const now = src.now ?? Date.now;
    let closed = false;
    let frame: StreamingDataFrame | undefined;
    let newest = -Infinity;
    const early: StreamSample[] = [];
    const notices: QueryResultMetaNotice[] = [];
    let interruption: string | undefined;
    let waitTimer: ReturnType<typeof setTimeout> | undefined;
    let markOpen: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (markOpen = resolve));

    const emit = () => {
      if (closed || !frame) return;
      const all = interruption === undefined ? notices : [...notices, warning(`Live stream interrupted (${interruption}); reconnecting, missed samples will be replayed`)];
      frame.meta = { ...frame.meta, notices: all.length > 0 ? all : undefined };
      subscriber.next({ data: [frame], key: q.refId, state: LoadingState.Streaming });
    };
    const add = (s: StreamSample): boolean => {
      if (!frame || s.t <= newest) return false;
      if (!appendSample(frame, ids, s)) return false;
      newest = s.t;
      return true;
    };

    const sub = src.hub.watch(ids).subscribe((e) => {
      if (e.type === 'open') {
        markOpen();
        if (interruption !== undefined) {
          interruption = undefined;
          emit();
        }
      } else if (e.type === 'interrupted') {
        if (interruption !== e.message) {
          interruption = e.message;
          emit();
        }
      } else if (!frame) {
        // Held until the back-fill is in; bounded should the history request hang.
        if (early.push(e.sample) > MAX_LIVE_ROWS) early.shift();
      } else if (add(e.sample)) {
        emit();
      }
    });

    void (async () => {
      let meta: SeriesResponse | undefined;
      try {
        meta = await src.series();
      } catch (err) {
        notices.push(warning(`Series metadata unavailable: ${messageOf(err)}`));
      }
      const index = indexSeries(meta?.series ?? []);
      const known = meta ? ids.filter((id) => index.has(id)) : ids;
      const unknown = ids.filter((id) => !known.includes(id));
      if (unknown.length > 0) notices.push(warning(`Not (yet) known to the exporter: ${unknown.join(', ')}`));
      await Promise.race([opened, new Promise<void>((resolve) => (waitTimer = setTimeout(resolve, src.openTimeoutMs ?? 3000)))]);
      clearTimeout(waitTimer);
      if (closed) return;
      let history: HistoryResponse | undefined;
      if (known.length > 0) {
        try {
          history = await src.history(known, q.from, Math.max(q.to, now()), q.maxDataPoints);
        } catch (err) {
          notices.push(warning(`Back-fill failed: ${messageOf(err)}`));
        }
      }
      if (closed) return;
      const bounds = liveBounds(q.from, q.to, meta?.intervalMs ?? 1000, history?.t.length ?? 0);
      frame = createLiveFrame({ refId: q.refId, ids, index, alias: q.alias, bounds, history });
      newest = lastTime(frame);
      for (const s of early.splice(0)) add(s);
      emit();
    })();

    return () => {
      closed = true;
      clearTimeout(waitTimer);
      sub.unsubscribe();
    };
  });
}

// ---------- run output ----------

const RUN_EVENTS = new Set<string>(['line', 'progress', 'llm', 'status', 'end']);

export interface RunOutputOptions {
  baseUrl: string;
  runId: string;
  /** Resume after this line number. */
  lastEventId?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  backoff?: Backoff;
}

/**
 * A run's output events until `end`. After a drop it reconnects with the last line number as
 * `Last-Event-ID`: the exporter sends the run's status again and only the lines after it. Client
 * errors (no such run, token refused) end the Observable with the exporter's message.
 */
export function runOutputStream(opts: RunOutputOptions): Observable<RunOutputEvent> {
  const url = `${opts.baseUrl}${API_PATH}/runs/${encodeURIComponent(opts.runId)}/output`;
  return new Observable<RunOutputEvent>((subscriber) => {
    const sub = sseStream({
      url,
      lastEventId: opts.lastEventId,
      headers: opts.headers,
      fetch: opts.fetch,
      backoff: opts.backoff,
      isFatal: (err) => err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429,
    }).subscribe({
      next: (e) => {
        if (e.type !== 'message' || !RUN_EVENTS.has(e.event)) return;
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        const event = { event: e.event, data } as RunOutputEvent;
        subscriber.next(event);
        if (event.event === 'end') subscriber.complete();
      },
      error: (err: unknown) => subscriber.error(err),
    });
    return () => sub.unsubscribe();
  });
}
