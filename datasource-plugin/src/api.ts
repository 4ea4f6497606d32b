/**
 * The exporter's HTTP API as the plugins use it, always through Grafana's datasource proxy
 * (`instanceSettings.url`): plugin.json routes add the API token, so it never reaches the
 * browser. JSON calls go through Grafana's backendSrv; event streams through stream.ts, with the
 * sub-path and headers backendSrv would add (grafana.ts).
 *
 * The panel plugin calls the command methods (list commands, start and cancel runs, stream
 * output, templates) through DataSource, which implements RunboardConsoleApi; queries use the rest.
 */
import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { lastValueFrom, type Observable } from 'rxjs';
import type {
  CommandInfo,
  CommandsResponse,
  CostGrouping,
  CostsResponse,
  HealthResponse,
  HistoryResponse,
  ParameterValue,
  PutTemplateRequest,
  RunInfo,
  RunOutputEvent,
  RunsFilter,
  RunsPage,
  SaveTemplateRequest,
  SeriesInfo,
  SeriesResponse,
  StartRunRequest,
  Template,
} from '@runboard/protocol';
import { API_PATH, MAX_HISTORY_POINTS, SERIES_CACHE_MS } from './constants';
import { errorFromResponse, networkError, RunboardError } from './errors';
import { streamTarget } from './grafana';
import { runOutputStream } from './stream';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Params = Record<string, string | number | undefined>;

/** Any failure as a RunboardError carrying the exporter's message, code and field. */
export function toRunboardError(err: unknown): RunboardError {
  if (err instanceof RunboardError) return err;
  if (isFetchError(err)) {
    // backendSrv reports a request that got no answer with status 0 or -1.
    if (!err.status || err.status < 0) return networkError(new Error(err.statusText || 'network error'));
    return errorFromResponse(err.status, err.data, err.statusText, err.config?.method);
  }
  return networkError(err);
}

export class RunboardApi {
  private seriesCache?: { at: number; response: Promise<SeriesResponse> };

  constructor(
    /** Grafana's proxy URL for this datasource, without a trailing slash. */
    readonly baseUrl: string,
  ) {}

  private async request<T>(method: Method, path: string, opts: { params?: Params; data?: unknown } = {}): Promise<T> {
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined && v !== '') params[k] = v;
    try {
      const res = await lastValueFrom(
        getBackendSrv().fetch<T>({
          url: `${this.baseUrl}${API_PATH}${path}`,
          method,
          params,
          data: opts.data,
          // Errors are the caller's to show (the panel, the query, testDatasource).
          showErrorAlert: false,
          showSuccessAlert: false,
        }),
      );
      return res.data;
    } catch (err) {
      throw toRunboardError(err);
    }
  }

  health(): Promise<HealthResponse> {
    return this.request('GET', '/health');
  }

  /** The live series with their metadata, cached for SERIES_CACHE_MS (`fresh` skips the cache). */
  series(fresh = false): Promise<SeriesResponse> {
    const now = Date.now();
    if (fresh || !this.seriesCache || now - this.seriesCache.at > SERIES_CACHE_MS) {
      const response = this.request<SeriesResponse>('GET', '/series');
      this.seriesCache = { at: now, response };
      // A failure is not cached: the next caller asks again.
      response.catch(() => {
        if (this.seriesCache?.response === response) this.seriesCache = undefined;
      });
    }
    return this.seriesCache.response;
  }

  async listSeries(): Promise<SeriesInfo[]> {
    return (await this.series()).series;
  }

  history(ids: string[], from: number, to: number, maxPoints: number): Promise<HistoryResponse> {
    const points = Math.max(1, Math.min(MAX_HISTORY_POINTS, Math.round(maxPoints) || 1000));
    return this.request('GET', '/history', { params: { series: ids.join(','), from: Math.floor(from), to: Math.ceil(to), maxPoints: points } });
  }

  async listCommands(): Promise<CommandInfo[]> {
    return (await this.request<CommandsResponse>('GET', '/commands')).commands;
  }

  /**
   * Starts a run (202); the answer is the queued or running run. No startedBy: the exporter takes
   * the user from Grafana's data proxy (X-Grafana-User), never from the browser.
   */
  startRun(commandId: string, parameters: Record<string, ParameterValue> = {}): Promise<RunInfo> {
    const body: StartRunRequest = { parameters };
    return this.request('POST', `/commands/${encodeURIComponent(commandId)}/runs`, { data: body });
  }

  getRun(id: string): Promise<RunInfo> {
    return this.request('GET', `/runs/${encodeURIComponent(id)}`);
  }

  cancelRun(id: string): Promise<RunInfo> {
    return this.request('POST', `/runs/${encodeURIComponent(id)}/cancel`);
  }

  listRuns(filter: RunsFilter = {}): Promise<RunsPage> {
    return this.request('GET', '/runs', { params: { ...filter } });
  }

  /** A run's output until `end`, resumed with Last-Event-ID after a drop (see stream.ts). */
  streamRunOutput(runId: string, lastEventId?: string): Observable<RunOutputEvent> {
    return runOutputStream({ ...streamTarget(this.baseUrl), runId, lastEventId });
  }

  async listTemplates(command?: string): Promise<Template[]> {
    return (await this.request<{ templates: Template[] }>('GET', '/templates', { params: { command } })).templates;
  }

  /** Creates a template (no `id`) or replaces the one with this `id`. */
  saveTemplate(template: SaveTemplateRequest): Promise<Template> {
    const { id, ...body } = template; // the body schema is strict: no id in it
    const data: PutTemplateRequest = body;
    return id === undefined ? this.request('POST', '/templates', { data }) : this.request('PUT', `/templates/${encodeURIComponent(id)}`, { data });
  }

  async deleteTemplate(id: string): Promise<void> {
    await this.request('DELETE', `/templates/${encodeURIComponent(id)}`);
  }

  /** `source`: CostSources, comma-separated (absent: every source). */
  costs(groupBy: CostGrouping, from?: number, to?: number, source?: string): Promise<CostsResponse> {
    return this.request('GET', '/costs', {
      params: { groupBy, source, from: from === undefined ? undefined : Math.floor(from), to: to === undefined ? undefined : Math.ceil(to) },
    });
  }
}
