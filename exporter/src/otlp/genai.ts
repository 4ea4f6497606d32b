/**
 * OpenTelemetry GenAI telemetry → Runboard LLM records (README "OpenTelemetry (OTLP)").
 *
 * Spans are one call each. Metric points (gen_ai.client.token.usage and
 * gen_ai.client.operation.duration histograms) are aggregates: their delta per (provider, model)
 * becomes one record per call, the token sums spread over the calls. One call reported both ways
 * is counted once: GenAI metric points are used only from apps (resources) that have sent no
 * GenAI span since the exporter started; spans count, except an app's spans that ended before
 * the collection time of its last GenAI metric export that was counted (those calls are in it).
 * A record's tag is its app's service.name (README "OpenTelemetry (OTLP)").
 */
import crypto from 'node:crypto';
import { COST_TAG_PATTERN, type LlmRecord } from '@runboard/protocol';
import { isValidRecord } from '../ingest/validate';
import { CUMULATIVE, STATUS_ERROR, attrMap, nsBetweenSeconds, toNumber, type HistogramPoint, type MetricsRequest, type Resource, type TraceRequest } from './proto';

export type LlmCall = Omit<LlmRecord, 'kind'>;

export const TOKEN_USAGE = 'gen_ai.client.token.usage';
export const OPERATION_DURATION = 'gen_ai.client.operation.duration';
/** Operations that are model calls (gen_ai.operation.name); agent and tool spans are not. */
const CALL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings', 'completion']);
/** Most reasons quoted in a partial-success error_message. */
const MAX_REASONS = 5;

type Attrs = Map<string, string | number | boolean>;

/** What one export request maps to; nothing is remembered until commit() (after the ledger took the records). */
export interface Mapped {
  records: LlmCall[];
  /** Items (spans or data points) seen, ignored as not GenAI, ignored because spans win, rejected. */
  received: number;
  ignoredNotGenAi: number;
  ignoredSpansPreferred: number;
  /** Spans of calls that a GenAI metric export of their app already counted. */
  ignoredInMetrics: number;
  rejected: number;
  /** Why items were rejected (the first few), for partial_success.error_message. */
  reasons: string[];
  commit(): void;
}

export interface GenAiOptions {
  /** Most records one request may produce (limits.batchRecords); items beyond are rejected. */
  maxRecords: number;
  /** otlp.genAiMetrics */
  useMetrics: boolean;
  /** otlp.maxStreams */
  maxStreams: number;
  /** Called when a remembered stream or resource is forgotten to make room. */
  onEvict: () => void;
  now?: () => number;
}

/** A Map kept to `max` entries, forgetting the least recently used. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(
    private readonly max: number,
    private readonly onEvict: () => void,
  ) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): boolean {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size <= this.max) return false;
    this.m.delete(this.m.keys().next().value!);
    this.onEvict();
    return true;
  }
}

interface StreamState {
  start: number;
  count: number;
  sum: number;
}

/** What is known of an app: it sent GenAI spans; the collection time (ns) of its last counted GenAI metric export. */
interface AppState {
  spans: boolean;
  metricsUntilNs: number;
}

/** The app a resource is: service.instance.id, else service.namespace/service.name. */
export function resourceIdentity(attrs: Attrs): string {
  const id = attrs.get('service.instance.id');
  if (id !== undefined) return `id:${String(id)}`;
  return `name:${String(attrs.get('service.namespace') ?? '')}/${String(attrs.get('service.name') ?? '')}`;
}

/**
 * The cost-record tag of an app's records: its service.name, when it passes the rule every tag
 * follows (COST_TAG_PATTERN, as the proxy's X-Runboard-Tag); else the records have no tag.
 */
