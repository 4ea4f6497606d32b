/**
 * Turning failed requests into errors a user can act on. Requests reach the exporter through
 * Grafana's datasource proxy, which has its own ways of failing: it answers an upstream 401 with
 * a 400 whose body is `Authentication to data source failed` (so the Grafana user is not logged
 * out), and an unreachable exporter with a 502. So a 401 without the exporter's JSON error is
 * Grafana refusing the session itself, and a 403 without it is the proxy refusing a plugin.json
 * route whose `reqRole` the user's org role lacks. Pure: stream.ts (run under Node in tests) uses it.
 */
import type { ApiError } from '@runboard/protocol';

/** Grafana's proxy replaces an upstream 401 with a 400 carrying this text. */
export const PROXY_AUTH_FAILED = 'Authentication to data source failed';

/** Error codes of Grafana's own refusals (the exporter's codes are its own words). */
const GRAFANA_SESSION = 'grafana_session';
const GRAFANA_ROLE = 'grafana_role';

export class RunboardError extends Error {
  constructor(
    message: string,
    /** HTTP status; undefined when the request never got an answer. */
    readonly status?: number,
    /** The exporter's error code (`invalid_request`, `not_found`, …) when it sent one. */
    readonly code?: string,
    /** The request field the exporter blamed, when it named one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RunboardError';
  }

  /** The exporter (or Grafana's proxy on its behalf) refused the API token. */
  get unauthorized(): boolean {
    return (this.status === 401 && this.code === 'unauthorized') || (this.status === 400 && this.code === 'proxy_auth_failed');
  }

  /** Grafana itself refused: the user's session or org role, not the exporter. */
  get refusedByGrafana(): boolean {
    return this.code === GRAFANA_SESSION || this.code === GRAFANA_ROLE;
  }

  /** No answer from the exporter itself: network failure, proxy 502/504, or a URL that is not an exporter. */
  get unreachable(): boolean {
    if (this.status === undefined || this.status === 0 || this.status === 502 || this.status === 504) return true;
    // The exporter answers its own 404s and 503s with an error code; a bare one came from elsewhere.
    return (this.status === 404 || this.status === 503) && this.code === undefined;
  }
}

function isApiError(body: unknown): body is ApiError {
  const e = (body as ApiError | undefined)?.error;
  return typeof e === 'object' && e !== null && typeof e.message === 'string';
}

/** The org role plugin.json's routes require for a method: Editor to change anything, else Viewer. */
export function requiredRole(method = 'GET'): 'Viewer' | 'Editor' {
  return method.toUpperCase() === 'GET' ? 'Viewer' : 'Editor';
}

/**
 * Builds the error for an HTTP answer. `body` is whatever was read: the exporter's JSON error,
 * Grafana's proxy text, or backendSrv's wrapping of it (`{ message }` / `{ response }`).
 * `method` names the role a 403 needed.
 */
export function errorFromResponse(status: number, body: unknown, statusText = '', method = 'GET'): RunboardError {
  if (isApiError(body)) {
    const { code, message, field } = body.error;
    const text = field && !message.startsWith(`${field}:`) ? `${message} (field: ${field})` : message;
    return new RunboardError(text, status, code, field);
  }
  const text = bodyText(body);
  if (status === 400 && text.includes(PROXY_AUTH_FAILED)) {
    return new RunboardError('the exporter rejected the API token', status, 'proxy_auth_failed');
  }
  if (status === 401) {
    return new RunboardError('your Grafana session has expired or is not valid: sign in again', status, GRAFANA_SESSION);
  }
  if (status === 403) {
    const role = requiredRole(method);
    const what = role === 'Editor' ? 'starting or cancelling runs and changing templates' : 'reading from the Runboard datasource';
    // Grafana's proxy checks the org role only: a server admin needs the role in this organisation too.
    return new RunboardError(
      `Grafana refused the request (${text || 'forbidden'}): ${what} needs the ${role === 'Editor' ? 'Editor or Admin' : 'Viewer, Editor or Admin'} role in this organization`,
      status,
      GRAFANA_ROLE,
    );
  }
  const detail = text || statusText || 'no details';
  return new RunboardError(`HTTP ${status}: ${detail.slice(0, 300)}`, status);
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body.trim();
  if (body && typeof body === 'object') {
    const o = body as { message?: unknown; response?: unknown; error?: unknown };
    for (const v of [o.response, o.message, o.error]) if (typeof v === 'string' && v.trim()) return v.trim();
    // backendSrv may keep the exporter's JSON under `data.response` already parsed.
    if (isApiError(o.response)) return o.response.error.message;
  }
  return '';
}

/** A network failure (fetch rejected): no status. */
export function networkError(err: unknown): RunboardError {
  if (err instanceof RunboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return new RunboardError(`${message}${cause}`);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
