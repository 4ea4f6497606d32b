/**
 * What the run/runs/templates/costs commands need beyond `ExporterClient`'s JSON GET and POST:
 * DELETE, non-JSON bodies (the costs CSV), and remapping the exporter's "your input is wrong"
 * answers (400) to the usage exit code, since those name a flag or `--param` the user gave.
 */
import { API_PREFIX, type ApiError } from '@runboard/protocol';
import { describeFetchError, EXIT_API_ERROR, EXIT_UNREACHABLE, EXIT_USAGE, oneLine, type Connection } from './connection';
import { CliError } from './errors';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** One request with the connection's token and timeout; network failures become exit 3. */
export async function rawRequest(
  conn: Connection,
  method: string,
  route: string,
  opts: { query?: Record<string, string | number | undefined>; body?: unknown; accept?: string } = {},
): Promise<RawResponse> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const query = qs.toString();
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (conn.token !== undefined) headers.Authorization = `Bearer ${conn.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetch(`${conn.url}${API_PREFIX}${route}${query ? `?${query}` : ''}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(conn.timeoutMs),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  } catch (err) {
    throw unreachable(conn, err);
  }
}

/** The one-line CliError for a non-2xx answer (exit 4), in the same words as ExporterClient. */
export function apiError(conn: Connection, res: RawResponse): CliError {
  let message: string;
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  const err = (body as Partial<ApiError> | undefined)?.error;
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    message = err.field && !err.message.startsWith(err.field) ? `${err.field}: ${err.message}` : err.message;
  } else {
    message = oneLine(res.text) || 'no details';
  }
  if (res.status === 401 && conn.tokenSource === 'none') {
    message += " (no token found: pass --token, set RUNBOARD_API_TOKEN, or point --data-dir at the exporter's data dir)";
  }
  return new CliError(`exporter answered ${res.status}: ${message}`, EXIT_API_ERROR);
}

/** Parses a 2xx JSON answer, or throws the answer's error. */
export function jsonOf<T>(conn: Connection, res: RawResponse): T {
  if (res.status < 200 || res.status > 299) throw apiError(conn, res);
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new CliError(`exporter answered ${res.status} without a JSON body (is ${conn.url} a Runboard exporter?)`, EXIT_API_ERROR);
  }
}

/**
 * Runs `fn`; an exporter 400 (a value the user gave was refused: a parameter out of range, a bad
 * pattern) becomes the usage exit code, with the exporter's message naming the field.
 */
export async function badInputIsUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT_API_ERROR && err.message.startsWith('exporter answered 400: ')) {
      throw new CliError(err.message.slice('exporter answered 400: '.length), EXIT_USAGE);
    }
    throw err;
  }
}

/** True for the CliError an ExporterClient call throws for this HTTP status. */
export function isStatus(err: unknown, status: number): boolean {
  return err instanceof CliError && err.exitCode === EXIT_API_ERROR && err.message.startsWith(`exporter answered ${status}:`);
}

export function unreachable(conn: Connection, err: unknown): CliError {
  return new CliError(`cannot reach the exporter at ${conn.url}: ${describeFetchError(err, conn.timeoutMs)}`, EXIT_UNREACHABLE);
}
