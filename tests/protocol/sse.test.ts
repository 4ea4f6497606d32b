/**
 * The one SSE reader (`@runboard/protocol/sse`) the datasource's streams, the CLI's `follow` and
 * the tests' SSE client share. Byte streams are built here so chunk boundaries fall where a test
 * wants them (inside a field, inside a multi-byte character); the integration tests that read the
 * real exporter's streams through it are tests/exporter/stream.test.ts, tests/commands/cli-run.test.ts
 * and tests/datasource/stream.test.ts.
 */
import { readSse, type SseMessage } from '@runboard/protocol/sse';

const enc = new TextEncoder();

/** A byte stream that yields these chunks, then closes (or errors with `fail`). */
function stream(chunks: Array<string | Uint8Array>, fail?: Error): { body: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (i < chunks.length) {
        const c = chunks[i++];
        ctrl.enqueue(typeof c === 'string' ? enc.encode(c) : c);
      } else if (fail) ctrl.error(fail);
      else ctrl.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

async function all(body: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of readSse(body)) out.push(m);
  return out;
}

describe('readSse', () => {
  it('yields events, retry hints and comments in stream order; unnamed events are "message"', async () => {
    const { body } = stream([': hello\n\nretry: 1500\n\n', 'id: 7\nevent: sample\ndata: {"t":1}\n\n', 'data: plain\n\n']);
    expect(await all(body)).toEqual([
      { type: 'comment', text: 'hello' },
      { type: 'retry', ms: 1500 },
      { type: 'event', event: 'sample', id: '7', data: '{"t":1}' },
      { type: 'event', event: 'message', id: undefined, data: 'plain' },
    ]);
  });

  it('joins fields split across chunks, multi-line data, and a UTF-8 character split between chunks', async () => {
    const euro = enc.encode('€'); // 3 bytes
    const { body } = stream(['ev', 'ent: line\nda', 'ta: a\ndata: b', '\n\n', 'data: 5 ', euro.slice(0, 1), euro.slice(1), '\n\n']);
    expect(await all(body)).toEqual([
      { type: 'event', event: 'line', id: undefined, data: 'a\nb' },
      { type: 'event', event: 'message', id: undefined, data: '5 €' },
    ]);
  });

  it('ends with the stream; an event the server never finished (no blank line) is not dispatched', async () => {
    const { body } = stream(['data: whole\n\n', 'data: half']);
    expect(await all(body)).toEqual([{ type: 'event', event: 'message', id: undefined, data: 'whole' }]);
  });

  it('throws what the body throws (a dropped connection), after the events that arrived before it', async () => {
    const { body } = stream(['data: one\n\n'], new Error('socket hang up'));
    const seen: SseMessage[] = [];
    await expect(
      (async () => {
        for await (const m of readSse(body)) seen.push(m);
      })(),
    ).rejects.toThrow('socket hang up');
    expect(seen).toHaveLength(1);
  });

  it('leaving the loop early cancels the body (the connection closes)', async () => {
    const s = stream(['data: 1\n\ndata: 2\n\n', 'data: 3\n\n', 'data: 4\n\n']);
    for await (const m of readSse(s.body)) {
      if (m.type === 'event') break;
    }
    expect(s.cancelled()).toBe(true);
    const done = stream(['data: 1\n\n']);
    await all(done.body);
    expect(done.cancelled()).toBe(false); // read to the end: nothing to cancel
  });
});
