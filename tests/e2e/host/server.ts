/**
 * The Grafana test host, for the browser end-to-end tests only.
 *
 * It STANDS IN FOR GRAFANA because no Grafana can run on these machines (no Docker engine, no
 * Debian package, Grafana's server not reachable through the Go module proxy; README "Tests"). It reproduces the parts of
 * Grafana a frontend plugin depends on, and nothing more:
 *
 * - stands in for one Grafana release of the version matrix (legs.ts: 12.4.10 with React 18 at
 *   `/`, or 13.2.3 with React 19 under the sub-path `/grafana`, as `root_url=…/grafana/` with
 *   `serve_from_sub_path` does: the page sets `config.appSubUrl` and `<base href>`, and every URL
 *   outside the sub-path answers 404, so a plugin URL that ignores appSubUrl fails);
 * - serves plugin folders (a built `dist/` with plugin.json and module.js) at
 *   `/public/plugins/<id>/`, as Grafana does;
 * - serves a page (src/main.tsx, built once by build.ts) that loads a plugin's `module.js` like
 *   Grafana's frontend: an AMD loader resolving the plugin's externals from Grafana's shared
 *   modules (React 18, @grafana/data|ui|runtime, rxjs, lodash, @emotion/*) taken from the real
 *   npm packages, with @grafana/runtime's BackendSrv, TemplateSrv and DataSourceSrv wired;
 * - implements Grafana's datasource proxy `/api/datasources/proxy/uid/<uid>/<path>` from the
 *   routes in the built plugin.json (proxy.ts), with the datasource's secureJsonData kept on the
 *   server: the page only ever gets the proxy URL and jsonData;
 * - has a signed-in user whose org role is a host setting (`startHost({ role })`, `setRole()`),
 *   or per page with `?role=Viewer|Editor|Admin`: the page load starts a session (cookie
 *   `grafana_session`) that carries the role to the proxy, as Grafana's session does — and the
 *   proxy strips that cookie before forwarding;
 * - serves the small `/api/...` surface around it: `/api/datasources`, `/api/datasources/uid/<uid>`
 *   (public fields + `secureJsonFields`), `/api/plugins/<id>/settings`, `/api/user`, `/api/health`.
 *
 * Every byte the host exchanges with the browser is scanned for the datasources' secret values
 * (`leaks()`), so a test can prove no secret ever reached the browser.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { currentLeg, type GrafanaLeg } from './legs';
import { proxyRequest, type ProxyDataSource, type ProxyLogEntry } from './proxy';
import type { HostPageConfig, HostPanelConfig, HostQuery, OrgRole, PluginMeta, PublicDataSource, ThemeMode } from './src/types';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The built plugins the host serves by default (folders that may not exist yet). */
export const DEFAULT_PLUGINS: Record<string, string> = {
  'runboard-live-datasource': path.join(REPO_ROOT, 'datasource-plugin/dist'),
  'runboard-console-panel': path.join(REPO_ROOT, 'panel-plugin/dist'),
};

export interface HostDataSource {
  uid: string;
  /** Plugin id. */
  type: string;
  name?: string;
  /** The upstream URL the proxy forwards to (never sent to the browser). */
  url: string;
  jsonData?: Record<string, unknown>;
  /** Secrets: used only by the proxy's header templates. */
  secureJsonData?: Record<string, string>;
  isDefault?: boolean;
}

export interface StartHostOptions {
  datasources: HostDataSource[];
  /** Org role of the signed-in user (default Editor). A page's `?role=` overrides it for that page. */
  role?: OrgRole;
  theme?: ThemeMode;
  /** Plugin id → folder holding its plugin.json and module.js. Default: the repo's built dist/ folders that exist. */
  plugins?: Record<string, string>;
  variables?: Record<string, string | string[]>;
  port?: number;
  /** The Grafana release to stand in for (default: the running Playwright project's leg, legs.ts). */
  leg?: GrafanaLeg;
}

