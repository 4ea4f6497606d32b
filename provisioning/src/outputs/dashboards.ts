/** Builds the dashboards and turns them into the JSON Grafana provisions. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { actionsEvents } from '../dashboards/actions-events';
import { aiCost } from '../dashboards/ai-cost';
import { commandCenter } from '../dashboards/command-center';
import { exporterHealth } from '../dashboards/exporter-health';
import { overview } from '../dashboards/overview';

export const DASHBOARD_DIR = 'provisioning/dashboards/runboard';

export const DASHBOARDS: Array<() => dashboard.DashboardBuilder> = [overview, aiCost, actionsEvents, commandCenter, exporterHealth];

type Json = Record<string, unknown>;

/** Panel ids in layout order (rows included), and annotation toggles shown above the dashboard. */
export function finalizeDashboard(d: dashboard.Dashboard): Json {
  const json = JSON.parse(JSON.stringify(d)) as Json;
  let id = 0;
  const number = (panels: Json[] | undefined) => {
    for (const p of panels ?? []) {
      p.id = ++id;
      number(p.panels as Json[] | undefined);
    }
  };
  number(json.panels as Json[]);
  json.templating = { list: (json.templating as { list?: Json[] } | undefined)?.list ?? [] };
  json.annotations = { list: (json.annotations as { list?: Json[] } | undefined)?.list ?? [] };
  // Annotation toggles shown above the panels, not folded into the controls menu.
  for (const a of (json.annotations as { list: Json[] }).list) delete a.placement;
  return json;
}

export function dashboardFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const make of DASHBOARDS) {
    const json = finalizeDashboard(make().build());
    files[`${DASHBOARD_DIR}/${json.uid as string}.json`] = JSON.stringify(json, null, 2) + '\n';
  }
  return files;
}
