/**
 * Stand-ins for Grafana's runtime services, which exist only inside a running Grafana:
 * `getBackendSrv()` (here: routes answering like the exporter, or like Grafana's datasource
 * proxy when it fails) and `getTemplateSrv()` (here: a small TemplateSrv with dashboard
 * variables, single and multi-value, that formats values the way Grafana's does for the formats
 * the plugin uses: a format function, 'csv', and the default glob `{a,b}`).
 *
 * Use: `jest.mock('@grafana/runtime', () => require('./fake-runtime').runtime);`
 */
import type { ScopedVars } from '@grafana/data';
import { Observable } from 'rxjs';

export interface FakeRequest {
  url: string;
  method?: string;
  params?: Record<string, string | number>;
  data?: unknown;
}

/** A failed fetch as backendSrv reports it (FetchError). */
export interface FakeFailure {
  status: number;
  data: unknown;
  statusText?: string;
}

type Handler = (req: FakeRequest, match: RegExpMatchArray) => unknown;

export const backend = {
  calls: [] as FakeRequest[],
  routes: [] as Array<{ method: string; path: RegExp; handler: Handler }>,
  /** Answers `method path` (path relative to the proxy URL, a RegExp over `/api/v1/...`). */
  on(method: string, path: RegExp, handler: Handler) {
    this.routes.unshift({ method, path, handler });
  },
  reset() {
    this.calls = [];
    this.routes = [];
  },
};

export class Fail {
  constructor(readonly failure: FakeFailure) {}
}

export const PROXY_URL = '/api/datasources/proxy/uid/runboard';

function fetch(req: FakeRequest): Observable<{ data: unknown; status: number }> {
  return new Observable((subscriber) => {
    backend.calls.push(req);
    const path = req.url.startsWith(PROXY_URL) ? req.url.slice(PROXY_URL.length) : req.url;
    const route = backend.routes.find((r) => r.method === (req.method ?? 'GET') && r.path.test(path));
    // Grafana's proxy with no exporter behind it.
    const answer = route ? route.handler(req, path.match(route.path)!) : new Fail({ status: 502, data: { message: 'Bad Gateway' }, statusText: 'Bad Gateway' });
    Promise.resolve(answer).then((value) => {
      if (value instanceof Fail) subscriber.error({ ...value.failure, config: req });
      else {
        subscriber.next({ data: value, status: 200 });
        subscriber.complete();
      }
    });
  });
}

export const variables: Record<string, string | string[]> = {};

export function setVariables(vars: Record<string, string | string[]>) {
  for (const k of Object.keys(variables)) delete variables[k];
  Object.assign(variables, vars);
}

export const templateSrv = {
  getVariables: () => Object.keys(variables).map((name) => ({ name })),
  replace(target?: string, scopedVars?: ScopedVars, format?: string | ((value: unknown) => string)): string {
    if (!target) return target ?? '';
    return target.replace(/\$(\w+)|\$\{(\w+)\}|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c)!;
      const value = scopedVars?.[name]?.value ?? variables[name];
      if (value === undefined) return whole;
      if (typeof format === 'function') return format(value);
      const list = Array.isArray(value) ? value.map(String) : [String(value)];
      if (format === 'csv') return list.join(',');
      return list.length > 1 ? `{${list.join(',')}}` : (list[0] ?? '');
    });
  },
};

/** Grafana's `config`: the parts the datasource reads (sub-path and org for its streams). */
export const config = { appSubUrl: '', bootData: { user: { orgId: 1 } } };

export const runtime = {
  config,
  getBackendSrv: () => ({ fetch }),
  getTemplateSrv: () => templateSrv,
  isFetchError: (e: unknown) => typeof e === 'object' && e !== null && 'status' in e && 'data' in e,
};
