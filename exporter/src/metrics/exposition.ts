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
   * The metric's text, followed by the blank line that separates metrics, as UTF-8 in a buffer of
   * its own that is rewritten in place when the metric changes (a larger one only when it
   * outgrows it). Kept as a string instead, each text lived from one change to the next: long
   * enough for V8 to promote it, then old-space garbage until the next full collection, ~5 MB of
   * heap climbing between them while scraped (bench/README.md change 17). Now the text string
   * lives only while it is written here. /metrics copies these bytes into its body at once
   * (scrape-body.ts), so no write in flight ever reads a buffer rewritten here.
   */
  bytes: Buffer | undefined;
  /** `bytes` up to the text's length. */
  view: Buffer;
}

/**
 * The exposition: each metric's text in order (UTF-8 bytes, or a string for what prom-client
 * writes), and their total UTF-8 length. A buffer part is valid until the next exposition.
 */
export interface ExpositionParts {
  parts: Array<string | Buffer>;
  byteLength: number;
}

export class ExpositionRegistry extends Registry {
  private readonly texts = new WeakMap<object, MetricText>();

  /** The exposition as prom-client's `metrics()` returns it. */
  override async metrics(): Promise<string> {
    // join() turns a buffer part into its UTF-8 text.
    const text = await this.exposition((e) => e.parts.join(''));
    return text ?? super.metrics();
  }

  /**
   * The exposition as each metric's text, handed to `consume` as it is: a metric's text is kept until
   * one of its series changes, so a scrape formats only the metrics that changed (the default
   * metrics, mostly), and nothing joins them. The buffer parts are valid only while `consume` runs
   * (the next exposition may rewrite them): /metrics copies them into its body there.
   */
  async metricsParts<T>(consume: (e: ExpositionParts) => T): Promise<T> {
    const result = await this.exposition(consume);
    if (result !== null) return result;
    const text = await super.metrics();
    return consume({ parts: [text], byteLength: Buffer.byteLength(text) });
  }

  /** `consume` of each metric's text; null when this writer does not cover the registry's settings. */
  private async exposition<T>(consume: (e: ExpositionParts) => T): Promise<T | null> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE || Object.keys(this.defaultLabels()).length > 0) return null;
    const metrics = this.getMetricsAsArray() as unknown as MetricState[];
    // As prom-client does: every collect callback runs before any value is read.
    const pending: Array<Promise<unknown>> = [];
    const fallback: Array<Promise<readonly [MetricState, string]>> = [];
    for (const m of metrics) {
      if (!covered(m)) fallback.push(this.getSingleMetricAsString(m.name).then((text) => [m, `${text}\n\n`] as const));
      else if (m.collect) {
        const v = m.collect();
        if (v instanceof Promise) pending.push(v);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    const fallbackText = fallback.length > 0 ? new Map(await Promise.all(fallback)) : undefined;
    // Nothing awaits from here to consume(): no other exposition rewrites a metric's bytes before
    // consume() has read them.
    const parts: Array<string | Buffer> = [];
    let byteLength = 0;
    for (const m of metrics) {
      const text = fallbackText?.get(m);
      if (text !== undefined) {
        parts.push(text);
        byteLength += Buffer.byteLength(text);
      } else {
        const t = this.metricText(m);
        parts.push(t.view);
        byteLength += t.view.length;
      }
    }
    // The last metric ends with one newline, not a blank line.
    if (parts.length === 0) return consume({ parts: ['\n'], byteLength: 1 });
    const last = parts.length - 1;
    const tail = parts[last];
    parts[last] = typeof tail === 'string' ? tail.slice(0, -1) : tail.subarray(0, -1);
    return consume({ parts, byteLength: byteLength - 1 });
  }

  private defaultLabels(): Labels {
    return (this as unknown as { _defaultLabels: Labels })._defaultLabels ?? {};
  }

  private metricText(m: MetricState): MetricText {
    let cache = this.texts.get(m);
    if (!cache || cache.name !== m.name || cache.help !== m.help) {
      const header = `# HELP ${escapeString(m.name)} ${escapeString(m.help)}\n# TYPE ${escapeString(m.name)} ${m.type}`;
      cache = { name: m.name, help: m.help, header, headerExtraBytes: extraBytes([header]), series: new Map(), bytes: undefined, view: EMPTY };
      this.texts.set(m, cache);
    }
    const known = cache.series;
    const hist = m.type === 'histogram';
    let changed = cache.bytes === undefined;
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
      text += '\n\n';
      // Values are ASCII, so the length follows from the parts' without scanning the whole text
      // (Buffer.byteLength of a histogram's text was a fifth of re-rendering it).
      const length = text.length + extra;
      // A quarter of headroom: a metric's text grows a little at a time as series appear.
      if (cache.bytes === undefined || cache.bytes.length < length) cache.bytes = Buffer.allocUnsafeSlow(length + (length >> 2));
      const written = cache.bytes.write(text);
      // The length is computed (above): a mismatch is a bug, and a cut text must not go out.
      if (written !== length) throw new Error(`${m.name}: text is ${written} bytes, expected ${length}`);
      cache.view = cache.bytes.subarray(0, length);
    }
    return cache;
  }
}

const EMPTY = Buffer.alloc(0);

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
