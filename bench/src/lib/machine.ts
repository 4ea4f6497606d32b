/** Machine facts recorded with every result: results from different machines are not comparable. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAverage } from './proc';
import { REPO } from './paths';

export interface MachineFacts {
  date: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  kernel: string;
  loadAverageAtStart: number[];
  promClient: string;
  nodeExporter: string | null;
  chromium: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /** Soft limit of open files (ulimit -n) the benchmarks ran with. */
  openFilesLimit: string | null;
}

function tryExec(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model.trim() ?? 'unknown';
}

export function machineFacts(): MachineFacts {
  const pkg = (name: string) => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
    } catch {
      return os.type();
    }
  })();
  const commit = tryExec('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']);
  const status = tryExec('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no']);
  return {
    date: new Date().toISOString(),
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    node: process.version,
    os: osRelease,
    kernel: os.release(),
    loadAverageAtStart: loadAverage(),
    promClient: pkg('prom-client'),
    nodeExporter: tryExec('prometheus-node-exporter', ['--version'])?.split('\n')[0] ?? null,
    chromium: tryExec('/usr/bin/chromium', ['--version']),
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    openFilesLimit: tryExec('sh', ['-c', 'ulimit -Sn']),
  };
}
