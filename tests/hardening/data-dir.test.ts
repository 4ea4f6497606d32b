/**
 * A private, single-owner data dir (README
 * "The data dir"): the dir is 0700 and the ledger, its -wal/-shm files and the token file 0600
 * whatever the token source, looser modes are fixed at start with a warning; a second exporter on
 * the same dir exits 1 naming the dir and the owner's PID and leaves the owner's runs alone, and a
 * `kill -9`ed owner leaves no stale lock; start-up failures are one line naming the file and the
 * setting. Cases needing a file another user owns run the exporter as `nobody` (tests run as
 * root, for whom permissions stop nothing) and are skipped when not root.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Exporter } from '../../exporter/src/exporter';
import { silentLogger } from '../../exporter/src/log';
import { CLI, startExporter, tmpDir, TOKEN, type RunningExporter } from '../helpers/exporter-process';
import { report, request, sleep, startWith } from './harness';

const SETTING = '(dataDir, --data-dir, RUNBOARD_DATA_DIR)';
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const rootIt = asRoot ? it : it.skip;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh base dir; `open` lets `nobody` reach what is inside it. */
function base(open = false): string {
  const d = tmpDir('runboard-datadir-');
  dirs.push(d);
  if (open) fs.chmodSync(d, 0o755);
  return d;
}

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
const octal = (m: number) => '0' + m.toString(8);

interface Outcome {
  code: number | null;
  /** It got as far as listening (then it was stopped): the start did not fail. */
  started: boolean;
  stderr: string;
}

