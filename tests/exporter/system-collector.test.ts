// Wrap the synchronous spawners before anything (systeminformation included) captures them; the
// asynchronous ones all go through ChildProcess.prototype.spawn, which is spied on below.
jest.mock('child_process', () => {
  const actual = jest.requireActual<typeof import('child_process')>('child_process');
  return {
    ...actual,
    spawnSync: jest.fn(actual.spawnSync),
    execSync: jest.fn(actual.execSync),
    execFileSync: jest.fn(actual.execFileSync),
  };
});

import childProcess from 'child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// The module object itself (not an ES-module copy of it), so jest.spyOn replaces what the collector calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import si = require('systeminformation');
import { SLOW_READ_MS, SystemCollector, counterIncrease } from '../../exporter/src/collectors/system';
import { siInventory } from '../../exporter/src/collectors/inventory';
import { auth, startExporter } from '../helpers/exporter-process';
import { countProcesses, cpuUsageRatio, isWholeDisk, parseCpuTimes, parseDiskstats, parseLoadavg, parseMeminfo, parseNetDev } from '../../exporter/src/collectors/procfs';
import { createMetrics, type Metrics } from '../../exporter/src/metrics/registry';
import { seriesId } from '@runboard/protocol/series';
import { LiveStore, type Tick } from '../../exporter/src/store/live-store';

const NET_HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

function netLine(name: string, rx: number, tx: number): string {
  return `${name.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0\n`;
}

function diskLine(name: string, sectorsRead: number, sectorsWritten: number): string {
  return `   8       0 ${name} 1 0 ${sectorsRead} 0 1 0 ${sectorsWritten} 0 0 0 0 0 0 0 0 0 0\n`;
}

const STAT_1 = 'cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 100 0 50 800 50 0 0 0 0 0\nintr 12345 0\nctxt 999\n';
// +60 user, +20 system, +100 idle, +20 iowait: 80 busy of 200.
const STAT_2 = 'cpu  160 0 70 900 70 0 0 0 0 0\ncpu0 160 0 70 900 70 0 0 0 0 0\nintr 12399 0\nctxt 1999\n';
const LOADAVG = '0.52 0.40 0.30 2/345 12345\n';
const MEMINFO = 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:   12000000 kB\nBuffers:          100000 kB\n';
const NET_1 = NET_HEADER + netLine('lo', 5000, 5000) + netLine('eth0', 1_000_000, 200_000) + netLine('wlan0', 50_000, 30_000);
// eth0 grows; wlan0 was re-created and restarted from zero.
const NET_2 = NET_HEADER + netLine('lo', 9000, 9000) + netLine('eth0', 1_400_000, 260_000) + netLine('wlan0', 4000, 1000);
const EXCLUDED =
  diskLine('loop0', 1e6, 1e6) +
  diskLine('ram0', 1e6, 1e6) +
  diskLine('zram0', 1e6, 1e6) +
  diskLine('dm-0', 1e6, 1e6) +
  diskLine('md0', 1e6, 1e6) +
  diskLine('sr0', 1e6, 1e6) +
  diskLine('fd0', 1e6, 1e6);
const DISK_1 =
  diskLine('sda', 20_000, 10_000) + diskLine('sda1', 19_000, 9000) + diskLine('sda2', 1000, 1000) + diskLine('nvme0n1', 4000, 2000) + diskLine('nvme0n1p1', 4000, 2000) + EXCLUDED;
const DISK_2 =
  diskLine('sda', 30_000, 10_000) + diskLine('sda1', 29_000, 9000) + diskLine('sda2', 1000, 1000) + diskLine('nvme0n1', 4000, 6000) + diskLine('nvme0n1p1', 4000, 6000) + EXCLUDED;

const tmpDirs: string[] = [];

async function fakeProc(files: Record<string, string>, pids = ['1', '42', '1337']): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'runboard-proc-'));
  tmpDirs.push(root);
  await mkdir(path.join(root, 'net'));
  for (const dir of [...pids, 'self', 'sys']) await mkdir(path.join(root, dir), { recursive: true });
  await writeProc(root, files);
  return root;
}

async function writeProc(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
}

function fake<T>(value: Partial<T>): T {
  return value as T;
}

function mockInventory(): void {
  jest.spyOn(si, 'osInfo').mockResolvedValue(fake<si.Systeminformation.OsData>({ hostname: 'box', distro: 'Ubuntu', release: '24.04' }));
  jest.spyOn(si, 'cpu').mockResolvedValue(fake<si.Systeminformation.CpuData>({ manufacturer: 'Intel', brand: 'Xeon', cores: 8 }));
}

