/**
 * The SSE hub (DESIGN §4): one `sample` event per tick, serialised once per distinct series
 * filter and written to every client with that filter; Last-Event-ID replay from the live store;
 * heartbeats; and back-pressure — a client whose unsent bytes pass the bound is dropped (it may
 * resume with Last-Event-ID) so one stalled reader never grows memory or delays the others.
 */
import type { ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/registry';
import { STREAM_EVENT_SAMPLE } from '../protocol';
import { splitSeriesList } from '../protocol/series';
import type { LiveStore, Tick } from '../store/live-store';

export type DisconnectReason = 'client' | 'slow' | 'shutdown';

export interface HubOptions {
  maxClients: number;
  maxBufferBytes: number;
  heartbeatMs: number;
  retryMs: number;
}

interface Client {
  res: ServerResponse;
  filterKey: string;
  filter: ((id: string) => boolean) | undefined;
  /** While a replay waits for 'drain': the ticks broadcast meanwhile. */
  waitedTicks?: number;
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

/** Series ids as JSON strings, quoted once (ids come from the live store, which bounds them). */
const quotedIds = new Map<string, string>();

const jsonNumber = (v: number) => (Number.isFinite(v) ? String(v) : 'null');

/**
 * `JSON.stringify(toSample(tick, filter))`, written out directly: no object of hundreds of keys
 * to build and walk on every tick.
 */
export function sampleJson(tick: Tick, filter?: (id: string) => boolean): string {
  let out = `{"t":${jsonNumber(tick.t)},"values":{`;
  let first = true;
  for (let i = 0; i < tick.ids.length; i++) {
    const id = tick.ids[i];
    if (filter && !filter(id)) continue;
    let q = quotedIds.get(id);
    if (q === undefined) quotedIds.set(id, (q = JSON.stringify(id)));
    out += `${first ? '' : ','}${q}:${jsonNumber(tick.values[i])}`;
    first = false;
  }
  return `${out}}}`;
}

export class SseHub {
  private readonly clients = new Set<Client>();
  /** Clients still being sent what they missed (Last-Event-ID); they count towards the limit. */
  private readonly replaying = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly store: LiveStore,
    private readonly metrics: Metrics,
    private readonly opts: HubOptions,
  ) {
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size + this.replaying.size;
  }

  get full(): boolean {
    return this.size >= this.opts.maxClients;
  }

  /**
   * Takes over `res` as an event stream. Headers and the `retry:` hint go out at once because
   * Grafana's proxy times out on headers, not on the body.
   */
  attach(res: ServerResponse, seriesParam: string | undefined, lastEventId: number | undefined): void {
    const { key, match } = parseSeriesFilter(seriesParam);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Stops nginx-style proxies from buffering the stream.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write(`retry: ${this.opts.retryMs}\n\n`);
    const client: Client = { res, filterKey: key, filter: match };
    res.on('close', () => this.remove(client, 'client'));
    if (lastEventId === undefined) {
      this.clients.add(client);
    } else {
      this.replaying.add(client);
      this.replay(client, lastEventId);
    }
    this.metrics.streamClients.set(this.size);
  }

  /**
   * Sends the ticks after `after` a few at a time, waiting for 'drain' whenever the unsent bytes
   * pass the bound: a replay of the whole live store (megabytes) is never buffered at once. Ticks
   * committed meanwhile are part of the replay; once caught up, the client gets the broadcasts.
   * One that does not drain for a whole tick is dropped as slow (see broadcast) and may resume.
   */
  private replay(client: Client, after: number): void {
    let last = after;
    const pump = (): void => {
      client.waitedTicks = undefined;
      if (!this.replaying.has(client)) return;
      for (let batch = this.store.ticksAfter(last, 16); batch.length > 0; batch = this.store.ticksAfter(last, 16)) {
        for (const tick of batch) {
          client.res.write(formatSample(tick, client.filter));
          last = tick.seq;
          if (client.res.writableLength > this.opts.maxBufferBytes) {
            client.waitedTicks = 0;
            client.res.once('drain', pump);
            return;
          }
        }
      }
      this.replaying.delete(client);
      this.clients.add(client);
    };
    pump();
  }

  /** Sends one tick to every client; each distinct filter is serialised once. */
  broadcast(tick: Tick): void {
    for (const client of this.replaying) {
      if (client.waitedTicks !== undefined && ++client.waitedTicks > 1) {
        this.remove(client, 'slow');
        client.res.destroy();
      }
    }
    if (this.clients.size === 0) return;
    // Encoded once per filter, not once per client.
    const frames = new Map<string, Buffer>();
    for (const client of this.clients) {
      let frame = frames.get(client.filterKey);
      if (frame === undefined) {
        frame = Buffer.from(formatSample(tick, client.filter));
        frames.set(client.filterKey, frame);
      }
      this.send(client, frame);
    }
  }

  /** Ends every stream (shutdown): clients see a clean end and reconnect elsewhere or later. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const client of [...this.clients, ...this.replaying]) {
      this.remove(client, 'shutdown');
      client.res.end();
    }
  }

  private write(frame: string): void {
    const buf = Buffer.from(frame);
    for (const client of this.clients) this.send(client, buf);
  }

  private send(client: Client, frame: Buffer): void {
    const res = client.res;
    // Bytes still queued from earlier frames: a reader that keeps up has none by the next tick.
    if (res.writableLength > this.opts.maxBufferBytes) {
      this.remove(client, 'slow');
      res.destroy();
      return;
    }
    res.write(frame);
  }

  private remove(client: Client, reason: DisconnectReason): void {
    if (!this.clients.delete(client) && !this.replaying.delete(client)) return;
    this.metrics.streamDisconnects.inc({ reason });
    this.metrics.streamClients.set(this.size);
  }
}
