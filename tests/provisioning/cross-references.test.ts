/**
 * The committed Grafana provisioning files against Grafana's documented file-provisioning formats
 * and against each other: datasources (and the plugin ids they name), the dashboards provider and
 * every dashboard's datasource references and panel types, alert rules (required fields, refIds,
 * datasource uids), and notifications (contact points ↔ policies ↔ mute timings ↔ rule labels).
 * Grafana reads these only when the stack starts, where a broken reference shows up as a
 * "datasource not found" panel or an alert that never notifies; here it fails with file and path.
 * Each validator returns its findings, so one mutated copy per family proves it can fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROV, ROOT, readYaml, type Json } from './provisioning-files';

/** Grafana's uid rule: at most 40 letters, digits, - and _. */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;
const DURATION = /^(\d+[smhdw])+$/;
/** The panels Grafana ships (plus row); the Angular `graph` and `table-old` are gone since Grafana 12. */
const CORE_PANELS = new Set([
  'alertlist',
  'annolist',
  'barchart',
  'bargauge',
  'candlestick',
  'canvas',
  'dashlist',
  'datagrid',
  'debug',
  'flamegraph',
  'gauge',
  'geomap',
  'gettingstarted',
  'heatmap',
  'histogram',
  'live',
  'logs',
  'news',
  'nodeGraph',
  'piechart',
  'row',
  'stat',
  'state-timeline',
  'status-history',
  'table',
  'text',
  'timeseries',
  'traces',
  'trend',
  'welcome',
  'xychart',
]);
/** Datasources every Grafana has without provisioning, by uid, with the types it gives them. */
const BUILT_IN: Record<string, string[]> = {
  grafana: ['grafana', 'datasource'],
  '-- Grafana --': ['grafana', 'datasource'],
  '-- Mixed --': ['datasource', 'mixed'],
  '-- Dashboard --': ['datasource', 'dashboard'],
  __expr__: ['__expr__'],
};
const EXPR = '__expr__';
const EXPRESSION_TYPES = new Set(['math', 'reduce', 'resample', 'threshold', 'classic_conditions', 'sql']);
/** Labels Grafana adds to every Grafana-managed alert, so policies may match or group by them. */
const GRAFANA_LABELS = new Set(['alertname', 'grafana_folder', '...']);

interface Doc {
  file: string; // relative to the repository root
  doc: Json;
}

interface Stack {
  datasources: Doc[];
  providers: Doc[];
  dashboards: Doc[];
  alerting: Doc[];
  compose: Json;
  plugins: { datasource: Json; panel: Json };
}

const rel = (abs: string) => path.relative(ROOT, abs).split(path.sep).join('/');

function yamlDocs(dir: string): Doc[] {
  return fs
    .readdirSync(path.join(PROV, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ file: `provisioning/${dir}/${f}`, doc: readYaml(`provisioning/${dir}/${f}`) }));
}

function jsonFilesUnder(abs: string): string[] {
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? jsonFilesUnder(path.join(abs, e.name)) : e.name.endsWith('.json') ? [path.join(abs, e.name)] : []))
    .sort();
}

function loadStack(): Stack {
  const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Json;
  return {
    datasources: yamlDocs('datasources'),
    providers: yamlDocs('dashboards'),
    dashboards: jsonFilesUnder(path.join(PROV, 'dashboards')).map((abs) => ({ file: rel(abs), doc: JSON.parse(fs.readFileSync(abs, 'utf8')) as Json })),
    alerting: yamlDocs('alerting'),
    compose: readYaml('docker-compose.yml'),
    plugins: { datasource: readJson('datasource-plugin/src/plugin.json'), panel: readJson('panel-plugin/src/plugin.json') },
  };
}

function provisionedDatasources(s: Stack): Json[] {
  return s.datasources.flatMap((d) => d.doc.datasources ?? []);
}

