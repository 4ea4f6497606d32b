/**
 * `GET /api/v1/stream` on plain node:http objects. A stream connection lives for hours, and one
 * that went through Express would hold Express's per-request state (router closures, parsed
 * query, locals) for all that time: 9.1 KB of JS heap per client against 5.5 KB without
 * (bench/README.md, SSE RSS per client). The HTTP server sends the canonical path here before
 * Express sees it (plain-get.ts); Express keeps the same handler for the spellings it also
 * matches (`/API/v1/stream/`), so both answer alike: same auth, limits, errors and headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import { API_PREFIX } from '@runboard/protocol';
import type { EventStreams } from '../stream/event-stream';
import type { SseHub } from '../stream/sse-hub';
import { sendUnauthorized } from './auth';
import { HttpError, sendError } from './errors';
import { parseQuery, streamQuery, withLastEventId } from './query-params';

export interface StreamRouteOptions {
  hub: SseHub;
  /** The event-stream writer shared by every stream route: limits, headers, back-pressure. */
  streams: EventStreams;
  /** Null when the stream is public (auth.readPublic), else the bearer-token check. */
  checkToken: ((header: string | undefined) => boolean) | null;
}

export const STREAM_PATH = `${API_PREFIX}/stream`;

/** One handler for both paths in; `query` is what the caller parsed from the URL. */
export function streamHandler(opts: StreamRouteOptions) {
  const { hub, streams } = opts;
  return (req: IncomingMessage, res: ServerResponse, query?: Record<string, unknown>): void => {
    if (opts.checkToken && !opts.checkToken(req.headers.authorization)) return sendUnauthorized(res, req.headers.authorization);
    // HEAD gets the headers only: a stream it can never read would hold a client slot forever.
    if (req.method === 'HEAD') return void res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform' }).end();
    const q = query ?? querystring.parse((req.url ?? '').split('?')[1] ?? '');
    try {
      const { 'Last-Event-ID': lastEventId, series } = parseQuery(streamQuery, withLastEventId(q, req.headers['last-event-id']));
      const refused = streams.admit(req);
      if (refused) return sendError(res, refused.status, refused.code, refused.message, undefined, { 'Retry-After': String(refused.retryAfterSeconds) });
      hub.attach(streams.open(req, res), series, lastEventId);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendError(res, err.status, err.code, err.message, err.field);
    }
  };
}
