/**
 * The contract between the test host's server (Node) and its page (browser). The server inlines
 * a `HostPageConfig` into every page it serves; nothing secret is ever part of it.
 */

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';
export type ThemeMode = 'light' | 'dark';

/** Public part of a datasource instance: what Grafana sends to the browser (no secureJsonData). */
export interface PublicDataSource {
  id: number;
  uid: string;
  type: string;
  name: string;
  /** Grafana's datasource proxy URL for this instance. */
  url: string;
  access: 'proxy';
  jsonData: Record<string, unknown>;
  /** Which secure fields are set (Grafana sends only the names, never the values). */
  secureJsonFields: Record<string, boolean>;
  isDefault: boolean;
  readOnly: boolean;
}

/** One query row in the host page. Anything the plugin's query type needs besides refId. */
export interface HostQuery {
  refId: string;
  [key: string]: unknown;
}

export interface HostPanelConfig {
  /** Plugin id of the panel to render (e.g. runboard-console-panel). */
  type: string;
  title?: string;
  options?: Record<string, unknown>;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  width?: number;
  height?: number;
}

export interface HostPageConfig {
  role: OrgRole;
  theme: ThemeMode;
  user: { id: number; login: string; name: string; orgRole: OrgRole };
  datasources: PublicDataSource[];
  /** plugin.json of every plugin the host serves, by id (`meta` in Grafana terms). */
  plugins: Record<string, PluginMeta>;
  /** Uid of the datasource the page queries. */
  datasource: string;
  queries: HostQuery[];
  /** Dashboard variables for setTemplateSrv: name → value or values. */
  variables: Record<string, string | string[]>;
  /** Relative time range of the page's queries, e.g. 'now-5m'. */
  from: string;
  to: string;
  /** Panel plugin to render with the query results; without it the host shows its value table. */
  panel?: HostPanelConfig;
  /** Whether to render the datasource's QueryEditor for each query. */
  showQueryEditor: boolean;
}

export interface PluginRouteHeader {
  name: string;
  content: string;
}

export interface PluginRoute {
  path: string;
  method?: string;
  reqRole?: string;
  url?: string;
  headers?: PluginRouteHeader[];
  urlParams?: PluginRouteHeader[];
  body?: unknown;
}

export interface PluginMeta {
  id: string;
  type: 'datasource' | 'panel' | 'app';
  name: string;
  info: Record<string, unknown> & { version?: string };
  routes?: PluginRoute[];
  /** Added by the host, as Grafana does: where the plugin's files are served. */
  baseUrl: string;
  module: string;
  [key: string]: unknown;
}
