/**
 * The committed provisioning files are what `npm run dashboards` generates from
 * provisioning/src: compile the generator, run it into a temporary tree, compare file by file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DASHBOARD_DIR, ROOT } from './provisioning-files';

const GENERATED_DIRS = ['provisioning/dashboards/runboard', 'provisioning/alerting', 'provisioning/prometheus/rules', 'provisioning/prometheus/tests'];

let outDir: string;
let jsDir: string;
// The committed files are generated with the default quiet hours (README, Alerting).
const env = { ...process.env, RUNBOARD_QUIET_HOURS: '' };

beforeAll(() => {
  // Compiled JS must live inside the repository so that it resolves node_modules.
  const cache = path.join(ROOT, 'node_modules/.cache');
  fs.mkdirSync(cache, { recursive: true });
  jsDir = fs.mkdtempSync(path.join(cache, 'runboard-provisioning-test-'));
  outDir = fs.mkdtempSync(path.join(cache, 'runboard-provisioning-out-'));
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'provisioning/src', '--outDir', jsDir], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p provisioning/src failed:\n${tsc.stdout}${tsc.stderr}`);
  const gen = spawnSync(process.execPath, [path.join(jsDir, 'generate.js'), '--out', outDir], { cwd: ROOT, encoding: 'utf8', env });
  if (gen.status !== 0) throw new Error(`generate.js failed:\n${gen.stdout}${gen.stderr}`);
}, 60000);

afterAll(() => {
  for (const dir of [jsDir, outDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function listFiles(root: string, dirs: string[]): string[] {
  return dirs
    .flatMap((d) => (fs.existsSync(path.join(root, d)) ? fs.readdirSync(path.join(root, d)).map((f) => `${d}/${f}`) : []))
    .filter((rel) => fs.statSync(path.join(root, rel)).isFile())
    .sort();
}

it('generates every committed dashboard, alert rule and Prometheus rule file, and nothing else', () => {
  const generated = listFiles(outDir, GENERATED_DIRS);
  expect(generated.length).toBeGreaterThanOrEqual(10);
  expect(listFiles(ROOT, GENERATED_DIRS)).toEqual(generated);
});

it('the committed files equal the generated ones (run `npm run dashboards` after changing provisioning/src)', () => {
  const drift = listFiles(outDir, GENERATED_DIRS).filter((rel) => fs.readFileSync(path.join(outDir, rel), 'utf8') !== fs.readFileSync(path.join(ROOT, rel), 'utf8'));
  expect(drift).toEqual([]);
});

it('generates the five dashboards', () => {
  expect(fs.readdirSync(DASHBOARD_DIR).sort()).toEqual([
    'runboard-actions-events.json',
    'runboard-ai-cost.json',
    'runboard-command-center.json',
    'runboard-exporter-health.json',
    'runboard-overview.json',
  ]);
});

it('--check reports drift and exits 1', () => {
  const rel = 'provisioning/alerting/runboard-alert-rules.yml';
  fs.appendFileSync(path.join(outDir, rel), '# edited by hand\n');
  const check = spawnSync(process.execPath, [path.join(jsDir, 'generate.js'), '--check', '--out', outDir], { cwd: ROOT, encoding: 'utf8', env });
  expect(check.status).toBe(1);
  expect(check.stderr).toContain(`out of date: ${rel}`);
  const clean = spawnSync(process.execPath, [path.join(jsDir, 'generate.js'), '--check'], { cwd: ROOT, encoding: 'utf8', env });
  expect(clean.stderr).toBe('');
  expect(clean.status).toBe(0);
});
