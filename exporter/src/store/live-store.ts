/**
 * The live store: the recent window the cards and live charts need (docs/architecture.md). Every tick takes
 * one sample of every series into a ring shared by time, so memory is bounded (about
 * series × capacity × 8 bytes at most, far less for series that hold still: series-ring.ts) and
 * history, replay and back-fill are index walks.
 */
import type { HistoryResponse, SeriesInfo, StreamSample } from '@runboard/protocol';
import { seriesId } from '@runboard/protocol/series';
import { ChunkPool, SeriesRing, ringLength } from './series-ring';

export interface SeriesSpec {
  name: string;
  labels?: Record<string, string>;
  unit: string;
  description: string;
}

interface SeriesSlot {
  info: SeriesInfo;
  ring: SeriesRing;
  /** Value for the tick being built; NaN = no value this tick. */
  pending: number;
}

/**
 * `defs` with `labels` on each: collectors make these once per label set and pass the same
 * objects every tick (LiveStore.set caches by spec object).
 */
export function withLabels<K extends string>(defs: Record<K, SeriesSpec>, labels: Record<string, string> | undefined): Record<K, SeriesSpec> {
  if (labels === undefined) return defs;
  const out = {} as Record<K, SeriesSpec>;
  for (const k of Object.keys(defs) as K[]) out[k] = { ...defs[k], labels };
  return out;
}

export interface Tick {
  seq: number;
  t: number;
  /** Series ids and values present in this tick, in slot order. */
  ids: string[];
  values: number[];
}

export class LiveStore {
  private readonly slots = new Map<string, SeriesSlot>();
  /** Slots by spec object (see set()). */
  private readonly bySpec = new WeakMap<SeriesSpec, SeriesSlot>();
  /** Ring slots: `capacity` ticks are exposed; the rest lets a series' ring restart whole chunks. */
  private readonly length: number;
  private readonly pool = new ChunkPool();
  private readonly times: Float64Array;
  private readonly seqs: Float64Array;
  /** Sequence of the next tick. Starts at the start time in ms so ids keep rising across restarts. */
  private nextSeq: number;
  private count = 0;
  private dropped = 0;
  /** The arrays commit() fills (see there). */
  private readonly current: { ids: string[]; values: number[] } = { ids: [], values: [] };

  constructor(
    readonly capacity: number,
    readonly intervalMs: number,
    private readonly maxSeries: number,
    startSeq = Date.now(),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
    this.length = ringLength(capacity);
    this.times = new Float64Array(this.length);
    this.seqs = new Float64Array(this.length);
    this.nextSeq = startSeq;
  }

  /**
   * Set a series' value for the tick being built; creates the series on first use. Collectors
   * pass the same spec object every tick (never mutated: `withLabels` makes them once per label
   * set), so a tick of hundreds of series costs one lookup each and builds no series id.
   */
  set(spec: SeriesSpec, value: number): void {
    let slot = this.bySpec.get(spec);
    if (slot === undefined) {
      const id = seriesId(spec.name, spec.labels);
      slot = this.slots.get(id);
      if (!slot) {
        if (this.slots.size >= this.maxSeries) {
          this.dropped++;
          return;
        }
        const ring = new SeriesRing(this.length, this.pool);
        slot = { info: { id, name: spec.name, labels: spec.labels ?? {}, unit: spec.unit, description: spec.description }, ring, pending: NaN };
        this.slots.set(id, slot);
      }
      this.bySpec.set(spec, slot);
    }
    slot.pending = value;
  }

  /**
   * Close the tick: write every pending value into the ring at time `t` and return it. The
   * returned tick's arrays are reused by the next commit (its one reader, the broadcast, formats
   * it at once): a tick allocates no arrays of hundreds of entries.
   */
  commit(t: number): Tick {
    const seq = this.nextSeq++;
    const idx = seq % this.length;
    this.times[idx] = t;
    this.seqs[idx] = seq;
    const { ids, values } = this.current;
    let n = 0;
    for (const slot of this.slots.values()) {
      const v = slot.pending;
      slot.ring.set(idx, v);
      slot.pending = NaN;
      if (!Number.isNaN(v)) {
        ids[n] = slot.info.id;
        values[n] = v;
        n++;
      }
    }
    ids.length = n;
    values.length = n;
    if (this.count < this.capacity) this.count++;
    return { seq, t, ids, values };
  }

