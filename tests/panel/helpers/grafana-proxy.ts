/**
 * Grafana, as far as the Runboard datasource sees it from the browser, for tests that drive the
 * real datasource against a real exporter. The datasource sends JSON requests through
 * `getBackendSrv().fetch` and opens event streams with the browser's fetch, both to Grafana's
 * data proxy URL (`instanceSettings.url`). Neither exists without a Grafana server, so this
 * stand-in performs the same requests with real HTTP (Node's fetch) on the exporter, doing what
 * the data proxy does on the way:
 * - the headers of the first route in datasource-plugin/src/plugin.json matching the method and
 *   path (the API token from secureJsonData, `X-Runboard-Via: grafana`); no route, no headers;
 * - `X-Grafana-User: <login>` (Grafana's `send_user_header`), from which the exporter names who
 *   started a run;
 * - the browser's cookies are not passed on.
 * Route roles (`reqRole`) are not checked: the tests sign in as an Editor.
 */
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { defer, type Observable } from 'rxjs';
import pluginJson from '../../../datasource-plugin/src/plugin.json';

export interface GrafanaProxyOptions {
  /** The datasource's uid: Grafana's proxy URL is `/api/datasources/proxy/uid/<uid>`. */
  uid: string;
  exporterUrl: string;
  /** The datasource's secureJsonData.apiToken. */
  apiToken: string;
  /** The signed-in Grafana user's login. */
  login: string;
}

export interface GrafanaProxy {
  /** `instanceSettings.url` of the datasource. */
  proxyUrl: string;
  /** The browser's fetch, for URLs on Grafana's proxy (set it as the global fetch). */
  fetch: typeof fetch;
  /** Grafana's backendSrv: only `fetch`, the one method the datasource calls. */
  backendSrv: BackendSrv;
}

export function grafanaProxy(opts: GrafanaProxyOptions): GrafanaProxy {
  const proxyUrl = `/api/datasources/proxy/uid/${opts.uid}`;
  // Captured once: the test replaces the global fetch with the proxied one.
  const nodeFetch = globalThis.fetch;

  const proxied = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(`${proxyUrl}/`)) {
      return Promise.reject(new TypeError(`not a URL of Grafana's data proxy for this datasource: ${url}`));
    }
    const path = url.slice(proxyUrl.length + 1);
    const method = (init.method ?? 'GET').toUpperCase();
    const route = pluginJson.routes.find((r) => (!r.method || r.method === method) && path.split('?')[0].startsWith(r.path));
    const headers = new Headers(init.headers);
    headers.delete('cookie');
    for (const h of route?.headers ?? []) {
      headers.set(h.name, h.content.replace('{{ .SecureJsonData.apiToken }}', opts.apiToken));
    }
    headers.set('X-Grafana-User', opts.login);
    return nodeFetch(`${opts.exporterUrl}/${path}`, { ...init, method, headers });
  };

  const backendFetch = <T>(req: BackendSrvRequest): Observable<FetchResponse<T>> =>
    defer(async () => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(req.params ?? {})) {
        if (v !== undefined) {
          query.append(k, String(v));
        }
      }
      const url = query.size > 0 ? `${req.url}?${query}` : req.url;
      const hasBody = req.data !== undefined;
      let res: Response;
      try {
        res = await proxied(url, {
          method: req.method ?? 'GET',
          headers: hasBody ? { 'Content-Type': 'application/json' } : {},
          body: hasBody ? JSON.stringify(req.data) : undefined,
        });
      } catch (err) {
        // backendSrv's report of a request that got no answer.
        throw { status: -1, statusText: err instanceof Error ? err.message : String(err), data: undefined, config: req } satisfies FetchError;
      }
      const text = await res.text();
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: backendSrv hands over the text
      }
      if (!res.ok) {
        throw { status: res.status, statusText: res.statusText, data, config: req } satisfies FetchError;
      }
      return {
        data: data as T,
        status: res.status,
        statusText: res.statusText,
        ok: true,
        headers: res.headers,
        redirected: res.redirected,
        type: res.type,
        url: res.url,
        config: req,
      };
    });

  return { proxyUrl, fetch: proxied as typeof fetch, backendSrv: { fetch: backendFetch } as unknown as BackendSrv };
}
