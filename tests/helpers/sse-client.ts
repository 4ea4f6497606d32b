/**
 * A real SSE client over fetch, read with the shared SSE reader (`@runboard/protocol/sse`, the one
 * the datasource and the CLI use). Tests drive reconnects themselves, so this client never
 * reconnects on its own.
 */
import { readSse, type SseMessage } from '@runboard/protocol/sse';

export type SseEvent = Extract<SseMessage, { type: 'event' }>;

export interface SseConnection {
  status: number;
  headers: Headers;
  events: SseEvent[];
  comments: string[];
  retry: number | undefined;
  /** Resolves when `n` events have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
  closed: Promise<void>;
}

export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const conn: SseConnection = {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    retry: undefined,
    waitFor(n, timeoutMs = 10000) {
      if (events.length >= n) return Promise.resolve(events.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${n} events after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(events.slice());
          },
        });
      });
    },
    close: () => ctrl.abort(),
    closed: Promise.resolve(),
  };
  const onEvent = (e: SseEvent) => {
    events.push(e);
    for (const w of waiters.filter((w) => events.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  conn.closed = (async () => {
    if (!res.body) return;
    try {
      for await (const msg of readSse(res.body)) {
        if (msg.type === 'event') onEvent(msg);
        else if (msg.type === 'retry') conn.retry = msg.ms;
        else comments.push(msg.text);
      }
    } catch {
      // aborted by close(): the end of the stream
    }
  })();
  return conn;
}
