/**
 * Builds the test host's page bundle (tests/e2e/host/dist/) once: webpack runs only when the
 * bundle is missing or older than any of the host's sources, its build config, or the installed
 * @grafana/* / react packages. Called from the Playwright global setup.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const HOST = __dirname;
const ROOT = path.resolve(HOST, '../../..');
const OUT = path.join(HOST, 'dist', 'host.js');

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

export function hostBuildIsStale(): boolean {
  if (!fs.existsSync(OUT)) return true;
  const inputs = [
    path.join(HOST, 'src'),
    path.join(HOST, 'webpack.config.js'),
    path.join(HOST, 'css-loader.js'),
    ...['@grafana/data', '@grafana/ui', '@grafana/runtime', 'react', 'react-dom', 'rxjs'].map((p) => path.join(ROOT, 'node_modules', p, 'package.json')),
  ];
  return newest(inputs) > fs.statSync(OUT).mtimeMs;
}

export function buildHost(force = false): void {
  if (!force && !hostBuildIsStale()) return;
  const started = Date.now();
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/webpack-cli/bin/cli.js'), '-c', path.join(HOST, 'webpack.config.js')], { cwd: ROOT, stdio: 'inherit' });
  console.log(`[test host] page bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (require.main === module) buildHost(process.argv.includes('--force'));