/** Runs `serve` on `dataDir` until it exits or listens (then stops it), optionally as another user. */
function serve(dataDir: string, opts: { uid?: number; token?: string | null; args?: string[] } = {}): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, RUNBOARD_API_TOKEN: opts.token === undefined ? TOKEN : (opts.token ?? '') };
  for (const k of Object.keys(env)) if (k.startsWith('RUNBOARD_') && env[k] === '') delete env[k];
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...(opts.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  let out = '';
  let err = '';
  let started = false;
  child.stdout.on('data', (d) => {
    out += d;
    if (!started && /listening on/.test(out)) {
      started = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`exporter neither failed nor listened in 15 s; stderr: ${err}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, started, stderr: err });
    });
  });
}

/** The start failed with exit 1 and printed exactly `line` (after any warnings). */
function expectFailure(o: Outcome, line: string | RegExp): void {
  expect(o.started).toBe(false);
  expect(o.code).toBe(1);
  const lines = o.stderr
    .trimEnd()
    .split('\n')
    .filter((l) => !/^\S+ warn /.test(l));
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(`runboard-exporter: ${line}`);
  else expect(lines[0]).toMatch(line);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('file modes', () => {
  const ledgerFiles = ['runboard.db', 'runboard.db-wal', 'runboard.db-shm'];
  /** What a running exporter's data dir holds, private to its user (the token file comes on top when it generates the token). */
  const privateModes = {
    '.': '0700',
    'runboard.db': '0600',
    'runboard.db-wal': '0600',
    'runboard.db-shm': '0600',
    'runboard.lock': '0600',
    'runboard.pid': '0600',
  };

  async function modesWhileRunning(exp: RunningExporter): Promise<Record<string, string>> {
    // The -wal and -shm files exist while the ledger is open.
    const names = [...ledgerFiles, 'runboard.lock', 'runboard.pid', 'api-token'];
    const got: Record<string, string> = { '.': octal(modeOf(exp.dataDir)) };
    for (const n of names) if (fs.existsSync(path.join(exp.dataDir, n))) got[n] = octal(modeOf(path.join(exp.dataDir, n)));
    return got;
  }

  it('creates the dir 0700 and the ledger files 0600 when the token comes from the environment', async () => {
    const dataDir = path.join(base(), 'new', 'data');
    const exp = await startExporter([], { dataDir });
    try {
      expect(await modesWhileRunning(exp)).toEqual(privateModes);
      // Parents it had to create are private too.
      expect(octal(modeOf(path.dirname(dataDir)))).toBe('0700');
    } finally {
      await exp.stop();
    }
  });

  it('creates the dir 0700 and the ledger and token files 0600 when it generates the token', async () => {
    const dataDir = path.join(base(), 'data');
    const exp = await startExporter([], { dataDir, token: null });
    try {
      expect(await modesWhileRunning(exp)).toEqual({ ...privateModes, 'api-token': '0600' });
    } finally {
      await exp.stop();
    }
  });

  it('fixes a looser dir and files at start, with one warning naming each path and its old mode', async () => {
    const dataDir = path.join(base(), 'data');
    // A ledger left by an exporter that did not care (dir 0755, files 0644), token from a file.
    const first = await startExporter([], { dataDir, token: null });
    await first.stop();
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'runboard.db'), 0o644);
    fs.chmodSync(path.join(dataDir, 'api-token'), 0o644);
    fs.writeFileSync(path.join(dataDir, 'runboard.db-wal'), '', { mode: 0o640 });
    fs.chmodSync(path.join(dataDir, 'runboard.db-wal'), 0o640);
    const exp = await startExporter([], { dataDir });
    try {
      expect(await modesWhileRunning(exp)).toMatchObject({ '.': '0700', 'runboard.db': '0600', 'runboard.db-wal': '0600', 'api-token': '0600' });
      const warnings = exp
        .stderr()
        .split('\n')
        .filter((l) => / warn .* had mode /.test(l));
      expect(warnings).toHaveLength(4);
      for (const [p, old] of [
        [dataDir, '0755'],
        [path.join(dataDir, 'runboard.db'), '0644'],
        [path.join(dataDir, 'runboard.db-wal'), '0640'],
        [path.join(dataDir, 'api-token'), '0644'],
      ]) {
        expect(warnings.filter((w) => w.includes(` ${p} had mode ${old} `))).toHaveLength(1);
      }
    } finally {
      await exp.stop();
    }
  });

  rootIt('refuses a dir open to others that it cannot make private (another user owns it)', async () => {
    const dataDir = path.join(base(true), 'shared');
    fs.mkdirSync(dataDir);
    fs.chmodSync(dataDir, 0o777);
    const o = await serve(dataDir, { uid: NOBODY });
    expectFailure(
      o,
      `cannot make the data dir ${dataDir} private ${SETTING}: it has mode 0777 and belongs to uid 0, this exporter runs as uid ${NOBODY} (operation not permitted); chown it to uid ${NOBODY} or choose another data dir`,
    );
    expect(fs.readdirSync(dataDir)).toEqual([]);
    expect(modeOf(dataDir)).toBe(0o777);
  });
});

describe('one owner per data dir', () => {
  /** A command that runs until its flag file exists, then succeeds: a run that outlives a test step. */
  function waitingConfig(dir: string): Record<string, unknown> {
    const script = path.join(dir, 'wait-for-file.js');
    fs.writeFileSync(script, "const fs = require('fs');\nconst t = setInterval(() => { if (fs.existsSync(process.argv[2])) { clearInterval(t); console.log('done'); } }, 20);\n");
    return {
      commands: [1, 2].map((n) => ({ id: `wait${n}`, title: `Waits for flag ${n}`, executable: process.execPath, args: [script, path.join(dir, `flag${n}`)] })),
    };
  }

  async function startRun(exp: RunningExporter, command: string): Promise<string> {
    const res = await request(exp.url, 'POST', `/api/v1/commands/${command}/runs`, {
      headers: { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(202);
    const id = (JSON.parse(res.text) as { id: string }).id;
    await waitFor(`run ${id} running`, async () => ((await getRun(exp, id)).status === 'running' ? true : undefined));
    return id;
  }

  async function getRun(exp: RunningExporter, id: string): Promise<{ status: string; outcome: string | null; error: string | null }> {
    const res = await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: { Authorization: `Bearer ${exp.token}` } });
    expect(res.status).toBe(200);
    return JSON.parse(res.text);
  }

  /** Runs the ledger lists as running (not the live view: the ledger is what a second exporter would change). */
  async function runningInLedger(exp: RunningExporter): Promise<string[]> {
    const res = await request(exp.url, 'GET', '/api/v1/runs?status=running', { headers: { Authorization: `Bearer ${exp.token}` } });
    return (JSON.parse(res.text) as { runs: Array<{ id: string }> }).runs.map((r) => r.id);
  }

  it('refuses a second exporter (exit 1, naming the dir and the PID), leaves the live run alone, and a kill -9 leaves no stale lock', async () => {
    const dir = base();
    const dataDir = path.join(dir, 'data');
    const config = waitingConfig(dir);
    const first = await startWith(config, { dataDir });
    let third: RunningExporter | undefined;
    try {
      const run1 = await startRun(first, 'wait1');

      const t0 = Date.now();
      const second = await serve(dataDir);
      const refusedMs = Date.now() - t0;
      expectFailure(second, `data dir ${dataDir} is in use by another Runboard exporter (PID ${first.child.pid}); stop it or pass --data-dir`);
      expect(await runningInLedger(first)).toEqual([run1]);
      fs.writeFileSync(path.join(dir, 'flag1'), '');
      const done = await waitFor('run 1 to finish', async () => {
        const r = await getRun(first, run1);
        return r.status === 'finished' ? r : undefined;
      });
      expect(done.outcome).toBe('success');

      // The owner dies without releasing anything; the next exporter takes the dir at once.
      const run2 = await startRun(first, 'wait2');
      const k0 = Date.now();
      expect(await first.stop('SIGKILL')).toBe(null);
      third = await startWith(config, { dataDir });
      report('data-dir', { secondRefusedInMs: refusedMs, listeningAfterKill9Ms: Date.now() - k0 });
      expect(third.stderr()).toMatch(/1 command run\(s\) were active when the exporter last stopped; marked cancelled/);
      const after = await getRun(third, run2);
      expect(after).toMatchObject({ status: 'finished', outcome: 'cancelled' });
      // And the new owner is the one a later exporter is told about.
      expectFailure(await serve(dataDir), new RegExp(`in use by another Runboard exporter \\(PID ${third.child.pid}\\)`));
    } finally {
      // The orphaned command of the killed exporter ends with its flag.
      fs.writeFileSync(path.join(dir, 'flag2'), '');
      await first.stop();
      await third?.stop();
    }
  });

  it('refuses a second exporter in the same process, which keeps the first one the owner', async () => {
    const dataDir = path.join(base(), 'data');
    const config = { port: 0, dataDir, auth: { token: TOKEN } };
    const first = await Exporter.start(config, { log: silentLogger, system: false });
    try {
      await expect(Exporter.start(config, { log: silentLogger, system: false })).rejects.toThrow(
        `data dir ${dataDir} is in use by another Runboard exporter (PID ${process.pid}, this process); stop it or pass --data-dir`,
      );
      // The refused attempt did not drop the owner's lock (closing any descriptor of the lock file
      // would): another process is still refused.
      expectFailure(await serve(dataDir), new RegExp(`in use by another Runboard exporter \\(PID ${process.pid}\\)`));
    } finally {
      await first.stop();
    }
    // stop() gives the dir up.
    const next = await Exporter.start(config, { log: silentLogger, system: false });
    await next.stop();
    expect(fs.existsSync(path.join(dataDir, 'runboard.pid'))).toBe(false);
  });
});

describe('start-up errors name the file and the setting, in one line', () => {
  it('a corrupt ledger', async () => {
    const dataDir = path.join(base(), 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const file = path.join(dataDir, 'runboard.db');
    fs.writeFileSync(file, 'this is not a SQLite database, just garbage that looks like one to nobody\n'.repeat(20), { mode: 0o600 });
    const o = await serve(dataDir);
    expectFailure(o, `cannot open the ledger ${file} ${SETTING}: file is not a database`);
    expect(o.stderr).not.toMatch(/ warn /);
  });

  it('a data dir below a file, and a data dir that is a file', async () => {
    const file = path.join(base(), 'a-file');
    fs.writeFileSync(file, 'x');
    expectFailure(await serve(path.join(file, 'data')), `cannot create the data dir ${path.join(file, 'data')} ${SETTING}: a part of the path is not a directory`);
    expectFailure(await serve(file), `cannot create the data dir ${file} ${SETTING}: exists and is not a directory`);
  });

  it('a token file that cannot be read', async () => {
    const dataDir = path.join(base(), 'data');
    fs.mkdirSync(path.join(dataDir, 'api-token'), { recursive: true, mode: 0o700 });
    expectFailure(
      await serve(dataDir, { token: null }),
      `cannot read the API token file ${path.join(dataDir, 'api-token')} (dataDir, --data-dir, RUNBOARD_DATA_DIR; or set auth.token / RUNBOARD_API_TOKEN): is a directory`,
    );
  });

  rootIt('a token file another user owns', async () => {
    const dataDir = path.join(base(true), 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.chownSync(dataDir, NOBODY, NOBODY);
    fs.writeFileSync(path.join(dataDir, 'api-token'), 'a-token-of-root-0123456789\n', { mode: 0o600 });
    expectFailure(
      await serve(dataDir, { uid: NOBODY, token: null }),
      `cannot read the API token file ${path.join(dataDir, 'api-token')} (dataDir, --data-dir, RUNBOARD_DATA_DIR; or set auth.token / RUNBOARD_API_TOKEN): permission denied`,
    );
  });

  rootIt('a data dir the exporter cannot write', async () => {
    const dataDir = path.join(base(true), 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    expectFailure(await serve(dataDir, { uid: NOBODY }), `cannot write to the data dir ${dataDir} ${SETTING}: permission denied`);
  });

  rootIt('a ledger the exporter cannot write', async () => {
    const dataDir = path.join(base(true), 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.chownSync(dataDir, NOBODY, NOBODY);
    const file = path.join(dataDir, 'runboard.db');
    fs.writeFileSync(file, '', { mode: 0o600 });
    expectFailure(await serve(dataDir, { uid: NOBODY }), `cannot open the ledger ${file} ${SETTING}: permission denied`);
  });
});
