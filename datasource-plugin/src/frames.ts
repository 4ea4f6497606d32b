/**
 * Pure frame building: exporter responses in, Grafana data frames out. No requests, no timers,
 * so every shape the panels see is unit-tested here.
 */
import { createDataFrame, FieldType, StreamingDataFrame, type AnnotationEvent, type DataFrame, type FieldConfig, type FieldSchema } from '@grafana/data';
import type { CostsResponse, CostGrouping, HistoryResponse, RunInfo, SeriesInfo, StreamSample } from '@runboard/protocol';
import { COST_GROUPINGS, MAX_LIVE_ROWS } from './constants';

export type SeriesIndex = ReadonlyMap<string, SeriesInfo>;

export function indexSeries(series: readonly SeriesInfo[]): Map<string, SeriesInfo> {
  return new Map(series.map((s) => [s.id, s]));
}

/** Name and labels of a series id (`name{k="v",…}`), for ids the exporter has not listed (yet). */
export function parseSeriesId(id: string): { name: string; labels: Record<string, string> } {
  const brace = id.indexOf('{');
  if (brace < 0 || !id.endsWith('}')) return { name: id, labels: {} };
  const labels: Record<string, string> = {};
  const re = /([A-Za-z_][\w]*)=("(?:[^"\\]|\\.)*")/g;
  const inner = id.slice(brace);
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    try {
      labels[m[1]] = JSON.parse(m[2]) as string;
    } catch {
      labels[m[1]] = m[2].slice(1, -1);
    }
  }
  return { name: id.slice(0, brace), labels };
}

/**
 * The name a field shows: the alias with `{{label}}` replaced by the series' label value
 * (`{{__name__}}` by its metric name, `{{id}}` by its id), or the series id without an alias.
 */
export function seriesDisplayName(id: string, info: SeriesInfo | undefined, alias?: string): string {
  if (!alias) return id;
  const { name, labels } = info ?? parseSeriesId(id);
  return alias.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
    if (key in labels) return labels[key];
    if (key === '__name__' || key === 'name') return name;
    if (key === 'id') return id;
    return '';
  });
}

/** Field config from the series metadata. `none` is left out so a panel's own unit still applies. */
export function seriesFieldConfig(id: string, info: SeriesInfo | undefined, alias?: string): FieldConfig {
  const config: FieldConfig = { displayNameFromDS: seriesDisplayName(id, info, alias) };
  if (info?.unit && info.unit !== 'none') config.unit = info.unit;
  if (info?.description) config.description = info.description;
  return config;
}

function seriesFields(ids: readonly string[], index: SeriesIndex, alias?: string): FieldSchema[] {
  return ids.map((id) => {
    const info = index.get(id);
    return { name: id, type: FieldType.number, labels: info?.labels ?? parseSeriesId(id).labels, config: seriesFieldConfig(id, info, alias) };
  });
}

/** A history response as a wide time series frame: `time` then one number field per series. */
export function historyToFrame(history: HistoryResponse, ids: readonly string[], index: SeriesIndex, refId: string, alias?: string): DataFrame {
  const empty = () => history.t.map(() => null);
  return createDataFrame({
    refId,
    fields: [
      { name: 'time', type: FieldType.time, values: history.t.slice() },
      ...seriesFields(ids, index, alias).map((f) => ({ ...f, values: history.values[f.name]?.slice() ?? empty() })),
    ],
  });
}

export interface LiveBounds {
  /** Most rows the frame keeps. */
  maxLength: number;
  /** Widest time span (ms) the frame keeps: the panel's range width. */
  maxDelta: number;
}

/**
 * Bounds of a live frame: it keeps the range's width (maxDelta) and enough rows for that width at
 * the sample interval (maxLength), never fewer than the back-fill brought, at most MAX_LIVE_ROWS.
 */
