/**
 * Process CPU and memory from /proc (Linux). CPU is the time each of the process's threads has
 * run, in nanoseconds (`/proc/<pid>/task/<tid>/schedstat`), summed: /proc/<pid>/stat counts in
 * clock ticks (10 ms at CLK_TCK 100), which over a 5 s window is 0.2 % of a core per tick and
 * moved the SSE CPU ratio by ±0.1 between runs. Children the process has waited for
 * (cutime/cstime, in ticks) are added so a collector that spawns would show up. A thread that
 * exits within a window takes its time with it; the processes measured here (Node, Go) keep
 * their threads. RSS from /proc/<pid>/status.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clkTck: number | undefined;
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface CpuReading {
  /** Wall time of the reading, ms (performance clock). */
  at: number;
  /** user + sys (+ reaped children) CPU seconds since the process started. */
  cpuSeconds: number;
  userSeconds: number;
  sysSeconds: number;
}

export function readCpu(pid: number): CpuReading {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces and parentheses: the fields we want follow the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17.
  const hz = clockTicksPerSecond();
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const cutime = Number(f[13]);
  const cstime = Number(f[14]);
  return { at: performance.now(), cpuSeconds: threadsCpuSeconds(pid) + (cutime + cstime) / hz, userSeconds: (utime + cutime) / hz, sysSeconds: (stime + cstime) / hz };
}

/** Sum of the process's threads' run time (schedstat's first field, ns), in seconds. */
function threadsCpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return ns / 1e9;
}

/** Resident memory in bytes: total (VmRSS), anonymous (heap, stacks) and file-backed (the executable, libraries). */
export function readMemory(pid: number): { rss: number; anon: number; file: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** Resident set size in bytes (VmRSS). */
export function readRss(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU used between two readings as a share of one core (0.01 = 1% of one core). */
export function coreShare(a: CpuReading, b: CpuReading): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? (b.cpuSeconds - a.cpuSeconds) / wall : NaN;
}

export function loadAverage(): number[] {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
  } catch {
    return [];
  }
}
