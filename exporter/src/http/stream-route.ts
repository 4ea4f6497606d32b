/**
 * `GET /api/v1/stream` on plain node:http objects. A stream connection lives for hours, and one
 * that went through Express would hold Express's per-request state (router closures, parsed
 * query, locals) for all that time: 9.1 KB of JS heap per client against 5.5 KB without
 * (bench/README.md, SSE RSS per client). The HTTP server sends the canonical path here before
 * Express sees it; Express keeps the same handler for the spellings it also matches
 * (`/API/v1/stream/`), so both answer alike: same auth, limits, errors and headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import type { ApiError } from '../protocol';
import { API_PREFIX } from '../protocol';
import type { SseHub } from '../stream/sse-hub';
import { HttpError } from './errors';
import { parseStringParam } from './query-params';

export interface StreamRouteOptions {
  hub: SseHub;
  /** Null when the stream is public (auth.readPublic), else the bearer-token check. */
  checkToken: ((header: string | undefined) => boolean) | null;
  maxClients: number;
  onRefusedForLimit: () => void;
}

const STREAM_PATH = `${API_PREFIX}/stream`;

/** The requests the fast path takes: GET/HEAD of the exact path. Everything else goes to Express. */
export function isStreamRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  // HTTP/1.1 without Host is Express's to refuse, with its JSON body (app.ts).
  if (req.headers.host === undefined && req.httpVersion === '1.1') return false;
  const url = req.url ?? '';
  const end = url.indexOf('?');
  const path = end < 0 ? url : url.slice(0, end);
  return path === STREAM_PATH;
}

function sendJsonError(res: ServerResponse, status: number, code: string, message: string, field?: string, headers: Record<string, string> = {}): void {
  const body: ApiError = { error: { code, message, ...(field !== undefined ? { field } : {}) } };
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** One handler for both paths in; `query` is what the caller parsed from the URL. */
export function streamHandler(opts: StreamRouteOptions) {
  const { hub } = opts;
  return (req: IncomingMessage, res: ServerResponse, query?: Record<string, unknown>): void => {
    if (opts.checkToken && !opts.checkToken(req.headers.authorization)) {
      const message = req.headers.authorization ? 'invalid API token' : 'missing API token: send "Authorization: Bearer <token>"';
      return sendJsonError(res, 401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="runboard"' });
    }
    // HEAD gets the headers only: a stream it can never read would hold a client slot forever.
    if (req.method === 'HEAD') return void res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform' }).end();
    if (hub.full) {
      opts.onRefusedForLimit();
      return sendJsonError(res, 503, 'too_many_streams', `stream client limit of ${opts.maxClients} reached (limits.streamClients)`, undefined, { 'Retry-After': '5' });
    }
    const q = query ?? querystring.parse((req.url ?? '').split('?')[1] ?? '');
    try {
      const rawLast = req.headers['last-event-id'] ?? parseStringParam('lastEventId', q.lastEventId);
      let lastEventId: number | undefined;
      if (rawLast !== undefined && rawLast !== '') {
        if (!/^\d+$/.test(String(rawLast))) return sendJsonError(res, 400, 'invalid_request', 'Last-Event-ID: must be a sequence number', 'Last-Event-ID');
        lastEventId = Number(rawLast);
      }
      hub.attach(res, parseStringParam('series', q.series), lastEventId);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendJsonError(res, err.status, err.code, err.message, err.field);
    }
  };
}
