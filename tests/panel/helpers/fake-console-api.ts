/**
 * A fake Runboard datasource instance for the console tests. Grafana cannot run here, so the
 * console is given this object instead of `getDataSourceSrv().get(…)`'s result: it implements
 * RunboardConsoleApi (the contract DataSource implements) with jest mocks, keeps runs and templates in memory, and lets a
 * test push a run's output events (status, line, progress, llm, end) when it wants.
 */
import { ReplaySubject, type Observable } from 'rxjs';
import {
  queuedRun,
  type CommandInfo,
  type OutputLine,
  type ParameterValue,
  type RunboardConsoleApi,
  type RunInfo,
  type RunOutputEvent,
  type RunsFilter,
  type RunsPage,
  type SaveTemplateRequest,
  type Template,
} from '@runboard/protocol';

export const COMMANDS: CommandInfo[] = [
  {
    id: 'sample-task',
    title: 'Sample AI task',
    description: 'Works through a few steps, asking a model at each one.',
    parameters: {
      topic: { type: 'string', title: 'Topic', help: 'What the task works on.', default: 'quarterly report', maxLength: 20 },
      ticket: { type: 'string', title: 'Ticket', help: 'Issue key.', pattern: '[A-Z]+-\\d+', maxLength: 16 },
      steps: { type: 'integer', title: 'Steps', help: 'How many model calls.', min: 1, max: 5, default: 3 },
      model: { type: 'enum', title: 'Model', help: 'Model to ask.', values: ['gpt-4o-mini', 'claude-sonnet-4'], default: 'gpt-4o-mini' },
      fail: { type: 'boolean', title: 'Fail halfway', help: 'Make it fail.', default: false },
    },
    timeoutSeconds: 300,
    maxConcurrent: 2,
    confirm: false,
  },
  {
    id: 'http-check',
    title: 'HTTP check',
    description: 'Checks that a URL answers.',
    parameters: {
      url: { type: 'string', title: 'URL', help: 'Address to request.', pattern: 'https?://[^\\s]+', maxLength: 2048, default: 'http://127.0.0.1:9477/api/v1/health' },
    },
    timeoutSeconds: 90,
    maxConcurrent: 4,
    confirm: true,
  },
];

let nextRun = 1;

export function makeRun(over: Partial<RunInfo> = {}): RunInfo {
  const id = over.id ?? `run-${nextRun++}`;
  return { ...queuedRun({ id, command: 'sample-task', parameters: {}, startedBy: null, requestedAt: 1_700_000_000_000 }), ...over };
}

export function line(seq: number, text: string, stream: OutputLine['stream'] = 'stdout'): RunOutputEvent {
  return { event: 'line', data: { seq, t: 1_700_000_000_000 + seq, stream, text } };
}

export class FakeConsoleApi implements RunboardConsoleApi {
  commands: CommandInfo[] = COMMANDS.map((c) => ({ ...c }));
  runs: RunInfo[] = [];
  templates: Template[] = [];
  private streams = new Map<string, ReplaySubject<RunOutputEvent>>();

  listCommands = jest.fn(async (): Promise<CommandInfo[]> => this.commands);

  startRun = jest.fn(async (commandId: string, parameters: Record<string, ParameterValue>): Promise<RunInfo> => {
    const run = makeRun({ command: commandId, parameters, startedBy: 'grafana:alice' });
    this.runs.unshift(run);
    return run;
  });

  streamRunOutput = jest.fn((runId: string): Observable<RunOutputEvent> => this.stream(runId).asObservable());

  cancelRun = jest.fn(async (runId: string): Promise<RunInfo> => this.find(runId));

  getRun = jest.fn(async (runId: string): Promise<RunInfo> => this.find(runId));

  listRuns = jest.fn(async (filter: RunsFilter): Promise<RunsPage> => {
    const limit = filter.limit ?? 50;
    const offset = filter.offset ?? 0;
    const runs = this.runs.filter((r) => !filter.command || r.command === filter.command);
    return { runs: runs.slice(offset, offset + limit), total: runs.length, limit, offset };
  });

  listTemplates = jest.fn(async (command?: string): Promise<Template[]> => this.templates.filter((t) => !command || t.command === command));

  saveTemplate = jest.fn(async (req: SaveTemplateRequest): Promise<Template> => {
    const now = Date.now();
    const existing = req.id ? this.templates.find((t) => t.id === req.id) : undefined;
    if (existing) {
      Object.assign(existing, { name: req.name, parameters: req.parameters ?? {}, updatedAt: now });
      return existing;
    }
    const t: Template = { id: `tpl-${this.templates.length + 1}`, command: req.command, name: req.name, parameters: req.parameters ?? {}, createdAt: now, updatedAt: now };
    this.templates.push(t);
    return t;
  });

  deleteTemplate = jest.fn(async (id: string): Promise<void> => {
    this.templates = this.templates.filter((t) => t.id !== id);
  });

  /** Pushes output events of a run (buffered until the console subscribes). */
  emit(runId: string, ...events: RunOutputEvent[]): void {
    const s = this.stream(runId);
    for (const e of events) {
      if (e.event === 'status' || e.event === 'end') {
        this.update(e.data);
      }
      s.next(e);
    }
    if (events.some((e) => e.event === 'end')) {
      s.complete();
    }
  }

  fail(runId: string, err: unknown): void {
    this.stream(runId).error(err);
  }

  /** The run as it would be after `over`, recorded so history and getRun see it. */
  update(run: RunInfo): RunInfo {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) {
      this.runs[i] = run;
    } else {
      this.runs.unshift(run);
    }
    return run;
  }

  find(runId: string): RunInfo {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) {
      throw Object.assign(new Error(`no run "${runId}"`), { status: 404 });
    }
    return run;
  }

  private stream(runId: string): ReplaySubject<RunOutputEvent> {
    let s = this.streams.get(runId);
    if (!s) {
      s = new ReplaySubject<RunOutputEvent>();
      this.streams.set(runId, s);
    }
    return s;
  }
}
