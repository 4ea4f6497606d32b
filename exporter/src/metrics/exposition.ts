/**
 * The /metrics text, written without prom-client's per-scrape churn. prom-client's
 * `Registry.metrics()` builds an object per sample (for a histogram, one per bucket with a fresh
 * labels object), formats and escapes every label set again and joins arrays of lines, on every
 * scrape, though most series have not changed since the last one. Scraped once a second this
 * was most of the exporter's scraped CPU and the allocation that made V8 grow its young
 * generation (bench/README.md, "Exporter changes").
 *
 * `ExpositionRegistry` writes the same bytes as prom-client's text format (tests/exporter/
 * exposition.test.ts compares them) from the metrics' own state: each series' label text is
 * formatted once, a series' lines are kept until its value changes, and a metric's text until
 * one of its series changes. Collect callbacks (prom-client's default metrics among them) still
 * run on every scrape, as before. Anything this writer does not cover (OpenMetrics, default
 * labels, exemplars, other metric types) goes through prom-client unchanged.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type Labels = Record<string, string | number>;
interface ValueEntry {
  value: number;
  labels: Labels;
}
interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}
/** The fields of prom-client's metric classes this writer reads (public in its JS, not in its types). */
interface MetricState {
  name: string;
  help: string;
  type: string;
  hashMap: Record<string, ValueEntry | HistogramEntry>;
  collect?: () => unknown;
  enableExemplars?: boolean;
  upperBounds?: number[];
}

/**
 * What one series' lines were last written from, and the start of each line (everything before
 * the value), which only a change of labels changes. The lines themselves are not kept: a
 * series' text that lived from one change to the next outlived V8's young generation and became
 * old-space garbage on every change (bench/README.md, "Exporter changes": memory while scraped).
 */
interface SeriesState {
  labels: Labels;
  /** Histograms: the series object it was written from (zero() and reset() replace it). */
  entry?: HistogramEntry;
  /** Counters and gauges: the value; histograms: the count (it grows with every observation). */
  value: number;
  sum: number;
  /** Counters and gauges: one line start; histograms: one per bucket, then sum and count. */
  prefixes: string[];
  /** UTF-8 bytes of the lines beyond their length in UTF-16 units (non-ASCII label values). */
  extraBytes: number;
}

interface MetricText {
  name: string;
  help: string;
  header: string;
  /** As SeriesState.extraBytes, for the header. */
  headerExtraBytes: number;
  series: Map<string, SeriesState>;
  /**
   * The metric's text, followed by the blank line that separates metrics, and its UTF-8 length.
   * Kept as a string, not encoded: a Buffer kept from one change to the next was malloc'd memory
   * that only an old-space collection freed (bench/README.md, "Exporter changes": memory while
   * scraped); the socket write encodes strings into a buffer it frees at once.
   */
  text: string;
  byteLength: number;
}

/** The exposition: each metric's text in order, and their total UTF-8 length. */
export interface ExpositionParts {
  parts: string[];
  byteLength: number;
}

export class ExpositionRegistry extends Registry {
  private readonly texts = new WeakMap<object, MetricText>();

  /** The exposition as prom-client's `metrics()` returns it. */
  override async metrics(): Promise<string> {
    const exposition = await this.exposition();
    return exposition === null ? super.metrics() : exposition.parts.join('');
  }

  /**
   * The exposition as each metric's text, for /metrics to write as it is: a metric's text is kept
   * until one of its series changes, so a scrape formats only the metrics that changed (the
   * default metrics, mostly), and nothing joins them.
   */
  async metricsParts(): Promise<ExpositionParts> {
    const exposition = await this.exposition();
    if (exposition !== null) return exposition;
    const text = await super.metrics();
    return { parts: [text], byteLength: Buffer.byteLength(text) };
  }

