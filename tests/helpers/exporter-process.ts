/**
 * Starts the real exporter binary (exporter/dist/cli.js, built by `npm test`'s pretest) on a free
 * port and stops it afterwards. Port 0 lets the kernel pick; the banner says which.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForListening } from './spawned';

export const CLI = path.resolve(__dirname, '../../exporter/dist/cli.js');
export const TOKEN = 'test-token-0123456789abcdef';

export interface RunningExporter {
  url: string;
  token: string;
  dataDir: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tmpDir(prefix = 'runboard-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startExporter(
  args: string[] = [],
  opts: { env?: NodeJS.ProcessEnv; dataDir?: string; token?: string | null; nodeArgs?: string[] } = {},
): Promise<RunningExporter> {
  const dataDir = opts.dataDir ?? tmpDir();
  const token = opts.token === undefined ? TOKEN : opts.token;
  const env: NodeJS.ProcessEnv = { ...process.env, RUNBOARD_API_TOKEN: token ?? '', ...opts.env };
  for (const k of Object.keys(env)) if (k.startsWith('RUNBOARD_') && env[k] === '') delete env[k];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const url = await waitForListening(
    child,
    () => out,
    () => err,
    15_000,
  );
  const fileToken = token ?? fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
  return {
    url,
    token: fileToken,
    dataDir,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export function auth(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** Reads a JSON response body; tests assert on its shape (fetch types bodies as unknown). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson<T = any>(res: Response | Promise<Response>): Promise<T> {
  return (await res).json() as Promise<T>;
}
