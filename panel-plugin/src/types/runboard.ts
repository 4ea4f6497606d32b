/**
 * What the console needs from a Runboard datasource instance, and nothing more. The panel never
 * talks to the exporter itself: auth and Grafana's proxy routes live in the datasource, so the
 * console programs against this interface (tests pass a fake or an adapter for a real exporter).
 */
import type { Observable } from 'rxjs';
import type { CommandInfo, ParameterValue, RunInfo, RunOutcome, RunOutputEvent, RunsPage, Template } from '@runboard/protocol';

/** The datasource plugin id; the console only accepts datasources of this type. */
export const RUNBOARD_DATASOURCE_TYPE = 'runboard-live-datasource';

export interface RunsFilter {
  command?: string;
  outcome?: RunOutcome;
  limit?: number;
  offset?: number;
}

export interface SaveTemplateRequest {
  command: string;
  name: string;
  parameters: Record<string, ParameterValue>;
  /** Present to replace an existing template; absent to create one. */
  id?: string;
}

export interface RunboardConsoleApi {
  listCommands(): Promise<CommandInfo[]>;
  /** Who started it is not the panel's to say: the exporter takes it from Grafana's data proxy. */
  startRun(commandId: string, parameters: Record<string, ParameterValue>): Promise<RunInfo>;
  /** Live events of a running run; a finished run replays its stored output and ends. */
  streamRunOutput(runId: string): Observable<RunOutputEvent>;
  cancelRun(runId: string): Promise<RunInfo>;
  getRun(runId: string): Promise<RunInfo>;
  listRuns(filter: RunsFilter): Promise<RunsPage>;
  listTemplates(command?: string): Promise<Template[]>;
  saveTemplate(request: SaveTemplateRequest): Promise<Template>;
  deleteTemplate(id: string): Promise<void>;
}

/** The methods checked at run time before a datasource instance is used as a console API. */
export const CONSOLE_API_METHODS: ReadonlyArray<keyof RunboardConsoleApi> = [
  'listCommands',
  'startRun',
  'streamRunOutput',
  'cancelRun',
  'getRun',
  'listRuns',
  'listTemplates',
  'saveTemplate',
  'deleteTemplate',
];