export function serviceTag(attrs: Attrs): string | undefined {
  const name = attrs.get('service.name');
  return typeof name === 'string' && COST_TAG_PATTERN.test(name) ? name : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const provider = (a: Attrs) => str(a.get('gen_ai.provider.name')) ?? str(a.get('gen_ai.system'));
const model = (a: Attrs) => str(a.get('gen_ai.response.model')) ?? str(a.get('gen_ai.request.model'));
const nsToMs = (ns: number) => Math.round(ns / 1e6);

function stableKey(parts: unknown[]): string {
  return crypto.createHash('sha1').update(JSON.stringify(parts)).digest('base64');
}

const sortedAttrs = (a: Attrs) => [...a.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

export class GenAiMapper {
  /** Cumulative streams' last value: resource, scope, metric and point attributes → (start, count, sum). */
  private readonly streams: Lru<StreamState>;
  /** Apps that sent GenAI spans or had GenAI metric points counted (the double-count rule). */
  private readonly apps: Lru<AppState>;
  /** A cumulative stream first seen that started after this (ns) is counted whole; an older one is a baseline. */
  private countWholeAfterNs: number;
  private readonly now: () => number;

  constructor(private readonly o: GenAiOptions) {
    this.now = o.now ?? Date.now;
    this.countWholeAfterNs = this.now() * 1e6;
    // A forgotten stream could come back: one that started before the forgetting is then a baseline.
    const evicted = () => {
      this.countWholeAfterNs = this.now() * 1e6;
      o.onEvict();
    };
    this.streams = new Lru(o.maxStreams, evicted);
    this.apps = new Lru(o.maxStreams, o.onEvict);
  }

  traces(req: TraceRequest): Mapped {
    const out = newMapped();
    const seen: string[] = [];
    for (const rs of req.resourceSpans ?? []) {
      const resAttrs = attrMap(rs.resource?.attributes);
      const identity = resourceIdentity(resAttrs);
      const tag = serviceTag(resAttrs);
      const metricsUntilNs = this.apps.get(identity)?.metricsUntilNs ?? 0;
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          out.received++;
          const a = attrMap(span.attributes);
          const input = a.get('gen_ai.usage.input_tokens') ?? a.get('gen_ai.usage.prompt_tokens');
          const output = a.get('gen_ai.usage.output_tokens') ?? a.get('gen_ai.usage.completion_tokens');
          const op = a.get('gen_ai.operation.name');
          const isCall = input !== undefined || output !== undefined || (provider(a) !== undefined && typeof op === 'string' && CALL_OPERATIONS.has(op));
          if (!isCall) {
            out.ignoredNotGenAi++;
            continue;
          }
          seen.push(identity);
          const reject = (why: string) => {
            out.rejected++;
            if (out.reasons.length < MAX_REASONS) out.reasons.push(`span "${String(span.name ?? '').slice(0, 100)}": ${why}`);
          };
          if (out.records.length >= this.o.maxRecords) {
            reject(`more than ${this.o.maxRecords} GenAI records in one request (limits.batchRecords)`);
            continue;
          }
          const start = toNumber(span.startTimeUnixNano);
          const end = toNumber(span.endTimeUnixNano);
          if (!(end > 0) || !(start > 0) || end < start) {
            reject('start_time_unix_nano and end_time_unix_nano must be set, end not before start');
            continue;
          }
          if (end <= metricsUntilNs) {
            out.ignoredInMetrics++;
            continue;
          }
          const errorType = a.get('error.type');
          const rec: LlmCall = {
            provider: provider(a) ?? '',
            model: model(a) ?? '',
            input_tokens: input ?? 0,
            output_tokens: output ?? 0,
            duration_seconds: nsBetweenSeconds(span.startTimeUnixNano, span.endTimeUnixNano),
            success: !(errorType !== undefined && errorType !== '') && span.status?.code !== STATUS_ERROR,
            t: nsToMs(end),
            ...(tag ? { tag } : {}),
          } as LlmCall;
          const why = invalid(rec);
          if (why) reject(why);
          else out.records.push(rec);
        }
      }
    }
    out.commit = () => {
      for (const id of seen) this.apps.set(id, { spans: true, metricsUntilNs: this.apps.get(id)?.metricsUntilNs ?? 0 });
    };
    return out;
  }

  metrics(req: MetricsRequest): Mapped {
    const out = newMapped();
    const updates = new Map<string, StreamState>();
    /** Per app and (provider, model): the deltas of this request. */
    const groups = new Map<string, Group>();
    /** Per app: the latest collection time of its GenAI points counted by this request. */
    const countedUntil = new Map<string, number>();
    for (const rm of req.resourceMetrics ?? []) {
      const resAttrs = attrMap((rm.resource as Resource | null | undefined)?.attributes);
      const identity = resourceIdentity(resAttrs);
      const resKey = sortedAttrs(resAttrs);
      const tag = serviceTag(resAttrs);
      const spansWin = !this.o.useMetrics || this.apps.get(identity)?.spans === true;
      for (const sm of rm.scopeMetrics ?? []) {
        for (const metric of sm.metrics ?? []) {
          const hist = metric.histogram ?? metric.exponentialHistogram;
          const genAi = (metric.name === TOKEN_USAGE || metric.name === OPERATION_DURATION) && hist;
          if (!genAi) {
            const n = pointCount(metric);
            out.received += n;
            out.ignoredNotGenAi += n;
            continue;
          }
          const points = hist.dataPoints ?? [];
          out.received += points.length;
          if (spansWin) {
            out.ignoredSpansPreferred += points.length;
            continue;
          }
          for (const p of points) {
            const reject = (why: string) => {
              out.rejected++;
              if (out.reasons.length < MAX_REASONS) out.reasons.push(`${metric.name} point: ${why}`);
            };
            const a = attrMap(p.attributes);
            const prov = provider(a);
            const mod = model(a);
            if (!prov || !mod) {
              reject('needs gen_ai.provider.name (or gen_ai.system) and gen_ai.response.model (or gen_ai.request.model)');
              continue;
            }
            let type: 'input' | 'output' | 'ok' | 'fail';
            if (metric.name === TOKEN_USAGE) {
              const t = a.get('gen_ai.token.type');
              if (t === 'input' || t === 'prompt') type = 'input';
              else if (t === 'output' || t === 'completion') type = 'output';
              else {
                reject('gen_ai.token.type must be "input" or "output"');
                continue;
              }
            } else {
              const e = a.get('error.type');
              type = e !== undefined && e !== '' ? 'fail' : 'ok';
            }
            const delta = this.delta(p, hist.aggregationTemporality === CUMULATIVE, [resKey, sm.scope?.name ?? '', sm.scope?.version ?? '', metric.name, sortedAttrs(a)], updates);
            if (typeof delta === 'string') {
              reject(delta);
              continue;
            }
            const key = JSON.stringify([identity, prov, mod]);
            let g = groups.get(key);
            if (!g) groups.set(key, (g = { identity, tag, provider: prov, model: mod, t: 0, timeNs: 0, points: 0, input: zero(), output: zero(), ok: zero(), fail: zero() }));
            g.points++;
            g.t = Math.max(g.t, delta.t);
            if (!delta.baseline) g.timeNs = Math.max(g.timeNs, delta.timeNs);
            g[type].count += delta.count;
            g[type].sum += delta.sum;
          }
        }
      }
    }
    for (const g of groups.values()) {
      // Counted before any record is made: a point's count is the app's to choose (up to 2^53).
      const n = callCount(g);
      if (out.records.length + n > this.o.maxRecords) {
        out.rejected += g.points;
        if (out.reasons.length < MAX_REASONS) {
          out.reasons.push(`${g.provider.slice(0, 100)}/${g.model.slice(0, 100)}: ${n} calls would pass ${this.o.maxRecords} GenAI records in one request (limits.batchRecords)`);
        }
        continue;
      }
      const calls = toCalls(g, n);
      const why = calls.length > 0 ? invalid(calls[0]) : undefined;
      if (why) {
        out.rejected += g.points;
        if (out.reasons.length < MAX_REASONS) out.reasons.push(`${g.provider.slice(0, 100)}/${g.model.slice(0, 100)}: ${why}`);
        continue;
      }
      for (const c of calls) out.records.push(c);
      // Even with nothing new: every call of the app up to then is counted.
      if (g.timeNs > 0) countedUntil.set(g.identity, Math.max(countedUntil.get(g.identity) ?? 0, g.timeNs));
    }
    out.commit = () => {
      for (const [k, s] of updates) this.streams.set(k, s);
      for (const [id, until] of countedUntil) {
        const app = this.apps.get(id);
        this.apps.set(id, { spans: app?.spans ?? false, metricsUntilNs: Math.max(app?.metricsUntilNs ?? 0, until) });
      }
    };
    return out;
  }

  /**
   * A point's new calls and sum. Delta points are used as they are. A cumulative point is compared
   * with the stream's last value: a start time that changed or a value that went down is a restarted
   * app, whose value is then all new; a stream seen first counts whole only if it started after the
   * exporter did (else what it holds may have been counted before a restart of the exporter).
   */
  private delta(p: HistogramPoint, cumulative: boolean, streamParts: unknown[], updates: Map<string, StreamState>): Delta | string {
    const count = toNumber(p.count);
    const sum = p.sum ?? 0;
    const time = toNumber(p.timeUnixNano);
    if (!Number.isSafeInteger(count) || count < 0) return 'count must be a non-negative integer';
    // sum is optional in OTLP histograms; without it the calls' tokens or durations are unknown, not 0.
    if ((p.sum === null || p.sum === undefined) && count > 0) return 'sum must be set';
    if (!Number.isFinite(sum) || sum < 0) return 'sum must be a non-negative number';
    if (!(time > 0)) return 'time_unix_nano must be set';
    const t = nsToMs(time);
    if (!cumulative) return { count, sum, t, timeNs: time };
    const start = toNumber(p.startTimeUnixNano);
    const key = stableKey(streamParts);
    // A stream twice in one request: the second point follows the first, not the stored value.
    const prev = updates.get(key) ?? this.streams.get(key);
    const now: StreamState = { start, count, sum };
    updates.set(key, now);
    if (!prev) return start > this.countWholeAfterNs ? { count, sum, t, timeNs: time } : { count: 0, sum: 0, t, timeNs: time, baseline: true };
    if (prev.start !== start || count < prev.count || sum < prev.sum) return { count, sum, t, timeNs: time };
    return { count: count - prev.count, sum: sum - prev.sum, t, timeNs: time };
  }
}

