/**
 * The built CLI (`runboard-exporter <command>`) as a child process, the way a user runs it, for
 * the tests of its commands: exit code, stdout and stderr as the user would see them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './exporter-process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SpawnedCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

/** No RUNBOARD_* from the developer's shell, and `xdgDataHome` (an empty dir) as the default data dir's parent; then `extra`. */
export function cliEnv(xdgDataHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: xdgDataHome };
  for (const k of Object.keys(env)) if (k.startsWith('RUNBOARD_')) delete env[k];
  return { ...env, ...extra };
}

/** Starts the CLI; it is killed after `killAfterMs`, so a hung command fails its test rather than the run. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, killAfterMs: number): SpawnedCli {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** One line on stderr, no stack trace, nothing on stdout. */
export function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code, stdout: '' });
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/** Polls `fn` until it returns a value; fails naming `what` after `ms`. */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
