/**
 * The one Server-Sent Events reader of the datasource's streams, the CLI's `follow` and the tests:
 * a fetch Response body in, the stream's messages out, parsed by eventsource-parser. It runs in
 * browsers and Node alike, so it uses only fetch-era globals (TextDecoder, ReadableStream) and
 * never zod: import it as `@runboard/protocol/sse`. Reconnecting is the caller's job (each caller
 * resumes differently); the reader reports the server's `retry:` hint for it.
 */
import { createParser } from 'eventsource-parser';

export type SseMessage =
  /** A dispatched event; `event` is `message` when the server named none (as EventSource does). */
  | { type: 'event'; event: string; id: string | undefined; data: string }
  /** The server's `retry:` field: how long to wait before reconnecting, in ms. */
  | { type: 'retry'; ms: number }
  /** A comment line (`: heartbeat`), without the colon. */
  | { type: 'comment'; text: string };

/** The part of a WHATWG ReadableStream the reader needs (fetch's `Response.body`), so no DOM typings are required. */
export interface SseByteStream {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
// A global in browsers and Node ≥ 11; declared here because the protocol compiles without DOM typings.
declare const TextDecoder: new () => Utf8Decoder;

/**
 * Yields the stream's messages as they arrive. Ends when the server closes the stream; throws
 * what the body's reader throws (a dropped connection, an abort). Leaving the loop early
 * cancels the body, which closes the connection.
 */
export async function* readSse(body: SseByteStream): AsyncGenerator<SseMessage, void, undefined> {
  const pending: SseMessage[] = [];
  const parser = createParser({
    onEvent: (e) => pending.push({ type: 'event', event: e.event ?? 'message', id: e.id, data: e.data }),
    onRetry: (ms) => pending.push({ type: 'retry', ms }),
    onComment: (text) => pending.push({ type: 'comment', text }),
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        finished = true;
        return;
      }
      if (chunk.value) parser.feed(decoder.decode(chunk.value, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
    }
  } finally {
    // Stopped early (break, return, or the caller's own error): free the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
