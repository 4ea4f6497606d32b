import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { API_PREFIX, type CollectorStatus, type HealthResponse, type IngestResponse, type LatestResponse, type SeriesResponse } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import { IngestError, validateIngestBody } from '../ingest/validate';
import { VERSION } from '../version';
import { commandRoutes } from './command-routes';
import { allowAll, requireToken, tokenChecker } from './auth';
import { bodyErrorCode, errorHandler, sendError } from './errors';
import { rateLimit } from './rate-limit';
import { otlpRoutes } from '../otlp/routes';
import { indexRoute } from './index-route';
import { STREAM_PATH, streamHandler } from './stream-route';
import { METRICS_PATH, metricsHandler } from './metrics-route';
import { plainGetPath } from './plain-get';
import { hostChecker, refuseMisdirected } from './host-check';
import { PROXY_PREFIX } from '../proxy/proxy';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { historyQuery, latestQuery, parseQuery } from './query-params';
import { LedgerWriteError, type Ledger } from '../store/ledger';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Metrics } from '../metrics/registry';
import type { LiveStore } from '../store/live-store';
import type { SseHub } from '../stream/sse-hub';
import type { EventStreams } from '../stream/event-stream';
import type { CommandService } from '../commands/service';
import type { IngestService } from '../ingest/ingest-service';

/**
 * What the routes use, and nothing else: the composition root (exporter.ts) hands this over
 * instead of itself, so a route cannot reach into the exporter's parts.
 */
export interface ApiDeps {
  config: Pick<Config, 'auth' | 'limits' | 'sampling' | 'host' | 'server' | 'otlp'>;
  token: string;
  log: Logger;
  metrics: Pick<Metrics, 'registry' | 'ingestRejected' | 'otlpReceived' | 'otlpIgnored' | 'otlpRejected' | 'otlpEvicted'>;
  store: Pick<LiveStore, 'intervalMs' | 'seriesCount' | 'series' | 'latest' | 'has' | 'history'>;
  hub: SseHub;
  streams: EventStreams;
  ingest: Pick<IngestService, 'ingest' | 'recordCalls'>;
  commands: CommandService;
  ledger: Ledger;
  /** The recording proxy's listener for /proxy/ (proxy/proxy.ts), when `proxy.enabled`. */
  proxy?: (req: IncomingMessage, res: ServerResponse) => void;
  /** What /api/v1/health reports besides the store's figures. */
  status: {
    readonly startedAt: number;
    readonly currentAction: string | null;
    readonly inventory: HealthResponse['system'];
    collectorStatuses(): CollectorStatus[];
  };
}

/**
 * The HTTP server's request listener: the recording proxy, and the samples stream and /metrics on
 * their canonical paths (plain-get.ts), are answered without Express; everything else goes to the
 * Express app. The token check and the rate limiter are made once here and shared with it.
 */
