/**
 * A new user's first steps (README "Quick start"): `npm ci` on a supported Node warns about no
 * engine, and `npx runboard-exporter` works in a fresh clone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
// semver is in the tree for jest and npm's own tooling; it has no types of its own here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { satisfies(v: string, range: string): boolean; minVersion(range: string): { version: string } | null };

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

describe('engines', () => {
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  // The lowest version of each supported line, e.g. 20.19.0, 22.13.0 and 24.0.0.
  const supported = rootPkg.engines.node.split('||').map((r) => semver.minVersion(r.trim())!.version);

  it('names the supported Node versions in the README', () => {
    expect(supported.length).toBeGreaterThanOrEqual(2);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
    for (const v of supported) expect(quickStart).toContain(v.replace(/(\.0)+$/, ''));
  });

  it.each(['package.json', 'protocol/package.json', 'sdk/package.json', 'exporter/package.json'])('%s supports every supported Node version', (file) => {
    const range = (JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as { engines?: { node?: string } }).engines?.node;
    if (range) for (const v of supported) expect(`${v} ${semver.satisfies(v, range) ? 'ok' : `outside ${range}`}`).toBe(`${v} ok`);
  });

  // npm ci prints EBADENGINE for every installed package whose engines.node excludes the running
  // Node, dev dependencies included: the lockfile is what it installs.
  it('package-lock.json installs no package whose engines exclude a supported Node version', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
    const excluded: string[] = [];
    for (const [where, pkg] of Object.entries(lock.packages)) {
      const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (!range) continue;
      for (const v of supported) if (!semver.satisfies(v, range)) excluded.push(`${where}@${pkg.version}: node ${range} excludes ${v}`);
    }
    expect(excluded).toEqual([]);
  });
});

describe('the runboard-exporter bin', () => {
  it('is linked by a fresh install, before anything is built, and asks for the build', () => {
    // A fresh clone in miniature: the workspace root and the exporter's package.json and bin/, no
    // dist/ yet (npm skips a bin whose file is missing at install time). Dependencies are left
    // out: linking the bin needs none, and offline there is nothing to fetch.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-install-'));
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'exporter/package.json'), 'utf8')) as Record<string, unknown>;
      delete pkg.dependencies;
      fs.mkdirSync(path.join(dir, 'exporter'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fresh-clone', private: true, workspaces: ['exporter'] }));
      fs.writeFileSync(path.join(dir, 'exporter/package.json'), JSON.stringify(pkg));
      fs.cpSync(path.join(ROOT, 'exporter/bin'), path.join(dir, 'exporter/bin'), { recursive: true });
      const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
      expect(install.stderr).not.toMatch(/ERR!/);
      expect(install.status).toBe(0);

      const unbuilt = spawnSync('npx', ['--no-install', 'runboard-exporter', '--version'], { cwd: dir, encoding: 'utf8', timeout: 30000 });
      expect(unbuilt.stderr.trim()).toBe('runboard-exporter: not built yet: run `npm run build` in the repository root first');
      expect(unbuilt.status).toBe(1);

      // Once built (here: the repository's build), the same link runs the CLI.
      fs.symlinkSync(path.join(ROOT, 'exporter/dist'), path.join(dir, 'exporter/dist'));
      const built = spawnSync('npx', ['--no-install', 'runboard-exporter', '--version'], { cwd: dir, encoding: 'utf8', timeout: 30000 });
      expect(built.stderr).toBe('');
      expect(built.stdout.trim()).toBe(pkg.version);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs through npx from the repository root', () => {
    const res = spawnSync('npx', ['--no-install', 'runboard-exporter', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'exporter/package.json'), 'utf8')) as { version: string }).version);
  });
});
