/**
 * Generates the provisioning files from the TypeScript in provisioning/src:
 *   npm run dashboards                 writes them (run from the repository root)
 *   node <compiled>/generate.js --check     exits 1 when a committed file differs
 *   node <compiled>/generate.js --out DIR   writes under DIR instead (tests compare the trees)
 */
import fs from 'node:fs';
import path from 'node:path';
import { DASHBOARD_DIR, dashboardFiles } from './outputs/dashboards';
import { grafanaAlertingFiles } from './outputs/grafana-alerting';
import { prometheusRuleFiles } from './outputs/prometheus-rules';

/** Every generated file, by path relative to the repository root. */
export function generateAll(): Record<string, string> {
  return { ...dashboardFiles(), ...grafanaAlertingFiles(), ...prometheusRuleFiles() };
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const outIndex = argv.indexOf('--out');
  const root = path.resolve(outIndex >= 0 ? argv[outIndex + 1] : process.cwd());
  const files = generateAll();
  if (check) {
    const drift = Object.entries(files)
      .filter(([rel, text]) => !fs.existsSync(path.join(root, rel)) || fs.readFileSync(path.join(root, rel), 'utf8') !== text)
      .map(([rel]) => rel);
    const dir = path.join(root, DASHBOARD_DIR);
    const stale = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .map((f) => `${DASHBOARD_DIR}/${f}`)
          .filter((rel) => !(rel in files))
      : [];
    for (const rel of [...drift, ...stale]) console.error(`out of date: ${rel}`);
    if (drift.length + stale.length > 0) {
      console.error('run `npm run dashboards` and commit the result');
      return 1;
    }
    return 0;
  }
  const dir = path.join(root, DASHBOARD_DIR);
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (!(`${DASHBOARD_DIR}/${f}` in files)) fs.rmSync(path.join(dir, f));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  console.log(`wrote ${Object.keys(files).length} files under ${root}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