export function createRequestListener(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const check = tokenChecker(deps.token);
  const stream = streamHandler({ hub: deps.hub, streams: deps.streams, checkToken: deps.config.auth.readPublic ? null : check });
  const metrics = metricsHandler({ registry: deps.metrics.registry, checkToken: deps.config.auth.metricsPublic ? null : check });
  // One bucket per client for Express's routes and the proxy alike.
  const limiter = rateLimit(deps.config.limits.requestsPerSecond, () => deps.metrics.ingestRejected.inc({ reason: 'rate_limited' }));
  const app = createApp(deps, { check, stream, metrics, limiter });
  const hostAllowed = hostChecker({ bindHost: deps.config.host, allowedHosts: deps.config.server.allowedHosts });
  // What Express's error handler does for its routes: a logged 500, never a crash.
  const failed = (res: ServerResponse, err: unknown): void => {
    deps.log.error(`unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
    if (res.headersSent) return void res.destroy();
    sendError(res, 500, 'internal', 'internal error');
  };
  return (req, res) => {
    // Before the split: every route, /metrics and the stream included (host-check.ts). Counted,
    // so a client sent the wrong name (or a rebinding attempt) shows on the dashboard.
    if (refuseMisdirected(hostAllowed, req, res)) return void deps.metrics.ingestRejected.inc({ reason: 'misdirected' });
    try {
      const proxy = deps.proxy;
      if (proxy && req.url?.startsWith(PROXY_PREFIX)) return limiter(req, res, () => proxy(req, res));
      const path = plainGetPath(req);
      if (path === STREAM_PATH) return stream(req, res);
      if (path === METRICS_PATH) return void metrics(req, res).catch((err: unknown) => failed(res, err));
      app(req, res);
    } catch (err) {
      failed(res, err);
    }
  };
}

/** The Express app: the routes of README "HTTP API" and "Commands, runs, templates and costs". */
export function createApp(
  deps: ApiDeps,
  shared: {
    check: ReturnType<typeof tokenChecker>;
    stream: ReturnType<typeof streamHandler>;
    metrics: ReturnType<typeof metricsHandler>;
    limiter: ReturnType<typeof rateLimit>;
  },
): express.Express {
  const { config, metrics, store, status } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const { check } = shared;
  const write = requireToken(check);
  const read = config.auth.readPublic ? allowAll : write;
  const json = express.json({ limit: config.limits.bodyBytes, strict: false, type: () => true });

  app.use((req, res, next) => {
    if (req.headers.host !== undefined || req.httpVersion !== '1.1') return next();
    res.setHeader('Connection', 'close');
    sendError(res, 400, 'bad_request', 'an HTTP/1.1 request needs a Host header');
  });
  app.use(shared.limiter);

  // The canonical paths never reach Express (createRequestListener); these serve the others.
  app.get(METRICS_PATH, (req, res) => shared.metrics(req, res));

  app.get(`${API_PREFIX}/health`, (_req, res) => {
    const collectors = status.collectorStatuses();
    const body: HealthResponse = {
      status: collectors.every((c) => c.ok) ? 'ok' : 'degraded',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - status.startedAt) / 1000),
      startedAt: status.startedAt,
      intervalMs: store.intervalMs,
      series: store.seriesCount,
      streamClients: deps.streams.size,
      currentAction: status.currentAction,
      collectors,
      ...(status.inventory ? { system: status.inventory } : {}),
    };
    res.json(body);
  });

  app.get(`${API_PREFIX}/series`, read, (_req, res) => {
    const body: SeriesResponse = { series: store.series(), intervalMs: store.intervalMs, windowSeconds: config.sampling.windowSeconds };
    res.json(body);
  });

  app.get(`${API_PREFIX}/latest`, read, (req, res) => {
    const wanted = splitSeriesList(parseQuery(latestQuery, req.query).series);
    const latest = store.latest();
    const body: LatestResponse = { t: latest?.t ?? null, values: {} };
    for (const [id, v] of Object.entries(latest?.values ?? {})) if (wanted.length === 0 || wanted.includes(id)) body.values[id] = v;
    res.json(body);
  });

  const historySchema = historyQuery({ retentionMs: config.sampling.retentionSeconds * 1000, historyMaxPoints: config.limits.historyMaxPoints });
  app.get(`${API_PREFIX}/history`, read, (req, res) => {
    const q = parseQuery(historySchema, req.query);
    const ids = splitSeriesList(q.series);
    const unknown = ids.find((id) => !store.has(id));
    if (unknown !== undefined) return sendError(res, 400, 'unknown_series', `series: unknown series "${unknown.slice(0, 200)}" (see /api/v1/series)`, 'series');
    res.json(store.history(ids, q.from, q.to, q.maxPoints));
  });

  app.get(STREAM_PATH, (req, res) => shared.stream(req, res, req.query as Record<string, unknown>));

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
  app.post(
    `${API_PREFIX}/ingest`,
    ingestAuth,
    json,
    (req: Request, res: Response) => {
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
        byKind = deps.ingest.ingest(records);
      } catch (err) {
        // Nothing of the batch was counted (README "The ledger"): the client sends it again later.
        // The error handler answers the 503.
        if (err instanceof LedgerWriteError) metrics.ingestRejected.inc({ reason: err.code });
        throw err;
      }
      const body: IngestResponse = { accepted: records.length, byKind };
      res.status(202).json(body);
    },
    countBodyError,
  );

  app.use(API_PREFIX, commandRoutes({ commands: deps.commands, ledger: deps.ledger, auth: write, json, streams: deps.streams, runOutputBytes: config.limits.runOutputBytes }));

  // OTLP/HTTP at the standard paths, so OTEL_EXPORTER_OTLP_ENDPOINT=<exporter URL> is all an app sets.
  // The routes read (and bound) their own bodies: gzip is inflated under the same limit.
  if (config.otlp.enabled) app.use(otlpRoutes({ limits: config.limits, otlp: config.otlp, checkToken: check, ingest: deps.ingest, metrics }));

  app.get('/', indexRoute());
  app.use(API_PREFIX, (req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  // Outside the API too: JSON, not express's HTML page.
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path.slice(0, 200)}`));
  app.use(errorHandler((err) => deps.log.error(`unexpected error: ${err instanceof Error ? err.stack : String(err)}`)));
  return app;
}
