/**
 * How the `query` and `record` commands reach a running exporter: `--url`, `--token`,
 * `--data-dir` (for the token file) and `--timeout`, and one small JSON client over global fetch
 * that turns every failure into a one-line CliError (3: cannot connect, 4: the exporter said no).
 */
import net from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { defaultDataDir } from '../config';
import { API_PREFIX, type ApiError } from '@runboard/protocol';
import { readTokenFile } from '../token';
import { CliError } from './errors';
import { parseNumberOption } from './options';

export const DEFAULT_URL = 'http://127.0.0.1:9477';
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** Exit codes shared by the client commands. */
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;
export const EXIT_API_ERROR = 4;

export interface ConnectionFlags {
  url?: string;
  token?: string;
  dataDir?: string;
  timeout?: number;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `exporter URL (env RUNBOARD_URL, default ${DEFAULT_URL})`))
    .addOption(new Option('--token <token>', 'API token (env RUNBOARD_API_TOKEN; else the token file in the data dir)'))
    .addOption(new Option('--data-dir <dir>', "the exporter's data dir, to read its API token file (env RUNBOARD_DATA_DIR)"))
    .addOption(
      new Option('--timeout <seconds>', `give up after this many seconds (default ${DEFAULT_TIMEOUT_SECONDS})`).argParser((v: string) => {
        const n = parseNumberOption('--timeout')(v);
        if (n <= 0) throw new InvalidArgumentError('--timeout must be greater than 0');
        return n;
      }),
    );
}

export interface Connection {
  /** Base URL without a trailing slash, as shown in messages. */
  url: string;
  token?: string;
  /** Where the token came from, for the hint on a 401. */
  tokenSource: 'flag' | 'env' | 'file' | 'none';
  timeoutMs: number;
}

/**
 * Resolves the flags against the environment. The token file is read from an explicit data dir,
 * or from the default one only when the URL is on this machine, so a local token is never sent
 * to a remote exporter by accident.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const rawUrl = flags.url ?? (env.RUNBOARD_URL || DEFAULT_URL);
  const url = parseBaseUrl(rawUrl, flags.url !== undefined ? '--url' : 'RUNBOARD_URL');
  const timeoutMs = Math.round((flags.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000);
  if (flags.token !== undefined) {
    if (flags.token === '') throw new CliError('--token: must not be empty', EXIT_USAGE);
    return { url, token: flags.token, tokenSource: 'flag', timeoutMs };
  }
  if (env.RUNBOARD_API_TOKEN) return { url, token: env.RUNBOARD_API_TOKEN, tokenSource: 'env', timeoutMs };
  const explicitDir = flags.dataDir ?? (env.RUNBOARD_DATA_DIR || undefined);
  const dir = explicitDir ?? (isLoopbackUrl(url) ? defaultDataDir() : undefined);
  const token = dir !== undefined ? readTokenFile(dir) : undefined;
  return token !== undefined ? { url, token, tokenSource: 'file', timeoutMs } : { url, tokenSource: 'none', timeoutMs };
}

function parseBaseUrl(raw: string, source: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`${source}: "${raw}" is not a URL (e.g. ${DEFAULT_URL})`, EXIT_USAGE);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`${source}: "${raw}" must be an http:// or https:// URL`, EXIT_USAGE);
  if (u.search || u.hash) throw new CliError(`${source}: "${raw}" must not have a query or fragment`, EXIT_USAGE);
  return u.toString().replace(/\/+$/, '');
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a URL's host is this machine: `localhost`, or an address (not a name) in 127.0.0.0/8
 * or ::1, IPv4-mapped forms included. A name like `127.evil.example` is resolved by whoever runs
 * its DNS, so it never counts however it starts.
 */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return LOOPBACK.check(host, 'ipv4');
  if (net.isIPv6(host)) return LOOPBACK.check(host, 'ipv6');
  return false;
}

/** A tiny JSON client for the exporter's /api/v1 routes. */
export class ExporterClient {
  constructor(readonly conn: Connection) {}

  get<T>(route: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, String(v));
    const query = qs.toString();
    return this.request<T>('GET', `${API_PREFIX}${route}${query ? `?${query}` : ''}`);
  }

  post<T>(route: string, body: unknown): Promise<T> {
    return this.request<T>('POST', `${API_PREFIX}${route}`, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { url, token, timeoutMs } = this.conn;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new CliError(`cannot reach the exporter at ${url}: ${describeFetchError(err, timeoutMs)}`, EXIT_UNREACHABLE);
    }
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (!res.ok) throw new CliError(`exporter answered ${res.status}: ${describeApiError(res, isJson ? parsed : text, this.conn)}`, EXIT_API_ERROR);
    if (!isJson || parsed === undefined) {
      throw new CliError(`exporter answered ${res.status} without a JSON body (is ${url} a Runboard exporter?)`, EXIT_API_ERROR);
    }
    return parsed as T;
  }
}

function describeApiError(res: Response, body: unknown, conn: Connection): string {
  let message: string;
  const err = (body as Partial<ApiError> | undefined)?.error;
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    message = err.field && !err.message.startsWith(err.field) ? `${err.field}: ${err.message}` : err.message;
  } else if (typeof body === 'string' && body.trim() !== '') {
    message = oneLine(body);
  } else {
    message = res.statusText || 'no details';
  }
  if (res.status === 401 && conn.tokenSource === 'none') {
    message += " (no token found: pass --token, set RUNBOARD_API_TOKEN, or point --data-dir at the exporter's data dir)";
  }
  return message;
}

export function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? line.slice(0, 200) + '…' : line;
}

const ERRNO_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is it running?)',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e?.cause;
  if (cause?.code && ERRNO_REASONS[cause.code]) return ERRNO_REASONS[cause.code];
  if (cause?.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  return oneLine(cause?.message || e?.message || String(err));
}