function duplicates(values: unknown[]): unknown[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

const isInt = (v: unknown) => Number.isInteger(v);
const isName = (v: unknown) => typeof v === 'string' && v.trim() !== '';

// ---------------------------------------------------------------- datasources

function validateDatasources(s: Stack): string[] {
  const problems: string[] = [];
  for (const { file, doc } of s.datasources) {
    if (doc.apiVersion !== 1) problems.push(`${file}: apiVersion is ${JSON.stringify(doc.apiVersion)}, not 1`);
    (doc.deleteDatasources ?? []).forEach((d: Json, i: number) => {
      if (!isName(d.name)) problems.push(`${file}: deleteDatasources[${i}].name is missing`);
    });
    (doc.datasources ?? []).forEach((d: Json, i: number) => {
      const at = `${file}: datasources[${i}]`;
      for (const key of ['name', 'type']) if (!isName(d[key])) problems.push(`${at}.${key} is missing`);
      if (typeof d.uid !== 'string' || !UID.test(d.uid)) problems.push(`${at}.uid ${JSON.stringify(d.uid)} is not a Grafana uid`);
      if (d.access !== 'proxy' && d.access !== 'direct') problems.push(`${at}.access ${JSON.stringify(d.access)} is neither proxy nor direct`);
      if (typeof d.url !== 'string' || !URL.canParse(d.url)) problems.push(`${at}.url ${JSON.stringify(d.url)} is not a URL`);
      if (d.orgId !== undefined && !isInt(d.orgId)) problems.push(`${at}.orgId is not an integer`);
    });
  }
  const all = provisionedDatasources(s);
  const where = s.datasources.map((d) => d.file).join(', ');
  for (const key of ['name', 'uid']) {
    for (const dup of duplicates(all.map((d) => `${d.orgId ?? 1}/${d[key]}`))) problems.push(`${where}: datasource ${key} ${dup} (org/${key}) is provisioned twice`);
  }
  for (const dup of duplicates(all.filter((d) => d.isDefault).map((d) => d.orgId ?? 1))) problems.push(`${where}: org ${dup} has more than one isDefault datasource`);
  const runboard = all.filter((d) => d.name === 'Runboard');
  if (runboard.length !== 1) problems.push(`${where}: no datasource named Runboard`);
  for (const d of runboard) {
    if (d.type !== s.plugins.datasource.id) problems.push(`${where}: Runboard's type ${d.type} is not datasource-plugin/src/plugin.json id ${s.plugins.datasource.id}`);
  }
  return problems;
}

// ----------------------------------------------------------------- dashboards

/** Host directory a container path of the grafana service comes from (docker-compose.yml volumes). */
function hostPath(s: Stack, containerPath: string): string | undefined {
  for (const v of s.compose.services?.grafana?.volumes ?? []) {
    if (typeof v !== 'string' || !v.startsWith('./')) continue;
    const [host, target] = v.split(':');
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return path.join(ROOT, host, containerPath.slice(target.length));
  }
  return undefined;
}

function validateProviders(s: Stack): string[] {
  const problems: string[] = [];
  const served = new Set<string>();
  for (const { file, doc } of s.providers) {
    if (doc.apiVersion !== 1) problems.push(`${file}: apiVersion is ${JSON.stringify(doc.apiVersion)}, not 1`);
    (doc.providers ?? []).forEach((p: Json, i: number) => {
      const at = `${file}: providers[${i}]`;
      if (!isName(p.name)) problems.push(`${at}.name is missing`);
      if ((p.type ?? 'file') !== 'file') problems.push(`${at}.type ${p.type} is not file`);
      const host = typeof p.options?.path === 'string' ? hostPath(s, p.options.path) : undefined;
      const files = host ? jsonFilesUnder(host) : [];
      if (files.length === 0) problems.push(`${at}.options.path ${JSON.stringify(p.options?.path)} is no directory of dashboard JSON that docker-compose.yml mounts into grafana`);
      files.forEach((f) => served.add(rel(f)));
    });
  }
  for (const d of s.dashboards) if (!served.has(d.file)) problems.push(`${d.file}: no dashboards provider path reaches it`);
  const home = s.compose.services?.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  if (home !== undefined) {
    const host = hostPath(s, home);
    if (!host || !s.dashboards.some((d) => d.file === rel(host))) {
      problems.push(`docker-compose.yml: GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ${home} is not a provisioned dashboard`);
    }
  }
  return problems;
}

/** Every `datasource` value in a dashboard, with its JSON path. */
function datasourceRefsWithPath(node: unknown, at: string, out: Array<{ at: string; ref: unknown }> = []): Array<{ at: string; ref: unknown }> {
  if (Array.isArray(node)) node.forEach((n, i) => datasourceRefsWithPath(n, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource' && v !== null) out.push({ at: `${at}.${k}`, ref: v });
      datasourceRefsWithPath(v, `${at}.${k}`, out);
    }
  }
  return out;
}

function panelsWithPath(d: Json): Array<{ at: string; panel: Json }> {
  const out: Array<{ at: string; panel: Json }> = [];
  const walk = (list: Json[] | undefined, at: string) =>
    (list ?? []).forEach((p, i) => {
      out.push({ at: `${at}[${i}]`, panel: p });
      walk(p.panels, `${at}[${i}].panels`);
    });
  walk(d.panels, '$.panels');
  return out;
}

function validateDashboards(s: Stack): string[] {
  const problems: string[] = [];
  const provisioned = provisionedDatasources(s);
  const types = new Set(provisioned.map((d) => d.type));
  const panelTypes = new Set([...CORE_PANELS, s.plugins.panel.id]);
  for (const { file, doc } of s.dashboards) {
    if (typeof doc.uid !== 'string' || !UID.test(doc.uid)) problems.push(`${file}: $.uid ${JSON.stringify(doc.uid)} is not a Grafana uid`);
    if (!isName(doc.title)) problems.push(`${file}: $.title is missing`);
    // Datasource variables name a plugin type in `query`; ${name} then stands for a datasource of it.
    const dsVars = new Map<string, string>((doc.templating?.list ?? []).filter((v: Json) => v.type === 'datasource').map((v: Json) => [v.name, v.query]));
    for (const { at, ref } of datasourceRefsWithPath(doc, '$')) {
      const r: Json = typeof ref === 'string' ? { uid: ref } : (ref as Json);
      const uid = r.uid;
      const variable = typeof uid === 'string' ? /^\$\{?([\w]+)(?::\w+)?\}?$|^\[\[(\w+)\]\]$/.exec(uid) : null;
      if (typeof uid !== 'string' || uid === '') {
        problems.push(`${file}: ${at} has no uid (Grafana would pick the default datasource)`);
      } else if (variable) {
        const name = variable[1] ?? variable[2];
        const type = dsVars.get(name);
        if (type === undefined) problems.push(`${file}: ${at}.uid ${uid} is no datasource variable of the dashboard`);
        else if (!types.has(type)) problems.push(`${file}: ${at}.uid ${uid} selects ${type} datasources, none of which is provisioned`);
        else if (r.type !== undefined && r.type !== type) problems.push(`${file}: ${at}.type ${r.type} is not ${type}, the type $${name} selects`);
      } else if (BUILT_IN[uid]) {
        if (r.type !== undefined && !BUILT_IN[uid].includes(r.type)) problems.push(`${file}: ${at}.type ${r.type} is not the type of Grafana's built-in ${uid}`);
      } else {
        const ds = provisioned.find((d) => d.uid === uid);
        if (!ds) problems.push(`${file}: ${at}.uid ${uid} is not a provisioned datasource`);
        else if (r.type !== undefined && r.type !== ds.type) problems.push(`${file}: ${at}.type ${r.type} is not ${ds.type}, the type of datasource ${uid}`);
      }
    }
    for (const { at, panel } of panelsWithPath(doc)) {
      if (panel.libraryPanel) continue; // the library panel carries the type
      if (!panelTypes.has(panel.type)) problems.push(`${file}: ${at}.type ${JSON.stringify(panel.type)} is neither a core Grafana panel nor ${s.plugins.panel.id}`);
    }
  }
  for (const dup of duplicates(s.dashboards.map((d) => d.doc.uid))) {
    problems.push(
      `${s.dashboards
        .filter((d) => d.doc.uid === dup)
        .map((d) => d.file)
        .join(', ')}: dashboard uid ${dup} is used twice`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------- alert rules

function rulesWithPath(s: Stack): Array<{ file: string; at: string; rule: Json }> {
  return s.alerting.flatMap(({ file, doc }) =>
    (doc.groups ?? []).flatMap((g: Json, gi: number) => (g.rules ?? []).map((rule: Json, ri: number) => ({ file, at: `groups[${gi}].rules[${ri}]`, rule }))),
  );
}

function validateAlertRules(s: Stack): string[] {
  const problems: string[] = [];
  const provisioned = provisionedDatasources(s);
  const ours: Record<string, Json> = { [s.plugins.datasource.id]: s.plugins.datasource };
  for (const { file, doc } of s.alerting.filter((d) => d.doc.groups)) {
    if (doc.apiVersion !== 1) problems.push(`${file}: apiVersion is ${JSON.stringify(doc.apiVersion)}, not 1`);
    doc.groups.forEach((g: Json, i: number) => {
      const at = `${file}: groups[${i}]`;
      if (!isInt(g.orgId)) problems.push(`${at}.orgId is not an integer`);
      for (const key of ['name', 'folder']) if (!isName(g[key])) problems.push(`${at}.${key} is missing`);
      // Grafana's scheduler ticks every 10s; a group interval must be a multiple of it.
      const seconds = typeof g.interval === 'string' && DURATION.test(g.interval) ? durationSeconds(g.interval) : NaN;
      if (!(seconds > 0 && seconds % 10 === 0)) problems.push(`${at}.interval ${JSON.stringify(g.interval)} is not a multiple of 10s`);
      if (!Array.isArray(g.rules) || g.rules.length === 0) problems.push(`${at}.rules is empty`);
    });
  }
  const rules = rulesWithPath(s);
  for (const { file, at: ruleAt, rule: r } of rules) {
    const at = `${file}: ${ruleAt}`;
    if (typeof r.uid !== 'string' || !UID.test(r.uid)) problems.push(`${at}.uid ${JSON.stringify(r.uid)} is not a Grafana uid`);
    for (const key of ['title', 'condition']) if (!isName(r[key])) problems.push(`${at}.${key} is missing`);
    if (typeof r.for !== 'string' || !DURATION.test(r.for)) problems.push(`${at}.for ${JSON.stringify(r.for)} is not a duration`);
    if (r.noDataState !== undefined && !['NoData', 'Alerting', 'OK', 'KeepLast'].includes(r.noDataState)) problems.push(`${at}.noDataState ${r.noDataState}`);
    if (r.execErrState !== undefined && !['Error', 'Alerting', 'OK', 'KeepLast'].includes(r.execErrState)) problems.push(`${at}.execErrState ${r.execErrState}`);
    if (!Array.isArray(r.data) || r.data.length === 0) {
      problems.push(`${at}.data is empty`);
      continue;
    }
    const refIds: string[] = r.data.map((q: Json) => q.refId);
    for (const dup of duplicates(refIds)) problems.push(`${at}.data refId ${dup} is used twice`);
    r.data.forEach((q: Json, i: number) => {
      const qAt = `${at}.data[${i}]`;
      if (!isName(q.refId)) problems.push(`${qAt}.refId is missing`);
      if (!q.model || typeof q.model !== 'object') problems.push(`${qAt}.model is missing`);
      if (q.model?.refId !== undefined && q.model.refId !== q.refId) problems.push(`${qAt}.model.refId ${q.model.refId} is not ${q.refId}`);
      if (q.model?.datasource?.uid !== undefined && q.model.datasource.uid !== q.datasourceUid) {
        problems.push(`${qAt}.model.datasource.uid ${q.model.datasource.uid} is not ${q.datasourceUid}`);
      }
      if (q.datasourceUid === EXPR) {
        const m = q.model ?? {};
        if (!EXPRESSION_TYPES.has(m.type)) problems.push(`${qAt}.model.type ${JSON.stringify(m.type)} is not a server-side expression`);
        const inputs =
          m.type === 'math'
            ? [...String(m.expression ?? '').matchAll(/\$\{?(\w+)\}?/g)].map((x) => x[1])
            : m.type === 'classic_conditions' || m.type === 'sql'
              ? []
              : [m.expression];
        for (const input of inputs) {
          if (!refIds.includes(input) || input === q.refId) problems.push(`${qAt}.model.expression ${JSON.stringify(input)} is no other refId of the rule`);
        }
        return;
      }
      const ds = provisioned.find((d) => d.uid === q.datasourceUid);
      if (!ds) {
        problems.push(`${qAt}.datasourceUid ${JSON.stringify(q.datasourceUid)} is neither a provisioned datasource nor ${EXPR}`);
        return;
      }
      // Grafana evaluates rules on the server: a datasource of this repo must declare it can.
      const plugin = ours[ds.type];
      if (plugin && !(plugin.backend && plugin.alerting)) {
        problems.push(`${qAt}.datasourceUid ${ds.uid} is a ${ds.type} datasource, whose plugin.json does not declare backend alerting`);
      }
      const range = q.relativeTimeRange;
      if (!range || !isInt(range.from) || !isInt(range.to) || !(range.from > range.to && range.to >= 0)) {
        problems.push(`${qAt}.relativeTimeRange ${JSON.stringify(range)} is not a past window`);
      }
    });
    if (isName(r.condition) && !refIds.includes(r.condition)) problems.push(`${at}.condition ${r.condition} is no refId of the rule's data`);
  }
  for (const dup of duplicates(rules.map((r) => r.rule.uid))) {
    const where = rules.filter((r) => r.rule.uid === dup).map((r) => `${r.file}: ${r.at}`);
    problems.push(`${where.join(', ')}: rule uid ${dup} is used twice`);
  }
  return problems;
}

function durationSeconds(d: string): number {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return [...d.matchAll(/(\d+)([smhdw])/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

// -------------------------------------------------------------- notifications

function routesWithPath(policy: Json, at: string): Array<{ at: string; route: Json }> {
  return [{ at, route: policy }, ...(policy.routes ?? []).flatMap((r: Json, i: number) => routesWithPath(r, `${at}.routes[${i}]`))];
}

/** A policy's matchers as [label, op, value]: object_matchers as they are, `matchers` strings parsed. */
function matchersOf(route: Json): string[][] {
  const parsed = (route.matchers ?? []).map((m: string) => {
    const x = /^\s*"?([^"!=~\s]+)"?\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(m);
    return x ? [x[1], x[2], x[3]] : [m, '?', ''];
  });
  return [...(route.object_matchers ?? []), ...parsed];
}

function validateNotifications(s: Stack): string[] {
  const problems: string[] = [];
  const files = s.alerting.filter((d) => d.doc.contactPoints || d.doc.policies || d.doc.muteTimes);
  const contactPoints = files.flatMap(({ file, doc }) => (doc.contactPoints ?? []).map((cp: Json, i: number) => ({ file, at: `contactPoints[${i}]`, cp })));
  const muteTimes = files.flatMap(({ doc }) => (doc.muteTimes ?? []).map((mt: Json) => `${mt.orgId}/${mt.name}`));
  const labels = rulesWithPath(s).map((r) => r.rule.labels ?? {});
  for (const { file, doc } of files) if (doc.apiVersion !== 1) problems.push(`${file}: apiVersion is ${JSON.stringify(doc.apiVersion)}, not 1`);
  for (const { file, at, cp } of contactPoints) {
    if (!isInt(cp.orgId)) problems.push(`${file}: ${at}.orgId is not an integer`);
    if (!isName(cp.name)) problems.push(`${file}: ${at}.name is missing`);
    if (!Array.isArray(cp.receivers) || cp.receivers.length === 0) problems.push(`${file}: ${at}.receivers is empty`);
    (cp.receivers ?? []).forEach((r: Json, i: number) => {
      if (typeof r.uid !== 'string' || !UID.test(r.uid)) problems.push(`${file}: ${at}.receivers[${i}].uid ${JSON.stringify(r.uid)} is not a Grafana uid`);
      if (!isName(r.type)) problems.push(`${file}: ${at}.receivers[${i}].type is missing`);
      if (!r.settings || typeof r.settings !== 'object') problems.push(`${file}: ${at}.receivers[${i}].settings is missing`);
    });
  }
  const receiverUids = contactPoints.flatMap(({ cp }) => (cp.receivers ?? []).map((r: Json) => r.uid));
  for (const dup of duplicates(receiverUids)) problems.push(`${files.map((f) => f.file).join(', ')}: contact point receiver uid ${dup} is used twice`);
  for (const dup of duplicates(contactPoints.map(({ cp }) => `${cp.orgId}/${cp.name}`))) {
    problems.push(`${files.map((f) => f.file).join(', ')}: contact point ${dup} (org/name) is provisioned twice`);
  }
  for (const { file, doc } of files) {
    (doc.policies ?? []).forEach((p: Json, i: number) => {
      if (!isInt(p.orgId)) problems.push(`${file}: policies[${i}].orgId is not an integer`);
      if (!isName(p.receiver)) problems.push(`${file}: policies[${i}].receiver is missing (the root policy needs one)`);
      for (const { at, route } of routesWithPath(p, `policies[${i}]`)) {
        if (route.receiver !== undefined && !contactPoints.some(({ cp }) => cp.orgId === p.orgId && cp.name === route.receiver)) {
          problems.push(`${file}: ${at}.receiver ${route.receiver} is no contact point of org ${p.orgId}`);
        }
        for (const key of ['mute_time_intervals', 'active_time_intervals']) {
          for (const name of route[key] ?? []) {
            if (!muteTimes.includes(`${p.orgId}/${name}`)) problems.push(`${file}: ${at}.${key} names ${name}, which is no muteTimes entry of org ${p.orgId}`);
          }
        }
        for (const [label, op, value] of matchersOf(route)) {
          if (!['=', '!=', '=~', '!~'].includes(op)) problems.push(`${file}: ${at} matcher ${JSON.stringify([label, op, value])} has no valid operator`);
          else if (GRAFANA_LABELS.has(label)) continue;
          else if (op === '=' && !labels.some((l) => l[label] === value)) problems.push(`${file}: ${at} matches ${label}=${value}, which no alert rule has`);
          else if (!labels.some((l) => label in l)) problems.push(`${file}: ${at} matches on label ${label}, which no alert rule has`);
        }
        for (const label of route.group_by ?? []) {
          if (!GRAFANA_LABELS.has(label) && !labels.some((l) => label in l)) problems.push(`${file}: ${at}.group_by ${label} is a label no alert rule has`);
        }
      }
    });
  }
  return problems;
}

// ---------------------------------------------------------------------- tests

const stack = loadStack();

describe('the committed provisioning files', () => {
  it('are all read: datasources, a dashboards provider, every dashboard, alert rules and notifications', () => {
    expect(provisionedDatasources(stack).map((d) => d.uid)).toEqual(expect.arrayContaining(['runboard', 'prometheus']));
    expect(stack.providers.length).toBeGreaterThan(0);
    expect(stack.dashboards.length).toBeGreaterThanOrEqual(5);
    expect(rulesWithPath(stack).length).toBeGreaterThanOrEqual(7);
    expect(stack.alerting.some((d) => d.doc.contactPoints && d.doc.policies)).toBe(true);
    // No plugin provisioning: the plugins come from the mounted dist directories (docker-compose.yml).
    expect(fs.existsSync(path.join(PROV, 'plugins'))).toBe(false);
  });

  it('datasources follow the provisioning format and Runboard is the datasource plugin', () => {
    expect(validateDatasources(stack)).toEqual([]);
  });

  it('the dashboards provider serves every dashboard JSON, from where docker-compose.yml mounts it', () => {
    expect(validateProviders(stack)).toEqual([]);
  });

  it('dashboards name only provisioned (or built-in) datasources of the right type, and known panel types', () => {
    expect(validateDashboards(stack)).toEqual([]);
  });

  it('alert rules have the required fields, their refIds and datasource uids resolve', () => {
    expect(validateAlertRules(stack)).toEqual([]);
  });

  it('policies name existing contact points and mute timings, and match labels the rules carry', () => {
    expect(validateNotifications(stack)).toEqual([]);
  });
});

describe('the validators catch what Grafana would refuse or break on', () => {
  const DS = 'provisioning/datasources/runboard.yml';
  const RULES = 'provisioning/alerting/runboard-alert-rules.yml';
  const NOTIFY = 'provisioning/alerting/runboard-notifications.yml';
  const doc = (s: Stack, family: 'datasources' | 'providers' | 'dashboards' | 'alerting', file: string) => s[family].find((d) => d.file === file)!.doc;

  it('datasources', () => {
    const s = structuredClone(stack);
    const file = doc(s, 'datasources', DS);
    const runboard = file.datasources.findIndex((d: Json) => d.name === 'Runboard');
    const other = runboard === 0 ? 1 : 0;
    file.datasources[runboard].type = 'runboard-datasource';
    delete file.datasources[other].access;
    file.datasources[other].uid = file.datasources[runboard].uid;
    file.datasources[other].isDefault = true;
    file.datasources[runboard].isDefault = true;
    expect(validateDatasources(s)).toEqual([
      `${DS}: datasources[${other}].access undefined is neither proxy nor direct`,
      `${DS}: datasource uid 1/runboard (org/uid) is provisioned twice`,
      `${DS}: org 1 has more than one isDefault datasource`,
      `${DS}: Runboard's type runboard-datasource is not datasource-plugin/src/plugin.json id runboard-live-datasource`,
    ]);
  });

  it('dashboards provider', () => {
    const s = structuredClone(stack);
    const provider = s.providers[0];
    provider.doc.providers[0].options.path = '/etc/grafana/provisioning/dashboards/elsewhere';
    expect(validateProviders(s)).toEqual([
      `${provider.file}: providers[0].options.path "/etc/grafana/provisioning/dashboards/elsewhere" is no directory of dashboard JSON that docker-compose.yml mounts into grafana`,
      ...s.dashboards.map((d) => `${d.file}: no dashboards provider path reaches it`),
    ]);
  });

  it('dashboards', () => {
    const s = structuredClone(stack);
    const [first, second] = s.dashboards;
    // A panel nested in a collapsed row, a target, a variable, a panel type, a duplicate uid.
    const top = panelsWithPath(first.doc).find((p) => p.panel.targets?.length)!;
    const rowIndex = first.doc.panels.findIndex((p: Json) => p.type === 'row');
    const row = first.doc.panels[rowIndex];
    row.collapsed = true;
    row.panels = [{ ...structuredClone(top.panel), datasource: { type: 'prometheus', uid: 'promethues' }, targets: [] }];
    top.panel.targets[0].datasource = { type: 'loki', uid: 'prometheus' };
    top.panel.type = 'graph';
    // $prom resolves to a provisioned type and passes; $logs selects a type nothing provides.
    const variables = [
      { name: 'prom', type: 'datasource', query: 'prometheus' },
      { name: 'logs', type: 'datasource', query: 'loki' },
      { name: 'up', type: 'query', datasource: { type: 'prometheus', uid: '${prom}' } },
      { name: 'lines', type: 'query', datasource: { uid: '$logs' } },
      { name: 'src', type: 'query', datasource: { uid: '${ds}' } },
    ];
    first.doc.templating = { list: [...(first.doc.templating?.list ?? []), ...variables] };
    const vi = first.doc.templating.list.length - 1;
    second.doc.uid = first.doc.uid;
    expect(validateDashboards(s)).toEqual([
      `${first.file}: $.templating.list[${vi - 1}].datasource.uid $logs selects loki datasources, none of which is provisioned`,
      `${first.file}: $.templating.list[${vi}].datasource.uid \${ds} is no datasource variable of the dashboard`,
      `${first.file}: $.panels[${rowIndex}].panels[0].datasource.uid promethues is not a provisioned datasource`,
      `${first.file}: ${top.at}.targets[0].datasource.type loki is not prometheus, the type of datasource prometheus`,
      `${first.file}: ${top.at}.type "graph" is neither a core Grafana panel nor runboard-console-panel`,
      `${first.file}, ${second.file}: dashboard uid ${first.doc.uid} is used twice`,
    ]);
  });

  it('alert rules', () => {
    const s = structuredClone(stack);
    const rules = doc(s, 'alerting', RULES).groups[0].rules;
    rules[0].condition = 'D';
    rules[0].data[0].datasourceUid = 'prom';
    rules[0].data[0].model.datasource.uid = 'prom';
    rules[1].data[1].model.expression = 'Z';
    delete rules[1].for;
    rules[2].uid = rules[0].uid;
    doc(s, 'alerting', RULES).groups[0].interval = '45s';
    expect(validateAlertRules(s)).toEqual([
      `${RULES}: groups[0].interval "45s" is not a multiple of 10s`,
      `${RULES}: groups[0].rules[0].data[0].datasourceUid "prom" is neither a provisioned datasource nor __expr__`,
      `${RULES}: groups[0].rules[0].condition D is no refId of the rule's data`,
      `${RULES}: groups[0].rules[1].for undefined is not a duration`,
      `${RULES}: groups[0].rules[1].data[1].model.expression "Z" is no other refId of the rule`,
      `${RULES}: groups[0].rules[0], ${RULES}: groups[0].rules[2]: rule uid ${rules[0].uid} is used twice`,
    ]);
  });

  it('notifications', () => {
    const s = structuredClone(stack);
    const n = doc(s, 'alerting', NOTIFY);
    n.policies[0].routes[0].receiver = 'runboard-pager';
    n.policies[0].routes[0].mute_time_intervals = ['weekend'];
    n.policies[0].routes.push({ receiver: n.contactPoints[0].name, object_matchers: [['severity', '=', 'page']] }, { object_matchers: [['team', '=~', 'ops']] });
    n.contactPoints.push({ orgId: 1, name: 'second', receivers: [{ ...n.contactPoints[0].receivers[0] }] });
    expect(validateNotifications(s)).toEqual([
      `${NOTIFY}: contact point receiver uid ${n.contactPoints[0].receivers[0].uid} is used twice`,
      `${NOTIFY}: policies[0].routes[0].receiver runboard-pager is no contact point of org 1`,
      `${NOTIFY}: policies[0].routes[0].mute_time_intervals names weekend, which is no muteTimes entry of org 1`,
      `${NOTIFY}: policies[0].routes[1] matches severity=page, which no alert rule has`,
      `${NOTIFY}: policies[0].routes[2] matches on label team, which no alert rule has`,
    ]);
  });
});