function setup(opts: { procRoot?: string; filesystems?: string[]; platform?: NodeJS.Platform } = {}) {
  const metrics = createMetrics(200);
  const store = new LiveStore(100, 1000, 1000, 0);
  // The inventory read in this thread (the worker's body), so the spies on systeminformation see it.
  const collector = new SystemCollector(metrics, store, {
    filesystems: opts.filesystems ?? [],
    procRoot: opts.procRoot,
    platform: opts.platform ?? 'linux',
    inventorySource: siInventory,
  });
  made.push(collector);
  return { metrics, store, collector };
}

/** Every collector a test made: closed after it, so none leaves its /proc descriptors open in the worker. */
const made: SystemCollector[] = [];

function values(tick: Tick): Record<string, number> {
  return Object.fromEntries(tick.ids.map((id, i) => [id, tick.values[i]]));
}

async function counterValue(metric: Metrics['networkReceive'] | Metrics['diskRead'], labels: Record<string, string> = {}): Promise<number | undefined> {
  const { values: vs } = await metric.get();
  return vs.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value;
}

async function waitFor<T>(get: () => T | undefined, timeoutMs = 25_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(() => {
  jest.restoreAllMocks();
  for (const c of made.splice(0)) c.close();
});

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('procfs parsers', () => {
  it('reads busy and total jiffies and their ratio', () => {
    const a = parseCpuTimes(STAT_1);
    const b = parseCpuTimes(STAT_2);
    expect(a).toEqual({ busy: 150, total: 1000 });
    expect(cpuUsageRatio(a, b)).toBeCloseTo(0.4);
    expect(cpuUsageRatio(b, b)).toBeUndefined();
    // guest time is already part of user time and must not be counted twice
    expect(parseCpuTimes('cpu  10 0 0 90 0 0 0 0 10 0\n')).toEqual({ busy: 10, total: 100 });
    expect(() => parseCpuTimes('intr 1 2\n')).toThrow(/cpu/);
  });

  it('clamps a ratio pushed out of range by iowait going backwards', () => {
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 400, total: 1100 })).toBe(1);
  });

  it('reads load1 and the thread count from loadavg', () => {
    expect(parseLoadavg(LOADAVG)).toEqual({ load1: 0.52, threads: 345 });
    expect(() => parseLoadavg('garbage')).toThrow(/unexpected format/);
  });

  it('reads memory in bytes', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ totalBytes: 16_000_000 * 1024, availableBytes: 12_000_000 * 1024 });
    expect(() => parseMeminfo('MemTotal: 1 kB\n')).toThrow(/MemAvailable/);
  });

  it('reads interface byte counters without loopback', () => {
    expect(parseNetDev(NET_1)).toEqual([
      { name: 'eth0', rxBytes: 1_000_000, txBytes: 200_000 },
      { name: 'wlan0', rxBytes: 50_000, txBytes: 30_000 },
    ]);
    // old kernels print no space after the colon
    expect(parseNetDev(NET_HEADER + 'eth1:123 1 0 0 0 0 0 0 456 1 0 0 0 0 0 0\n')).toEqual([{ name: 'eth1', rxBytes: 123, txBytes: 456 }]);
  });

  it('sums disk bytes over whole disks only', () => {
    expect(parseDiskstats(DISK_1)).toEqual({ readBytes: 24_000 * 512, writtenBytes: 12_000 * 512 });
  });

  it('tells whole disks from partitions by the kernel naming rule', () => {
    const devices = new Set(['sda', 'sda1', 'sdp', 'sdp1', 'nvme0n1', 'nvme0n1p1', 'nvme0n10', 'nbd1', 'nbd10', 'mmcblk0', 'mmcblk0p2', 'vda', 'xvda1']);
    const whole = [...devices].filter((d) => isWholeDisk(d, devices));
    // xvda1 has no xvda beside it, so it is a disk of its own (as in some Xen guests)
    expect(whole).toEqual(['sda', 'sdp', 'nvme0n1', 'nvme0n10', 'nbd1', 'nbd10', 'mmcblk0', 'vda', 'xvda1']);
    for (const v of ['loop0', 'ram0', 'zram0', 'dm-0', 'md127', 'sr0', 'fd0']) expect(isWholeDisk(v, new Set([v]))).toBe(false);
  });

  it('counts numeric /proc entries as processes', () => {
    expect(countProcesses(['1', '42', 'self', 'net', 'sys', '1337', 'thread-self'])).toBe(3);
  });
});

