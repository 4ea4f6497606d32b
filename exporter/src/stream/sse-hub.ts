/**
 * The samples stream (README "HTTP API"): one `sample` event per tick, serialised once per distinct
 * series filter and written to every client with that filter, and Last-Event-ID replay from the
 * live store. Headers, heartbeats, back-pressure, replay slices and client limits are the
 * event-stream writer's (event-stream.ts), the same for every stream route.
 */
import { STREAM_EVENT_SAMPLE } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import type { LiveStore, Tick } from '../store/live-store';
import { REPLAY_SLICE_BYTES, type EventStream } from './event-stream';

interface Client {
  stream: EventStream;
  filterKey: string;
  filter: ((id: string) => boolean) | undefined;
  /** The replay's drain wait seen at the last tick (EventStream.drainWait). */
  seenWait?: number;
}

/** `series=` accepts exact ids and `prefix*` patterns, comma-separated. */
export function parseSeriesFilter(raw: string | undefined): { key: string; match: ((id: string) => boolean) | undefined } {
  const parts = splitSeriesList(raw);
  if (parts.length === 0) return { key: '*', match: undefined };
  const exact = new Set(parts.filter((p) => !p.endsWith('*')));
  const prefixes = parts.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  const key = [...parts].sort().join(',');
  return { key, match: (id) => exact.has(id) || prefixes.some((p) => id.startsWith(p)) };
}

export function formatSample(tick: Tick, filter?: (id: string) => boolean): string {
  return `id: ${tick.seq}\nevent: ${STREAM_EVENT_SAMPLE}\ndata: ${sampleJson(tick, filter)}\n\n`;
}

/**
 * Each series' `"id":value` text, kept with the value it was written for: most series hold their
 * value from one tick to the next (quiet rolling windows, totals), so most ticks format few
 * numbers. Ids come from the live store, which bounds them.
 */
const members = new Map<string, { quoted: string; text: string; value: number }>();

const jsonNumber = (v: number) => (Number.isFinite(v) ? String(v) : 'null');

/**
 * `JSON.stringify(toSample(tick, filter))`, written out directly: no object of hundreds of keys
 * to build and walk on every tick.
 */
export function sampleJson(tick: Tick, filter?: (id: string) => boolean): string {
  let out = `{"t":${jsonNumber(tick.t)},"values":{`;
  let sep = '';
  for (let i = 0; i < tick.ids.length; i++) {
    const id = tick.ids[i];
    if (filter && !filter(id)) continue;
    const value = tick.values[i];
    let m = members.get(id);
    if (m === undefined) {
      const quoted = JSON.stringify(id);
      m = { quoted, text: `${quoted}:${jsonNumber(value)}`, value };
      members.set(id, m);
    } else if (m.value !== value) {
      // -0 === 0 and both print as 0; a value is never NaN here (the store leaves those out of a tick).
      m.text = `${m.quoted}:${jsonNumber(value)}`;
      m.value = value;
    }
    out += sep + m.text;
    sep = ',';
  }
  return `${out}}}`;
}

export class SseHub {
  private readonly clients = new Set<Client>();
  /** Clients still being sent what they missed (Last-Event-ID). */
  private readonly replaying = new Set<Client>();
  private closed = false;

  constructor(private readonly store: LiveStore) {}

  /** Clients of the samples stream (run-output readers are counted by EventStreams). */
  get size(): number {
    return this.clients.size + this.replaying.size;
  }

  /** Serves the samples stream on an admitted, opened event stream. */
  attach(stream: EventStream, seriesParam: string | undefined, lastEventId: number | undefined): void {
    const { key, match } = parseSeriesFilter(seriesParam);
    const client: Client = { stream, filterKey: key, filter: match };
    stream.whenClosed(() => {
      this.clients.delete(client);
      this.replaying.delete(client);
    });
    if (!stream.open) return;
    if (lastEventId === undefined) {
      this.clients.add(client);
    } else {
      this.replaying.add(client);
      this.replay(client, lastEventId);
    }
  }

  /**
   * Sends the ticks after `after` in slices (EventStream.replay): a replay of the whole live
   * store (megabytes) is never formatted or buffered at once. Ticks committed meanwhile are part
   * of the replay; once caught up, the client gets the broadcasts. One whose replay waits for
   * 'drain' for a whole tick is dropped as slow (see broadcast) and may resume.
   */
  private replay(client: Client, after: number): void {
    let last = after;
    let batch: Tick[] = [];
    let i = 0;
    const next = (): string | undefined => {
      let out = '';
      while (out.length < REPLAY_SLICE_BYTES) {
        if (i >= batch.length) {
          batch = this.store.ticksAfter(last, 16);
          i = 0;
          if (batch.length === 0) break;
        }
        const tick = batch[i++];
        out += formatSample(tick, client.filter);
        last = tick.seq;
      }
      return out === '' ? undefined : out;
    };
    client.stream.replay(next, () => {
      if (!this.replaying.delete(client) || !client.stream.open) return;
      this.clients.add(client);
    });
  }

  /** Sends one tick to every client; each distinct filter is serialised once. */
  broadcast(tick: Tick): void {
    for (const client of this.replaying) {
      const wait = client.stream.drainWait;
      if (wait !== 0 && wait === client.seenWait) client.stream.drop();
      client.seenWait = wait;
    }
    if (this.clients.size === 0) return;
    // Encoded once per filter, not once per client; most clients share one filter, so the last
    // frame is tried before the map (this loop runs once per client per tick: 10k at a time).
    const frames = new Map<string, Buffer>();
    let lastKey: string | undefined;
    let lastFrame: Buffer | undefined;
    for (const client of this.clients) {
      let frame = client.filterKey === lastKey ? lastFrame : frames.get(client.filterKey);
      if (frame === undefined) {
        frame = Buffer.from(formatSample(tick, client.filter));
        frames.set(client.filterKey, frame);
      }
      lastKey = client.filterKey;
      lastFrame = frame;
      client.stream.send(frame);
    }
  }

  /** Ends every samples stream (shutdown): clients see a clean end and reconnect elsewhere or later. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const client of [...this.clients, ...this.replaying]) client.stream.shutdown();
  }
}
