/**
 * Process CPU and memory from /proc (Linux): user+sys CPU from /proc/<pid>/stat (clock ticks,
 * 10 ms each at CLK_TCK 100, so long windows are more precise than short ones) and RSS from
 * /proc/<pid>/status. Children that the process has waited for (cutime/cstime) are included so a
 * collector that spawns per tick would show up.
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
  return { at: performance.now(), cpuSeconds: (utime + stime + cutime + cstime) / hz, userSeconds: (utime + cutime) / hz, sysSeconds: (stime + cstime) / hz };
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