export interface PageOptions {
  role?: OrgRole;
  theme?: ThemeMode;
  /** Datasource uid the page queries (default: the first datasource). */
  datasource?: string;
  queries?: HostQuery[];
  panel?: HostPanelConfig;
  variables?: Record<string, string | string[]>;
  from?: string;
  to?: string;
  /** Render the datasource's QueryEditor rows (default true). */
  queryEditor?: boolean;
}

export interface Leak {
  direction: 'to-browser' | 'from-browser';
  method: string;
  url: string;
  where: 'url' | 'headers' | 'body';
}

export interface RunningHost {
  /** The host's origin. */
  url: string;
  /** Grafana's root URL: the origin plus the leg's sub-path (what `appUrl` is in Grafana, without the trailing slash). */
  appUrl: string;
  leg: GrafanaLeg;
  /** URL of a host page for these options (role, theme, queries, panel, …). */
  pageUrl(opts?: PageOptions): string;
  setRole(role: OrgRole): void;
  /** Changes where a datasource points (e.g. after restarting its upstream on another port). */
  setDataSourceUrl(uid: string, url: string): void;
  /** Every place a datasource secret crossed the host ↔ browser boundary (should stay empty). */
  leaks(): Leak[];
  /** Bytes sent to the browser so far (all responses). */
  bytesToBrowser(): number;
  proxyLog: ProxyLogEntry[];
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.woff2': 'font/woff2',
};

function readPluginMeta(id: string, dir: string): PluginMeta {
  const file = path.join(dir, 'plugin.json');
  const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as PluginMeta;
  if (meta.id !== id) throw new Error(`${file} has id "${meta.id}", expected "${id}"`);
  // As Grafana's frontend settings: where the plugin's files are served.
  meta.baseUrl = `public/plugins/${id}`;
  meta.module = `public/plugins/${id}/module.js`;
  return meta;
}

/** Scans a stream of chunks for secret strings, including across chunk boundaries. */
class SecretScanner {
  private tail = '';
  found = false;
  constructor(private readonly secrets: string[]) {}
  push(chunk: Buffer | string): void {
    if (this.found || this.secrets.length === 0) return;
    const max = Math.max(...this.secrets.map((s) => s.length));
    const text = this.tail + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    if (this.secrets.some((s) => text.includes(s))) this.found = true;
    this.tail = text.slice(-max);
  }
}

function safeJsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const ROLES: OrgRole[] = ['Viewer', 'Editor', 'Admin'];

