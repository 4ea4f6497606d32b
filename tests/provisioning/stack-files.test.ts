/**
 * The stack's files, checked by reading them (no Docker engine or Grafana here): docker-compose.yml
 * through Debian's docker-compose v1, the exporter's Dockerfile, datasource provisioning, the
 * dashboards' structure and uids, the alert rules, and promtool on the Prometheus files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  ROOT,
  dashboardQueries,
  dashboards,
  datasourceRefs,
  grafanaRules,
  panels,
  prometheusAlerts,
  readYaml,
  recordedNames,
  recordingRules,
  type Json,
} from './provisioning-files';
import { hostChecker } from '../../exporter/src/http/host-check';

const DATASOURCE_ID = 'runboard-live-datasource';
const PANEL_ID = 'runboard-console-panel';
/** Grafana's uid rule: at most 40 letters, digits, - and _. */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;

function which(bin: string, hint: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} is not installed: ${hint} (bash .ci/run does it)`);
  return found;
}

/** The environment without anything that could fill in the compose file's variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(RUNBOARD_|GRAFANA_|PROMETHEUS_|COMPOSE_)/.test(k)) delete env[k];
  return env;
}

describe('docker-compose.yml', () => {
  let composeBin: string;
  let resolved: Json;
  const raw = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as Json;

  beforeAll(() => {
    composeBin = which('docker-compose', 'apt-get install -y docker-compose');
    const out = spawnSync(composeBin, ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`docker-compose config failed:\n${out.stderr}`);
    resolved = YAML.parse(out.stdout) as Json;
  });

  it('passes `docker-compose config -q` (v1) with the variables of .env.example', () => {
    const r = spawnSync(composeBin, ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses to start without RUNBOARD_API_TOKEN instead of inventing one', () => {
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-env-')), 'empty.env');
    fs.writeFileSync(empty, '');
    const r = spawnSync(composeBin, ['--env-file', empty, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    fs.rmSync(path.dirname(empty), { recursive: true, force: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('RUNBOARD_API_TOKEN is not set');
  });

  it('uses nothing docker-compose v1 rejects', () => {
    for (const key of ['name', 'include']) expect(raw).not.toHaveProperty(key);
    for (const [name, svc] of Object.entries(raw.services as Record<string, Json>)) {
      expect([name, svc]).not.toEqual([name, expect.objectContaining({ develop: expect.anything() })]);
      expect(svc.healthcheck ?? {}).not.toHaveProperty('start_interval');
    }
  });

  it('builds the exporter from the repository root with its Dockerfile; demo on unless turned off; init; data on a volume', () => {
    const exporter = resolved.services.exporter as Json;
    expect(exporter.build).toEqual({ context: ROOT, dockerfile: 'exporter/Dockerfile' });
    expect(exporter.init).toBe(true);
    expect(exporter.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
    expect(exporter.environment.RUNBOARD_DEMO).toBe('true');
    expect(raw.services.exporter.environment.RUNBOARD_DEMO).toBe('${RUNBOARD_DEMO:-true}');
    expect(exporter.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^runboard-data:\/var\/lib\/runboard(:rw)?$/)]));
    expect(resolved.volumes).toHaveProperty('runboard-data');
  });

  it('shares one API token, from .env, between the exporter and Grafana', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const token = /^RUNBOARD_API_TOKEN=(.+)$/m.exec(example)?.[1];
    expect(token).toBeDefined();
    expect(token!.length).toBeGreaterThanOrEqual(16);
    expect(resolved.services.exporter.environment.RUNBOARD_API_TOKEN).toBe(token);
    expect(resolved.services.grafana.environment.RUNBOARD_API_TOKEN).toBe(token);
    // Written once: the compose file only refers to the variable.
    const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toContain(token!);
    const ds = readYaml('provisioning/datasources/runboard.yml').datasources.find((d: Json) => d.uid === 'runboard');
    expect(ds.secureJsonData.apiToken).toBe('$RUNBOARD_API_TOKEN');
  });

  it('runs Prometheus from a pinned official image with the provisioning/prometheus config and rules', () => {
    const prom = resolved.services.prometheus as Json;
    expect(prom.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prom.volumes).toEqual(expect.arrayContaining([`${ROOT}/provisioning/prometheus:/etc/prometheus:ro`]));
    expect(prom.command).toEqual(expect.arrayContaining(['--config.file=/etc/prometheus/prometheus.yml']));
  });

  it('runs Grafana at the newest release the browser-test matrix tests, with both plugins, provisioning, no anonymous access and the Overview as home', () => {
    const grafana = resolved.services.grafana as Json;
    // The matrix's current leg (README "Grafana plugins"): its @grafana/* packages are pinned in their own install root.
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/e2e/host/grafana-13/package.json'), 'utf8')) as Json).dependencies['@grafana/data'];
    expect(version).toMatch(/^13\.2\.\d+$/);
    expect(grafana.image).toBe(`grafana/grafana:${version}`);
    expect(grafana.volumes).toEqual(
      expect.arrayContaining([
        `${ROOT}/datasource-plugin/dist:/var/lib/grafana/plugins/${DATASOURCE_ID}:ro`,
        `${ROOT}/panel-plugin/dist:/var/lib/grafana/plugins/${PANEL_ID}:ro`,
        `${ROOT}/provisioning/datasources:/etc/grafana/provisioning/datasources:ro`,
        `${ROOT}/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro`,
        `${ROOT}/provisioning/alerting:/etc/grafana/provisioning/alerting:ro`,
      ]),
    );
    const env = grafana.environment as Record<string, string>;
    expect(env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',').sort()).toEqual([PANEL_ID, DATASOURCE_ID].sort());
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(raw.services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toBe('${GRAFANA_ADMIN_PASSWORD:-admin}');
    expect(env.RUNBOARD_ALERT_WEBHOOK_URL).toMatch(/^https?:\/\//);
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    const local = path.join(ROOT, 'provisioning/dashboards', path.relative('/etc/grafana/provisioning/dashboards', home));
    expect(JSON.parse(fs.readFileSync(local, 'utf8')).uid).toBe('runboard-overview');
  });

  it('Prometheus and Grafana reach the exporter by names its Host allow-list answers; Grafana names the user to it', () => {
    const exporter = resolved.services.exporter as Json;
    const bindHost = exporter.command[exporter.command.indexOf('--host') + 1] as string;
    const extra = String(exporter.environment.RUNBOARD_ALLOWED_HOSTS ?? '')
      .split(',')
      .filter(Boolean);
    const allowed = hostChecker({ bindHost, allowedHosts: extra, machineName: 'container-id' });
    const scrape = readYaml('provisioning/prometheus/prometheus.yml').scrape_configs.flatMap((c: Json) => c.static_configs.flatMap((sc: Json) => sc.targets as string[]));
    const ds = readYaml('provisioning/datasources/runboard.yml').datasources.find((d: Json) => d.uid === 'runboard');
    const hosts = [...scrape.filter((t: string) => t.endsWith(':9477')), new URL(ds.url).host];
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    for (const h of hosts) expect([h, allowed(h)]).toEqual([h, true]);
    expect(allowed('evil.example:9477')).toBe(false);
    // Who started a run comes from Grafana's data proxy (README "Grafana plugins").
    expect((resolved.services.grafana as Json).environment.GF_DATAPROXY_SEND_USER_HEADER).toBe('true');
  });

  it("plugin ids match the plugins' plugin.json", () => {
    const ds = JSON.parse(fs.readFileSync(path.join(ROOT, 'datasource-plugin/src/plugin.json'), 'utf8')) as Json;
    expect(ds.id).toBe(DATASOURCE_ID);
    const panelJson = path.join(ROOT, 'panel-plugin/src/plugin.json');
    if (fs.existsSync(panelJson)) expect((JSON.parse(fs.readFileSync(panelJson, 'utf8')) as Json).id).toBe(PANEL_ID);
  });
});

describe('exporter/Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'exporter/Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined, comments dropped.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const from = lines.filter((l) => /^FROM\s/i.test(l));
  const finalStage = lines.slice(lines.lastIndexOf(from[from.length - 1]));

  it('is multi-stage on a Node image pinned to a version tag, never latest', () => {
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const f of from) {
      const image = f.split(/\s+/)[1];
      expect(image).toMatch(/^node:\d+[\w.-]*-slim(@sha256:[0-9a-f]{64})?$/);
      expect(image).not.toMatch(/latest/);
    }
  });

  it('installs only the exporter workspace with npm ci, with a native toolchain in the build stage', () => {
    expect(lines.some((l) => /^RUN .*npm ci .*(--workspace|-w) exporter/.test(l))).toBe(true);
    expect(lines.some((l) => /^RUN .*apt-get install .*python3.*make.*g\+\+/.test(l))).toBe(true);
    expect(finalStage.some((l) => /apt-get install|npm (ci|install)/.test(l))).toBe(false);
  });

  it('runs as a non-root user with a healthcheck on /api/v1/health and the data dir as a volume', () => {
    const user = finalStage.filter((l) => /^USER\s/i.test(l)).pop();
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    const health = finalStage.find((l) => /^HEALTHCHECK\s/i.test(l));
    expect(health).toMatch(/\/api\/v1\/health/);
    expect(health).not.toMatch(/curl|wget/); // the slim image has neither
    expect(finalStage).toEqual(expect.arrayContaining([expect.stringMatching(/^VOLUME .*\/var\/lib\/runboard/)]));
    expect(finalStage.some((l) => /^(ENV|CMD|ENTRYPOINT).*0\.0\.0\.0/.test(l))).toBe(true);
  });

  it("ships everything the exporter package ships: each of exporter/package.json's files is in the context, built or copied, and in the runtime stage", () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    const shipped = (JSON.parse(fs.readFileSync(path.join(ROOT, 'exporter/package.json'), 'utf8')) as { files: string[] }).files;
    expect(shipped).toEqual(expect.arrayContaining(['dist', 'proto']));
    for (const entry of shipped) {
      expect([entry, finalStage.some((l) => new RegExp(`^COPY --from=build /src/exporter/${entry} \\./exporter/${entry}$`).test(l))]).toEqual([entry, true]);
      if (entry === 'dist') continue; // compiled in the build stage
      expect([entry, ignore.map((l) => l.trim()).includes(`!exporter/${entry}/`)]).toEqual([entry, true]);
      expect([entry, lines.some((l) => l === `COPY exporter/${entry} exporter/${entry}`)]).toEqual([entry, true]);
    }
  });

  it('has a .dockerignore that keeps node_modules and build output out of the context', () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore).toContain('*');
    expect(ignore.filter((l) => l.startsWith('!') && /node_modules|dist/.test(l))).toEqual([]);
  });
});

describe('Grafana provisioning', () => {
  const datasources = readYaml('provisioning/datasources/runboard.yml').datasources as Json[];
  const uids = new Set(datasources.map((d) => d.uid));
  const all = dashboards();

  it('provisions the Runboard datasource (the exporter service, token from env) and Prometheus', () => {
    expect(datasources.find((d) => d.uid === 'runboard')).toMatchObject({ type: DATASOURCE_ID, url: 'http://exporter:9477', access: 'proxy' });
    expect(datasources.find((d) => d.uid === 'prometheus')).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('dashboard uids and titles are unique and valid', () => {
    const ids = all.map((d) => d.json.uid);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of all) {
      expect(d.json.uid).toMatch(UID);
      expect(d.file).toBe(`${d.json.uid}.json`);
    }
    const titles = all.map((d) => d.json.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('every datasource a dashboard names is provisioned', () => {
    for (const d of all) {
      for (const ref of datasourceRefs(d.json)) {
        expect([d.json.uid, ref.uid]).toEqual([d.json.uid, expect.any(String)]);
        expect([d.json.uid, uids.has(ref.uid!)]).toEqual([d.json.uid, true]);
        const ds = datasources.find((x) => x.uid === ref.uid);
        if (ref.type) expect(ref.type).toBe(ds!.type);
      }
    }
  });

  it('panel ids are unique within each dashboard and panels fit the 24-column grid', () => {
    for (const d of all) {
      const ids = panels(d.json).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panels(d.json)) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('live dashboards stream from Runboard with liveNow and no auto-refresh; history panels use $__rate_interval', () => {
    for (const d of all) {
      const queries = dashboardQueries(d.json);
      const live = queries.some((q) => q.query.queryType === 'live');
      if (live) {
        expect([d.json.uid, d.json.liveNow, d.json.refresh || '']).toEqual([d.json.uid, true, '']);
      }
      for (const q of queries.filter((x) => x.datasource.uid === 'prometheus' && x.query.expr)) {
        // Ranges in dashboard queries follow the dashboard: $__rate_interval, or $__range for totals.
        for (const m of (q.query.expr as string).matchAll(/\[([^\]]+)\]/g)) expect([q.where, m[1]]).toEqual([q.where, expect.stringMatching(/^\$__(rate_interval|range)$/)]);
      }
    }
  });

  it("the Runboard queries are of the datasource's query types with their fields", () => {
    const groupBys = ['model', 'provider', 'command', 'tag', 'hour', 'day'];
    let count = 0;
    for (const d of all) {
      for (const q of dashboardQueries(d.json).filter((x) => x.datasource.uid === 'runboard')) {
        count++;
        const t = q.query;
        expect([q.where, t.queryType]).toEqual([q.where, expect.stringMatching(/^(live|history|runs|costs)$/)]);
        if (t.queryType === 'live' || t.queryType === 'history') expect(t.series.length).toBeGreaterThan(0);
        if (t.queryType === 'costs') expect(groupBys).toContain(t.groupBy);
        // The AI-cost dashboard's ledger tables follow its Source variable.
        if (t.queryType === 'costs' && d.json.uid === 'runboard-ai-cost') expect([q.where, t.source]).toEqual([q.where, '$source']);
      }
    }
    expect(count).toBeGreaterThan(20);
  });

  it('the Command center has the console and cards panels, run history and run annotations', () => {
    const cc = all.find((d) => d.json.uid === 'runboard-command-center')!.json;
    const consolePanels = panels(cc).filter((p) => p.type === PANEL_ID);
    expect(consolePanels.map((p) => p.options.view).sort()).toEqual(['cards', 'console']);
    expect(consolePanels.find((p) => p.options.view === 'console')?.options.console.datasource).toEqual({ type: DATASOURCE_ID, uid: 'runboard' });
    expect(panels(cc).some((p) => p.type === 'table' && p.targets[0].queryType === 'runs')).toBe(true);
    expect(cc.annotations.list.some((a: Json) => a.datasource.uid === 'runboard' && a.target.queryType === 'runs')).toBe(true);
  });

  it('template variables for model, provider, action and command', () => {
    const names = all.flatMap((d) => (d.json.templating?.list ?? []).map((v: Json) => v.name));
    expect(names).toEqual(expect.arrayContaining(['model', 'provider', 'action', 'command']));
  });

  it('every recording rule is used by a dashboard, and dashboards use only recording rules that exist', () => {
    const defined = recordingRules().map((r) => r.record as string);
    const used = new Set(all.flatMap((d) => dashboardQueries(d.json).flatMap((q) => recordedNames(String(q.query.expr ?? '')))));
    expect([...used].filter((n) => !defined.includes(n))).toEqual([]);
    expect(defined.filter((n) => !used.has(n))).toEqual([]);
  });
});

describe('alert rules', () => {
  const rules = grafanaRules();
  const promAlerts = prometheusAlerts();
  const file = readYaml('provisioning/alerting/runboard-alert-rules.yml');

  it('cover the alerts of the issue, in Grafana and in Prometheus alike', () => {
    expect(rules.map((r) => r.title).sort()).toEqual(promAlerts.map((r) => r.alert).sort());
    expect(rules.map((r) => r.title).sort()).toEqual([
      'RunboardActionFailureRatioHigh',
      'RunboardEventQueueGrowing',
      'RunboardExporterDown',
      'RunboardHighCpu',
      'RunboardLlmCostPerRequestHigh',
      'RunboardLlmLatencyHigh',
      'RunboardLlmTokensPerHourHigh',
    ]);
  });

  it('have unique valid uids, the file-provisioning shape, and query Prometheus → reduce → threshold', () => {
    expect(file.apiVersion).toBe(1);
    for (const g of file.groups) expect(g).toMatchObject({ orgId: 1, name: expect.any(String), folder: expect.any(String), interval: expect.stringMatching(/^\d+[smh]$/) });
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const r of rules) {
      expect(r.uid).toMatch(UID);
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(r.labels.severity).toMatch(/^(warning|critical)$/);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(80);
      const [a, b, c] = r.data;
      expect(a).toMatchObject({ refId: 'A', datasourceUid: 'prometheus', model: { expr: expect.any(String), datasource: { uid: 'prometheus' } } });
      expect(b).toMatchObject({ refId: 'B', datasourceUid: '__expr__', model: { type: 'reduce', expression: 'A' } });
      expect(c).toMatchObject({ refId: 'C', datasourceUid: '__expr__', model: { type: 'threshold', expression: 'B' } });
      expect(r.condition).toBe('C');
      // Grafana expands $VARS in labels (and ${VARS} in annotations) of provisioned rules.
      expect(JSON.stringify(r.labels)).not.toContain('$');
      expect(JSON.stringify(r.annotations)).not.toContain('${');
    }
  });

  it('Grafana and Prometheus use the same expression and threshold for each alert', () => {
    for (const r of rules) {
      const p = promAlerts.find((x) => x.alert === r.title)!;
      const threshold = r.data[2].model.conditions[0].evaluator as { type: string; params: number[] };
      const op = threshold.type === 'gt' ? '>' : '<';
      const query = r.data[0].model.expr as string;
      const [value, guard] = query.split('\nand ');
      // Prometheus compares the same value (parenthesised when it is not a single term) with the same threshold.
      const candidates = [value, `(${value})`].map((v) => `${v} ${op} ${threshold.params[0]}${guard ? `\nand ${guard}` : ''}`);
      expect([r.title, candidates]).toEqual([r.title, expect.arrayContaining([p.expr])]);
      expect(p.for).toBe(r.for);
      expect(p.labels).toEqual(r.labels);
      expect(p.annotations.description).toBe(r.annotations.description);
    }
  });

  it('notify a webhook contact point whose URL comes from the environment, through the provisioned policy', () => {
    const n = readYaml('provisioning/alerting/runboard-notifications.yml');
    const receiver = n.contactPoints[0].receivers[0];
    expect(receiver).toMatchObject({ type: 'webhook', settings: { url: '$RUNBOARD_ALERT_WEBHOOK_URL' } });
    expect(n.policies[0].receiver).toBe(n.contactPoints[0].name);
  });

  it('every Prometheus alert has promtool unit tests where it fires and where it does not', () => {
    const tests = readYaml('provisioning/prometheus/tests/runboard-alerts.test.yml').tests as Json[];
    for (const a of promAlerts) {
      const cases = tests.flatMap((t) => t.alert_rule_test).filter((c: Json) => c.alertname === a.alert);
      expect([a.alert, cases.some((c: Json) => c.exp_alerts.length > 0)]).toEqual([a.alert, true]);
      expect([a.alert, cases.some((c: Json) => c.exp_alerts.length === 0)]).toEqual([a.alert, true]);
    }
  });
});

describe('promtool', () => {
  let promtool: string;
  beforeAll(() => {
    promtool = which('promtool', 'apt-get install -y prometheus');
  });
  const run = (...args: string[]) => spawnSync(promtool, args, { cwd: ROOT, encoding: 'utf8' });

  it('check config', () => {
    const r = run('check', 'config', 'provisioning/prometheus/prometheus.yml');
    expect(r.stdout + r.stderr).toContain('SUCCESS: 2 rule files found');
    expect(r.status).toBe(0);
  });

  it('check rules', () => {
    const files = fs.readdirSync(path.join(ROOT, 'provisioning/prometheus/rules')).map((f) => `provisioning/prometheus/rules/${f}`);
    const r = run('check', 'rules', ...files);
    expect(r.stdout + r.stderr).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
  });

  it('test rules: every alert fires on its bad case and stays quiet on its good ones', () => {
    const r = run('test', 'rules', 'provisioning/prometheus/tests/runboard-alerts.test.yml');
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('provisioning/scripts/ensure-env.js (npm run stack)', () => {
  const script = path.join(ROOT, 'provisioning/scripts/ensure-env.js');

  it('creates .env from .env.example once, with a random token, and then leaves it alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-env-'));
    try {
      fs.copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
      expect(spawnSync(process.execPath, [script, dir], { encoding: 'utf8' }).status).toBe(0);
      const first = fs.readFileSync(path.join(dir, '.env'), 'utf8');
      const token = /^RUNBOARD_API_TOKEN=([0-9a-f]{48})$/m.exec(first)?.[1];
      expect(token).toBeDefined();
      expect(fs.statSync(path.join(dir, '.env')).mode & 0o077).toBe(0);
      // Everything else is the example's.
      expect(first.replace(token!, 'x')).toBe(fs.readFileSync(path.join(dir, '.env.example'), 'utf8').replace(/^RUNBOARD_API_TOKEN=.*$/m, 'RUNBOARD_API_TOKEN=x'));
      const again = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
      expect(again.stdout).toContain('.env exists');
      expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toBe(first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