/** A point's new calls and sum; a baseline point (a stream first seen that may have been counted before, see delta()) counts nothing. */
interface Delta {
  count: number;
  sum: number;
  t: number;
  timeNs: number;
  baseline?: boolean;
}
interface Amount {
  count: number;
  sum: number;
}
interface Group {
  identity: string;
  tag: string | undefined;
  provider: string;
  model: string;
  t: number;
  /** Latest collection time (ns) of the group's points that counted (baselines aside). */
  timeNs: number;
  points: number;
  input: Amount;
  output: Amount;
  ok: Amount;
  fail: Amount;
}
const zero = (): Amount => ({ count: 0, sum: 0 });

/**
 * A group's delta as calls: as many as the duration histogram counted (each call records one
 * duration), or as the token histogram did when it counted more (or the app sends no durations).
 * Failed calls (error.type) take their mean duration; the token sums are spread over the
 * successful calls (over all when none succeeded), so the totals are exactly what the app sent.
 */
function toCalls(g: Group, calls: number): LlmCall[] {
  if (calls === 0) return [];
  const failures = g.fail.count;
  const successes = calls - failures;
  const hasDuration = g.ok.count + g.fail.count > 0;
  // To the nanosecond: differences of cumulative float sums carry noise below that.
  const okMean = nanos(g.ok.count > 0 ? g.ok.sum / g.ok.count : g.fail.count > 0 ? g.fail.sum / g.fail.count : 0);
  const failMean = g.fail.count > 0 ? nanos(g.fail.sum / g.fail.count) : okMean;
  const spreadOver = successes > 0 ? successes : calls;
  const input = spread(Math.round(g.input.sum), spreadOver);
  const output = spread(Math.round(g.output.sum), spreadOver);
  const out: LlmCall[] = [];
  for (let i = 0; i < calls; i++) {
    const ok = i < successes;
    const share = successes > 0 ? (ok ? i : -1) : i;
    out.push({
      provider: g.provider,
      model: g.model,
      input_tokens: share >= 0 ? input(share) : 0,
      output_tokens: share >= 0 ? output(share) : 0,
      ...(hasDuration ? { duration_seconds: ok ? okMean : failMean } : {}),
      success: ok,
      t: g.t,
      ...(g.tag ? { tag: g.tag } : {}),
    });
  }
  return out;
}

