/**
 * @runboard/sdk as an app gets it (README "SDK"): `npm pack` the SDK and the protocol it depends
 * on, install both tarballs into a fresh app folder with no network, then run a CommonJS and an
 * ES module script there against the real exporter binary and read /metrics.
 *
 * Offline: npm needs a package's registry document to pick a version, and `npm ci` (how the repo
 * is installed) caches only tarballs. The app therefore starts with a lockfile naming the
 * versions and integrities the repo's own lockfile pins for the SDK's third-party dependencies,
 * as an app with a committed lockfile would; npm then takes those tarballs from its cache.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { auth, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';

const REPO = path.resolve(__dirname, '../..');
const SDK_VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'sdk/package.json'), 'utf8')).version as string;
/** What the SDK may bring into an app, besides itself: the wire contract and its two small dependencies. */
const THIRD_PARTY = ['eventsource-parser', 'zod'];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const made: string[] = [];

/** A fresh app folder whose lockfile pins the SDK's third-party dependencies as the repo does. */
function newApp(): string {
  const dir = tmpDir('runboard-sdk-app-');
  made.push(dir);
  const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8'));
  const packages: Record<string, unknown> = { '': { name: 'app', version: '1.0.0' } };
  for (const name of THIRD_PARTY) packages[`node_modules/${name}`] = repoLock.packages[`node_modules/${name}`];
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  return dir;
}

/** Every package folder under node_modules (scoped and nested too), by package name. */
function installedPackages(dir: string): string[] {
  const names: string[] = [];
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((s) => `${entry}/${s}`) : [entry];
      for (const name of dirs) {
        names.push(name);
        walk(path.join(nm, name, 'node_modules'));
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return names.sort();
}

const SCRIPT_BODY = (flavour: string) => `
  const rb = createClient({ url: process.env.EXPORTER_URL, token: process.env.RUNBOARD_API_TOKEN, onError: (e) => { console.error(e.message); process.exitCode = 1; } });
  rb.recordAction({ name: 'pkg-${flavour}', duration_seconds: 0.25, success: true });
  rb.recordLlmCall({ provider: 'openai', model: 'pkg-${flavour}-model', input_tokens: 10, output_tokens: 2 });
  await rb.flush();
  await rb.close();
  console.log(JSON.stringify({ version: SDK_VERSION, stats: rb.stats() }));
`;
const CJS = `const { createClient, SDK_VERSION } = require('@runboard/sdk');\n(async () => {${SCRIPT_BODY('cjs')}})();\n`;
const ESM = `import { createClient, SDK_VERSION } from '@runboard/sdk';\n${SCRIPT_BODY('esm')}\n`;
/** Type checks as an app's TypeScript would, under Node's module rules, for both flavours. */
const TYPES = `import { createClient, type Recorder, type RunboardClientOptions } from '@runboard/sdk';
const opts: RunboardClientOptions = { url: 'http://127.0.0.1:9477', token: 't' };
const rb: Recorder = createClient(opts);
rb.recordLlmCall({ provider: 'openai', model: 'm', input_tokens: 1, output_tokens: 1 });
// @ts-expect-error a record missing its required fields does not type check
rb.recordAction({ name: 'x' });
export {};
`;

function sample(metrics: string, name: string, labels: Record<string, string>): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

let exp: RunningExporter;
let packDir: string;
let tarballs: string[];

beforeAll(async () => {
  exp = await startExporter();
  packDir = tmpDir('runboard-sdk-pack-');
  made.push(packDir);
  const out = await must('npm', ['pack', './protocol', './sdk', '--pack-destination', packDir, '--json'], REPO);
  tarballs = (JSON.parse(out) as Array<{ filename: string }>).map((p) => path.join(packDir, p.filename));
}, 120_000);

afterAll(async () => {
  await exp?.stop();
  for (const dir of [...made, exp?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('@runboard/sdk from its tarball', () => {
  let app: string;

  beforeAll(async () => {
    expect(tarballs.map((t) => path.basename(t)).sort()).toEqual([`runboard-protocol-0.1.0.tgz`, `runboard-sdk-${SDK_VERSION}.tgz`]);
    app = newApp();
    await must('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], app);
  }, 120_000);

  test('installs without native or server dependencies: only the SDK, the protocol, zod and eventsource-parser', () => {
    const names = installedPackages(app);
    for (const server of ['better-sqlite3', 'express', 'systeminformation', 'prom-client', 'runboard-exporter']) expect(names).not.toContain(server);
    expect(names).toEqual(['@runboard/protocol', '@runboard/sdk', ...THIRD_PARTY].sort());
  });

  test.each([
    ['CommonJS', 'app.cjs', CJS, 'cjs'],
    ['ES module', 'app.mjs', ESM, 'esm'],
  ])('a %s script records an action and an LLM call; /metrics counts them', async (_what, file, source, flavour) => {
    fs.writeFileSync(path.join(app, file), source);
    const out = await must(process.execPath, [file], app, { EXPORTER_URL: exp.url, RUNBOARD_API_TOKEN: exp.token });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { version: string; stats: { sent: number; dropped: number } };
    expect(result).toEqual({ version: SDK_VERSION, stats: expect.objectContaining({ sent: 2, dropped: 0, queued: 0 }) });

    const metrics = await (await fetch(`${exp.url}/metrics`, { headers: auth(exp.token) })).text();
    expect(sample(metrics, 'runboard_actions_total', { action: `pkg-${flavour}`, outcome: 'success' })).toBe(1);
    expect(sample(metrics, 'runboard_llm_requests_total', { model: `pkg-${flavour}-model` })).toBe(1);
  });

  test('its types resolve for an ESM and a CommonJS TypeScript app (module node16)', async () => {
    fs.writeFileSync(path.join(app, 'check.mts'), TYPES);
    fs.writeFileSync(path.join(app, 'check.cts'), TYPES);
    // No @types/node: the SDK's declarations must stand on their own in an app that has none.
    const compilerOptions = { noEmit: true, strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: [] };
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.mts', 'check.cts'] }));
    const r = await run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});

test('installing from the repository path links the built package', async () => {
  const app = newApp();
  await must('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(REPO, 'sdk')], app);
  expect(fs.realpathSync(path.join(app, 'node_modules/@runboard/sdk'))).toBe(fs.realpathSync(path.join(REPO, 'sdk')));
  fs.writeFileSync(path.join(app, 'app.cjs'), CJS.replace(/pkg-cjs/g, 'pkg-link'));
  await must(process.execPath, ['app.cjs'], app, { EXPORTER_URL: exp.url, RUNBOARD_API_TOKEN: exp.token });
  const metrics = await (await fetch(`${exp.url}/metrics`, { headers: auth(exp.token) })).text();
  expect(sample(metrics, 'runboard_actions_total', { action: 'pkg-link', outcome: 'success' })).toBe(1);
}, 60_000);
