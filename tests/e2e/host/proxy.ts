/**
 * The test host's copy of Grafana's datasource proxy (`/api/datasources/proxy/uid/<uid>/<path>`),
 * after pkg/api/pluginproxy/ds_proxy.go, ds_auth_provider.go (ApplyRoute), utils.go and
 * pkg/util/proxyutil:
 *
 * - Route choice (validateRequest): routes are tried in plugin.json order; the first whose
 *   `method` is empty, `*` or equal to the request method AND whose `path` is a prefix of the
 *   proxy path wins. If that route's `reqRole` is above the user's role the request is refused
 *   with 403 `{"message":"plugin proxy route access denied"}`, never tried against later routes.
 * - Target: the datasource URL's path joined with the full proxy path; a matched route with `url`
 *   replaces scheme/host and the route's path prefix instead. Query string kept as sent.
 * - Request headers: hop-by-hop headers and Cookie (unless jsonData.keepCookies) removed,
 *   Origin/Referer removed (Referer kept as X-Grafana-Referer), X-Forwarded-Host/Port/Proto
 *   removed, X-Forwarded-For appended, X-Grafana-User removed and, as with Grafana's
 *   `[dataproxy] send_user_header = true` (the compose stack's setting), set to the signed-in
 *   user's login, User-Agent `Grafana/<version>`,
 *   X-DS-Authorization becomes Authorization; then the route's `headers` are rendered from
 *   `{{ .SecureJsonData.x }}` / `{{ .JsonData.x }}` templates (server side only) and set, its
 *   `urlParams` added and `body` template applied.
 * - Response: Set-Cookie removed, `Content-Security-Policy: sandbox` added, body streamed through
 *   (each chunk written at once, so text/event-stream flows live); an upstream 401 becomes a 400
 *   whose body is the plain text `Authentication to data source failed` (so Grafana does not log
 *   the user out); upstream unreachable → 502, no response headers within the data proxy timeout
 *   (30 s) → 504.
 * - A request that matches no route is forwarded to the datasource URL without any route headers
 *   (so without the token).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OrgRole, PluginRoute } from './src/types';

export interface ProxyDataSource {
  uid: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export interface ProxyLogEntry {
  time: number;
  method: string;
  proxyPath: string;
  role: OrgRole;
  /** Path of the matched route, null when none matched. */
  route: string | null;
  denied: boolean;
  target?: string;
  status?: number;
  /** Names of the headers sent upstream (values are not kept: they may be secret). */
  upstreamHeaders?: string[];
}

const ROLE_RANK: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

export function isValidRole(role: string | undefined): role is OrgRole | 'None' {
  return role !== undefined && role in ROLE_RANK;
}

/** Grafana's `HasUserRole`: Admin includes Editor includes Viewer. */
export function hasRole(user: OrgRole, required: string): boolean {
  return ROLE_RANK[user] >= ROLE_RANK[required];
}

export type RouteMatch = { route: PluginRoute; denied: false } | { route: PluginRoute; denied: true } | { route: null; denied: false };

/** Grafana's validateRequest route loop: first method + path-prefix match decides. */
export function matchRoute(routes: PluginRoute[] | undefined, method: string, proxyPath: string, role: OrgRole): RouteMatch {
  for (const route of routes ?? []) {
    if (route.method && route.method !== '*' && route.method !== method) continue;
    if (!proxyPath.startsWith(route.path)) continue;
    if (isValidRole(route.reqRole) && !hasRole(role, route.reqRole)) return { route, denied: true };
    return { route, denied: false };
  }
  return { route: null, denied: false };
}

export class TemplateError extends Error {}

/**
 * Renders the Go text/template subset plugin routes use: `{{ .SecureJsonData.key }}`,
 * `{{ .JsonData.a.b }}`, optionally piped to `orEmpty`. A missing key prints `<no value>` as Go's
 * templates do on maps; anything else is an error (Grafana logs it and skips the header).
 */
