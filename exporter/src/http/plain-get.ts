/**
 * The routes the HTTP server answers on plain node:http objects, before Express sees the request:
 * the samples stream (stream-route.ts) and /metrics (metrics-route.ts). Only the exact path, by
 * GET or HEAD, takes this way; Express serves the other spellings it also matches (`/METRICS`,
 * `/metrics/`) with the same handler, so both answer alike.
 */
import type { IncomingMessage } from 'node:http';

/** The path of a GET or HEAD request that may skip Express, else undefined. */
export function plainGetPath(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  // HTTP/1.1 without Host is Express's to refuse, with its JSON body (app.ts).
  if (req.headers.host === undefined && req.httpVersion === '1.1') return undefined;
  const url = req.url ?? '';
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}
