/**
 * Names, defaults and limits in one place. The option lists are typed against the exporter's
 * protocol types (`Record<RunOutcome, …>`), so the compiler flags one that falls out of step;
 * the protocol's runtime arrays are not imported because that module would bring zod along.
 */
import type { CostGrouping, CostSource, RunboardQuery, RunboardQueryType, RunOutcome } from '@runboard/protocol';
import type { VariableKind } from './types';

export const API_PATH = '/api/v1';

export const QUERY_TYPES: Record<RunboardQueryType, { label: string; description: string }> = {
  live: { label: 'Live', description: 'Back-fill the time range, then stream new samples' },
  history: { label: 'History', description: 'The time range from the exporter’s live store, once' },
  runs: { label: 'Command runs', description: 'A table of command runs (also for annotations)' },
  costs: { label: 'Costs', description: 'AI cost breakdown from the ledger' },
};

export const RUN_OUTCOMES: Record<RunOutcome, string> = {
  success: 'Success',
  failure: 'Failure',
  timeout: 'Timeout',
  cancelled: 'Cancelled',
};

export const COST_GROUPINGS: Record<CostGrouping, string> = {
  model: 'Model',
  provider: 'Provider',
  command: 'Command',
  tag: 'Tag',
  hour: 'Hour',
  day: 'Day',
};

/** Where cost records come from (the costs query's Source filter). */
export const COST_SOURCES: Record<CostSource, string> = {
  ingest: 'Ingest API',
  sdk: 'SDK',
  command: 'Command',
  otlp: 'OTLP',
  proxy: 'Recording proxy',
};

export const VARIABLE_KINDS: Record<VariableKind, { label: string; description: string }> = {
  series: { label: 'Series', description: 'Series ids, optionally of one metric' },
  actions: { label: 'Actions', description: 'Values of the `action` label' },
  eventTypes: { label: 'Event types', description: 'Values of the `type` label of event series' },
  models: { label: 'Models', description: 'Values of the `model` label, optionally of one provider' },
  providers: { label: 'Providers', description: 'Values of the `provider` label' },
  commands: { label: 'Commands', description: 'Allow-listed commands (text: title, value: id)' },
};

export const DEFAULT_QUERY: Partial<RunboardQuery> = { queryType: 'live', series: [] };

/** The exporter's default `limits.historyMaxPoints`; a larger maxPoints is a 400. */
export const MAX_HISTORY_POINTS = 10_000;
/** The exporter caps `limit` on /runs at 500. */
export const MAX_RUNS = 500;
export const DEFAULT_RUNS = 100;
/**
 * Upper bound of a live frame's rows: a day at one sample a second stays below it, and a
 * mistaken week-long live range cannot grow a panel without limit.
 */
export const MAX_LIVE_ROWS = 100_000;
/** A range ending this long before now is not live: the live query runs as a history query. */
export const LIVE_EDGE_MS = 60_000;
/** Series metadata is cached this long (pickers and every live query read it). */
export const SERIES_CACHE_MS = 30_000;
/** Upper bound of the series (and run filters) one `$variable` expansion may produce. */
export const MAX_EXPANSION = 200;
