/**
 * The datasource hub: routes each query type to the code that runs it (stream.ts for live
 * queries, api.ts + frames.ts for the rest), interpolates template variables, tests the
 * connection, and exposes the exporter's command API to the panel plugin.
 */
import {
  DataSourceApi,
  LoadingState,
  type AnnotationSupport,
  type CoreApp,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type LegacyMetricFindQueryOptions,
  type MetricFindValue,
  type ScopedVars,
  type SelectableValue,
  type TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { catchError, defer, map, merge, of, type Observable } from 'rxjs';
import type {
  CommandInfo,
  CostGrouping,
  ParameterValue,
  RunboardConsoleApi,
  RunboardQuery,
  RunInfo,
  RunOutcome,
  RunOutputEvent,
  RunsFilter,
  RunsPage,
  SaveTemplateRequest,
  SeriesInfo,
  Template,
} from '@runboard/protocol';
import { RunboardApi, toRunboardError } from './api';
import { DEFAULT_QUERY, DEFAULT_RUNS, LIVE_EDGE_MS, MAX_EXPANSION, MAX_RUNS } from './constants';
import { messageOf } from './errors';
import { costsToFrame, historyToFrame, indexSeries, runsFrameToAnnotations, runsToFrame } from './frames';
import { streamTarget } from './grafana';
import { interpolateQuery, splitList } from './interpolate';
import { liveQuery, SampleStreamHub } from './stream';
import type { RunboardOptions, RunboardVariableQuery } from './types';
import { parseVariableQuery, RunboardVariableSupport, variableValues } from './variables';

/**
 * The console panel finds this class by the plugin id (RunboardDatasourceType) and calls it as a
 * RunboardConsoleApi: `implements` makes the compiler hold the two to one contract.
 */
export class DataSource extends DataSourceApi<RunboardQuery, RunboardOptions> implements RunboardConsoleApi {
  readonly api: RunboardApi;
  /** The one live stream connection of this instance, shared by all its live queries. */
  readonly hub: SampleStreamHub;
  /** The exporter URL as configured, for messages only (see RunboardOptions.exporterUrl). */
  readonly exporterUrl?: string;

  constructor(instanceSettings: DataSourceInstanceSettings<RunboardOptions>) {
    super(instanceSettings);
    const baseUrl = (instanceSettings.url ?? '').replace(/\/+$/, '');
    this.api = new RunboardApi(baseUrl);
    this.hub = new SampleStreamHub(streamTarget(baseUrl));
    this.exporterUrl = instanceSettings.jsonData?.exporterUrl || undefined;
    this.variables = new RunboardVariableSupport(this);
    this.annotations = runAnnotations;
  }

  override getDefaultQuery(_app: CoreApp): Partial<RunboardQuery> {
    return { ...DEFAULT_QUERY, series: [] };
  }

  override filterQuery(query: RunboardQuery): boolean {
    return !query.hide;
  }

  // ---------- queries ----------

  query(request: DataQueryRequest<RunboardQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide).map((t) => this.applyTemplateVariables(t, request.scopedVars));
    if (targets.length === 0) return of({ data: [], state: LoadingState.Done });
    return merge(...targets.map((t) => this.runTarget(t, request)));
  }

  private runTarget(q: RunboardQuery, request: DataQueryRequest<RunboardQuery>): Observable<DataQueryResponse> {
    const from = request.range.from.valueOf();
    const to = request.range.to.valueOf();
    const key = q.refId;
    let result: Observable<DataQueryResponse>;
    switch (q.queryType ?? 'live') {
      case 'live':
        // A range that ends in the past has nothing to stream: it is a history query.
        result = to < Date.now() - LIVE_EDGE_MS ? this.runHistory(q, from, to, request.maxDataPoints) : this.runLive(q, from, to, request.maxDataPoints);
        break;
      case 'history':
        result = this.runHistory(q, from, to, request.maxDataPoints);
        break;
      case 'runs':
        result = defer(() => this.fetchRuns(q, from, to)).pipe(map((runs) => ({ data: [runsToFrame(runs, key)], key, state: LoadingState.Done })));
        break;
      case 'costs':
        result = defer(() => this.api.costs((q.groupBy || 'model') as CostGrouping, from, to, q.source)).pipe(
          map((costs) => ({ data: [costsToFrame(costs, key)], key, state: LoadingState.Done })),
        );
        break;
      default:
        result = of({ data: [], key, state: LoadingState.Done });
    }
    // One failing query shows its error without ending the others of the request.
    return result.pipe(catchError((err: unknown) => of({ data: [], key, state: LoadingState.Error, error: { message: messageOf(toRunboardError(err)), refId: key } })));
  }

  private runLive(q: RunboardQuery, from: number, to: number, maxDataPoints?: number): Observable<DataQueryResponse> {
    const series = q.series ?? [];
    if (series.length === 0) return of({ data: [], key: q.refId, state: LoadingState.Done });
    return liveQuery(
      { refId: q.refId, series, alias: q.alias, from, to, maxDataPoints: maxDataPoints || 1000 },
      { hub: this.hub, series: () => this.api.series(), history: (ids, f, t, points) => this.api.history(ids, f, t, points) },
    );
  }

  private runHistory(q: RunboardQuery, from: number, to: number, maxDataPoints?: number): Observable<DataQueryResponse> {
    const ids = q.series ?? [];
    if (ids.length === 0) return of({ data: [], key: q.refId, state: LoadingState.Done });
    const run = async (): Promise<DataQueryResponse> => {
      const meta = await this.api.series().catch(() => undefined);
      const index = indexSeries(meta?.series ?? []);
      // The exporter refuses a history request naming an unknown series: ask for the known ones.
      const known = meta ? ids.filter((id) => index.has(id)) : ids;
      const history = known.length > 0 ? await this.api.history(known, from, to, maxDataPoints || 1000) : { from, to, intervalMs: meta?.intervalMs ?? 1000, t: [], values: {} };
      const frame = historyToFrame(history, ids, index, q.refId, q.alias);
      const unknown = ids.filter((id) => !known.includes(id));
      if (unknown.length > 0) frame.meta = { notices: [{ severity: 'warning', text: `Not known to the exporter: ${unknown.join(', ')}` }] };
      return { data: [frame], key: q.refId, state: LoadingState.Done };
    };
    return defer(run);
  }

  /** Runs for every command × outcome the (interpolated) filters name, newest first. */
  private async fetchRuns(q: RunboardQuery, from: number, to: number): Promise<RunInfo[]> {
    const limit = Math.min(MAX_RUNS, Math.max(1, q.limit || DEFAULT_RUNS));
    const commands: Array<string | undefined> = splitList(q.command);
    const outcomes: Array<string | undefined> = splitList(q.outcome);
    const filters: RunsFilter[] = [];
    for (const command of commands.length ? commands : [undefined]) {
      for (const outcome of outcomes.length ? outcomes : [undefined]) {
        if (filters.length < MAX_EXPANSION) filters.push({ command, outcome: outcome as RunOutcome | undefined, from, to, limit });
      }
    }
    const pages = await Promise.all(filters.map((f) => this.api.listRuns(f)));
    const byId = new Map<string, RunInfo>();
    for (const page of pages) for (const run of page.runs) byId.set(run.id, run);
    return [...byId.values()].sort((a, b) => b.requestedAt - a.requestedAt).slice(0, limit);
  }

  // ---------- template variables ----------

  applyTemplateVariables(query: RunboardQuery, scopedVars: ScopedVars): RunboardQuery {
    return interpolateQuery(query, getTemplateSrv(), scopedVars);
  }

  override interpolateVariablesInQueries(queries: RunboardQuery[], scopedVars: ScopedVars): RunboardQuery[] {
    return queries.map((q) => ({ ...this.applyTemplateVariables(q, scopedVars), datasource: this.getRef() }));
  }

  override async metricFindQuery(query: RunboardVariableQuery | string, options?: LegacyMetricFindQueryOptions): Promise<MetricFindValue[]> {
    const q = parseVariableQuery(query);
    const srv = getTemplateSrv();
    const interpolated: RunboardVariableQuery = {
      ...q,
      metric: q.metric ? srv.replace(q.metric, options?.scopedVars) : undefined,
      provider: q.provider ? srv.replace(q.provider, options?.scopedVars) : undefined,
    };
    if (q.kind === 'commands') return variableValues(interpolated, [], await this.api.listCommands());
    return variableValues(interpolated, (await this.api.series()).series);
  }

  /** `$name` of every dashboard variable, offered by the editors' pickers. */
  getVariableOptions(): Array<SelectableValue<string>> {
    return getTemplateSrv()
      .getVariables()
      .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
  }

  // ---------- connection test ----------

  async testDatasource(): Promise<TestDataSourceResponse> {
    const where = this.exporterUrl ?? 'the configured URL';
    try {
      const [series, health] = await Promise.all([this.api.series(true), this.api.health().catch(() => undefined)]);
      return { status: 'success', message: `Connected to Runboard exporter ${health?.version ?? '(unknown version)'} (${series.series.length} series)` };
    } catch (err) {
      const e = toRunboardError(err);
      if (e.unauthorized) {
        return {
          status: 'error',
          message: 'the exporter rejected the API token',
          details: { message: 'Enter the exporter’s token (RUNBOARD_API_TOKEN, or the api-token file in its data dir) and save again.' },
        };
      }
      if (e.refusedByGrafana) return { status: 'error', message: e.message };
      if (e.unreachable) return { status: 'error', message: `cannot reach the exporter at ${where}: ${e.message}` };
      return { status: 'error', message: `the exporter answered with an error: ${e.message}` };
    }
  }

  // ---------- for editors, and the panel plugin (RunboardConsoleApi) ----------

  listSeries(): Promise<SeriesInfo[]> {
    return this.api.listSeries();
  }

  listCommands(): Promise<CommandInfo[]> {
    return this.api.listCommands();
  }

  startRun(commandId: string, parameters: Record<string, ParameterValue> = {}): Promise<RunInfo> {
    return this.api.startRun(commandId, parameters);
  }

  streamRunOutput(runId: string, lastEventId?: string): Observable<RunOutputEvent> {
    return this.api.streamRunOutput(runId, lastEventId);
  }

  cancelRun(id: string): Promise<RunInfo> {
    return this.api.cancelRun(id);
  }

  getRun(id: string): Promise<RunInfo> {
    return this.api.getRun(id);
  }

  listRuns(filter: RunsFilter = {}): Promise<RunsPage> {
    return this.api.listRuns(filter);
  }

  listTemplates(command?: string): Promise<Template[]> {
    return this.api.listTemplates(command);
  }

  saveTemplate(template: SaveTemplateRequest): Promise<Template> {
    return this.api.saveTemplate(template);
  }

  deleteTemplate(id: string): Promise<void> {
    return this.api.deleteTemplate(id);
  }
}

/**
 * Command runs as annotations: the annotation editor shows the runs query (command and outcome
 * filters); each run becomes a region from start to end, tagged with command and outcome.
 */
const runAnnotations: AnnotationSupport<RunboardQuery> = {
  getDefaultQuery: () => ({ queryType: 'runs', limit: MAX_RUNS }),
  prepareQuery: (anno) => ({ refId: 'Anno', ...anno.target, queryType: 'runs' }),
  processEvents: (_anno, frames) => of(frames.flatMap(runsFrameToAnnotations)),
};
