import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Exporter } from '../exporter';
import { API_PREFIX, type HealthResponse, type IngestResponse, type LatestResponse, type SeriesResponse } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import { IngestError, validateIngestBody } from '../ingest/validate';
import { VERSION } from '../version';
import { commandRoutes } from './command-routes';
import { allowAll, requireToken, tokenChecker } from './auth';
import { bodyErrorCode, errorHandler, sendError } from './errors';
import { rateLimit } from './rate-limit';
import { isStreamRequest, streamHandler } from './stream-route';
import { hostChecker, refuseMisdirected } from './host-check';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseIntParam, parseStringParam, parseTime } from './query-params';
import { LedgerWriteError } from '../store/ledger';

/**
 * The HTTP server's request listener: stream connections on the canonical path go straight to
 * the stream handler (see stream-route.ts for why), everything else to the Express app.
 */
export function createRequestListener(exp: Exporter): (req: IncomingMessage, res: ServerResponse) => void {
  const stream = streamHandler({
    hub: exp.hub,
    streams: exp.streams,
    checkToken: exp.config.auth.readPublic ? null : tokenChecker(exp.token),
  });
  const app = createApp(exp, stream);
  const hostAllowed = hostChecker({ bindHost: exp.config.host, allowedHosts: exp.config.server.allowedHosts });
  return (req, res) => {
    // Before the stream/app split: every route, /metrics and the stream included (host-check.ts).
    if (refuseMisdirected(hostAllowed, req, res)) return;
    if (!isStreamRequest(req)) return void app(req, res);
    try {
      stream(req, res);
    } catch (err) {
      // What Express's error handler does for its routes: a logged 500, never a crash.
      exp.log.error(`unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code: 'internal', message: 'internal error' } }));
    }
  };
}

/** The express app: DESIGN §4's routes over one Exporter. */
export function createApp(exp: Exporter, stream: ReturnType<typeof streamHandler>): express.Express {
  const { config, metrics, store } = exp;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const check = tokenChecker(exp.token);
  const write = requireToken(check);
  const read = config.auth.readPublic ? allowAll : write;
  const metricsAuth = config.auth.metricsPublic ? allowAll : write;
  const json = express.json({ limit: config.limits.bodyBytes, strict: false, type: () => true });

  app.use((req, res, next) => {
    if (req.headers.host !== undefined || req.httpVersion !== '1.1') return next();
    res.setHeader('Connection', 'close');
    sendError(res, 400, 'bad_request', 'an HTTP/1.1 request needs a Host header');
  });
  app.use(rateLimit(config.limits.requestsPerSecond, () => metrics.ingestRejected.inc({ reason: 'rate_limited' })));

  app.get('/metrics', metricsAuth, async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.get(`${API_PREFIX}/health`, (_req, res) => {
    const collectors = exp.collectorStatuses();
    const body: HealthResponse = {
      status: collectors.every((c) => c.ok) ? 'ok' : 'degraded',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - exp.startedAt) / 1000),
      startedAt: exp.startedAt,
      intervalMs: store.intervalMs,
      series: store.seriesCount,
      streamClients: exp.streams.size,
      currentAction: exp.currentAction,
      collectors,
      ...(exp.inventory ? { system: exp.inventory } : {}),
    };
    res.json(body);
  });

  app.get(`${API_PREFIX}/series`, read, (_req, res) => {
    const body: SeriesResponse = { series: store.series(), intervalMs: store.intervalMs, windowSeconds: config.sampling.windowSeconds };
    res.json(body);
  });

  app.get(`${API_PREFIX}/latest`, read, (req, res) => {
    const wanted = splitSeriesList(parseStringParam('series', req.query.series));
    const latest = store.latest();
    const body: LatestResponse = { t: latest?.t ?? null, values: {} };
    for (const [id, v] of Object.entries(latest?.values ?? {})) if (wanted.length === 0 || wanted.includes(id)) body.values[id] = v;
    res.json(body);
  });

  app.get(`${API_PREFIX}/history`, read, (req, res) => {
    const now = Date.now();
    const ids = splitSeriesList(parseStringParam('series', req.query.series));
    const to = parseTime('to', req.query.to, now, now);
    const from = parseTime('from', req.query.from, to - config.sampling.retentionSeconds * 1000, now);
    if (from > to) return sendError(res, 400, 'invalid_request', 'from: must not be after to', 'from');
    const maxPoints = parseIntParam('maxPoints', req.query.maxPoints, Math.min(1000, config.limits.historyMaxPoints), 1, config.limits.historyMaxPoints);
    const unknown = ids.find((id) => !store.has(id));
    if (unknown !== undefined) return sendError(res, 400, 'unknown_series', `series: unknown series "${unknown.slice(0, 200)}" (see /api/v1/series)`, 'series');
    res.json(store.history(ids, from, to, maxPoints));
  });

  // The canonical path never reaches Express (createRequestListener); this serves the others.
  app.get(`${API_PREFIX}/stream`, (req, res) => stream(req, res, req.query as Record<string, unknown>));

  // Every refused ingest counts in runboard_ingest_rejected_total{reason}: a missing or wrong
  // token and what the body parser refuses (too large, not JSON, bad encoding) too.
  const ingestAuth: RequestHandler = (req, res, next) => {
    write(req, res, next);
    if (res.headersSent && res.statusCode === 401) metrics.ingestRejected.inc({ reason: 'unauthorized' });
  };
  const countBodyError: ErrorRequestHandler = (err, _req, _res, next) => {
    metrics.ingestRejected.inc({ reason: bodyErrorCode(err) });
    next(err);
  };
  app.post(`${API_PREFIX}/ingest`, ingestAuth, json, (req: Request, res: Response) => {
    let records;
    try {
      records = validateIngestBody(req.body, config.limits.batchRecords);
    } catch (err) {
      if (!(err instanceof IngestError)) throw err;
      metrics.ingestRejected.inc({ reason: err.code });
      return sendError(res, err.code === 'too_many_records' ? 413 : 400, err.code, err.message, err.field);
    }
    let byKind;
    try {
      byKind = exp.ingest(records);
    } catch (err) {
      // Nothing of the batch was counted (README "The ledger"): the client sends it again later.
      // The error handler answers the 503.
      if (err instanceof LedgerWriteError) metrics.ingestRejected.inc({ reason: err.code });
      throw err;
    }
    const body: IngestResponse = { accepted: records.length, byKind };
    res.status(202).json(body);
  }, countBodyError);

  app.use(API_PREFIX, commandRoutes({ commands: exp.commands, ledger: exp.ledger, auth: write, json, streams: exp.streams, runOutputBytes: config.limits.runOutputBytes }));

  app.use(API_PREFIX, (req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  // Outside the API too: JSON, not express's HTML page.
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path.slice(0, 200)}`));
  app.use(errorHandler((err) => exp.log.error(`unexpected error: ${err instanceof Error ? err.stack : String(err)}`)));
  return app;
}
