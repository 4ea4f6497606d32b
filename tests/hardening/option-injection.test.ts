/**
 * Option injection (README "Parameter rules") against real programs on this machine: git, find,
 * tar, ls and head run as exporter commands with ordinary templates. argv without a shell stops
 * shell tricks, not options, so each attack is checked by its effect: no file written, no file
 * deleted, no marker created, no directory outside a path root listed; and the API answers 400
 * naming the parameter with no run recorded (nothing spawned). Also: an admin pattern that
 * backtracks catastrophically in a JavaScript RegExp, the example sample-task honouring `--`, and
 * http-check reaching only the URLs its config allows (README "Parameter rules", "Commands").
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningExporter } from '../helpers/exporter-process';
import { FIXTURES } from '../helpers/commands-config';
import { connectSse } from '../helpers/sse-client';
import { report, request, startWith, tmpDir } from './harness';

const run = promisify(execFile);

/** The real programs, by absolute path: a missing one fails the start with the command's id. */
const BIN = { git: '/usr/bin/git', find: '/usr/bin/find', tar: '/usr/bin/tar', ls: '/usr/bin/ls', head: '/usr/bin/head' };
const HTTP_CHECK = path.resolve(__dirname, '../../exporter/examples/commands/http-check.js');

const W = tmpDir('runboard-optinj-');
const dirs = {
  repo: path.join(W, 'repo'),
  out: path.join(W, 'out'),
  files: path.join(W, 'files'),
  extract: path.join(W, 'extract'),
  root: path.join(W, 'root'),
  secret: path.join(W, 'secret'),
};
const archive = path.join(W, 'archive.tar');
const tenLines = path.join(dirs.files, 'ten-lines.txt');