export function renderTemplate(text: string, data: { JsonData: Record<string, unknown>; SecureJsonData: Record<string, string> }): string {
  return text.replace(/{{-?\s*(.*?)\s*-?}}/g, (_m, action: string) => {
    const m = /^\.(JsonData|SecureJsonData)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(\s*\|\s*orEmpty)?$/.exec(action);
    if (!m) throw new TemplateError(`unsupported template action {{ ${action} }}`);
    let value: unknown = data[m[1] as 'JsonData' | 'SecureJsonData'];
    for (const key of m[2].slice(1).split('.')) {
      value = value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
      if (value === undefined) break;
    }
    if (value === undefined || value === null) return m[3] ? '' : '<no value>';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** Go's util.JoinURLFragments. */
export function joinURLFragments(a: string, b: string): string {
  if (b.length === 0) return a;
  const aslash = a.endsWith('/');
  const bslash = b.startsWith('/');
  if (aslash && bslash) return a + b.slice(1);
  if (!aslash && !bslash) return `${a}/${b}`;
  return a + b;
}

const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

function stripHopByHop(headers: Record<string, string | string[] | undefined>): void {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const h of [...HOP_BY_HOP, ...listed]) delete headers[h];
}

function keptCookies(cookieHeader: string | undefined, keep: unknown): string | undefined {
  if (!cookieHeader || !Array.isArray(keep) || keep.length === 0) return undefined;
  const names = keep.map(String);
  const kept = cookieHeader
    .split(';')
    .map((c) => c.trim())
    .filter((c) => {
      const name = c.split('=')[0];
      return names.some((k) => k === '[]' || (k.endsWith('[]') ? name.startsWith(k.slice(0, -2)) : name === k));
    })
    .sort();
  return kept.length ? kept.join('; ') : undefined;
}

export interface ProxyOptions {
  ds: ProxyDataSource;
  routes: PluginRoute[] | undefined;
  proxyPath: string;
  search: string;
  role: OrgRole;
  /** The signed-in user's login, sent as X-Grafana-User (send_user_header); none when absent. */
  login?: string;
  grafanaVersion: string;
  log: (entry: ProxyLogEntry) => void;
  /** Grafana's dataproxy timeout: how long to wait for the upstream's response headers. */
  timeoutMs?: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function proxyRequest(req: IncomingMessage, res: ServerResponse, opts: ProxyOptions): void {
  const { ds, proxyPath, role } = opts;
  const method = req.method ?? 'GET';
  const entry: ProxyLogEntry = { time: Date.now(), method, proxyPath, role, route: null, denied: false };
  opts.log(entry);

  const match = matchRoute(opts.routes, method, proxyPath, role);
  entry.route = match.route?.path ?? null;
  if (match.denied) {
    entry.denied = true;
    entry.status = 403;
    sendJson(res, 403, { message: 'plugin proxy route access denied' });
    return;
  }

  let base: URL;
  try {
    base = new URL(ds.url);
  } catch {
    entry.status = 400;
    sendJson(res, 400, { message: 'Invalid data source URL' });
    return;
  }
  const data = { JsonData: ds.jsonData, SecureJsonData: ds.secureJsonData };
  let target = new URL(base.origin);
  target.pathname = joinURLFragments(base.pathname, proxyPath);
  target.search = opts.search;

  const headers: Record<string, string | string[] | undefined> = { ...(req.headers as IncomingHttpHeaders) };
  stripHopByHop(headers);
  const keep = keptCookies(req.headers.cookie, ds.jsonData.keepCookies);
  delete headers.cookie;
  if (keep) headers.cookie = keep;
  headers['x-grafana-referer'] = req.headers.referer ?? '';
  delete headers.origin;
  delete headers.referer;
  delete headers['x-forwarded-host'];
  delete headers['x-forwarded-port'];
  delete headers['x-forwarded-proto'];
  delete headers['x-grafana-user'];
  if (opts.login) headers['x-grafana-user'] = opts.login;
  const remote = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${remote}` : remote;
  headers['user-agent'] = `Grafana/${opts.grafanaVersion}`;
  const dsAuth = req.headers['x-ds-authorization'];
  if (typeof dsAuth === 'string' && dsAuth.length > 0) {
    delete headers['x-ds-authorization'];
    headers.authorization = dsAuth;
  }

  let routeBody: string | undefined;
  if (match.route) {
    const route = match.route;
    if (route.url) {
      try {
        const routeUrl = new URL(renderTemplate(route.url, data));
        const rest = proxyPath.startsWith(route.path) ? proxyPath.slice(route.path.length) : proxyPath;
        target = new URL(routeUrl.origin);
        target.pathname = joinURLFragments(routeUrl.pathname, rest);
        target.search = opts.search;
      } catch (err) {
        console.error(`[test host] error interpolating route url: ${(err as Error).message}`);
      }
    }
    try {
      for (const p of route.urlParams ?? []) target.searchParams.append(renderTemplate(p.name, data), renderTemplate(p.content, data));
      if (route.urlParams?.length) target.searchParams.sort();
    } catch (err) {
      console.error(`[test host] failed to render plugin URL query string: ${(err as Error).message}`);
    }
    try {
      for (const h of route.headers ?? []) headers[h.name.toLowerCase()] = renderTemplate(h.content, data);
    } catch (err) {
      console.error(`[test host] failed to render plugin headers: ${(err as Error).message}`);
    }
    if (route.body !== undefined && route.body !== null) {
      routeBody = renderTemplate(typeof route.body === 'string' ? route.body : JSON.stringify(route.body), data);
      headers['content-length'] = String(Buffer.byteLength(routeBody));
    }
  }
  headers.host = target.host;
  entry.target = `${target.origin}${target.pathname}`;
  entry.upstreamHeaders = Object.keys(headers).sort();

  let answered = false;
  const upstream = http.request(target, { method, headers: headers as http.OutgoingHttpHeaders }, (up) => {
    clearTimeout(timer);
    answered = true;
    entry.status = up.statusCode;
    if (up.statusCode === 401) {
      // The data source rejected the request: 400 so the Grafana user is not logged out.
      up.resume();
      entry.status = 400;
      const msg = 'Authentication to data source failed';
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(msg), 'Content-Security-Policy': 'sandbox' });
      res.end(msg);
      return;
    }
    const out: Record<string, string | string[] | undefined> = { ...up.headers };
    stripHopByHop(out);
    delete out['set-cookie'];
    out['content-security-policy'] = 'sandbox';
    res.writeHead(up.statusCode ?? 502, out as http.OutgoingHttpHeaders);
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    up.on('data', (chunk: Buffer) => res.write(chunk));
    up.on('end', () => res.end());
    up.on('error', () => res.destroy());
    up.on('aborted', () => res.destroy());
  });
  const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), opts.timeoutMs ?? 30_000);
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (answered || res.headersSent) {
      res.destroy();
      return;
    }
    entry.status = err.code === 'ETIMEDOUT' ? 504 : 502;
    res.writeHead(entry.status, { 'Content-Length': 0 });
    res.end();
  });
  // The browser went away (e.g. an EventSource closed by the query's teardown): stop upstream.
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) upstream.destroy();
  });
  if (routeBody !== undefined) {
    req.resume();
    upstream.end(routeBody);
  } else {
    req.pipe(upstream);
  }
}
