/**
 * `GET /metrics` on plain node:http objects (plain-get.ts). Prometheus scrapes it every few
 * seconds for as long as the exporter runs; through Express, every scrape also paid for the
 * router (layer matching, its closures, the request and response extensions), and the
 * keep-alive connection held that request's objects until the next scrape, long enough for V8 to
 * promote them (bench/README.md, change 18).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpositionRegistry } from '../metrics/exposition';
import { ScrapeBodies } from '../metrics/scrape-body';
import { sendUnauthorized } from './auth';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  registry: ExpositionRegistry;
  /** Null when /metrics is public (auth.metricsPublic), else the bearer-token check. */
  checkToken: ((header: string | undefined) => boolean) | null;
}

export function metricsHandler(opts: MetricsRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { registry, checkToken } = opts;
  const bodies = new ScrapeBodies();
  return async (req, res) => {
    if (checkToken && !checkToken(req.headers.authorization)) return sendUnauthorized(res, req.headers.authorization);
    // Each metric's text as kept between scrapes (metrics/exposition.ts), in one reused buffer.
    const body = await registry.metricsParts((e) => bodies.take(e));
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Content-Length', body.length);
    res.end(body, () => bodies.give(body));
  };
}