function workspace(): void {
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const git = (...args: string[]) => execFileSync(BIN.git, ['-C', dirs.repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { stdio: 'ignore' });
  git('init', '-q');
  fs.writeFileSync(path.join(dirs.repo, 'README'), 'x\n');
  git('add', 'README');
  git('commit', '-q', '-m', 'initial commit');
  fs.writeFileSync(path.join(dirs.files, 'a.txt'), 'a\n');
  fs.writeFileSync(path.join(dirs.files, 'victim.txt'), 'must survive\n');
  fs.writeFileSync(tenLines, Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  execFileSync(BIN.tar, ['-cf', archive, '-C', dirs.files, 'a.txt']);
  fs.writeFileSync(path.join(dirs.root, 'inside.txt'), '');
  // A directory whose name reads like an option: a path parameter must list it, not print help.
  fs.mkdirSync(path.join(dirs.root, '--help'));
  fs.writeFileSync(path.join(dirs.root, '--help', 'help-entry.txt'), '');
  fs.writeFileSync(path.join(dirs.secret, 'secret-entry.txt'), '');
  fs.symlinkSync(dirs.secret, path.join(dirs.root, 'link'));
}

const filesBefore = () => fs.readdirSync(dirs.files).sort();
let exp: RunningExporter;
let examples: RunningExporter;
const H = (e: RunningExporter) => ({ Authorization: `Bearer ${e.token}`, 'Content-Type': 'application/json' });
const figures = { refused: 0, accepted: 0, redosWorstMs: 0, healthWorstMs: 0 };

beforeAll(async () => {
  workspace();
  const text = (extra: object = {}) => ({ type: 'string', maxLength: 200, ...extra });
  exp = await startWith({
    limits: { concurrentRuns: 4, runQueue: 20 },
    commands: [
      {
        id: 'git-log',
        title: 'git log',
        executable: BIN.git,
        args: ['-C', dirs.repo, 'log', '--oneline', '{ref}'],
        parameters: { ref: text({ default: 'HEAD' }) },
        env: ['PATH', 'HOME'],
      },
      {
        id: 'find-name',
        title: 'find by name',
        executable: BIN.find,
        cwd: dirs.files,
        args: ['{dir}', '-name', '{name}'],
        parameters: { dir: text({ default: '.' }), name: text({ default: 'x' }) },
        env: ['PATH'],
      },
      {
        id: 'find-path',
        title: 'find under a root',
        executable: BIN.find,
        cwd: dirs.files,
        args: ['{dir}', '-name', 'x'],
        parameters: { dir: { type: 'path', root: dirs.files, default: '.' } },
        env: ['PATH'],
      },
      {
        id: 'tar-extract',
        title: 'extract one member',
        executable: BIN.tar,
        args: ['-xf', archive, '-C', dirs.extract, '{member}'],
        parameters: { member: text({ default: 'a.txt' }) },
        env: ['PATH'],
      },
      { id: 'ls-dir', title: 'list a directory', executable: BIN.ls, args: ['-1', '{dir}'], parameters: { dir: { type: 'path', root: dirs.root, default: '.' } }, env: ['PATH'] },
      {
        id: 'head-lines',
        title: 'first lines',
        executable: BIN.head,
        args: ['-n', '{lines}', tenLines],
        parameters: { lines: { type: 'integer', max: 100, default: 3 } },
        env: ['PATH'],
      },
      {
        id: 'head-offset',
        title: 'lines with a negative count',
        executable: BIN.head,
        args: ['-n', '{lines}', tenLines],
        parameters: { lines: { type: 'integer', min: -10, max: 100, default: 3 } },
        env: ['PATH'],
      },
      {
        id: 'redos',
        title: 'a backtracking pattern',
        executable: process.execPath,
        args: [path.join(FIXTURES, 'print-argv.js'), '{v}'],
        parameters: { v: { type: 'string', pattern: '([a-z]+)+$', maxLength: 65536, default: 'abc' } },
        env: ['PATH'],
      },
    ],
  });
  // No `commands:` key: the shipped examples, as a fresh install has them.
  examples = await startWith({});
}, 30000);

afterAll(async () => {
  await exp?.stop();
  await examples?.stop();
  report('option-injection', figures);
  fs.rmSync(W, { recursive: true, force: true });
});

async function runCount(e: RunningExporter, command: string): Promise<number> {
  const res = await request(e.url, 'GET', `/api/v1/runs?command=${command}&limit=1`, { headers: H(e) });
  return (JSON.parse(res.text) as { total: number }).total;
}

/** Starts a run and reads its output to the end. */
async function runToEnd(e: RunningExporter, command: string, parameters: Record<string, unknown>): Promise<{ outcome: string; output: string }> {
  const res = await request(e.url, 'POST', `/api/v1/commands/${command}/runs`, { headers: H(e), body: JSON.stringify({ parameters }) });
  if (res.status !== 202) throw new Error(`${command} ${JSON.stringify(parameters)}: ${res.status} ${res.text}`);
  figures.accepted++;
  const { id } = JSON.parse(res.text) as { id: string };
  const c = await connectSse(`${e.url}/api/v1/runs/${id}/output`, { Authorization: `Bearer ${e.token}` });
  await c.closed;
  const output = c.events
    .filter((ev) => ev.event === 'line')
    .map((ev) => (JSON.parse(ev.data) as { text: string }).text)
    .join('\n');
  const end = c.events.find((ev) => ev.event === 'end');
  return { outcome: end ? (JSON.parse(end.data) as { outcome: string }).outcome : 'none', output };
}

/** 400 naming `parameters.<name>`, and no run recorded: nothing was spawned. */
async function expectRefused(command: string, name: string, value: unknown, reason: RegExp, extra: Record<string, unknown> = {}): Promise<void> {
  const before = await runCount(exp, command);
  const res = await request(exp.url, 'POST', `/api/v1/commands/${command}/runs`, { headers: H(exp), body: JSON.stringify({ parameters: { ...extra, [name]: value } }) });
  expect({ status: res.status, field: (JSON.parse(res.text) as { error?: { field?: string } }).error?.field }).toEqual({ status: 400, field: `parameters.${name}` });
  expect((JSON.parse(res.text) as { error: { message: string } }).error.message).toMatch(reason);
  expect(await runCount(exp, command)).toBe(before);
  figures.refused++;
}

const DASH = /^parameters\.\w+: must not begin with "-"/;

describe('real programs do not take values as options', () => {
  it('git: --output= as a ref writes no file', async () => {
    const target = path.join(dirs.out, 'git-log.txt');
    await expectRefused('git-log', 'ref', `--output=${target}`, DASH);
    await expectRefused('git-log', 'ref', '--all', DASH);
    expect(fs.existsSync(target)).toBe(false);
    const ok = await runToEnd(exp, 'git-log', { ref: 'HEAD' });
    expect(ok).toMatchObject({ outcome: 'success', output: expect.stringContaining('initial commit') });
  });

  it('find: -delete and -fprint as a start directory delete and write nothing', async () => {
    const before = filesBefore();
    await expectRefused('find-name', 'dir', '-delete', DASH);
    // `find -fprint -name x` would create a file named "-name" in the working directory.
    await expectRefused('find-name', 'dir', '-fprint', DASH);
    expect(filesBefore()).toEqual(before);
    expect(fs.readdirSync(dirs.out)).toEqual([]);
  });

  it('find: a path parameter turns -delete into a path under its root, which deletes nothing', async () => {
    const before = filesBefore();
    const r = await runToEnd(exp, 'find-path', { dir: '-delete' });
    expect(r.outcome).toBe('failure');
    expect(r.output).toContain(path.join(fs.realpathSync(dirs.files), '-delete'));
    expect(filesBefore()).toEqual(before);
  });

  it('tar: --to-command and --checkpoint-action as a member run nothing', async () => {
    const marker = path.join(dirs.out, 'tar-marker');
    await expectRefused('tar-extract', 'member', `--to-command=touch ${marker}`, DASH);
    await expectRefused('tar-extract', 'member', `--checkpoint-action=exec=touch ${marker}`, DASH);
    expect(fs.existsSync(marker)).toBe(false);
    expect(await runToEnd(exp, 'tar-extract', { member: 'a.txt' })).toMatchObject({ outcome: 'success' });
    expect(fs.readFileSync(path.join(dirs.extract, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('ls: a path root keeps ../ escapes and symbolic links from listing directories outside it', async () => {
    for (const dir of ['../secret', '../../../../../../../../../etc/ssh', '../../../../../../../../../etc', dirs.secret, 'link', 'link/.']) {
      await expectRefused('ls-dir', 'dir', dir, new RegExp(`must be a path inside ${dirs.root}`));
    }
    const inside = await runToEnd(exp, 'ls-dir', {});
    expect(inside).toMatchObject({ outcome: 'success', output: expect.stringContaining('inside.txt') });
    expect(inside.output).not.toContain('secret-entry.txt');
    // "--help" names the directory of that name inside the root: ls lists it, it prints no help.
    const help = await runToEnd(exp, 'ls-dir', { dir: '--help' });
    expect(help).toMatchObject({ outcome: 'success', output: 'help-entry.txt' });
  });

  it('head: -5 for an integer without min is refused; a declared min allows it', async () => {
    await expectRefused('head-lines', 'lines', -5, /must be at least 0/);
    expect((await runToEnd(exp, 'head-lines', { lines: 2 })).output).toBe('line 1\nline 2');
    // `head -n -5` is "all but the last 5": a negative count is an option the admin must allow.
    expect((await runToEnd(exp, 'head-offset', { lines: -5 })).output.split('\n')).toHaveLength(5);
  });
});

describe('admin patterns cannot stall the exporter', () => {
  it('answers a catastrophic-backtracking value at once while health stays responsive', async () => {
    // `^(?:([a-z]+)+$)$` backtracks ~2^n steps on n letters and a "!" in a JavaScript RegExp
    // (the issue measured 5 s at 30 characters); RE2 is linear. Bound: 2 s for the request and
    // 1 s for a health request sent alongside it, generous for a shared 2-core machine.
    for (const v of ['a'.repeat(32) + '!', 'a'.repeat(65535) + '!']) {
      const t0 = performance.now();
      const [res, health] = await Promise.all([
        request(exp.url, 'POST', '/api/v1/commands/redos/runs', { headers: H(exp), body: JSON.stringify({ parameters: { v } }), timeoutMs: 10000 }),
        (async () => {
          const h0 = performance.now();
          const h = await request(exp.url, 'GET', '/api/v1/health', { timeoutMs: 10000 });
          return { status: h.status, ms: performance.now() - h0 };
        })(),
      ]);
      const ms = performance.now() - t0;
      figures.redosWorstMs = Math.max(figures.redosWorstMs, Math.round(ms));
      figures.healthWorstMs = Math.max(figures.healthWorstMs, Math.round(health.ms));
      expect(res.status).toBe(400);
      expect(res.text).toContain('parameters.v: must match the pattern');
      expect(health.status).toBe(200);
      expect(ms).toBeLessThan(2000);
      expect(health.ms).toBeLessThan(1000);
    }
    expect(await runToEnd(exp, 'redos', { v: 'abc' })).toMatchObject({ outcome: 'success' });
  }, 30000);
});

describe('the shipped examples', () => {
  it('sample-task: a topic "--fail" after -- is the topic, not the option', async () => {
    const r = await runToEnd(examples, 'sample-task', { topic: '--fail', steps: 2, delay_ms: 0 });
    expect(r.outcome).toBe('success');
    expect(r.output).toContain('sample-task: 2 steps on "--fail"');
  });

  /** A local HTTP server that records every request it gets. */
  async function recorder(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, s) => s.end('ok')) {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { seen, origin, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('http-check (default config): reaches the exporter itself, refuses any other address without a request', async () => {
    const other = await recorder();
    try {
      for (const url of [`${other.origin}/probe`, `${examples.url}@${other.origin.slice('http://'.length)}/`, `${other.origin.replace('127.0.0.1', 'localhost')}/`]) {
        const r = await runToEnd(examples, 'http-check', { url });
        expect({ url, outcome: r.outcome }).toEqual({ url, outcome: 'failure' });
        expect(r.output).toMatch(/refused: /);
      }
      expect(other.seen).toEqual([]);
      const self = await runToEnd(examples, 'http-check', { url: `${examples.url}/api/v1/health` });
      expect(self).toMatchObject({ outcome: 'success', output: expect.stringContaining('200 OK') });
      // The default (empty) URL checks this exporter, on the random port it was started on.
      const byDefault = await runToEnd(examples, 'http-check', {});
      expect(byDefault).toMatchObject({ outcome: 'success', output: expect.stringContaining(`requesting ${examples.url}/api/v1/health`) });
    } finally {
      await other.close();
    }
  });

  it('http-check (--allow): an origin + path prefix allows below it only, and a redirect is reported, not followed', async () => {
    const elsewhere = await recorder();
    const allowed = await recorder((req, res) => {
      if (req.url === '/ok/redirect') res.writeHead(302, { Location: `${elsewhere.origin}/` }).end();
      else res.end('ok');
    });
    const check = (url: string) =>
      run(process.execPath, [HTTP_CHECK, '--allow', `${allowed.origin}/ok`, '--timeout', '5', '--', url], { env: { PATH: process.env.PATH } }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    try {
      expect(await check(`${allowed.origin}/ok/x?y=1`)).toMatchObject({ code: 0 });
      expect(await check(`${allowed.origin}/ok`)).toMatchObject({ code: 0 });
      for (const url of [`${allowed.origin}/okay`, `${allowed.origin}/other`, `${allowed.origin}/ok/..%2Fother`, `${elsewhere.origin}/ok/x`]) {
        expect(await check(url)).toMatchObject({ code: 2, out: expect.stringContaining('refused: ') });
      }
      const redirect = await check(`${allowed.origin}/ok/redirect`);
      expect(redirect).toMatchObject({ code: 1, out: expect.stringContaining(`redirect to ${elsewhere.origin}/ (not followed)`) });
      expect(allowed.seen).toEqual(['/ok/x?y=1', '/ok', '/ok/redirect']);
      expect(elsewhere.seen).toEqual([]);
    } finally {
      await allowed.close();
      await elsewhere.close();
    }
  });
});
