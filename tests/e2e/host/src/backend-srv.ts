/**
 * A minimal BackendSrv for @grafana/runtime's `setBackendSrv`, over window.fetch, with the
 * behaviour of Grafana's own (public/app/core/services/backend_srv.ts, core/utils/fetch.ts) that
 * plugins can observe: params serialised onto the URL (undefined/empty dropped), JSON bodies and
 * `content-type: application/json` for POST/PUT/PATCH, `accept` defaulted, same-origin
 * credentials, bodies parsed per `responseType` (default: JSON when it parses, else text), errors
 * as FetchError objects whose string bodies become `{ message, error, response }`, cancellation
 * of an in-flight request with the same `requestId`, and `chunked()` for streamed bodies.
 */
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, Observable } from 'rxjs';

const CANCELLED = -1;

function serializeParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && !(v !== null && (v as { length?: number }).length === 0))
    .map(([k, v]) =>
      Array.isArray(v) ? v.map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`).join('&') : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
    )
    .join('&');
}

/**
 * As Grafana's parseRequestOptions: a local URL (not http…) loses its leading slash, so it resolves
 * against `<base href="<appSubUrl>/">` and reaches Grafana under a sub-path.
 */
function localUrl(url: string): string {
  return !/^http/.test(url) && url.startsWith('/') && !url.startsWith('//') ? url.slice(1) : url;
}

export function requestUrl(options: BackendSrvRequest): string {
  const url = localUrl(options.url);
  if (!options.params) return url;
  const qs = serializeParams(options.params);
  if (!qs) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${qs}`;
}

export function requestInit(options: BackendSrvRequest): RequestInit {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = new Headers(options.headers ?? {});
  if (['POST', 'PUT', 'PATCH'].includes(method) && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain, */*');
  const isJson = (headers.get('content-type') ?? '').toLowerCase() === 'application/json';
  let body: BodyInit | undefined;
  if (options.data !== undefined && options.data !== null && options.data !== '') {
    body = typeof options.data === 'string' ? options.data : isJson ? JSON.stringify(options.data) : new URLSearchParams(options.data as Record<string, string>);
  }
  const credentials: RequestCredentials = options.credentials ?? (options.withCredentials ? 'include' : 'same-origin');
  return { method, headers, body, credentials };
}

async function parseBody(res: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  switch (responseType) {
    case 'arraybuffer':
      return res.arrayBuffer();
    case 'blob':
      return res.blob();
    case 'text':
      return res.text();
    case 'json':
      if (res.headers.get('Content-Length') === '0') return {};
      return res.json();
    default: {
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
  }
}

function toFetchError(options: BackendSrvRequest, status: number, statusText: string, data: unknown): FetchError {
  let body = data ?? { message: 'Unexpected error' };
  if (typeof body === 'string') body = { message: body, error: statusText, response: body };
  const obj = body as { message?: unknown; error?: unknown };
  if (obj && !obj.message && typeof obj.error === 'string') obj.message = obj.error;
  return { status, statusText, data: body, config: options };
}

/** What a FetchResponse carries besides its data, as Grafana's backendSrv fills it. */
function responseFields(res: Response, options: BackendSrvRequest) {
  return { status: res.status, statusText: res.statusText, ok: res.ok, headers: res.headers, redirected: res.redirected, type: res.type, url: res.url, config: options };
}

export class HostBackendSrv implements BackendSrv {
  private readonly inFlight = new Map<string, AbortController>();
  /** Every request the plugins made through BackendSrv (method and URL), for the tests. */
  readonly log: Array<{ method: string; url: string; status?: number }> = [];

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      if (options.requestId) {
        this.inFlight.get(options.requestId)?.abort('superseded');
        this.inFlight.set(options.requestId, controller);
      }
      const onAbort = () => controller.abort(options.abortSignal?.reason);
      options.abortSignal?.addEventListener('abort', onAbort);
      const url = requestUrl(options);
      const init = requestInit(options);
      const entry: { method: string; url: string; status?: number } = { method: String(init.method), url };
      this.log.push(entry);
      let settled = false;
      (async () => {
        try {
          const res = await fetch(url, { ...init, signal: controller.signal });
          entry.status = res.status;
          const data = await parseBody(res, res.ok ? options.responseType : undefined);
          settled = true;
          if (!res.ok) {
            subscriber.error(toFetchError(options, res.status, res.statusText, data));
            return;
          }
          subscriber.next({ ...responseFields(res, options), data: data as T });
          subscriber.complete();
        } catch (err) {
          settled = true;
          if (controller.signal.aborted) {
            subscriber.error({ data: null, status: CANCELLED, statusText: 'Request was aborted', config: options, cancelled: true } satisfies FetchError);
          } else {
            subscriber.error(toFetchError(options, 0, err instanceof Error ? err.message : String(err), { message: err instanceof Error ? err.message : String(err) }));
          }
        } finally {
          options.abortSignal?.removeEventListener('abort', onAbort);
          if (options.requestId && this.inFlight.get(options.requestId) === controller) this.inFlight.delete(options.requestId);
        }
      })();
      return () => {
        if (!settled) controller.abort('unsubscribed');
      };
    });
  }

  chunked(options: BackendSrvRequest): Observable<FetchResponse<Uint8Array | undefined>> {
    return new Observable<FetchResponse<Uint8Array | undefined>>((subscriber) => {
      const controller = new AbortController();
      const url = requestUrl(options);
      const init = requestInit(options);
      this.log.push({ method: String(init.method), url });
      let done = false;
      (async () => {
        try {
          const res = await fetch(url, { ...init, signal: controller.signal });
          const base = responseFields(res, options);
          if (!res.body) {
            subscriber.next({ ...base, data: undefined });
            done = true;
            subscriber.complete();
            return;
          }
          const reader = res.body.getReader();
          while (!done) {
            const chunk = await reader.read();
            subscriber.next({ ...base, data: chunk.value });
            if (chunk.done) {
              done = true;
              subscriber.complete();
            }
          }
        } catch (err) {
          done = true;
          if (!controller.signal.aborted) subscriber.error(err);
        }
      })();
      return () => {
        if (!done) controller.abort('unsubscribe');
      };
    });
  }

  async datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  async request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return (await lastValueFrom(this.fetch<T>(options))).data;
  }

  get<T = unknown>(url: string, params?: Record<string, unknown>, requestId?: string, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'GET', url, params, requestId });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'DELETE', url, data });
  }

  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'POST', url, data });
  }

  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PATCH', url, data });
  }

  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PUT', url, data });
  }
}
