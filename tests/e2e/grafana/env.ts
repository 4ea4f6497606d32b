/**
 * Settings of the real-Grafana specs (the compose stack: `npm run stack`, then
 * `GRAFANA_URL=http://localhost:3000 npx playwright test --project=grafana`). Every spec skips
 * when GRAFANA_URL is unset; nothing else makes them skip.
 */
export const GRAFANA_URL = process.env.GRAFANA_URL;
export const SKIP_REASON = 'needs a real Grafana: set GRAFANA_URL (docker compose up)';

export const PLUGIN_ID = 'runboard-live-datasource';
/** The provisioned datasource (provisioning/datasources/runboard.yml). */
export const DS_UID = 'runboard';
export const DS_NAME = 'Runboard';
/** The exporter's API token: the compose stack's .env RUNBOARD_API_TOKEN. */
export const TOKEN = process.env.RUNBOARD_API_TOKEN;
/** The exporter as Grafana's server reaches it (compose service name). */
export const EXPORTER_URL_FROM_GRAFANA = process.env.RUNBOARD_EXPORTER_URL_FROM_GRAFANA ?? 'http://exporter:9477';
export const ADMIN = { user: process.env.GRAFANA_ADMIN_USER || 'admin', password: process.env.GRAFANA_ADMIN_PASSWORD || 'admin' };

export const SERIES = ['system_memory_used_bytes', 'actions_per_minute'];

/** An Explore URL whose single pane runs `queries` on the Runboard datasource. */
export function exploreUrl(queries: Array<Record<string, unknown>>, range = { from: 'now-5m', to: 'now' }): string {
  const panes = {
    rb: {
      datasource: DS_UID,
      queries: queries.map((q) => ({ datasource: { type: PLUGIN_ID, uid: DS_UID }, ...q })),
      range,
    },
  };
  return `/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

export const proxyPath = (uid: string, api: string) => `/api/datasources/proxy/uid/${uid}/api/v1/${api}`;
