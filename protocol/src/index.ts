/**
 * The Runboard wire contract (README "HTTP API"), written once. The exporter validates requests with the
 * zod schemas here; the SDK, the CLI, both Grafana plugins and the tests import the inferred types
 * (plugins with `import type`, so zod never reaches the browser bundle).
 */
import { z } from 'zod';

export const API_PREFIX = '/api/v1';

// ---------- errors ----------
export interface ApiError {
  error: { code: string; message: string; field?: string };
}

// ---------- ingest records ----------
/** Label-like strings: non-empty, bounded, printable. The cardinality guard bounds how many. */
const labelValue = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const seconds = z
  .number()
  .finite()
  .nonnegative()
  .max(86_400 * 365, 'must be at most one year in seconds');
const count = z.number().int('must be an integer').nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Optional record time in ms since the epoch; defaults to the time the exporter received it. */
const timestamp = z.number().int().positive().max(8.64e15, 'must be a date (ms since the epoch) before the year 275760').optional();

export const actionRecordSchema = z.strictObject({
  kind: z.literal('action'),
  name: labelValue,
  duration_seconds: seconds,
  success: z.boolean(),
  t: timestamp,
});

export const eventOutcomes = ['queued', 'processed', 'failed'] as const;
export const eventRecordSchema = z.strictObject({
  kind: z.literal('event'),
  type: labelValue,
  outcome: z.enum(eventOutcomes),
  processing_seconds: seconds.optional(),
  t: timestamp,
});

/** A cost record's tag (the ingest API's `tag`, the proxy's X-Runboard-Tag header): bounded like a command id. */
export const COST_TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
export const COST_TAG_RULE = 'must be 1-64 letters, digits, ".", "_", ":", "/" or "-", starting with a letter or digit';

export const llmRecordSchema = z.strictObject({
  kind: z.literal('llm'),
  provider: labelValue,
  model: labelValue,
  input_tokens: count,
  output_tokens: count,
  duration_seconds: seconds.optional(),
  success: z.boolean().optional(),
  cost_usd: z.number().finite().nonnegative().max(1e9).optional(),
  /** The command run this call belongs to (set by the command runner; free text from other clients). */
  run_id: labelValue.optional(),
  /** The caller's own grouping of its calls (a feature, a team): kept with the cost record, not a metric label. */
  tag: z.string().regex(COST_TAG_PATTERN, COST_TAG_RULE).optional(),
  t: timestamp,
});

/**
 * A snapshot of a client's queues and current action. Gauges are set, not added, so a lost or
 * repeated state record never makes them drift.
 */
export const stateRecordSchema = z.strictObject({
  kind: z.literal('state'),
  current_action: labelValue.nullable().optional(),
  actions_in_flight: count.optional(),
  action_queue_depth: count.optional(),
  event_queue_depth: count.optional(),
  t: timestamp,
});

export const ingestRecordSchema = z.discriminatedUnion('kind', [actionRecordSchema, eventRecordSchema, llmRecordSchema, stateRecordSchema]);

export type ActionRecord = z.infer<typeof actionRecordSchema>;
export type EventRecord = z.infer<typeof eventRecordSchema>;
export type LlmRecord = z.infer<typeof llmRecordSchema>;
export type StateRecord = z.infer<typeof stateRecordSchema>;
export type IngestRecord = z.infer<typeof ingestRecordSchema>;
export type RecordKind = IngestRecord['kind'];
/** A record as the SDK takes it: the wire record without its `kind`. */
export type Without<K, T> = Omit<T, 'kind'> & { kind?: K };

/** `POST /api/v1/ingest` body: one record, an array, or `{ records: [...] }`. */
export interface IngestBatch {
  records: IngestRecord[];
}

export interface IngestResponse {
  accepted: number;
  byKind: Partial<Record<RecordKind, number>>;
}

// ---------- series, history, stream ----------
export type SeriesKind = 'gauge' | 'rate' | 'ratio' | 'quantile' | 'mean' | 'count';

export interface SeriesInfo {
  /** Unique id used in `values`, `series=` filters and history: `name` or `name{k="v",…}`. */
  id: string;
  name: string;
  labels: Record<string, string>;
  unit: string;
  description: string;
}

export interface SeriesResponse {
  series: SeriesInfo[];
  intervalMs: number;
  windowSeconds: number;
}

/** One SSE `sample` event's data: the values of one tick. Missing values are omitted. */
export interface StreamSample {
  t: number;
  values: Record<string, number>;
}

/** Columnar history: `t[i]` is the time of `values[id][i]`; a gap is `null`. */
export interface HistoryResponse {
  from: number;
  to: number;
  intervalMs: number;
  t: number[];
  values: Record<string, Array<number | null>>;
}

export interface LatestResponse {
  t: number | null;
  values: Record<string, number>;
}

export interface CollectorStatus {
  name: string;
  lastRun: number | null;
  lastDurationSeconds: number | null;
  ok: boolean;
  error?: string;
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  startedAt: number;
  intervalMs: number;
  series: number;
  streamClients: number;
  currentAction: string | null;
  collectors: CollectorStatus[];
  system?: { hostname: string; os: string; cpuModel: string; cores: number };
}

// ---------- SSE ----------
export const STREAM_EVENT_SAMPLE = 'sample';

// ---------- commands, runs, templates, costs (README "Commands, runs, templates and costs") ----------
export type ParameterValue = string | number | boolean;

