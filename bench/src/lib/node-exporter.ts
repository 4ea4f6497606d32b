/** Debian's prometheus-node-exporter on a free loopback port: the collection baseline. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../../../tests/helpers/spawned';
import { request } from './http';
import { sleep } from './stats';

export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

export interface RunningNodeExporter {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export const NODE_EXPORTER_PACKAGE = 'prometheus-node-exporter';

export function nodeExporterAvailable(): boolean {
  return fs.existsSync(NODE_EXPORTER_BIN);
}

/**
 * The collection baseline is not optional: without node_exporter the CPU goals have nothing to
 * be compared with. When it is missing, install Debian's package if this process may (root, with
 * apt-get), saying so on stdout; otherwise throw a one-line error naming the package, which fails
 * the benchmark (exit code 1, bench/README.md).
 */
export function ensureNodeExporter(): void {
  if (nodeExporterAvailable()) return;
  const hint = `${NODE_EXPORTER_BIN} is missing: install Debian's ${NODE_EXPORTER_PACKAGE} (apt-get install -y ${NODE_EXPORTER_PACKAGE}) for the collection baseline`;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((p) => fs.existsSync(p));
  if (process.getuid?.() !== 0 || !aptGet) throw new Error(hint);
  process.stdout.write(`bench: installing ${NODE_EXPORTER_PACKAGE} for the collection baseline (apt-get install -y ${NODE_EXPORTER_PACKAGE})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync(aptGet, ['install', '-y', NODE_EXPORTER_PACKAGE], { stdio: ['ignore', 2, 'inherit'], env });
  // A fresh container often has no package lists yet.
  if (r.status !== 0) {
    spawnSync(aptGet, ['update'], { stdio: ['ignore', 2, 'inherit'], env });
    r = spawnSync(aptGet, ['install', '-y', NODE_EXPORTER_PACKAGE], { stdio: ['ignore', 2, 'inherit'], env });
  }
  if (r.status !== 0 || !nodeExporterAvailable()) throw new Error(`apt-get install -y ${NODE_EXPORTER_PACKAGE} failed; ${hint}`);
}

export async function startNodeExporter(): Promise<RunningNodeExporter> {
  const port = await freePort();
  // Its defaults (the Debian package's collectors), only bound to loopback on a port of our own.
  const child = spawn(NODE_EXPORTER_BIN, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err.length < 50_000 ? (err += d) : undefined));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus-node-exporter exited: ${err.slice(-500)}`);
    try {
      if ((await request(`${url}/metrics`, { timeoutMs: 2000 })).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`prometheus-node-exporter did not answer in 15 s: ${err.slice(-500)}`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Non-comment lines of a Prometheus text exposition: the number of samples. */
export function countSamples(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && line[0] !== '#') n++;
  return n;
}
