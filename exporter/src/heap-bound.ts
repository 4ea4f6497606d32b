/**
 * Keeps a standalone exporter's JavaScript heap within a couple of MB of what it holds, where V8
 * alone lets it carry 8 MB of garbage for a quarter of an hour (README "Performance", Runtime
 * settings).
 *
 * Why: V8 starts a major collection once the old generation has grown past a limit it sets after
 * the previous one: at least 8 MB above what survived (its minimum growing step), 2 MB only under
 * `--optimize-for-size`. The exporter holds ~17 MB, and what it promotes to the old generation
 * is mostly short-lived (a scrape's texts, the rolling windows' snapshots: 5–10 KB/s), so a
 * scraped exporter climbed 8 MB over ~16 min before its first major collection, and its RSS with
 * it; the pages stay committed after (bench/README.md "RSS after the bench's window").
 * `--optimize-for-size` cost 18 % more CPU (it changes the compilers too).
 *
 * So after a tick (the samples have just gone out, the next is an interval away), at most every
 * READ_EVERY_MS, the old generation is read: `getHeapSpaceStatistics()` takes ~1 µs in a hot loop
 * but ~50 µs called once a second, ~2 % of an idle exporter's CPU if read every tick. Once it has
 * grown STEP_BYTES above its lowest reading (only a major collection lowers it) a full collection
 * runs, ~20 ms at this size: every ~4.5 min when scraped (a 1 MB step held ~0.9 MB less RSS for
 * twice the collections, and put one in the idle exporter's benchmark window; bench/README.md
 * change 19). At most once per gap: the gap starts at MIN_GAP_MS and doubles, up to MAX_GAP_MS,
 * after a collection that freed less than half a step (what grew was live: more series, more
 * streams), back to MIN_GAP_MS after one that freed more. Only while the old generation is below
 * CEILING_BYTES: past that a forced collection would pause the loop longer, and V8's own limit
 * grows with the heap.
 *
 * It needs `gc` exposed (`node --expose-gc`, which `npm start` and the Docker image pass); only
 * `serve` asks for it, because inside an app that embeds the exporter the heap is the app's.
 */
import { getHeapSpaceStatistics } from 'node:v8';

export const STEP_BYTES = 2 * 1024 * 1024;
export const MIN_GAP_MS = 30_000;
export const MAX_GAP_MS = 8 * MIN_GAP_MS;
export const CEILING_BYTES = 64 * 1024 * 1024;
export const READ_EVERY_MS = 10_000;

export interface HeapBoundOptions {
  /** Bytes used by the old generation (every space but the young one). */
  readOldBytes?: () => number;
  /** A full collection, synchronous. */
  collect: () => void;
  now?: () => number;
}

/** Bytes used by every heap space but the young generation's. */
export function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  }
  return bytes;
}

export class HeapBound {
  /** Full collections this bound has run. */
  collections = 0;
  /** The current gap between two collections. */
  gapMs = MIN_GAP_MS;
  private low = Infinity;
  private lastCollection = -Infinity;
  private lastRead = -Infinity;
  private readonly readOldBytes: () => number;
  private readonly collect: () => void;
  private readonly now: () => number;

  constructor(opts: HeapBoundOptions) {
    this.readOldBytes = opts.readOldBytes ?? oldGenerationBytes;
    this.collect = opts.collect;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Reads the old generation, unless it did less than READ_EVERY_MS ago, and collects if it has
   * grown a step; true when it collected.
   */
  check(): boolean {
    const now = this.now();
    if (now - this.lastRead < READ_EVERY_MS) return false;
    this.lastRead = now;
    const bytes = this.readOldBytes();
    if (bytes < this.low) this.low = bytes;
    if (bytes - this.low < STEP_BYTES || bytes >= CEILING_BYTES || now - this.lastCollection < this.gapMs) return false;
    this.collect();
    this.collections++;
    this.lastCollection = now;
    this.low = this.readOldBytes();
    this.gapMs = bytes - this.low < STEP_BYTES / 2 ? Math.min(this.gapMs * 2, MAX_GAP_MS) : MIN_GAP_MS;
    return true;
  }
}

/** A HeapBound on this process's heap when `gc` is exposed (`node --expose-gc`), else undefined. */
export function processHeapBound(): HeapBound | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  const bound = new HeapBound({ collect: () => (gc as () => void)() });
  bound.check(); // the first reading: what the exporter holds once it has started
  return bound;
}
