/**
 * A real SSE client over fetch, parsed with eventsource-parser (the parser the SDK and CLI use).
 * Tests drive reconnects themselves, so this client never reconnects on its own.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseConnection {
  status: number;
  headers: Headers;
  events: EventSourceMessage[];
  comments: string[];
  retry: number | undefined;
  /** Resolves when `n` events have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<EventSourceMessage[]>;
  close(): void;
  closed: Promise<void>;
}

export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const events: EventSourceMessage[] = [];
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
  const parser = createParser({
    onEvent: (e) => {
      events.push(e);
      for (const w of waiters.filter((w) => events.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    onRetry: (ms) => (conn.retry = ms),
    onComment: (c) => comments.push(c),
  });
  conn.closed = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted by close(): the end of the stream
    }
  })();
  return conn;
}