  /** Each metric's text; null when this writer does not cover the registry's settings. */
  private async exposition(): Promise<ExpositionParts | null> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE || Object.keys(this.defaultLabels()).length > 0) return null;
    const metrics = this.getMetricsAsArray() as unknown as MetricState[];
    // As prom-client does: every collect callback runs before any value is read.
    const pending: Array<Promise<unknown>> = [];
    let fallback: Map<MetricState, Promise<string>> | undefined;
    for (const m of metrics) {
      if (!covered(m)) (fallback ??= new Map()).set(m, this.getSingleMetricAsString(m.name));
      else if (m.collect) {
        const v = m.collect();
        if (v instanceof Promise) pending.push(v);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    const parts: string[] = [];
    let byteLength = 0;
    for (const m of metrics) {
      const f = fallback?.get(m);
      if (f) {
        const text = `${await f}\n\n`;
        parts.push(text);
        byteLength += Buffer.byteLength(text);
      } else {
        const t = this.metricText(m);
        parts.push(t.text);
        byteLength += t.byteLength;
      }
    }
    // The last metric ends with one newline, not a blank line.
    if (parts.length === 0) return { parts: ['\n'], byteLength: 1 };
    const last = parts.length - 1;
    parts[last] = parts[last].slice(0, -1);
    return { parts, byteLength: byteLength - 1 };
  }

  private defaultLabels(): Labels {
    return (this as unknown as { _defaultLabels: Labels })._defaultLabels ?? {};
  }

  private metricText(m: MetricState): MetricText {
    let cache = this.texts.get(m);
    if (!cache || cache.name !== m.name || cache.help !== m.help) {
      const header = `# HELP ${escapeString(m.name)} ${escapeString(m.help)}\n# TYPE ${escapeString(m.name)} ${m.type}`;
      cache = { name: m.name, help: m.help, header, headerExtraBytes: extraBytes([header]), series: new Map(), text: '', byteLength: 0 };
      this.texts.set(m, cache);
    }
    const known = cache.series;
    const hist = m.type === 'histogram';
    // A metric's text is never empty once written (it holds at least its header).
    let changed = cache.text === '';
    let n = 0;
    for (const key in m.hashMap) {
      n++;
      const entry = m.hashMap[key]!;
      let s = known.get(key);
      // prom-client's set() replaces the series' object, labels included, on every call: equal
      // labels (in the same order, which the text follows) keep the formatted line starts.
      if (s !== undefined && s.labels !== entry.labels && sameLabels(s.labels, entry.labels)) s.labels = entry.labels;
      if (s === undefined || s.labels !== entry.labels) {
        known.set(key, (s = seriesState(m, entry)));
        changed = true;
      } else if (hist) {
        const e = entry as HistogramEntry;
        if (s.entry !== e || s.value !== e.count || !Object.is(s.sum, e.sum)) {
          s.entry = e;
          s.value = e.count;
          s.sum = e.sum;
          changed = true;
        }
      } else if (!Object.is(s.value, (entry as ValueEntry).value)) {
        s.value = (entry as ValueEntry).value;
        changed = true;
      }
    }
    if (n !== known.size) {
      // Series were removed (or reset): keep only those still there.
      for (const key of known.keys()) if (!(key in m.hashMap)) known.delete(key);
      changed = true;
    }
    if (changed) {
      let text = cache.header;
      let extra = cache.headerExtraBytes;
      // Written in the metric's own order (insertion order of its series), as prom-client does.
      for (const key in m.hashMap) {
        const s = known.get(key)!;
        text += hist ? histogramLines(m, s.entry!, s.prefixes) : `\n${s.prefixes[0]}${valueString(s.value)}`;
        extra += s.extraBytes;
      }
      cache.text = `${text}\n\n`;
      // Values are ASCII, so the length follows from the parts' without scanning the whole text
      // (Buffer.byteLength of a histogram's text was a fifth of re-rendering it).
      cache.byteLength = cache.text.length + extra;
    }
    return cache;
  }
}

function covered(m: MetricState): boolean {
  if (m.enableExemplars) return false;
  return m instanceof Counter || m instanceof Gauge || m instanceof Histogram;
}

function seriesState(m: MetricState, entry: ValueEntry | HistogramEntry): SeriesState {
  const name = escapeString(m.name);
  if (m.type !== 'histogram') {
    const e = entry as ValueEntry;
    const prefixes = [`${name}${labelText(e.labels)} `];
    return { labels: e.labels, value: e.value, sum: 0, prefixes, extraBytes: extraBytes(prefixes) };
  }
  const e = entry as HistogramEntry;
  // prom-client puts `le` first, then the series' own labels.
  const own = formatLabels(e.labels).join(',');
  const withLe = (le: string) => `${name}_bucket{${own === '' ? `le="${le}"` : `le="${le}",${own}`}} `;
  const plain = own === '' ? '' : `{${own}}`;
  const prefixes = [...m.upperBounds!.map((b) => withLe(String(b))), withLe('+Inf'), `${name}_sum${plain} `, `${name}_count${plain} `];
  return { labels: e.labels, entry: e, value: e.count, sum: e.sum, prefixes, extraBytes: extraBytes(prefixes) };
}

/** Same names and values in the same order. */
function sameLabels(a: Labels, b: Labels): boolean {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) if (ak[i] !== bk[i] || a[ak[i]] !== b[bk[i]]) return false;
  return true;
}

/** UTF-8 bytes of `texts` beyond their length in UTF-16 units. */
function extraBytes(texts: string[]): number {
  let n = 0;
  for (const t of texts) n += Buffer.byteLength(t) - t.length;
  return n;
}

/** A histogram series' lines, each after a newline: cumulative buckets, +Inf, sum, count. */
function histogramLines(m: MetricState, e: HistogramEntry, prefixes: string[]): string {
  const bounds = m.upperBounds!;
  let text = '';
  let acc = 0;
  for (let i = 0; i < bounds.length; i++) {
    acc += e.bucketValues[bounds[i]];
    text += `\n${prefixes[i]}${valueString(acc)}`;
  }
  const k = bounds.length;
  return `${text}\n${prefixes[k]}${valueString(e.count)}\n${prefixes[k + 1]}${valueString(e.sum)}\n${prefixes[k + 2]}${valueString(e.count)}`;
}

function labelText(labels: Labels): string {
  const f = formatLabels(labels);
  return f.length > 0 ? `{${f.join(',')}}` : '';
}

// The helpers below are prom-client's (lib/registry.js, lib/util.js), so the bytes are the same.
function formatLabels(labels: Labels): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(labels)) out.push(`${name}="${escapeLabelValue(value)}"`);
  return out;
}

function escapeLabelValue(v: string | number): string | number {
  return typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v;
}

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function valueString(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}
