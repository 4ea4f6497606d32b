/**
 * `GET /api/v1/runs/:id/output` on the event-stream writer (event-stream.ts): `status`, then
 * every `line` after Last-Event-ID (`id:` = the line's seq), live `line` / `progress` / `llm`
 * events, and `end`. Readers are admitted, paced and dropped like samples-stream readers: a
 * reader that stops reading is dropped as slow, so the run's output is never buffered for it.
 */
import type { OutputLine, RunInfo, RunOutputEvent } from '@runboard/protocol';
import { REPLAY_SLICE_BYTES, type EventStream } from './event-stream';

export function lineFrame(line: OutputLine): string {
  return `id: ${line.seq}\nevent: line\ndata: ${JSON.stringify(line)}\n\n`;
}

let lastEvent: RunOutputEvent | undefined;
let lastFrame: Buffer | undefined;

/**
 * The frame of one event. Every reader of a run gets the same event object one after another
 * (CommandService emits to its listeners in turn), so it is encoded once, not once per reader.
 */
export function runEventFrame(e: RunOutputEvent): Buffer {
  if (e === lastEvent && lastFrame) return lastFrame;
  const frame = Buffer.from(e.event === 'line' ? lineFrame(e.data) : `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  lastEvent = e;
  lastFrame = frame;
  return frame;
}

/** Index of the first of the ascending `seqs` above `after`. */
function firstAfter(seqs: ArrayLike<number>, after: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A finished run's line frames, back to back, with each frame's seq and start offset. */
interface FormattedOutput {
  frames: Buffer;
  seqs: Float64Array;
  /** offsets[i] is where frame i starts; offsets[n] is the end. */
  offsets: Float64Array;
}

function formatOutput(lines: readonly OutputLine[]): FormattedOutput {
  const seqs = new Float64Array(lines.length);
  const offsets = new Float64Array(lines.length + 1);
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = lineFrame(lines[i]);
    parts.push(f);
    seqs[i] = lines[i].seq;
    offsets[i] = at;
    at += Buffer.byteLength(f);
  }
  offsets[lines.length] = at;
  return { frames: Buffer.from(parts.join('')), seqs, offsets };
}

/**
 * Finished runs' output, formatted once and replayed to every reader from one buffer: hundreds
 * of dashboards opening the same finished run cost one read and one formatting, and each
 * reader only the writes. A finished run's stored output never changes. Least recently used
 * entries go first past `maxBytes`; an entry larger than that is served but not kept.
 */
export class FinishedOutputCache {
  private readonly entries = new Map<string, FormattedOutput>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(runId: string, load: () => readonly OutputLine[]): FormattedOutput {
    let entry = this.entries.get(runId);
    if (entry) {
      this.entries.delete(runId);
      this.entries.set(runId, entry);
      return entry;
    }
    entry = formatOutput(load());
    const size = entry.frames.length + entry.seqs.byteLength + entry.offsets.byteLength;
    if (size > this.maxBytes) return entry;
    for (const [id, old] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break;
      this.entries.delete(id);
      this.bytes -= old.frames.length + old.seqs.byteLength + old.offsets.byteLength;
    }
    this.entries.set(runId, entry);
    this.bytes += size;
    return entry;
  }
}

/** Slices of whole frames (at least one, else up to REPLAY_SLICE_BYTES) of the lines after `after`. */
function formattedSlices(out: FormattedOutput, after: number): () => Buffer | undefined {
  let i = firstAfter(out.seqs, after);
  const n = out.seqs.length;
  return () => {
    if (i >= n) return undefined;
    const start = out.offsets[i];
    // The last frame boundary within a slice of `start`: offsets are ascending too.
    let j = firstAfter(out.offsets, start + REPLAY_SLICE_BYTES) - 1;
    if (j <= i) j = i + 1;
    i = Math.min(j, n);
    return out.frames.subarray(start, out.offsets[i]);
  };
}

/** Slices of a live run's output so far, formatted as they go out. */
function lineSlices(lines: readonly OutputLine[], after: number): () => string | undefined {
  let i = firstAfter(
    lines.map((l) => l.seq),
    after,
  );
  return () => {
    let out = '';
    while (i < lines.length && out.length < REPLAY_SLICE_BYTES) out += lineFrame(lines[i++]);
    return out === '' ? undefined : out;
  };
}

const statusFrame = (event: 'status' | 'end', info: RunInfo) => `event: ${event}\ndata: ${JSON.stringify(info)}\n\n`;

/** A finished run: its status, its stored lines after `after` in slices, and `end`. */
export function replayFinished(stream: EventStream, info: RunInfo, output: FormattedOutput, after: number): void {
  stream.send(statusFrame('status', info));
  stream.replay(formattedSlices(output, after));
  // Queued behind the replay (EventStream.send), then the stream ends.
  stream.send(statusFrame('end', info));
  stream.end();
}

/**
 * A live run: its status, the lines so far after `after` in slices, then live events (queued
 * behind the replay) until `end`. Returns the listener to subscribe before anything is sent.
 * The events of one turn of the event loop (the lines of one chunk the command printed: hundreds
 * of them) go out in one write, not a write each, and the buffer bound is checked once for them.
 */
export function followLive(after: number): { listener: (e: RunOutputEvent) => void; start: (stream: EventStream, info: RunInfo, lines: readonly OutputLine[]) => void } {
  let stream: EventStream | undefined;
  let batch: Buffer[] = [];
  const flush = () => {
    const frames = batch;
    batch = [];
    if (frames.length > 0) stream?.sendAll(frames);
  };
  return {
    listener: (e) => {
      if (!stream) return;
      if (e.event === 'line' && e.data.seq <= after) return;
      batch.push(runEventFrame(e));
      if (e.event === 'end') {
        flush();
        stream.end();
      } else if (batch.length === 1) {
        process.nextTick(flush);
      }
    },
    start: (s, info, lines) => {
      stream = s;
      s.send(statusFrame('status', info));
      s.replay(lineSlices(lines, after));
    },
  };
}
