/**
 * The one event-stream (SSE) writer behind every stream route: the samples stream and run output
 * (README "Streams and client limits"). It owns what makes a stream safe to serve to anyone:
 *
 * - admission: at most `limits.streamClients` streams in all and `limits.streamClientsPerClient`
 *   per client (clientIdentity: the Grafana user, else the address), so one client cannot take
 *   every slot; a refusal is a 503 the route sends, counted as a `limit` disconnect;
 * - headers at once (Grafana's proxy times out on headers, not on the body) and the `retry:` hint;
 * - a heartbeat comment, which also finds readers that took no byte for a whole period;
 * - back-pressure: a reader more than `limits.streamBufferBytes` behind is dropped (it resumes
 *   with Last-Event-ID), so a stalled reader never makes the exporter buffer for it;
 * - replay in slices, each written after the previous one drained or after a turn of the event
 *   loop, so hundreds of clients replaying megabytes never hold up other requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { clientIdentity } from '../http/client-identity';
import type { Metrics } from '../metrics/registry';

export type DisconnectReason = 'client' | 'slow' | 'shutdown';

export interface EventStreamOptions {
  maxClients: number;
  maxClientsPerClient: number;
  maxBufferBytes: number;
  heartbeatMs: number;
  retryMs: number;
  /** Whether an Authorization header carries the API token (see clientIdentity). */
  hasToken: (authorization: string | undefined) => boolean;
}

/** Why a stream was not opened: the route answers it as a JSON error with Retry-After. */
export interface StreamRefusal {
  status: 503;
  code: 'too_many_streams';
  message: string;
  retryAfterSeconds: number;
}

const RETRY_AFTER_SECONDS = 5;

/**
 * Target size of one replay slice: formatting or copying 64 KiB takes well under a millisecond,
 * and a 1 MiB replay is still only ~16 writes.
 */
export const REPLAY_SLICE_BYTES = 64 * 1024;

/** Longest run of replay slices in one turn of the event loop (see EventStreams.schedule). */
const REPLAY_TURN_MS = 10;

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

export class EventStreams {
  private readonly streams = new Set<EventStream>();
  private readonly perClient = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  /** Replay slices waiting for their turn (see schedule). */
  private readonly ready = new StepQueue();
  private turnScheduled = false;

  constructor(
    private readonly metrics: Metrics,
    readonly opts: EventStreamOptions,
  ) {
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Open streams, all routes together. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Whether this request may open a stream: undefined if so, else the refusal (already counted).
   * Nothing is reserved: call open() in the same turn of the event loop.
   */
  admit(req: IncomingMessage): StreamRefusal | undefined {
    const { maxClients, maxClientsPerClient } = this.opts;
    let message: string | undefined;
    if (this.closed) message = 'the exporter is stopping';
    else if (this.streams.size >= maxClients) message = `stream client limit of ${maxClients} reached (limits.streamClients)`;
    else if ((this.perClient.get(clientIdentity(req, this.opts.hasToken)) ?? 0) >= maxClientsPerClient) {
      message = `stream limit of ${maxClientsPerClient} per client reached for this client (limits.streamClientsPerClient; the client is the X-Grafana-User header on a request with the API token, else the address)`;
    }
    if (message === undefined) return undefined;
    this.metrics.streamDisconnects.inc({ reason: 'limit' });
    return { status: 503, code: 'too_many_streams', message, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }

  /** Takes over `res` as an event stream: headers and the `retry:` hint go out now. */
  open(req: IncomingMessage, res: ServerResponse): EventStream {
    // The body runs until the connection closes instead of in chunks: a stream holds its
    // connection for its whole life anyway, and without chunk framing a frame's bytes are the
    // body's bytes, so frames go to the socket itself (EventStream.out).
    res.removeHeader('Transfer-Encoding');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'close',
      // Stops nginx-style proxies from buffering the stream.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    // The headers go out now, before any frame written to the socket directly.
    res.flushHeaders();
    const stream = new EventStream(res, clientIdentity(req, this.opts.hasToken), this);
    this.streams.add(stream);
    this.perClient.set(stream.identity, (this.perClient.get(stream.identity) ?? 0) + 1);
    this.metrics.streamClients.set(this.streams.size);
    // Finished after our end() (all sent): not a disconnect. Anything else: the client left.
    res.on('close', () => this.remove(stream, res.writableFinished ? undefined : 'client'));
    stream.send(`retry: ${this.opts.retryMs}\n\n`);
    return stream;
  }

  /** Ends every stream (shutdown): clients see a clean end and reconnect elsewhere or later. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const s of [...this.streams]) s.shutdown();
  }

  /** @internal Called by EventStream and on 'close'; counts the reason once. */
  remove(stream: EventStream, reason: DisconnectReason | undefined): void {
    if (!this.streams.delete(stream)) return;
    const n = (this.perClient.get(stream.identity) ?? 1) - 1;
    if (n > 0) this.perClient.set(stream.identity, n);
    else this.perClient.delete(stream.identity);
    if (reason) this.metrics.streamDisconnects.inc({ reason });
    this.metrics.streamClients.set(this.streams.size);
    stream.closed();
  }

  /**
   * @internal Runs a replay's next slice in a later turn of the event loop. All replays share the
   * turns, round robin, and a turn stops after REPLAY_TURN_MS: 300 clients replaying a slice each
   * are ~20 MB of socket writes (~200 ms on loopback), which in one turn would hold every other
   * request that long. Between turns the event loop serves requests, ticks and 'drain's.
   */
  schedule(step: () => void): void {
    this.ready.push(step);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.replayTurn);
    }
  }

