/**
 * Reads the committed provisioning files (what Grafana and Prometheus load) for the
 * provisioning tests: dashboards, their queries, alert rules, recording rules.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const ROOT = path.resolve(__dirname, '../..');
export const PROV = path.join(ROOT, 'provisioning');
export const DASHBOARD_DIR = path.join(PROV, 'dashboards/runboard');

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = Record<string, any>;

export function readYaml(file: string): any {
  return YAML.parse(fs.readFileSync(path.resolve(ROOT, file), 'utf8'));
}

export function dashboards(): Array<{ file: string; json: Json }> {
  return fs
    .readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, json: JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, f), 'utf8')) as Json }));
}

/** Every panel, rows' nested panels included. */
export function panels(d: Json): Json[] {
  const out: Json[] = [];
  const walk = (list: Json[] | undefined) => {
    for (const p of list ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export interface DashboardQuery {
  dashboard: string;
  where: string;
  datasource: { type?: string; uid?: string };
  query: Json;
}

/** Every query of a dashboard: panel targets (with the panel's datasource), annotations, variables. */
export function dashboardQueries(d: Json): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of panels(d)) {
    for (const t of p.targets ?? []) {
      out.push({ dashboard: d.uid, where: `panel "${p.title}" ${t.refId}`, datasource: t.datasource ?? p.datasource ?? {}, query: t });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.builtIn) continue;
    out.push({ dashboard: d.uid, where: `annotation "${a.name}"`, datasource: a.datasource ?? {}, query: a.target ?? {} });
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    out.push({ dashboard: d.uid, where: `variable $${v.name}`, datasource: v.datasource ?? {}, query: { variable: typeof v.query === 'string' ? v.query : v.query?.query } });
  }
  return out;
}

/** Every datasource reference anywhere in a JSON document. */
export function datasourceRefs(node: unknown, out: Array<{ type?: string; uid?: string }> = []): Array<{ type?: string; uid?: string }> {
  if (Array.isArray(node)) node.forEach((n) => datasourceRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource' && v && typeof v === 'object') out.push(v as { type?: string; uid?: string });
      datasourceRefs(v, out);
    }
  }
  return out;
}

export function grafanaRules(): Json[] {
  return readYaml('provisioning/alerting/runboard-alert-rules.yml').groups.flatMap((g: Json) => g.rules);
}

export function prometheusAlerts(): Json[] {
  return readYaml('provisioning/prometheus/rules/runboard-alerts.yml').groups.flatMap((g: Json) => g.rules);
}

export function recordingRules(): Json[] {
  return readYaml('provisioning/prometheus/rules/runboard-recording.yml').groups.flatMap((g: Json) => g.rules);
}

/** Values the tests put in for Grafana's template variables and macros. */
export const SUBSTITUTIONS: Array<[RegExp, string]> = [
  [/\$__rate_interval/g, '15s'],
  [/\$__range/g, '1h'],
  [/\$(provider|model|source|action|command)\b/g, '.*'], // the variables' All value (allValue ".*")
];

export function substitute(expr: string): string {
  let out = expr;
  for (const [re, value] of SUBSTITUTIONS) out = out.replace(re, value);
  return out;
}

/** Metric names an expression reads: exporter metrics (runboard_, process_, nodejs_) and `up`. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/(?<![\w:])((?:runboard|process|nodejs)_[A-Za-z0-9_]+)(?![\w:])/g)) names.add(m[1]);
  if (/(?<![\w:])up\{/.test(expr)) names.add('up');
  return [...names];
}

/** Recording-rule names (level:metric:operations) an expression reads. */
export function recordedNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/(?<![\w:])([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)(?![\w:])/g)].map((m) => m[1]))];
}
