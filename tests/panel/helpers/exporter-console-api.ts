/**
 * The console's RunboardConsoleApi implemented straight on a real exporter's HTTP API, for the
 * console test against a real exporter. It stands in for the Runboard datasource (which in
 * Grafana goes through the datasource proxy that adds the token): plain fetch with the token in a
 * header, and the run output SSE stream read from a streaming fetch body. Errors carry the
 * exporter's message, field and status, as the datasource's do.
 */
import { Observable } from 'rxjs';
import type { ApiError, CommandInfo, CommandsResponse, ParameterValue, RunInfo, RunOutputEvent, RunsPage, Template } from '@runboard/protocol';
import type { RunboardConsoleApi, RunsFilter, SaveTemplateRequest } from '../../../panel-plugin/src/types/runboard';

export class ExporterConsoleApi implements RunboardConsoleApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    /** The signed-in Grafana login the datasource proxy names in X-Grafana-User (send_user_header). */
    private readonly grafanaLogin?: string
  ) {}

  async listCommands(): Promise<CommandInfo[]> {
    return (await this.request<CommandsResponse>('GET', '/commands')).commands;
  }

  startRun(commandId: string, parameters: Record<string, ParameterValue>): Promise<RunInfo> {
    return this.request('POST', `/commands/${encodeURIComponent(commandId)}/runs`, { parameters });
  }

  cancelRun(runId: string): Promise<RunInfo> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/cancel`);
  }

  getRun(runId: string): Promise<RunInfo> {
    return this.request('GET', `/runs/${encodeURIComponent(runId)}`);
  }

  listRuns(filter: RunsFilter): Promise<RunsPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) {
      if (v !== undefined) {
        q.set(k, String(v));
      }
    }
    return this.request('GET', `/runs?${q}`);
  }

  async listTemplates(command?: string): Promise<Template[]> {
    const q = command ? `?command=${encodeURIComponent(command)}` : '';
    return (await this.request<{ templates: Template[] }>('GET', `/templates${q}`)).templates;
  }

  saveTemplate({ id, ...body }: SaveTemplateRequest): Promise<Template> {
    return id ? this.request('PUT', `/templates/${encodeURIComponent(id)}`, body) : this.request('POST', '/templates', body);
  }

  async deleteTemplate(id: string): Promise<void> {
    await this.request('DELETE', `/templates/${encodeURIComponent(id)}`);
  }

  streamRunOutput(runId: string): Observable<RunOutputEvent> {
    return new Observable<RunOutputEvent>((subscriber) => {
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      let closed = false;
      (async () => {
        const res = await fetch(`${this.baseUrl}/api/v1/runs/${encodeURIComponent(runId)}/output`, { headers: { ...this.auth(), Accept: 'text/event-stream' } });
        if (!res.ok || !res.body) {
          throw await this.toError(res);
        }
        reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            break;
          }
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = parseSseBlock(block);
            if (event) {
              subscriber.next(event);
              if (event.event === 'end') {
                subscriber.complete();
                return;
              }
            }
          }
        }
        subscriber.complete();
      })().catch((err) => {
        if (!closed) {
          subscriber.error(err);
        }
      });
      return () => {
        closed = true;
        void reader?.cancel().catch(() => undefined);
      };
    });
  }

  /** What Grafana's data proxy adds: the route's token and X-Runboard-Via, and the user's login. */
  private auth(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, 'X-Runboard-Via': 'grafana', ...(this.grafanaLogin ? { 'X-Grafana-User': this.grafanaLogin } : {}) };
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: { ...this.auth(), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) {
      throw await this.toError(res);
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  private async toError(res: Response): Promise<Error> {
    let body: Partial<ApiError> = {};
    try {
      body = (await res.json()) as ApiError;
    } catch {
      // not JSON: the status says enough
    }
    return Object.assign(new Error(body.error?.message ?? `HTTP ${res.status}`), { status: res.status, field: body.error?.field });
  }
}

/** One SSE event block → a run output event (comments and `retry:` alone give none). */
function parseSseBlock(block: string): RunOutputEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      continue;
    }
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') {
      event = value;
    } else if (field === 'data') {
      data.push(value);
    }
  }
  if (data.length === 0) {
    return undefined;
  }
  return { event, data: JSON.parse(data.join('\n')) } as RunOutputEvent;
}