export async function startHost(opts: StartHostOptions): Promise<RunningHost> {
  const leg = opts.leg ?? currentLeg();
  const { subPath, version: GRAFANA_VERSION } = leg;
  if (!fs.existsSync(path.join(leg.dist, 'host.js'))) throw new Error(`test host page for ${leg.id} is not built: run the Playwright global setup (tests/e2e/host/build.ts)`);
  const GRAFANA_UI_ICONS = path.join(leg.root, 'node_modules/@grafana/ui/dist/public/img/icons');
  const pluginDirs = opts.plugins ?? Object.fromEntries(Object.entries(DEFAULT_PLUGINS).filter(([, dir]) => fs.existsSync(path.join(dir, 'plugin.json'))));
  const plugins: Record<string, PluginMeta> = {};
  for (const [id, dir] of Object.entries(pluginDirs)) plugins[id] = readPluginMeta(id, dir);

  const datasources: Array<ProxyDataSource & { name: string; isDefault: boolean; id: number }> = opts.datasources.map((d, i) => {
    if (!plugins[d.type]) throw new Error(`datasource ${d.uid}: plugin ${d.type} is not installed in the host (built dist/ missing?)`);
    return {
      uid: d.uid,
      type: d.type,
      name: d.name ?? d.uid,
      url: d.url,
      jsonData: d.jsonData ?? {},
      secureJsonData: d.secureJsonData ?? {},
      isDefault: d.isDefault ?? i === 0,
      id: i + 1,
    };
  });
  const secrets = () => datasources.flatMap((d) => Object.values(d.secureJsonData)).filter((s) => s.length >= 6);

  let defaultRole: OrgRole = opts.role ?? 'Editor';
  const sessions = new Map<string, OrgRole>();
  const leaks: Leak[] = [];
  const proxyLog: ProxyLogEntry[] = [];
  let bytesOut = 0;

  const publicDs = (d: (typeof datasources)[number]): PublicDataSource => ({
    id: d.id,
    uid: d.uid,
    type: d.type,
    name: d.name,
    url: `/api/datasources/proxy/uid/${d.uid}`,
    access: 'proxy',
    jsonData: d.jsonData,
    secureJsonFields: Object.fromEntries(Object.keys(d.secureJsonData).map((k) => [k, true])),
    isDefault: d.isDefault,
    readOnly: false,
  });

  const cookieSession = (req: IncomingMessage) => /(?:^|;\s*)grafana_session=([a-f0-9]+)/.exec(req.headers.cookie ?? '')?.[1];
  const roleOf = (req: IncomingMessage): OrgRole => sessions.get(cookieSession(req) ?? '') ?? defaultRole;

  function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
  }

  function serveFile(res: ServerResponse, root: string, rel: string): void {
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return json(res, 404, { message: 'Not found' });
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
  }

  function page(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const parse = <T>(name: string): T | undefined => {
      const raw = q.get(name);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    };
    const roleParam = q.get('role');
    const role: OrgRole = roleParam && (ROLES as string[]).includes(roleParam) ? (roleParam as OrgRole) : defaultRole;
    const theme: ThemeMode = q.get('theme') === 'light' ? 'light' : q.get('theme') === 'dark' ? 'dark' : (opts.theme ?? 'dark');
    const session = randomBytes(16).toString('hex');
    sessions.set(session, role);
    const dsUid = q.get('datasource') ?? datasources[0]?.uid;
    const user = { id: 1, login: role.toLowerCase(), name: `Test ${role}`, orgRole: role };
    const cfg: HostPageConfig = {
      role,
      theme,
      user,
      datasources: datasources.map(publicDs),
      plugins,
      datasource: dsUid,
      queries: parse<HostQuery[]>('queries') ?? [],
      variables: parse<Record<string, string | string[]>>('variables') ?? opts.variables ?? {},
      from: q.get('from') ?? 'now-5m',
      to: q.get('to') ?? 'now',
      panel: parse<HostPanelConfig>('panel'),
      showQueryEditor: q.get('queryEditor') !== '0',
    };
    // What Grafana puts in window.grafanaBootData for @grafana/runtime's `config`.
    const bootData = {
      user: {
        ...user,
        email: `${user.login}@localhost`,
        isSignedIn: true,
        isGrafanaAdmin: role === 'Admin',
        orgId: 1,
        orgName: 'Main Org.',
        orgCount: 1,
        theme,
        timezone: 'browser',
        weekStart: '',
        locale: 'en-US',
        language: 'en-US',
        regionalFormat: 'en-US',
        helpFlags1: 0,
        hasEditPermissionInFolders: role !== 'Viewer',
        permissions: {},
      },
      settings: {
        appUrl: `http://${req.headers.host}${subPath}/`,
        appSubUrl: subPath,
        buildInfo: { version: GRAFANA_VERSION, commit: 'test-host', env: 'production', edition: 'Open Source', buildstamp: 0 },
        datasources: Object.fromEntries(datasources.map((d) => [d.name, { ...publicDs(d), meta: plugins[d.type] }])),
        defaultDatasource: datasources.find((d) => d.isDefault)?.name,
        panels: Object.fromEntries(
          Object.values(plugins)
            .filter((p) => p.type === 'panel')
            .map((p) => [p.id, p]),
        ),
        featureToggles: {},
        minRefreshInterval: '1s',
        liveEnabled: false,
      },
      navTree: [],
      assets: { dark: '', light: '' },
    };
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="${subPath}/">
<title>Runboard test host (stands in for Grafana ${GRAFANA_VERSION})</title>
<script>window.__grafana_public_path__ = ${safeJsonForScript(`${subPath}/public/`)};
window.grafanaBootData = ${safeJsonForScript(bootData)};
window.__hostConfig = ${safeJsonForScript(cfg)};</script>
</head>
<body>
<div id="reactRoot"></div>
<script src="public/build/host.js"></script>
</body>
</html>
`;
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // Grafana's cookie_path is its sub-path.
      'Set-Cookie': `grafana_session=${session}; Path=${subPath || '/'}; HttpOnly; SameSite=Lax`,
    });
    res.end(html);
  }

  function api(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const p = url.pathname;
    const proxy = /^\/api\/datasources\/proxy\/uid\/([^/]+)(?:\/(.*))?$/.exec(p);
    if (proxy) {
      const ds = datasources.find((d) => d.uid === decodeURIComponent(proxy[1]));
      if (!ds) return json(res, 404, { message: 'Unable to find datasource' });
      const proxyPath = proxy[2] ?? '';
      if (proxyPath.split('/').some((seg) => seg === '..' || decodeURIComponent(seg) === '..')) return json(res, 400, { message: 'Invalid proxy path' });
      return proxyRequest(req, res, {
        ds,
        routes: plugins[ds.type].routes,
        proxyPath,
        search: url.search,
        role: roleOf(req),
        login: roleOf(req).toLowerCase(),
        grafanaVersion: GRAFANA_VERSION,
        log: (e) => proxyLog.push(e),
      });
    }
    if (req.method !== 'GET') return json(res, 405, { message: 'Method not allowed in the test host' });
    if (p === '/api/health') return json(res, 200, { database: 'ok', version: GRAFANA_VERSION, commit: 'test-host' });
    if (p === '/api/user') {
      const role = roleOf(req);
      return json(res, 200, { id: 1, login: role.toLowerCase(), name: `Test ${role}`, orgId: 1, isGrafanaAdmin: role === 'Admin' });
    }
    if (p === '/api/datasources') {
      return json(
        res,
        200,
        datasources.map((d) => ({ ...publicDs(d), typeName: plugins[d.type].name, orgId: 1, basicAuth: false })),
      );
    }
    const one = /^\/api\/datasources\/uid\/([^/]+)$/.exec(p);
    if (one) {
      const ds = datasources.find((d) => d.uid === decodeURIComponent(one[1]));
      return ds ? json(res, 200, { ...publicDs(ds), orgId: 1, basicAuth: false, version: 1 }) : json(res, 404, { message: 'Data source not found' });
    }
    const settings = /^\/api\/plugins\/([^/]+)\/settings$/.exec(p);
    if (settings) {
      const meta = plugins[decodeURIComponent(settings[1])];
      return meta ? json(res, 200, { ...meta, enabled: true, pinned: false, jsonData: {} }) : json(res, 404, { message: 'Plugin not found' });
    }
    return json(res, 404, { message: 'Not found' });
  }

  /** Wraps the response so every byte and header sent to the browser is scanned for secrets. */
  function watch(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const all = secrets();
    const reqScan = new SecretScanner(all);
    reqScan.push(url);
    if (reqScan.found) leaks.push({ direction: 'from-browser', method, url, where: 'url' });
    const headerScan = new SecretScanner(all);
    headerScan.push(JSON.stringify(req.headers));
    if (headerScan.found) leaks.push({ direction: 'from-browser', method, url, where: 'headers' });
    const bodyIn = new SecretScanner(all);
    req.on('data', (c: Buffer) => bodyIn.push(c));
    req.on('end', () => bodyIn.found && leaks.push({ direction: 'from-browser', method, url, where: 'body' }));

    const bodyOut = new SecretScanner(all);
    let reported = false;
    const origWrite = res.write.bind(res) as (...a: unknown[]) => boolean;
    const origEnd = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    const origWriteHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    const check = (chunk: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      bytesOut += buf.length;
      bodyOut.push(buf);
      if (bodyOut.found && !reported) {
        reported = true;
        leaks.push({ direction: 'to-browser', method, url, where: 'body' });
      }
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      check(chunk);
      return origWrite(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      check(chunk);
      return origEnd(chunk, ...rest);
    }) as ServerResponse['end'];
    res.writeHead = ((...args: unknown[]) => {
      const scan = new SecretScanner(all);
      scan.push(JSON.stringify(args));
      scan.push(JSON.stringify(res.getHeaders()));
      if (scan.found) leaks.push({ direction: 'to-browser', method, url, where: 'headers' });
      return origWriteHead(...args);
    }) as ServerResponse['writeHead'];
  }

  const server = http.createServer((req, res) => {
    if (subPath) {
      // As Grafana with serve_from_sub_path: only URLs under the sub-path exist; routing sees them without it.
      const raw = req.url ?? '/';
      const rawPath = raw.split('?')[0];
      if (rawPath !== subPath && !rawPath.startsWith(`${subPath}/`)) {
        watch(req, res);
        return json(res, 404, { message: `Not found: ${rawPath} is outside Grafana's sub-path ${subPath}/ (a URL that ignores config.appSubUrl)` });
      }
      req.url = raw.slice(subPath.length) || '/';
      if (req.url.startsWith('?')) req.url = `/${req.url}`;
    }
    watch(req, res);
    const url = new URL(req.url ?? '/', 'http://host');
    try {
      if (url.pathname.startsWith('/api/')) return api(req, res, url);
      // Grafana serves @grafana/ui's icons under public/build/img/icons (and public/img/icons).
      const icon = /^\/public\/(?:build\/)?img\/icons\/(.+)$/.exec(url.pathname);
      if (icon) return serveFile(res, GRAFANA_UI_ICONS, decodeURIComponent(icon[1]));
      if (url.pathname.startsWith('/public/build/')) return serveFile(res, leg.dist, url.pathname.slice('/public/build/'.length));
      const plugin = /^\/public\/plugins\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (plugin) {
        const dir = pluginDirs[plugin[1]];
        return dir ? serveFile(res, path.resolve(dir), decodeURIComponent(plugin[2])) : json(res, 404, { message: 'Plugin not found' });
      }
      // The page lives at `/` only: asset URLs the host does not have (e.g. Grafana's public/fonts)
      // must 404 rather than load the page, which would start a new session.
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) return page(req, res, url);
      return json(res, 404, { message: 'Not found' });
    } catch (err) {
      console.error('[test host]', err);
      if (!res.headersSent) json(res, 500, { message: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    }
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    appUrl: `${base}${subPath}`,
    leg,
    pageUrl(p: PageOptions = {}) {
      const q = new URLSearchParams();
      if (p.role) q.set('role', p.role);
      if (p.theme) q.set('theme', p.theme);
      if (p.datasource) q.set('datasource', p.datasource);
      if (p.queries) q.set('queries', JSON.stringify(p.queries));
      if (p.panel) q.set('panel', JSON.stringify(p.panel));
      if (p.variables) q.set('variables', JSON.stringify(p.variables));
      if (p.from) q.set('from', p.from);
      if (p.to) q.set('to', p.to);
      if (p.queryEditor === false) q.set('queryEditor', '0');
      const s = q.toString();
      return `${base}${subPath}/${s ? `?${s}` : ''}`;
    },
    setRole(role: OrgRole) {
      defaultRole = role;
    },
    setDataSourceUrl(uid: string, url: string) {
      const ds = datasources.find((d) => d.uid === uid);
      if (!ds) throw new Error(`no datasource ${uid}`);
      ds.url = url;
    },
    leaks: () => [...leaks],
    bytesToBrowser: () => bytesOut,
    proxyLog,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
