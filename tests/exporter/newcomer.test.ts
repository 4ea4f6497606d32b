/**
 * What a new user meets first (README "Quick start", "The exporter", "CLI"): an unknown command
 * is named as such, a config file that cannot be read is named with its setting, and the
 * exporter's own address answers with where to go.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CLI, startExporter, tmpDir, type RunningExporter } from '../helpers/exporter-process';

function cli(args: string[], env: NodeJS.ProcessEnv = {}, as?: { uid: number; gid: number }) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOARD_')));
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000, env: { ...clean, ...env }, ...as });
}

describe('unknown commands', () => {
  it.each([[['deploy']], [['quer']], [['--port', '0', 'stats']], [['serve', 'now']]])('%j: one line naming it, exit 2, nothing started', (args) => {
    const word = args[args.length - 1];
    const res = cli([...args, '--data-dir', tmpDir()]);
    expect(res.stderr).toBe(`runboard-exporter: unknown command "${word}" (see runboard-exporter --help)\n`);
    expect(res.stdout).toBe('');
    expect(res.status).toBe(2);
  });
});

describe('a config file that cannot be read', () => {
  it.each([
    ['missing', (dir: string) => path.join(dir, 'nope.yaml'), 'no such file or directory'],
    ['a directory', (dir: string) => dir, 'is a directory'],
    ['a path through a file', (dir: string) => (fs.writeFileSync(path.join(dir, 'f'), ''), path.join(dir, 'f', 'runboard.yaml')), 'a part of the path is not a directory'],
  ])('%s: one line naming the file and the setting, exit 2', (_what, make, reason) => {
    const dir = tmpDir();
    const file = make(dir);
    for (const [args, env] of [
      [['--config', file], {}],
      [[], { RUNBOARD_CONFIG: file }],
    ] as const) {
      const res = cli(['serve', '--port', '0', '--data-dir', dir, ...args], env);
      expect(res.stderr).toBe(`runboard-exporter: cannot read the config file ${file} (--config, RUNBOARD_CONFIG): ${reason}\n`);
      expect(res.status).toBe(2);
    }
  });

  it('unreadable: permission denied', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'runboard.yaml');
    fs.writeFileSync(file, 'port: 1\n', { mode: 0o000 });
    // Root reads any file: as root, run the CLI as nobody.
    const res = cli(['serve', '--port', '0', '--data-dir', dir, '--config', file], {}, process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined);
    expect(res.stderr).toBe(`runboard-exporter: cannot read the config file ${file} (--config, RUNBOARD_CONFIG): permission denied\n`);
    expect(res.status).toBe(2);
  });
});

describe('GET /', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter();
  });
  afterAll(async () => {
    await exp?.stop();
  });

  function get(host: string): Promise<{ status: number; type: string; body: string }> {
    const u = new URL(exp.url);
    return new Promise((resolve, reject) => {
      http
        .get({ host: u.hostname, port: u.port, path: '/', headers: { Host: host } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
        })
        .on('error', reject);
    });
  }

  it('answers without a token with the endpoints and where the docs are', async () => {
    const res = await get(new URL(exp.url).host);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    const index = JSON.parse(res.body) as { name: string; version: string; endpoints: Record<string, string>; docs: string };
    expect(index.endpoints).toMatchObject({ metrics: '/metrics', health: '/api/v1/health', series: '/api/v1/series', stream: '/api/v1/stream', costs: '/api/v1/costs' });
    expect(index.docs).toMatch(/README/);
    // Every endpoint it names exists (a token-protected one answers 401, not 404).
    for (const p of Object.values(index.endpoints)) expect([p, (await fetch(exp.url + p)).status]).not.toEqual([p, 404]);
  });

  it('tells nothing health does not: no token, no host name, no system inventory', async () => {
    const { body } = await get(new URL(exp.url).host);
    const health = (await (await fetch(`${exp.url}/api/v1/health`)).json()) as { version: string; system?: Record<string, unknown> };
    expect(body).not.toContain(exp.token);
    for (const v of Object.values(health.system ?? {})) if (typeof v === 'string' && v.length > 2) expect(body).not.toContain(v);
    expect(JSON.parse(body).version).toBe(health.version);
  });

  it('keeps the Host check: a foreign name gets 421', async () => {
    const res = await get('rebind.attacker.example');
    expect(res.status).toBe(421);
    expect(res.body).not.toContain('endpoints');
  });
});
