/**
 * The API the console panel calls on a Runboard datasource instance. The datasource
 * (datasource-plugin/src/datasource.ts) declares `implements RunboardConsoleApi`; the panel
 * accepts a datasource whose plugin id is RunboardDatasourceType and programs against this type.
 * The panel never talks to the exporter itself: the token and Grafana's proxy routes are the
 * datasource's. Types only.
 */
import type { CommandInfo, ParameterValue, PutTemplateRequest, RunInfo, RunOutcome, RunOutputEvent, RunsPage, RunStatus, Template } from './index';

/** Filters of `GET /api/v1/runs` (its query parameters). */
export interface RunsFilter {
  command?: string;
  outcome?: RunOutcome;
  status?: RunStatus;
  /** Requested at or after (ms since the epoch). */
  from?: number;
  /** Requested at or before (ms since the epoch). */
  to?: number;
  limit?: number;
  offset?: number;
}

/** A template body (`PUT /api/v1/templates/:id`), plus the id of the template it replaces; absent creates one. */
export type SaveTemplateRequest = PutTemplateRequest & { id?: string };

/**
 * A stream of events with rxjs' `subscribe` signature. Grafana's datasources return rxjs
 * Observables, which satisfy it; the contract names only what the console uses, so this package
 * does not depend on rxjs.
 */
export interface EventStream<T> {
  subscribe(observer: { next?: (value: T) => void; error?: (err: unknown) => void; complete?: () => void }): { unsubscribe(): void };
}

/**
 * Failures are thrown as Errors whose `message` is the exporter's (or Grafana's proxy's), with the
 * HTTP `status` and the exporter's `field` when it named one (the console marks that field).
 */
export interface RunboardConsoleApi {
  listCommands(): Promise<CommandInfo[]>;
  /** Who started it is not the panel's to say: the exporter takes it from Grafana's data proxy. */
  startRun(commandId: string, parameters: Record<string, ParameterValue>): Promise<RunInfo>;
  /** Live events of a running run until `end`; a finished run replays its stored output and ends. */
  streamRunOutput(runId: string): EventStream<RunOutputEvent>;
  cancelRun(runId: string): Promise<RunInfo>;
  getRun(runId: string): Promise<RunInfo>;
  listRuns(filter: RunsFilter): Promise<RunsPage>;
  listTemplates(command?: string): Promise<Template[]>;
  saveTemplate(request: SaveTemplateRequest): Promise<Template>;
  deleteTemplate(id: string): Promise<void>;
}
