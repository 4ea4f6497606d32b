/**
 * Builds the test host's page bundle once per matrix leg (legs.ts: dist/<leg>/, against that
 * leg's @grafana/* and React): webpack runs only when a bundle is missing or older than any of the
 * host's sources, its build config, or the leg's installed @grafana/* / react packages. Called from
 * the Playwright global setup.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { LEGS, type GrafanaLeg } from './legs';

const HOST = __dirname;
const ROOT = path.resolve(HOST, '../../..');
const out = (leg: GrafanaLeg) => path.join(leg.dist, 'host.js');

function newest(paths: string[]): number {
  let t = 0;
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    const st = fs.statSync(p);
    if (st.isDirectory()) t = Math.max(t, newest(fs.readdirSync(p).map((f) => path.join(p, f))));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

export function hostBuildIsStale(leg: GrafanaLeg): boolean {
  if (!fs.existsSync(out(leg))) return true;
  const inputs = [
    path.join(HOST, 'src'),
    path.join(HOST, 'legs.ts'),
    path.join(HOST, 'webpack.config.js'),
    path.join(HOST, 'css-loader.js'),
    ...['@grafana/data', '@grafana/ui', '@grafana/runtime', 'react', 'react-dom', 'rxjs'].map((p) => path.join(leg.root, 'node_modules', p, 'package.json')),
  ];
  return newest(inputs) > fs.statSync(out(leg)).mtimeMs;
}

export function buildHost(leg: GrafanaLeg = LEGS['grafana-12.4'], force = false): void {
  if (!fs.existsSync(path.join(leg.root, 'node_modules', '@grafana', 'ui', 'package.json'))) {
    throw new Error(
      `test host leg ${leg.id}: @grafana/ui ${leg.version} is not installed in ${path.relative(ROOT, leg.root) || '.'} (run: npm ci --prefix ${path.relative(ROOT, leg.root)})`,
    );
  }
  if (!force && !hostBuildIsStale(leg)) return;
  const started = Date.now();
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/webpack-cli/bin/cli.js'), '-c', path.join(HOST, 'webpack.config.js'), '--env', `leg=${leg.id}`], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  console.log(`[test host] ${leg.id} page bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export function buildAllLegs(force = false): void {
  for (const leg of Object.values(LEGS)) buildHost(leg, force);
}

if (require.main === module) buildAllLegs(process.argv.includes('--force'));