export function liveBounds(from: number, to: number, intervalMs: number, historyPoints = 0): LiveBounds {
  const maxDelta = Math.max(1, to - from);
  const atInterval = Math.ceil(maxDelta / Math.max(1, intervalMs)) + 1;
  return { maxDelta, maxLength: Math.min(MAX_LIVE_ROWS, Math.max(atInterval, historyPoints)) };
}

/**
 * A StreamingDataFrame for a live query, holding the back-fill (trimmed to the bounds: the first
 * push into an empty StreamingDataFrame replaces its data without trimming).
 */
export function createLiveFrame(opts: {
  refId: string;
  ids: readonly string[];
  index: SeriesIndex;
  alias?: string;
  bounds: LiveBounds;
  history?: HistoryResponse;
}): StreamingDataFrame {
  const { refId, ids, index, alias, bounds, history } = opts;
  const frame = StreamingDataFrame.fromDataFrameJSON(
    { schema: { refId, fields: [{ name: 'time', type: FieldType.time, config: {} }, ...seriesFields(ids, index, alias)] } },
    { maxLength: bounds.maxLength, maxDelta: bounds.maxDelta },
  );
  const t = history?.t ?? [];
  if (t.length > 0) {
    const last = t[t.length - 1];
    let start = Math.max(0, t.length - bounds.maxLength);
    while (start < t.length && t[start] < last - bounds.maxDelta) start++;
    const values: unknown[][] = [t.slice(start), ...ids.map((id) => history!.values[id]?.slice(start) ?? t.slice(start).map(() => null))];
    frame.push({ data: { values } });
  }
  return frame;
}

/** Last time in a live frame, or -Infinity when it is empty. */
export function lastTime(frame: DataFrame): number {
  const time = frame.fields.find((f) => f.type === FieldType.time);
  const n = time?.values.length ?? 0;
  return n > 0 ? Number(time!.values[n - 1]) : -Infinity;
}

/**
 * Appends one tick to a live frame when it carries a value for at least one of its series.
 * Returns whether a row was added.
 */
export function appendSample(frame: StreamingDataFrame, ids: readonly string[], sample: StreamSample): boolean {
  if (!ids.some((id) => sample.values[id] !== undefined)) return false;
  frame.push({ data: { values: [[sample.t], ...ids.map((id) => [sample.values[id] ?? null])] } });
  return true;
}

// ---------- runs ----------

/** Field names of the runs table; annotations read rows back by these names. */
export const RUN_FIELDS = {
  started: 'Started',
  finished: 'Finished',
  command: 'Command',
  status: 'Status',
  outcome: 'Outcome',
  duration: 'Duration',
  exitCode: 'Exit code',
  startedBy: 'Started by',
  cost: 'Cost',
  inputTokens: 'Input tokens',
  outputTokens: 'Output tokens',
  parameters: 'Parameters',
  error: 'Error',
  id: 'Run',
} as const;

export function runsToFrame(runs: readonly RunInfo[], refId: string): DataFrame {
  const col = <T>(f: (r: RunInfo) => T) => runs.map(f);
  const F = RUN_FIELDS;
  return createDataFrame({
    refId,
    name: 'runs',
    meta: { preferredVisualisationType: 'table', custom: { kind: 'runs' } },
    fields: [
      { name: F.started, type: FieldType.time, values: col((r) => r.startedAt ?? r.requestedAt) },
      { name: F.finished, type: FieldType.time, values: col((r) => r.finishedAt) },
      { name: F.command, type: FieldType.string, values: col((r) => r.command) },
      { name: F.status, type: FieldType.string, values: col((r) => r.status) },
      { name: F.outcome, type: FieldType.string, values: col((r) => r.outcome) },
      { name: F.duration, type: FieldType.number, values: col((r) => r.durationSeconds), config: { unit: 's' } },
      { name: F.exitCode, type: FieldType.number, values: col((r) => r.exitCode) },
      { name: F.startedBy, type: FieldType.string, values: col((r) => r.startedBy) },
      { name: F.cost, type: FieldType.number, values: col((r) => r.costUsd), config: { unit: 'currencyUSD', decimals: 4 } },
      { name: F.inputTokens, type: FieldType.number, values: col((r) => r.inputTokens) },
      { name: F.outputTokens, type: FieldType.number, values: col((r) => r.outputTokens) },
      { name: F.parameters, type: FieldType.string, values: col((r) => JSON.stringify(r.parameters)) },
      { name: F.error, type: FieldType.string, values: col((r) => r.error) },
      { name: F.id, type: FieldType.string, values: col((r) => r.id) },
    ],
  });
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Number(s.toFixed(s < 10 ? 2 : 1))} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Plain text for an annotation's `text`, which Grafana renders as sanitised HTML: links and image
 * beacons survive sanitising, so what the exporter sends (who started a run, errors) is escaped.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Command runs as annotations: start to end, text with outcome, duration and exit code, tagged
 * [command, outcome]. No colour: Grafana paints a query's annotations in that annotation's
 * colour, so dashboards colour outcomes with one annotation query per outcome filter.
 */
