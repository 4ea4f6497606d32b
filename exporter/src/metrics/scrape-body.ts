/**
 * The /metrics body as one buffer, reused from one scrape to the next: one write instead of a trip
 * through the response's stream machinery for each of the exposition's ~150 metric texts, and
 * the metrics' own buffers (exposition.ts) are copied out while they are current
 * (bench/README.md change 17).
 * The buffer is handed out again only after the response that wrote it has finished, so a slow
 * scraper's write still in flight is never overwritten: overlapping scrapes get a fresh buffer.
 */
import type { ExpositionParts } from './exposition';

export class ScrapeBodies {
  private spare: Buffer | undefined;

  /** The exposition's bytes, in the spare buffer when it is free and large enough. */
  take({ parts, byteLength }: ExpositionParts): Buffer {
    let buf = this.spare !== undefined && this.spare.length >= byteLength ? this.spare : undefined;
    this.spare = undefined;
    // A quarter of headroom: the exposition grows as series appear, a little at a time.
    buf ??= Buffer.allocUnsafeSlow(byteLength + (byteLength >> 2));
    let at = 0;
    for (const p of parts) at += typeof p === 'string' ? buf.write(p, at) : p.copy(buf, at);
    // The total is summed apart from the parts (exposition.ts): a mismatch is a bug, and a
    // truncated exposition must not go out as if it were whole.
    if (at !== byteLength) throw new Error(`/metrics body is ${at} bytes, expected ${byteLength}`);
    return buf.subarray(0, at);
  }

  /** Hands the body's buffer back once its response has finished writing it. */
  give(body: Buffer): void {
    this.spare = Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset);
  }
}