  private readonly replayTurn = (): void => {
    this.turnScheduled = false;
    const until = performance.now() + REPLAY_TURN_MS;
    // Only the steps queued before this turn: the ones they queue go to the next.
    for (let n = this.ready.length; n > 0; n--) {
      this.ready.shift()!();
      if (performance.now() >= until) break;
    }
    if (this.ready.length > 0 && !this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.replayTurn);
    }
  };

  private beat(): void {
    for (const s of [...this.streams]) s.beat(HEARTBEAT);
  }
}

/** A FIFO of replay steps without Array#shift's O(n) copy. */
class StepQueue {
  private items: Array<(() => void) | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(step: () => void): void {
    this.items.push(step);
  }

  shift(): (() => void) | undefined {
    if (this.head >= this.items.length) return undefined;
    const step = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return step;
  }
}

export class EventStream {
  /** Bytes written to the connection; less what it still holds, that is what the reader took. */
  private written = 0;
  private takenAtBeat = 0;
  /** `written` at the last beat, after its heartbeat: whether anything went out since. */
  private writtenAtBeat = 0;
  private replaying = false;
  /** Frames sent during a replay, written after it; they count towards the buffer bound. */
  private queue: Array<string | Buffer> = [];
  private queuedBytes = 0;
  private endAfterReplay = false;
  private waitNumber = 0;
  private onClose: Array<() => void> = [];
  /**
   * Registered with the owner; cleared by closed() when it removes the stream. A flag, not a
   * lookup in the owner's set: send() asks it for every client on every tick.
   */
  private registered = true;
  /**
   * Where frames are written: the connection's socket. Through `res.write`, each frame took
   * OutgoingMessage's path (cork the socket, uncork it on the next tick, its own byte count):
   * at 10k clients, 10k deferred writes a tick, none of which reached a client before the whole
   * fan-out loop had run. `res` still ends the stream and counts what waits (writableLength).
   */
  private readonly out: Writable;

  constructor(
    private readonly res: ServerResponse,
    readonly identity: string,
    private readonly owner: EventStreams,
  ) {
    this.out = res.socket ?? res;
  }

  /** Still registered and not ended: frames may be sent. */
  get open(): boolean {
    return this.registered && !this.res.writableEnded && !this.endAfterReplay;
  }

  /**
   * While a replay waits for 'drain': a number that changes with every new wait (0 otherwise),
   * so a caller can tell one long wait from several short ones.
   */
  get drainWait(): number {
    return this.waitNumber;
  }