  get lastSeq(): number | null {
    return this.count === 0 ? null : this.nextSeq - 1;
  }

  get seriesCount(): number {
    return this.slots.size;
  }

  /** Bytes held by the series' rings (the history's share of memory). */
  get ringBytes(): number {
    let n = 0;
    for (const slot of this.slots.values()) n += slot.ring.bytes;
    return n;
  }

  /** Series the store refused because it reached its limit. */
  get droppedSeries(): number {
    return this.dropped;
  }

  series(): SeriesInfo[] {
    return [...this.slots.values()].map((s) => s.info);
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** Ticks with sequence > `afterSeq` still in the ring, oldest first; at most `limit` of them. */
  ticksAfter(afterSeq: number, limit = Infinity): Tick[] {
    const out: Tick[] = [];
    if (this.count === 0) return out;
    const last = this.nextSeq - 1;
    const first = Math.max(last - this.count + 1, Math.floor(afterSeq) + 1);
    for (let seq = first; seq <= last && out.length < limit; seq++) out.push(this.tickAt(seq));
    return out;
  }

  latest(): StreamSample | null {
    if (this.count === 0) return null;
    const tick = this.tickAt(this.nextSeq - 1);
    return toSample(tick);
  }

  /**
   * Columnar history of `ids` (all series when empty) between `from` and `to` (ms, inclusive).
   * With more ticks than `maxPoints`, consecutive ticks are averaged into `maxPoints` buckets,
   * each stamped with its last tick's time.
   */
  history(ids: string[], from: number, to: number, maxPoints: number): HistoryResponse {
    const wanted = ids.length > 0 ? ids.filter((id) => this.slots.has(id)) : [...this.slots.keys()];
    const indexes: number[] = [];
    if (this.count > 0) {
      const last = this.nextSeq - 1;
      for (let seq = last - this.count + 1; seq <= last; seq++) {
        const idx = seq % this.length;
        const t = this.times[idx];
        if (t >= from && t <= to) indexes.push(idx);
      }
    }
    const buckets = Math.min(indexes.length, Math.max(1, maxPoints));
    const per = indexes.length / Math.max(buckets, 1);
    const t: number[] = [];
    const values: Record<string, Array<number | null>> = {};
    for (const id of wanted) values[id] = [];
    for (let b = 0; b < buckets; b++) {
      const start = Math.floor(b * per);
      const end = Math.max(start + 1, Math.floor((b + 1) * per));
      t.push(this.times[indexes[end - 1]]);
      for (const id of wanted) {
        const ring = this.slots.get(id)!.ring;
        let sum = 0;
        let n = 0;
        for (let i = start; i < end; i++) {
          const v = ring.get(indexes[i]);
          if (!Number.isNaN(v)) {
            sum += v;
            n++;
          }
        }
        values[id].push(n === 0 ? null : sum / n);
      }
    }
    return { from, to, intervalMs: Math.round(this.intervalMs * Math.max(per, 1)), t, values };
  }

  private tickAt(seq: number): Tick {
    const idx = seq % this.length;
    const ids: string[] = [];
    const values: number[] = [];
    for (const slot of this.slots.values()) {
      const v = slot.ring.get(idx);
      if (!Number.isNaN(v)) {
        ids.push(slot.info.id);
        values.push(v);
      }
    }
    return { seq: this.seqs[idx], t: this.times[idx], ids, values };
  }
}

export function toSample(tick: Tick, filter?: (id: string) => boolean): StreamSample {
  const values: Record<string, number> = {};
  for (let i = 0; i < tick.ids.length; i++) {
    const id = tick.ids[i];
    if (!filter || filter(id)) values[id] = tick.values[i];
  }
  return { t: tick.t, values };
}
