/**
 * Query variables: what each kind lists, and Grafana's CustomVariableSupport wiring with its
 * editor. Label values come from the series ids the exporter lists (`/api/v1/series`);
 * commands from `/api/v1/commands`.
 */
import { CustomVariableSupport, type DataQueryRequest, type DataQueryResponse, type MetricFindValue } from '@grafana/data';
import { from, map, type Observable } from 'rxjs';
import type { CommandInfo, RunboardQuery, SeriesInfo } from '@runboard/protocol';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { VARIABLE_KINDS } from './constants';
import type { DataSource } from './datasource';
import type { RunboardOptions, RunboardVariableQuery, VariableKind } from './types';

const KIND_ALIASES: Record<string, VariableKind> = {
  series: 'series',
  actions: 'actions',
  action: 'actions',
  eventtypes: 'eventTypes',
  event_types: 'eventTypes',
  events: 'eventTypes',
  models: 'models',
  model: 'models',
  providers: 'providers',
  provider: 'providers',
  commands: 'commands',
  command: 'commands',
};

/**
 * A variable query from the editor (an object) or typed/provisioned as text: `series`,
 * `series(actions_per_minute)`, `actions`, `event_types`, `models`, `models(openai)`,
 * `providers`, `commands`.
 */
export function parseVariableQuery(query: RunboardVariableQuery | string | undefined): RunboardVariableQuery {
  if (query && typeof query === 'object' && query.kind in VARIABLE_KINDS) return query;
  const text = typeof query === 'string' ? query.trim() : '';
  const m = /^([\w]+)\s*(?:\(\s*(.*?)\s*\))?$/.exec(text);
  const kind = m ? KIND_ALIASES[m[1].toLowerCase()] : undefined;
  if (!kind) return { refId: 'variable', kind: 'series' };
  const arg = m?.[2] || undefined;
  return { refId: 'variable', kind, ...(kind === 'series' && arg ? { metric: arg } : {}), ...(kind === 'models' && arg ? { provider: arg } : {}) };
}

function labelValues(series: readonly SeriesInfo[], label: string, keep: (s: SeriesInfo) => boolean = () => true): MetricFindValue[] {
  const values = new Set<string>();
  for (const s of series) {
    const v = s.labels[label];
    if (v !== undefined && keep(s)) values.add(v);
  }
  return [...values].sort((a, b) => a.localeCompare(b)).map((v) => ({ text: v, value: v }));
}

/** The values a (interpolated) variable query lists, sorted. */
export function variableValues(q: RunboardVariableQuery, series: readonly SeriesInfo[], commands: readonly CommandInfo[] = []): MetricFindValue[] {
  switch (q.kind) {
    case 'series':
      return series
        .filter((s) => !q.metric || s.name === q.metric)
        .map((s) => s.id)
        .sort((a, b) => a.localeCompare(b))
        .map((id) => ({ text: id, value: id }));
    case 'actions':
      return labelValues(series, 'action');
    case 'eventTypes':
      // `type` is the event label; keep to event series should another family use the name.
      return labelValues(series, 'type', (s) => s.name.startsWith('event'));
    case 'models':
      return labelValues(series, 'model', (s) => !q.provider || s.labels.provider === q.provider);
    case 'providers':
      return labelValues(series, 'provider');
    case 'commands':
      return [...commands].sort((a, b) => a.title.localeCompare(b.title)).map((c) => ({ text: c.title || c.id, value: c.id }));
  }
}

/** Grafana's hook for query variables with our own editor. */
export class RunboardVariableSupport extends CustomVariableSupport<DataSource, RunboardVariableQuery, RunboardQuery, RunboardOptions> {
  editor = VariableQueryEditor;

  constructor(private readonly ds: DataSource) {
    super();
  }

  query(request: DataQueryRequest<RunboardVariableQuery>): Observable<DataQueryResponse> {
    const [target] = request.targets;
    // MetricFindValue objects are a response shape Grafana's variable runner takes as is.
    return from(this.ds.metricFindQuery(target, { scopedVars: request.scopedVars, range: request.range })).pipe(map((values) => ({ data: values })));
  }
}