/**
 * A parameter as clients see it (README "Parameter rules"). A string beginning with "-" is
 * refused unless `allowLeadingDash`; an integer below `min` is refused (this exporter always
 * sends `min`, 0 when the config sets none); a `path` is resolved inside `root` and the command
 * gets the absolute path.
 */
export type ParameterInfo =
  | { type: 'string'; title?: string; help: string; default?: string; pattern?: string; maxLength: number; allowLeadingDash?: boolean }
  | { type: 'enum'; title?: string; help: string; values: string[]; default?: string }
  | { type: 'integer'; title?: string; help: string; min?: number; max?: number; default?: number }
  | { type: 'boolean'; title?: string; help: string; default?: boolean }
  | { type: 'path'; title?: string; help: string; root: string; maxLength: number; default?: string };

/** A command as clients see it: never its executable, argv or environment. */
export interface CommandInfo {
  id: string;
  title: string;
  description: string;
  parameters: Record<string, ParameterInfo>;
  timeoutSeconds: number;
  maxConcurrent: number;
  confirm: boolean;
}

export interface CommandsResponse {
  commands: CommandInfo[];
}

export const runOutcomes = ['success', 'failure', 'timeout', 'cancelled'] as const;
export type RunOutcome = (typeof runOutcomes)[number];
export type RunStatus = 'queued' | 'running' | 'finished';

export interface RunInfo {
  id: string;
  command: string;
  parameters: Record<string, ParameterValue>;
  status: RunStatus;
  outcome: RunOutcome | null;
  /** 1-based place in the queue while queued, else null. */
  queuePosition: number | null;
  /**
   * Who or what started it: `grafana:<login>` (the user Grafana's data proxy named), `grafana`
   * (through Grafana, user not sent), else what a direct API client said (README "Grafana plugins").
   */
  startedBy: string | null;
  requestedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationSeconds: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Last `::progress` percent and message. */
  progress: number | null;
  progressMessage: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Bytes of output the command printed (stored output may be less: see truncated). */
  outputBytes: number;
  truncated: boolean;
  /** Why a run failed to start or was ended by the exporter, when that is the case. */
  error: string | null;
}

export const startRunRequestSchema = z.strictObject({
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Only a direct API client's word is used: through Grafana the data proxy names the user. */
  startedBy: z
    .string()
    .max(200)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must be plain printable text (no control or format characters)')
    .optional(),
});
export type StartRunRequest = z.input<typeof startRunRequestSchema>;

export interface RunsPage {
  runs: RunInfo[];
  total: number;
  limit: number;
  offset: number;
}

export interface OutputLine {
  /** Position in the run's output, from 0. */
  seq: number;
  t: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

/** Events of `GET /api/v1/runs/:id/output`: `line`, `progress`, `llm`, `status`, and a final `end`. */
export interface RunProgressEvent {
  percent: number;
  message: string;
}
export type RunOutputEvent =
  | { event: 'line'; data: OutputLine }
  | { event: 'progress'; data: RunProgressEvent }
  | { event: 'llm'; data: Omit<LlmRecord, 'kind'> }
  | { event: 'status'; data: RunInfo }
  | { event: 'end'; data: RunInfo };

export interface Template {
  id: string;
  command: string;
  name: string;
  parameters: Record<string, ParameterValue>;
  createdAt: number;
  updatedAt: number;
}

export const putTemplateRequestSchema = z.strictObject({
  command: z.string().min(1),
  name: z.string().min(1).max(100),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});
export type PutTemplateRequest = z.input<typeof putTemplateRequestSchema>;

export const costGroupings = ['model', 'provider', 'command', 'tag', 'hour', 'day'] as const;
export type CostGrouping = (typeof costGroupings)[number];

/**
 * Where a cost record came from: the ingest API, the in-process SDK, a command's `::llm` line,
 * the OTLP receiver, or the OpenAI-compatible recording proxy (the `source` label of the
 * runboard_llm_* metrics, and the costs API's `source` filter).
 */
export const costSources = ['ingest', 'sdk', 'command', 'otlp', 'proxy'] as const;
export type CostSource = (typeof costSources)[number];

/** One stored cost record (GET /api/v1/costs/records). */
export interface CostRecord {
  id: number;
  /** ms since the epoch. */
  t: number;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** null when unpriced. */
  cost_usd: number | null;
  /** Where the cost came from: sent by the client, computed from the price table, or unknown. */
  priced: 'client' | 'table' | 'unpriced';
  duration_seconds: number | null;
  success: boolean;
  run_id: string | null;
  command: string | null;
  source: CostSource;
  /** The caller's tag (ingest `tag`, the proxy's X-Runboard-Tag), null when none. */
  tag: string | null;
}

export interface CostRecordsResponse {
  from: number;
  to: number;
  /** The records with from <= t <= to (of the query's `source`s when it named any), oldest first. */
  records: CostRecord[];
  /** More records matched than `limit`: ask again from the last record's t. */
  truncated: boolean;
}

export interface CostRow {
  /** The model, provider, command id, tag (`(none)` for records without one), or the hour/day start as ISO 8601 (UTC). */
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Requests without a known price (their cost is not in costUsd). */
  unpriced: number;
}

export interface CostsResponse {
  groupBy: CostGrouping;
  from: number;
  to: number;
  rows: CostRow[];
  total: Omit<CostRow, 'key'>;
}
export * from './series';
export { queuedRun } from './runs';
// Types only: the datasource's query model, the console panel's options, and the API the panel calls on the datasource.
export type * from './query';
export type * from './panel-options';
export type * from './console-api';
