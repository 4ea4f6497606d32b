/**
 * One series' values in the live store's ring, by chunks of CHUNK ticks. A chunk whose ticks all
 * hold one value (NaN, "no value", included) keeps only that value; it gets an array of its own
 * the first time a tick differs. Many live series hold still for minutes (a quiet action's rates
 * and ratios, totals, queue depths), so the ring costs their 16 values instead of 1,024 (a third
 * to a half of the 15-minute history in the collection benchmark, bench/README.md).
 *
 * Lossless and O(1) per read or write. Chunks restart when the ring comes round to them, so a
 * ring holds whole chunks beyond what the store exposes (`ringLength`): the slots of a restarted
 * chunk not yet written again are older than the store's window and never read.
 */
export const CHUNK = 64;
const SHIFT = 6;
const MASK = CHUNK - 1;

/** Slots a ring needs for `capacity` ticks: whole chunks, plus the one being rewritten. */
export function ringLength(capacity: number): number {
  return Math.ceil(capacity / CHUNK) * CHUNK + CHUNK;
}

const same = (a: number, b: number) => a === b || (a !== a && b !== b);

/** Arrays of chunks that became uniform again, reused before allocating (shared by a store's rings). */
export class ChunkPool {
  private readonly free: Float64Array[] = [];

  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(CHUNK);
  }

  give(chunk: Float64Array): void {
    this.free.push(chunk);
  }

  get size(): number {
    return this.free.length;
  }
}

export class SeriesRing {
  /** Per chunk: its value while uniform. */
  private readonly uniform: Float64Array;
  /** Per chunk: its values once they differ. */
  private readonly chunks: Array<Float64Array | undefined>;

  constructor(
    length: number,
    private readonly pool: ChunkPool,
  ) {
    if (length % CHUNK !== 0) throw new Error(`ring length must be a multiple of ${CHUNK}`);
    this.uniform = new Float64Array(length / CHUNK).fill(NaN);
    this.chunks = new Array<Float64Array | undefined>(length / CHUNK).fill(undefined);
  }

  get(idx: number): number {
    const c = idx >> SHIFT;
    const chunk = this.chunks[c];
    return chunk === undefined ? this.uniform[c] : chunk[idx & MASK];
  }

  /** Writes the tick at `idx`; ticks are written in ring order, so offset 0 starts a chunk's new round. */
  set(idx: number, value: number): void {
    const c = idx >> SHIFT;
    const offset = idx & MASK;
    let chunk = this.chunks[c];
    if (offset === 0) {
      if (chunk !== undefined) {
        this.pool.give(chunk);
        this.chunks[c] = undefined;
      }
      this.uniform[c] = value;
      return;
    }
    if (chunk === undefined) {
      const held = this.uniform[c];
      if (same(held, value)) return;
      chunk = this.pool.take();
      chunk.fill(held, 0, offset);
      this.chunks[c] = chunk;
    }
    chunk[offset] = value;
  }

  /** Bytes held by this ring's values (uniform values and the arrays of chunks that differ). */
  get bytes(): number {
    let n = this.uniform.byteLength;
    for (const chunk of this.chunks) if (chunk !== undefined) n += chunk.byteLength;
    return n;
  }
}
