/**
 * Reference processes for the collection benchmark: what Node itself costs before Runboard does
 * anything. `node` idle with a 1 Hz timer, and the smallest Express + prom-client exporter
 * (bench/src/reference/stock-exporter.js). Neither is a baseline to beat; they show how much of a
 * figure is the runtime's floor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild } from './child';
import { BENCH } from './paths';

export interface RunningReference {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Where it listens (the stock exporter only). */
  url?: string;
  stop(): Promise<void>;
}

export function startEmptyNode(): RunningReference {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { name: 'empty node', pid: child.pid!, child, stop: () => stopChild(child) };
}

export async function startStockExporter(name = 'express + prom-client'): Promise<RunningReference> {
  const child = spawn(process.execPath, [path.join(BENCH, 'src/reference/stock-exporter.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err.length < 50_000 ? (err += d) : undefined));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stock exporter did not start in 15 s: ${err.slice(-500)}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stock exporter exited with ${code}: ${err.slice(-500)}`));
    });
  });
  const url = /listening on (http:\/\/\S+)/.exec(out)![1];
  return { name, pid: child.pid!, child, url, stop: () => stopChild(child) };
}
