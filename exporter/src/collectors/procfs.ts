/**
 * Parsers for the Linux /proc files the system collector reads (formats in proc(5)). They are
 * pure functions of the file text so they can be tested on fixtures, and they throw on text they
 * do not recognise rather than report a wrong number (the caller adds the file name).
 */

export interface CpuTimes {
  busy: number;
  total: number;
}

export interface NetDevice {
  name: string;
  rxBytes: number;
  txBytes: number;
}

export interface DiskBytes {
  readBytes: number;
  writtenBytes: number;
}

/** Time all CPUs spent busy and in total since boot, in jiffies, from /proc/stat. */
export function parseCpuTimes(text: string): CpuTimes {
  // Only the aggregate line is needed; the rest of the file (per-CPU lines, the long `intr` line)
  // is not split up on every tick.
  const line = lineStartingWith(text, 'cpu ');
  const f = line ? numbers(line.trim().split(/\s+/).slice(1)) : [];
  if (f.length < 4) throw new Error('no aggregate "cpu" line');
  // guest and guest_nice (fields 9-10) are already included in user and nice.
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  // A CPU waiting on I/O could have run something else, so iowait counts as idle.
  return { busy: total - idle - iowait, total };
}

/** Busy share of CPU time between two /proc/stat readings; undefined if no time passed. */
export function cpuUsageRatio(prev: CpuTimes, cur: CpuTimes): number | undefined {
  const total = cur.total - prev.total;
  if (total <= 0) return undefined;
  // iowait can go backwards on some kernels (proc(5)), which would push the ratio out of range.
  return Math.min(1, Math.max(0, (cur.busy - prev.busy) / total));
}

/** One-minute load and the number of threads (the denominator of `running/total`). */
export function parseLoadavg(text: string): { load1: number; threads: number } {
  const f = text.trim().split(/\s+/);
  const load1 = Number(f[0]);
  const threads = Number(f[3]?.split('/')[1]);
  if (f.length < 4 || !Number.isFinite(load1) || !Number.isFinite(threads)) {
    throw new Error(`unexpected format "${text.trim()}"`);
  }
  return { load1, threads };
}

/** Total and available memory in bytes from /proc/meminfo. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const total = meminfoKb(text, 'MemTotal');
  const available = meminfoKb(text, 'MemAvailable');
  if (total === undefined || available === undefined) throw new Error('MemTotal or MemAvailable missing');
  return { totalBytes: total * 1024, availableBytes: available * 1024 };
}

/** The kB figure of one `Key:   1234 kB` line (the two this needs are among the first three of ~50). */
function meminfoKb(text: string, key: string): number | undefined {
  const line = lineStartingWith(text, `${key}:`);
  const m = line === undefined ? null : /^\S+:\s+(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** The line of `text` that starts with `prefix`, without its newline. */
function lineStartingWith(text: string, prefix: string): string | undefined {
  let start = 0;
  if (!text.startsWith(prefix)) {
    start = text.indexOf(`\n${prefix}`) + 1;
    if (start === 0) return undefined;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

/** Received and transmitted bytes per interface from /proc/net/dev, loopback left out. */
export function parseNetDev(text: string): NetDevice[] {
  const out: NetDevice[] = [];
  // The first two lines are column headers.
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (isLoopback(name)) continue;
    const f = numbers(
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/),
    );
    if (f.length < 16) throw new Error(`unexpected line for ${name}`);
    out.push({ name, rxBytes: f[0], txBytes: f[8] });
  }
  return out;
}

export function isLoopback(name: string): boolean {
  // `lo` on Linux, `lo0` on macOS and the BSDs (systeminformation fallback).
  return /^lo\d*$/.test(name);
}

// Virtual devices sit on top of real disks (or RAM), so counting them would count I/O twice.
const VIRTUAL_DEVICE = /^(loop|ram|zram|dm-|md|sr|fd)/;

/**
 * Whether `name` is a whole physical disk rather than a virtual device or a partition. The kernel
 * names a partition after its disk plus the number, with a `p` between when the disk name ends in
 * a digit (sda1, nvme0n1p1, mmcblk0p2); that rule keeps nvme0n10 or nbd10 from passing as a
 * partition of nvme0n1 or nbd1.
 */
export function isWholeDisk(name: string, devices: ReadonlySet<string>): boolean {
  if (VIRTUAL_DEVICE.test(name)) return false;
  const base = name.replace(/\d+$/, '');
  if (base === name || base === '') return true;
  if (devices.has(base) && !/\d$/.test(base)) return false;
  const disk = base.slice(0, -1);
  return !(base.endsWith('p') && devices.has(disk) && /\d$/.test(disk));
}

/** Bytes read and written since boot, summed over whole disks, from /proc/diskstats. */
export function parseDiskstats(text: string): DiskBytes {
  const rows = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
  const devices = new Set(rows.map((f) => f[2]));
  let sectorsRead = 0;
  let sectorsWritten = 0;
  for (const f of rows) {
    if (f.length < 10) throw new Error(`unexpected line for ${f[2] ?? '?'}`);
    if (!isWholeDisk(f[2], devices)) continue;
    const [read, written] = numbers([f[5], f[9]]);
    sectorsRead += read;
    sectorsWritten += written;
  }
  // diskstats counts 512-byte sectors whatever the device's real sector size.
  return { readBytes: sectorsRead * 512, writtenBytes: sectorsWritten * 512 };
}

/** Processes are the numeric entries of /proc. */
export function countProcesses(entries: readonly string[]): number {
  let n = 0;
  for (const e of entries) if (/^\d+$/.test(e)) n++;
  return n;
}

function numbers(fields: string[]): number[] {
  const out = fields.map(Number);
  if (out.some((n) => !Number.isFinite(n))) throw new Error(`non-numeric field in "${fields.join(' ')}"`);
  return out;
}