/** How many calls a group's delta is (see toCalls). */
const callCount = (g: Group) => Math.max(g.ok.count + g.fail.count, g.input.count, g.output.count);

const nanos = (s: number) => Math.round(s * 1e9) / 1e9;

/** total split into n whole shares that add up to it exactly (the first ones one larger). */
function spread(total: number, n: number): (i: number) => number {
  const base = Math.floor(total / n);
  const extra = total - base * n;
  return (i) => base + (i < extra ? 1 : 0);
}

function pointCount(m: { gauge?: unknown; sum?: unknown; histogram?: unknown; exponentialHistogram?: unknown; summary?: unknown }): number {
  const data = (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary) as { dataPoints?: unknown[] } | null | undefined;
  return data?.dataPoints?.length ?? 0;
}

/** Why a record is not a valid LLM record (README "HTTP API" ingest fields), or undefined. */
function invalid(rec: LlmCall): string | undefined {
  const r = { kind: 'llm', ...rec };
  if (isValidRecord(r)) return undefined;
  if (!rec.provider) return 'needs gen_ai.provider.name (or gen_ai.system)';
  if (!rec.model) return 'needs gen_ai.response.model (or gen_ai.request.model)';
  for (const k of ['input_tokens', 'output_tokens'] as const) {
    if (!Number.isSafeInteger(rec[k]) || (rec[k] as number) < 0) return `gen_ai.usage.${k} must be a non-negative integer`;
  }
  // The ingest API's rule for t (README "HTTP API"): whole ms after the epoch; an int64 ns time is at most ~1.8e13 ms, far below its upper bound.
  if (rec.t !== undefined && !(rec.t >= 1)) return 'its time (end_time_unix_nano or time_unix_nano) must be after 1970-01-01T00:00:00.001Z';
  return 'provider and model must be 1-256 characters without control characters; duration at most a year';
}

function newMapped(): Mapped {
  return { records: [], received: 0, ignoredNotGenAi: 0, ignoredSpansPreferred: 0, ignoredInMetrics: 0, rejected: 0, reasons: [], commit: () => undefined };
}