  /** Runs `fn` once when the stream is gone (ended, dropped or closed by the client). */
  whenClosed(fn: () => void): void {
    if (this.registered) this.onClose.push(fn);
    else fn();
  }

  /**
   * Writes one frame, or queues it behind a replay in progress. A reader whose unsent bytes are
   * past the bound is dropped as slow instead: returns false.
   */
  send(frame: string | Buffer): boolean {
    if (!this.admitted()) return false;
    this.writeOrQueue(frame);
    return true;
  }

  /** send() for several frames at once: one socket write for all of them. */
  sendAll(frames: ReadonlyArray<string | Buffer>): boolean {
    if (!this.admitted()) return false;
    this.out.cork();
    for (const f of frames) this.writeOrQueue(f);
    this.out.uncork();
    return true;
  }

  /** Open and within its bound; a reader past the bound is dropped as slow. */
  private admitted(): boolean {
    if (!this.open) return false;
    if (this.res.writableLength + this.queuedBytes > this.owner.opts.maxBufferBytes) {
      this.drop();
      return false;
    }
    return true;
  }

  private writeOrQueue(frame: string | Buffer): void {
    if (this.replaying) {
      this.queue.push(frame);
      this.queuedBytes += byteLength(frame);
    } else {
      this.write(frame);
    }
  }

  /**
   * Writes what `next` gives (undefined when there is no more), slice by slice, in the turns the
   * owner gives replays (EventStreams.schedule): a slice that did not go straight out waits for
   * 'drain' first. Frames sent meanwhile follow the replay; `done` runs once all of it is written.
   */
  replay(next: () => string | Buffer | undefined, done: () => void = () => undefined): void {
    this.replaying = true;
    const pump = (): void => {
      this.waitNumber = 0;
      if (!this.registered) return;
      let chunk = next();
      if (chunk === undefined && this.queue.length > 0) {
        chunk = this.queue.shift()!;
        this.queuedBytes -= byteLength(chunk);
      }
      if (chunk === undefined) {
        this.replaying = false;
        done();
        if (this.endAfterReplay) this.res.end();
        return;
      }
      if (this.write(chunk)) {
        this.owner.schedule(pump);
      } else {
        this.waitNumber = nextWait();
        this.out.once('drain', () => this.owner.schedule(pump));
      }
    };
    this.owner.schedule(pump);
  }

  /** Ends the stream once everything sent so far (a replay included) is written. */
  end(): void {
    if (!this.open) return;
    if (this.replaying) this.endAfterReplay = true;
    else this.res.end();
  }

  /** Drops the reader as slow: it may come back with Last-Event-ID. */
  drop(): void {
    this.owner.remove(this, 'slow');
    this.res.destroy();
  }

  /** Shutdown: a clean end, counted as such. */
  shutdown(): void {
    this.owner.remove(this, 'shutdown');
    this.res.end();
  }

  /**
   * @internal Every heartbeat period: a reader that has bytes waiting and took none of them since
   * the last beat is stalled (dropped as slow, whatever the bound); a stream that sent nothing
   * since the last beat gets the comment. One that did needs none (its bytes kept the connection
   * in use), which spares a write per client per period: at 10k clients, as many writes as a tick.
   */
  beat(frame: Buffer): void {
    const pending = this.res.writableLength;
    const taken = this.written - pending;
    if (pending > 0 && taken <= this.takenAtBeat) return this.drop();
    this.takenAtBeat = taken;
    if (!this.replaying && this.written === this.writtenAtBeat) this.send(frame);
    this.writtenAtBeat = this.written;
  }

  /** @internal Called once by the owner when the stream is removed. */
  closed(): void {
    this.registered = false;
    this.queue = [];
    this.queuedBytes = 0;
    const fns = this.onClose;
    this.onClose = [];
    for (const fn of fns) fn();
  }

  private write(chunk: string | Buffer): boolean {
    this.written += byteLength(chunk);
    return this.out.write(chunk);
  }
}

let waits = 0;
const nextWait = () => (waits = (waits % 0x7fffffff) + 1);

const byteLength = (chunk: string | Buffer) => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
