/** Debian's prometheus-node-exporter on a free loopback port: the collection baseline. */
import { spawn, type ChildProcess } from 'node:child_process';
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

export function nodeExporterAvailable(): boolean {
  return fs.existsSync(NODE_EXPORTER_BIN);
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
