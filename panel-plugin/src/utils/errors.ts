/**
 * What went wrong, from whatever the datasource threw: its own errors carry the exporter's
 * `message` and `field`; a Grafana FetchError carries the exporter's body in `data`; the proxy
 * answers some failures with a bare `{ message }`.
 */
export interface ErrorInfo {
  message: string;
  /** The exporter's `field`, e.g. `parameters.steps`. */
  field?: string;
  status?: number;
}

export function describeError(err: unknown): ErrorInfo {
  if (typeof err === 'string') {
    return { message: err };
  }
  if (!err || typeof err !== 'object') {
    return { message: 'Unknown error' };
  }
  const e = err as Record<string, unknown>;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const data = e.data && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : undefined;
  const body = data?.error && typeof data.error === 'object' ? (data.error as Record<string, unknown>) : undefined;
  const message = str(e.message) ?? str(body?.message) ?? str(data?.message) ?? str(e.statusText) ?? 'Unknown error';
  const field = str(e.field) ?? str(body?.field);
  return { message, ...(field !== undefined ? { field } : {}), ...(status !== undefined ? { status } : {}) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