describe('counterIncrease', () => {
  it('counts the first reading in full, then deltas, and a lower reading as a reset', () => {
    expect(counterIncrease(undefined, 500)).toBe(500);
    expect(counterIncrease(500, 800)).toBe(300);
    expect(counterIncrease(800, 800)).toBe(0);
    expect(counterIncrease(800, 40)).toBe(40);
  });
});

describe('SystemCollector on a fixture /proc', () => {
  beforeEach(mockInventory);

  it('emits gauges at once, and CPU and rates from the second reading', async () => {
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const { metrics, store, collector } = setup({ procRoot: root });

    await collector.collect(1000);
    const first = values(store.commit(1000));
    expect(first).toEqual({
      system_load1: 0.52,
      system_memory_used_bytes: 4_000_000 * 1024,
      system_memory_total_bytes: 16_000_000 * 1024,
      system_memory_used_ratio: 0.25,
      system_processes: 3,
      system_threads: 345,
    });
    // Counters start at the kernel's values.
    expect(await counterValue(metrics.networkReceive, { interface: 'eth0' })).toBe(1_000_000);
    expect(await counterValue(metrics.networkTransmit, { interface: 'wlan0' })).toBe(30_000);
    expect(await counterValue(metrics.networkReceive, { interface: 'lo' })).toBeUndefined();
    expect(await counterValue(metrics.diskRead)).toBe(24_000 * 512);
    expect(await counterValue(metrics.diskWritten)).toBe(12_000 * 512);

    await writeProc(root, { stat: STAT_2, 'net/dev': NET_2, diskstats: DISK_2 });
    await collector.collect(3000);
    const second = values(store.commit(3000));
    expect(second.system_cpu_usage_ratio).toBeCloseTo(0.4);
    expect((await metrics.cpuUsage.get()).values[0].value).toBeCloseTo(0.4);
    const rx = (iface: string) => second[seriesId('system_network_receive_bytes_per_second', { interface: iface })];
    const tx = (iface: string) => second[seriesId('system_network_transmit_bytes_per_second', { interface: iface })];
    expect(rx('eth0')).toBe(200_000);
    expect(tx('eth0')).toBe(30_000);
    // A reset counts the new value as the delta.
    expect(rx('wlan0')).toBe(2000);
    expect(tx('wlan0')).toBe(500);
    expect(rx('lo')).toBeUndefined();
    expect(second.system_disk_read_bytes_per_second).toBe((10_000 * 512) / 2);
    expect(second.system_disk_written_bytes_per_second).toBe((4000 * 512) / 2);

    expect(await counterValue(metrics.networkReceive, { interface: 'eth0' })).toBe(1_400_000);
    expect(await counterValue(metrics.networkReceive, { interface: 'wlan0' })).toBe(54_000);
    expect(await counterValue(metrics.networkTransmit, { interface: 'wlan0' })).toBe(31_000);
    expect(await counterValue(metrics.diskRead)).toBe(34_000 * 512);
    expect(await counterValue(metrics.diskWritten)).toBe(16_000 * 512);
  });

  it('names the file it could not read and keeps the other readings', async () => {
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const { metrics, store, collector } = setup({ procRoot: root });
    await collector.collect(1000);
    // The collector keeps /proc descriptors open (proc-files.ts), so a failure is one of the text,
    // as from a kernel that prints a format it does not know.
    await writeProc(root, { diskstats: '   8       0 sda 1 2\n', meminfo: 'nonsense\n' });
    await expect(collector.collect(2000)).rejects.toThrow(/diskstats: unexpected line for sda/);
    await expect(collector.collect(3000)).rejects.toThrow(/meminfo: MemTotal or MemAvailable missing/);
    expect(values(store.commit(3000)).system_load1).toBe(0.52);
    // The disk counter is not counted again when the file comes back.
    await writeProc(root, { diskstats: DISK_1 });
    await expect(collector.collect(4000)).rejects.toThrow(/meminfo/);
    expect(await counterValue(metrics.diskRead)).toBe(24_000 * 512);
  });

  it('skips a missing mount point, warning once, and reports the others', async () => {
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const missing = path.join(root, 'not-mounted');
    const { metrics, store, collector } = setup({ procRoot: root, filesystems: [missing, os.tmpdir()] });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    await collector.collect(1000);
    await collector.collect(2000);
    const tick = values(store.commit(2000));

    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(missing);
    const ratio = tick[seriesId('system_filesystem_used_ratio', { mountpoint: os.tmpdir() })];
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(tick[seriesId('system_filesystem_used_ratio', { mountpoint: missing })]).toBeUndefined();
    expect(tick.system_load1).toBe(0.52);
    const sizes = (await metrics.filesystemSize.get()).values;
    expect(sizes.map((v) => v.labels.mountpoint)).toEqual([os.tmpdir()]);
    expect(sizes[0].value).toBeGreaterThan(0);
    const avail = (await metrics.filesystemAvail.get()).values[0].value;
    expect(avail).toBeLessThanOrEqual(sizes[0].value);
  });

  it('reads the process count and the filesystems every 10 s, repeating them on the ticks between', async () => {
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const later = path.join(root, 'mounted-later');
    const { store, collector } = setup({ procRoot: root, filesystems: [later] });
    jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const fs = seriesId('system_filesystem_used_ratio', { mountpoint: later });

    await collector.collect(1000);
    expect(values(store.commit(1000))).toMatchObject({ system_processes: 3 });
    await mkdir(path.join(root, '77'));
    await mkdir(later);
    // Within SLOW_READ_MS: the last readings stand, in the live store and in Prometheus.
    for (const t of [2000, 1000 + SLOW_READ_MS - 1]) {
      await collector.collect(t);
      const tick = values(store.commit(t));
      expect(tick.system_processes).toBe(3);
      expect(tick[fs]).toBeUndefined();
    }
    await collector.collect(1000 + SLOW_READ_MS);
    const tick = values(store.commit(1000 + SLOW_READ_MS));
    expect(tick.system_processes).toBe(4);
    expect(tick[fs]).toBeGreaterThanOrEqual(0);
    // The fast readings were read every tick meanwhile.
    expect(tick.system_load1).toBe(0.52);
  });

  it('loads the inventory in the background, once', async () => {
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const { metrics, collector } = setup({ procRoot: root });
    expect(collector.inventory()).toBeUndefined();
    await collector.collect(1000);
    await collector.collect(2000);
    const inv = await waitFor(() => collector.inventory());
    expect(inv).toEqual({ hostname: 'box', os: 'Ubuntu 24.04', cpuModel: 'Intel Xeon', cores: 8 });
    expect(si.osInfo).toHaveBeenCalledTimes(1);
    expect((await metrics.systemInfo.get()).values).toEqual([{ labels: { hostname: 'box', os: 'Ubuntu 24.04', cpu_model: 'Intel Xeon', cores: '8' }, value: 1 }]);
  });

  it('falls back to the os module when systeminformation fails', async () => {
    jest.spyOn(si, 'cpu').mockRejectedValue(new Error('lscpu missing'));
    const root = await fakeProc({ stat: STAT_1, loadavg: LOADAVG, meminfo: MEMINFO, 'net/dev': NET_1, diskstats: DISK_1 });
    const { collector } = setup({ procRoot: root });
    await collector.collect(1000);
    const inv = await waitFor(() => collector.inventory());
    expect(inv.hostname).toBe(os.hostname());
    expect(inv.cores).toBe(os.availableParallelism());
  });
});

