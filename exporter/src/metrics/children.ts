/**
 * Handles on one label set of a prom-client counter or histogram, for the record path.
 * prom-client's inc()/observe() build a hash string from the labels object, validate the labels and
 * look the string up on every call: ~190 ns of an SDK record's ~500 ns of metric updates for one
 * counter inc. A handle finds its series once and then adds to it directly (~10 ns).
 *
 * It relies on prom-client 15's internal layout (pinned exactly in exporter/package.json): a
 * metric's `hashMap` keyed by `name:value,` over `sortedLabelNames`, holding `{ value }` for a
 * counter and `{ sum, count, bucketValues }` for a histogram (bucket keys = the upper bounds).
 * The layout is checked when a handle binds; anything else and the handle goes through the public
 * API on every call. A series removed since (remove(), reset()) is noticed on the next call, which
 * then goes through the public API and binds again. The exposition is the same either way
 * (tests/exporter/metric-children.test.ts).
 */
import type { Counter, Histogram } from 'prom-client';

type Labels = Record<string, string | number>;

interface Internals<E> {
  hashMap: Record<string, E | undefined>;
  sortedLabelNames: readonly string[];
  upperBounds?: readonly number[];
}

interface CounterEntry {
  value: number;
}

interface HistogramEntry {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

/** prom-client's key of a label set (util.js hashObject with the metric's sorted label names). */
function seriesKey(names: readonly string[], labels: Labels): string {
  let key = '';
  for (const name of names) {
    const v = labels[name];
    if (v !== undefined) key += `${name}:${v},`;
  }
  // Used as a property key on every call: interned once here, so each lookup reuses its hash.
  return Object.keys({ [key]: 0 })[0];
}

abstract class Child<E> {
  private key = '';
  protected entry: E | undefined;
  /** The layout is not the expected one: public API only. */
  private foreign = false;

  constructor(
    protected readonly metric: Counter<string> | Histogram<string>,
    protected readonly labels: Labels,
  ) {}

  /** The series' entry when the handle is bound to it and it is still the metric's. */
  protected bound(): E | undefined {
    const e = this.entry;
    return e !== undefined && (this.metric as unknown as Internals<E>).hashMap[this.key] === e ? e : undefined;
  }

  /** After a public-API call, which created the series if it was missing. */
  protected bind(): void {
    if (this.foreign) return;
    const m = this.metric as unknown as Partial<Internals<E>>;
    if (!m.hashMap || typeof m.hashMap !== 'object' || !Array.isArray(m.sortedLabelNames)) return void (this.foreign = true);
    this.key = seriesKey(m.sortedLabelNames, this.labels);
    const e = m.hashMap[this.key];
    if (e && this.fits(e)) this.entry = e;
    else this.foreign = true;
  }

  protected abstract fits(e: E): boolean;
}

export class CounterChild extends Child<CounterEntry> {
  constructor(counter: Counter<string>, labels: Labels) {
    super(counter, labels);
  }

  inc(value = 1): void {
    const e = this.bound();
    // The public API's checks, kept: a finite, non-negative amount.
    if (e !== undefined && value >= 0 && value !== Infinity) e.value += value;
    else {
      (this.metric as Counter<string>).inc(this.labels, value);
      this.bind();
    }
  }

  protected fits(e: CounterEntry): boolean {
    return typeof e.value === 'number';
  }
}

export class HistogramChild extends Child<HistogramEntry> {
  /** Upper bounds and the bucketValues key of each (prom-client keys them by String(bound)). */
  private readonly bounds: readonly number[];
  private readonly bucketKeys: readonly string[];

  constructor(histogram: Histogram<string>, labels: Labels) {
    super(histogram, labels);
    this.bounds = (histogram as unknown as Internals<HistogramEntry>).upperBounds ?? [];
    this.bucketKeys = this.bounds.map(String);
  }

  observe(value: number): void {
    const e = this.bound();
    if (e !== undefined && Number.isFinite(value)) {
      e.sum += value;
      e.count += 1;
      const bounds = this.bounds;
      // The first bound >= value; none (above the last) counts only in +Inf, i.e. `count`.
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          e.bucketValues[this.bucketKeys[i]] += 1;
          break;
        }
      }
    } else {
      (this.metric as Histogram<string>).observe(this.labels, value);
      this.bind();
    }
  }

  protected fits(e: HistogramEntry): boolean {
    return (
      typeof e.sum === 'number' &&
      typeof e.count === 'number' &&
      typeof e.bucketValues === 'object' &&
      this.bucketKeys.length > 0 &&
      this.bucketKeys.every((k) => typeof e.bucketValues[k] === 'number')
    );
  }
}
