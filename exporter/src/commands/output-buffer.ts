/**
 * A run's stored output, bounded however much the command prints: the first half of the budget
 * keeps the head (how it started, usually the interesting error context), a rolling second half
 * keeps the tail (how it ended), and the middle is dropped and replaced by one marker line.
 */
import type { OutputLine } from '@runboard/protocol';

/**
 * Longest line kept as one entry. A command printing megabytes without a newline must not make
 * the runner (or a subscriber's SSE frame) hold it all at once, so longer lines are cut in pieces.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Every line is charged at least this share of the budget per line on top of its text, by way of
 * a line-count cap per half (budget / LINE_CHARGE lines): a million empty lines would otherwise
 * cost a million objects while counting as almost no bytes.
 */
const LINE_CHARGE = 32;

/** Cuts text into pieces of at most maxBytes UTF-8 bytes each, never inside a code point. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const limit = Math.max(4, Math.floor(maxBytes));
  // Fast path: a UTF-16 unit is at most 3 UTF-8 bytes, so short strings never need cutting.
  if (text.length * 3 <= limit || Buffer.byteLength(text) <= limit) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > limit) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** The text's size in the budget: its UTF-8 bytes plus the newline that ended it. */
function cost(text: string): number {
  return Buffer.byteLength(text) + 1;
}

export class OutputBuffer {
  private readonly headBudget: number;
  private readonly tailBudget: number;
  private readonly maxLinesPerHalf: number;
  private readonly pieceBytes: number;

  private readonly head: OutputLine[] = [];
  private headBytes = 0;
  /** Once a line went past the head, the head is closed: later short lines must not jump ahead. */
  private headOpen = true;

  // The tail is a queue; `tailStart` avoids shifting the array on every evicted line.
  private tail: Array<OutputLine | undefined> = [];
  private tailStart = 0;
  private tailBytes = 0;

  private seq = 0;
  private total = 0;
  private dropped = 0;
  private droppedBytesCount = 0;
  private firstDropped: { seq: number; t: number } | null = null;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError('OutputBuffer needs a positive maxBytes');
    this.headBudget = Math.floor(maxBytes / 2);
    this.tailBudget = maxBytes - this.headBudget;
    this.maxLinesPerHalf = Math.max(16, Math.floor(this.tailBudget / LINE_CHARGE));
    // A piece always fits the tail on its own, so the bound holds even for tiny budgets.
    this.pieceBytes = Math.min(MAX_LINE_BYTES, Math.max(4, this.tailBudget - 1));
  }

  /** Bytes the run printed (text plus one per line), stored or not. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  get droppedLines(): number {
    return this.dropped;
  }

  get droppedBytes(): number {
    return this.droppedBytesCount;
  }

  /** Bytes currently held (text plus one per line), at most about maxBytes. */
  get storedBytes(): number {
    return this.headBytes + this.tailBytes;
  }

  /**
   * Adds one line of output and returns the line(s) made from it, with their sequence numbers
   * (several when the text was longer than a line may be).
   */
  append(stream: OutputLine['stream'], text: string, t: number): OutputLine[] {
    this.total += cost(text);
    const made: OutputLine[] = [];
    for (const piece of splitUtf8(text, this.pieceBytes)) {
      const line: OutputLine = { seq: this.seq++, t, stream, text: piece };
      this.store(line);
      made.push(line);
    }
    return made;
  }

  /** append() for callers that show one line per call: returns the last line made. */
  push(stream: OutputLine['stream'], text: string, t: number): OutputLine {
    const made = this.append(stream, text, t);
    return made[made.length - 1];
  }

  /** The stored output: head, one truncation marker if anything was dropped, tail. */
  lines(): OutputLine[] {
    const out = this.head.slice();
    if (this.firstDropped) out.push(this.marker());
    for (let i = this.tailStart; i < this.tail.length; i++) out.push(this.tail[i]!);
    return out;
  }

  /** The last maxBytes bytes of the stored output as text (for the ledger's output tail). */
  tailText(maxBytes: number): string {
    if (maxBytes <= 0) return '';
    const all = this.lines();
    const picked: string[] = [];
    let bytes = 0;
    for (let i = all.length - 1; i >= 0 && bytes < maxBytes; i--) {
      picked.push(all[i].text);
      bytes += cost(all[i].text);
    }
    const text = picked.reverse().join('\n');
    const buf = Buffer.from(text);
    if (buf.length <= maxBytes) return text;
    let start = buf.length - maxBytes;
    // Skip UTF-8 continuation bytes so the cut never leaves half a character.
    while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
    return buf.subarray(start).toString('utf8');
  }

  private marker(): OutputLine {
    const first = this.firstDropped!;
    const n = this.dropped;
    return {
      seq: first.seq,
      t: first.t,
      stream: 'system',
      text: `… ${n} ${n === 1 ? 'line' : 'lines'} (${this.droppedBytesCount} bytes) truncated …`,
    };
  }

  private store(line: OutputLine): void {
    const c = cost(line.text);
    if (this.headOpen) {
      if (this.headBytes + c <= this.headBudget && this.head.length < this.maxLinesPerHalf) {
        this.head.push(line);
        this.headBytes += c;
        return;
      }
      this.headOpen = false;
    }
    this.tail.push(line);
    this.tailBytes += c;
    while ((this.tailBytes > this.tailBudget || this.tail.length - this.tailStart > this.maxLinesPerHalf) && this.tail.length - this.tailStart > 1) {
      const old = this.tail[this.tailStart]!;
      // Release the evicted line now; the slot itself goes at the next compaction.
      this.tail[this.tailStart++] = undefined;
      const oc = cost(old.text);
      this.tailBytes -= oc;
      this.dropped += 1;
      this.droppedBytesCount += oc;
      if (!this.firstDropped) this.firstDropped = { seq: old.seq, t: old.t };
    }
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }
}