describe('SystemCollector off Linux', () => {
  beforeEach(mockInventory);

  it('samples systeminformation at most every 5 s and repeats the last values between', async () => {
    const currentLoad = jest.spyOn(si, 'currentLoad').mockResolvedValue(fake<si.Systeminformation.CurrentLoadData>({ currentLoad: 25 }));
    jest.spyOn(si, 'mem').mockResolvedValue(fake<si.Systeminformation.MemData>({ total: 8000, available: 2000 }));
    const net = jest.spyOn(si, 'networkStats');
    net.mockResolvedValueOnce([
      fake<si.Systeminformation.NetworkStatsData>({ iface: 'lo0', rx_bytes: 1, tx_bytes: 1 }),
      fake<si.Systeminformation.NetworkStatsData>({ iface: 'en0', rx_bytes: 1000, tx_bytes: 100 }),
    ]);
    net.mockResolvedValueOnce([fake<si.Systeminformation.NetworkStatsData>({ iface: 'en0', rx_bytes: 6000, tx_bytes: 600 })]);
    jest.spyOn(si, 'fsStats').mockResolvedValue(fake<si.Systeminformation.FsStatsData>({ rx: 100, wx: 200 }));
    jest.spyOn(si, 'processes').mockResolvedValue(fake<si.Systeminformation.ProcessesData>({ all: 321 }));
    const { metrics, store, collector } = setup({ platform: 'darwin' });

    await collector.collect(0);
    const first = values(store.commit(0));
    await collector.collect(1000);
    expect(values(store.commit(1000))).toEqual(first);
    expect(currentLoad).toHaveBeenCalledTimes(1);
    expect(first).toMatchObject({ system_cpu_usage_ratio: 0.25, system_memory_used_bytes: 6000, system_memory_used_ratio: 0.75, system_processes: 321 });

    await collector.collect(5000);
    const later = values(store.commit(5000));
    expect(currentLoad).toHaveBeenCalledTimes(2);
    expect(later[seriesId('system_network_receive_bytes_per_second', { interface: 'en0' })]).toBe(1000);
    expect(await counterValue(metrics.networkReceive, { interface: 'en0' })).toBe(6000);
    expect(await counterValue(metrics.networkReceive, { interface: 'lo0' })).toBeUndefined();
  });
});

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('SystemCollector on this machine', () => {
  it('reads plausible values from /proc without spawning a process', async () => {
    // spawn, exec, execFile and fork all start the child through this (untyped) method.
    const proto = childProcess.ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
    const spawn = jest.spyOn(proto, 'spawn');
    const syncSpawners = [childProcess.spawnSync, childProcess.execSync, childProcess.execFileSync] as unknown as jest.Mock[];
    const { metrics, store, collector } = setup({ platform: 'linux', filesystems: ['/'] });

    await collector.collect(Date.now());
    store.commit(Date.now());
    // The inventory (real systeminformation) may spawn; wait for it before counting.
    const inv = await waitFor(() => collector.inventory());
    expect(inv.cores).toBeGreaterThan(0);
    // systeminformation spawns for the inventory: proof the spies see spawns at all.
    const spawned = () => spawn.mock.calls.length + syncSpawners.reduce((n, s) => n + s.mock.calls.length, 0);
    expect(spawned()).toBeGreaterThan(0);
    spawn.mockClear();
    for (const s of syncSpawners) s.mockClear();

    const t0 = Date.now();
    await collector.collect(t0);
    store.commit(t0);
    await new Promise((r) => setTimeout(r, 300));
    const t1 = Date.now();
    await collector.collect(t1);
    const tick = values(store.commit(t1));

    expect(spawned()).toBe(0);
    expect(tick.system_cpu_usage_ratio).toBeGreaterThanOrEqual(0);
    expect(tick.system_cpu_usage_ratio).toBeLessThanOrEqual(1);
    expect(tick.system_memory_total_bytes).toBeGreaterThan(0);
    expect(tick.system_memory_used_bytes).toBeGreaterThan(0);
    expect(tick.system_processes).toBeGreaterThan(0);
    expect(tick.system_threads).toBeGreaterThan(0);
    expect(tick[seriesId('system_filesystem_used_ratio', { mountpoint: '/' })]).toBeGreaterThan(0);
    expect(tick.system_disk_read_bytes_per_second).toBeGreaterThanOrEqual(0);
    expect((await metrics.memoryTotal.get()).values[0].value).toBe(tick.system_memory_total_bytes);
  });
});

onLinux('the running exporter’s inventory', () => {
  it('is what systeminformation reads, though the exporter reads it in a child process', async () => {
    // Earlier tests replaced systeminformation's readings; this one compares against the real ones.
    jest.restoreAllMocks();
    const { os: o, cpu: c } = await siInventory();
    const exp = await startExporter();
    try {
      let line: string | undefined;
      const end = Date.now() + 20_000;
      while (line === undefined && Date.now() < end) {
        const text = await (await fetch(`${exp.url}/metrics`, { headers: auth(exp.token) })).text();
        line = text.split('\n').find((l) => l.startsWith('runboard_system_info{'));
        if (line === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      // Not os.type()/os.cpus(), the fallback when the child fails: the distro and the CPU brand.
      expect(line).toContain(`os="${[o.distro, o.release].filter(Boolean).join(' ')}"`);
      expect(line).toContain(`cpu_model="${[c.manufacturer, c.brand].filter(Boolean).join(' ')}"`);
      expect(line).toContain(`cores="${c.cores}"`);
    } finally {
      await exp.stop();
    }
  });
});
