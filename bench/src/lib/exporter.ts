/**
 * Starts the built exporter (`node exporter/dist/cli.js serve --port 0 --data-dir <tmp>`) as its
 * own process, as a user would, and stops it with SIGTERM. `--demo` stays off unless asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForListening } from '../../../tests/helpers/spawned';
import { stopChild } from './child';
import { CLI } from './paths';

export interface RunningExporter {
  url: string;
  token: string;
  pid: number;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra serve flags, e.g. ['--interval', '0.1']. */
  args?: string[];
  /** Written to a JSON config file passed with --config. */
  config?: Record<string, unknown>;
  /** Node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The Node flags `npm start` and the Docker image run the exporter with (README "Performance"). */
export const EXPORTER_NODE_FLAGS = ['--v8-pool-size=1', '--expose-gc'];

export function tmpDir(prefix = 'runboard-bench-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startExporter(opts: StartOptions = {}): Promise<RunningExporter> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build the exporter first (npx tsc -p exporter)`);
  const dataDir = tmpDir();
  const token = `bench-${randomBytes(16).toString('hex')}`;
  const args = ['serve', '--port', '0', '--data-dir', dataDir];
  if (opts.config) {
    const file = path.join(dataDir, 'bench-config.json');
    fs.writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  args.push(...(opts.args ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, RUNBOARD_API_TOKEN: token };
  for (const k of Object.keys(env)) if (k.startsWith('RUNBOARD_') && k !== 'RUNBOARD_API_TOKEN' && !(opts.env && k in opts.env)) delete env[k];
  const child = spawn(process.execPath, [...EXPORTER_NODE_FLAGS, ...(opts.nodeArgs ?? []), CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out.length < 100_000 ? (out += d) : undefined));
  if (process.env.BENCH_ECHO_STDOUT) child.stdout!.on('data', (d) => process.stdout.write(d));
  child.stderr!.on('data', (d) => (err.length < 100_000 ? (err += d) : undefined));
  const url = await waitForListening(
    child,
    () => out,
    () => err,
    20_000,
  );
  return {
    url,
    token,
    pid: child.pid!,
    dataDir,
    child,
    stderr: () => err,
    stop: async () => {
      await stopChild(child, 10_000);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