export function runsFrameToAnnotations(frame: DataFrame): AnnotationEvent[] {
  const get = (name: string) => frame.fields.find((f) => f.name === name)?.values ?? [];
  const F = RUN_FIELDS;
  const [started, finished, command, status, outcome, duration, exitCode, startedBy, error, id] = [
    F.started,
    F.finished,
    F.command,
    F.status,
    F.outcome,
    F.duration,
    F.exitCode,
    F.startedBy,
    F.error,
    F.id,
  ].map(get);
  const events: AnnotationEvent[] = [];
  for (let i = 0; i < frame.length; i++) {
    const time = Number(started[i]);
    if (!Number.isFinite(time)) continue;
    const end = finished[i] == null ? undefined : Number(finished[i]);
    const state = String(outcome[i] ?? status[i]);
    const parts = [`${command[i]}: ${state}`];
    if (duration[i] != null) parts.push(`in ${formatSeconds(Number(duration[i]))}`);
    if (exitCode[i] != null) parts.push(`(exit code ${exitCode[i]})`);
    let text = parts.join(' ');
    if (error[i]) text += ` — ${error[i]}`;
    if (startedBy[i]) text += `\nstarted by ${startedBy[i]}`;
    events.push({
      id: id[i] == null ? undefined : String(id[i]),
      time,
      timeEnd: end !== undefined && end > time ? end : undefined,
      isRegion: end !== undefined && end > time,
      title: String(command[i]),
      text: escapeHtml(text),
      tags: [String(command[i]), state],
    });
  }
  return events;
}

// ---------- costs ----------

export function costsToFrame(costs: CostsResponse, refId: string): DataFrame {
  const byTime = costs.groupBy === 'hour' || costs.groupBy === 'day';
  const rows = byTime ? [...costs.rows].sort((a, b) => Date.parse(a.key) - Date.parse(b.key)) : costs.rows;
  const label = COST_GROUPINGS[costs.groupBy as CostGrouping] ?? costs.groupBy;
  return createDataFrame({
    refId,
    name: `costs by ${costs.groupBy}`,
    meta: { preferredVisualisationType: byTime ? 'graph' : 'table', custom: { kind: 'costs', groupBy: costs.groupBy, total: costs.total } },
    fields: [
      byTime ? { name: label, type: FieldType.time, values: rows.map((r) => Date.parse(r.key)) } : { name: label, type: FieldType.string, values: rows.map((r) => r.key) },
      { name: 'Cost', type: FieldType.number, values: rows.map((r) => r.costUsd), config: { unit: 'currencyUSD', decimals: 4 } },
      { name: 'Requests', type: FieldType.number, values: rows.map((r) => r.requests) },
      { name: 'Input tokens', type: FieldType.number, values: rows.map((r) => r.inputTokens) },
      { name: 'Output tokens', type: FieldType.number, values: rows.map((r) => r.outputTokens) },
      { name: 'Unpriced requests', type: FieldType.number, values: rows.map((r) => r.unpriced), config: { description: 'Requests without a known price: not in Cost' } },
    ],
  });
}
