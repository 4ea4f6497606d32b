import { readdirSync } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as SI from 'systeminformation';
import type { Metrics } from '../metrics/registry';
import { withLabels, type LiveStore, type SeriesSpec } from '../store/live-store';
import type { Collector } from './collector';
import {
  countProcesses,
  cpuUsageRatio,
  isLoopback,
  parseCpuTimes,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  type CpuTimes,
  type DiskBytes,
  type NetDevice,
} from './procfs';
import { childInventory, type InventorySource } from './inventory';
import { ProcFiles } from './proc-files';

export interface SystemCollectorOptions {
  /** Mount points whose size and free space are reported. */
  filesystems: string[];
  /** Where procfs is mounted; tests point it at a fixture directory. */
  procRoot?: string;
  platform?: NodeJS.Platform;
  /** Where the inventory comes from: a short-lived child process by default (inventory.ts). */
  inventorySource?: InventorySource;
}

export interface Inventory {
  hostname: string;
  os: string;
  cpuModel: string;
  cores: number;
}

/** One reading of the host; a part is missing when its source failed or has no equivalent. */
interface Sample {
  cpuRatio?: number;
  load1?: number;
  memory?: { totalBytes: number; availableBytes: number };
  net?: NetDevice[];
  disk?: DiskBytes;
  processes?: number;
  threads?: number;
}

interface Filesystem {
  mountpoint: string;
  sizeBytes: number;
  availBytes: number;
}

// systeminformation spawns processes for most readings, so off Linux it is asked only this often.
const FALLBACK_INTERVAL_MS = 5000;

// The process count (a listing of /proc) and the filesystems (a statfs per mount point, through
// the thread pool) are the costliest readings of a tick, ~0.4 ms each at 1 Hz with cold caches,
// and they move slowly: they are read this often and repeated on the ticks between (README
// "Live series"; bench/README.md change 16).
export const SLOW_READ_MS = 10_000;

const LIVE = {
  cpu: { name: 'system_cpu_usage_ratio', unit: 'percentunit', description: 'Share of CPU time spent busy across all cores since the previous sample.' },
  load1: { name: 'system_load1', unit: 'none', description: 'One-minute load average.' },
  memUsed: { name: 'system_memory_used_bytes', unit: 'bytes', description: 'Memory in use (total minus available).' },
  memTotal: { name: 'system_memory_total_bytes', unit: 'bytes', description: 'Total physical memory.' },
  memRatio: { name: 'system_memory_used_ratio', unit: 'percentunit', description: 'Share of physical memory in use.' },
  netRx: { name: 'system_network_receive_bytes_per_second', unit: 'Bps', description: 'Bytes received per second on the interface.' },
  netTx: { name: 'system_network_transmit_bytes_per_second', unit: 'Bps', description: 'Bytes transmitted per second on the interface.' },
  diskRead: { name: 'system_disk_read_bytes_per_second', unit: 'Bps', description: 'Bytes read per second from whole disks.' },
  diskWritten: { name: 'system_disk_written_bytes_per_second', unit: 'Bps', description: 'Bytes written per second to whole disks.' },
  processes: { name: 'system_processes', unit: 'none', description: 'Number of processes.' },
  threads: { name: 'system_threads', unit: 'none', description: 'Number of threads.' },
  fsUsed: { name: 'system_filesystem_used_ratio', unit: 'percentunit', description: 'Share of the filesystem not available to unprivileged users.' },
} satisfies Record<string, SeriesSpec>;

/**
 * How much a kernel counter grew since the previous reading. The first reading counts in full so
 * the Prometheus counter equals the kernel's; a counter that went backwards was reset (e.g. the
 * interface was re-created), so everything it counted since is new.
 */
export function counterIncrease(prev: number | undefined, cur: number): number {
  return prev === undefined || cur < prev ? cur : cur - prev;
}

/**
 * System: CPU, load, memory, network, disk I/O, processes and filesystems of the host. On Linux
 * it reads /proc and statfs only, so a tick never spawns a process (the process count and the
 * filesystems every SLOW_READ_MS); elsewhere it asks systeminformation, at most every 5 s.
 */
export class SystemCollector implements Collector {
  readonly name = 'system';
  private readonly procRoot: string;
  private readonly procFiles: ProcFiles;
  private readonly platform: NodeJS.Platform;
  private source: 'proc' | 'systeminformation' | undefined;
  private inventoryValue: Inventory | undefined;
  private inventoryStarted = false;

  private lastAt: number | undefined;
  private lastCpu: CpuTimes | undefined;
  private lastNet = new Map<string, { rx: number; tx: number }>();
  private lastDisk: DiskBytes | undefined;
  /** Labelled specs, made once per interface and mount point (the live store caches by spec object). */
  private readonly netSpecs = new Map<string, { rx: SeriesSpec; tx: SeriesSpec }>();
  private readonly fsSpecs = new Map<string, SeriesSpec>();
  /** Mount points already reported as unreadable, so a missing one warns once, not every tick. */
  private readonly unreadableMounts = new Set<string>();

  /** When the process count and the filesystems were last read, what they were, and what failed. */
  private lastSlowAt: number | undefined;
  private lastProcesses: number | undefined;
  private lastFilesystems: Filesystem[] = [];
  private slowErrors: string[] = [];

  private lastFallbackAt: number | undefined;
  /** Live values of the last systeminformation sample, repeated on the ticks in between. */
  private liveValues: Array<[SeriesSpec, number]> = [];

  constructor(
    private readonly metrics: Metrics,
    private readonly store: LiveStore,
    private readonly opts: SystemCollectorOptions,
  ) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.procFiles = new ProcFiles(this.procRoot);
    this.platform = opts.platform ?? process.platform;
  }

  /** Closes the /proc descriptors (the exporter stops). */
  close(): void {
    this.procFiles.close();
  }

  inventory(): Inventory | undefined {
    return this.inventoryValue;
  }

  async collect(now: number): Promise<void> {
    this.startInventory();
    this.source ??= await this.pickSource();
    if (this.source === 'proc') {
      const slow = this.lastSlowAt === undefined || now - this.lastSlowAt >= SLOW_READ_MS || now < this.lastSlowAt;
      if (slow) this.lastSlowAt = now;
      // statfs stays asynchronous: a mount point may be a network filesystem that hangs.
      const statfsDone = slow ? this.readFilesystems() : undefined;
      const { sample, errors } = this.readProc(slow);
      if (statfsDone) this.lastFilesystems = await statfsDone;
      this.apply(sample, this.lastFilesystems, now);
      if (errors.length > 0) throw new Error(`system: ${errors.join('; ')}`);
      return;
    }
    if (this.lastFallbackAt !== undefined && now - this.lastFallbackAt < FALLBACK_INTERVAL_MS) {
      for (const [spec, value] of this.liveValues) this.store.set(spec, value);
      return;
    }
    this.lastFallbackAt = now;
    const [sample, filesystems] = await Promise.all([this.readSystemInformation(), this.readFilesystems()]);
    this.apply(sample, filesystems, now);
  }

  private async pickSource(): Promise<'proc' | 'systeminformation'> {
    if (this.platform !== 'linux') return 'systeminformation';
    try {
      await access(path.join(this.procRoot, 'stat'));
      return 'proc';
    } catch {
      return 'systeminformation';
    }
  }

  /**
   * Reads every /proc source; one that fails leaves the others' values standing. The reads are
   * synchronous (/proc files are generated in memory, ~10 µs each, while fs/promises costs a trip
   * through the thread pool per file) and through descriptors kept open (proc-files.ts).
   */
  private readProc(slow: boolean): { sample: Sample; errors: string[] } {
    const sample: Sample = {};
    const errors: string[] = [];
    const read = (file: string, parse: (text: string) => void) => {
      try {
        parse(this.procFiles.read(file));
      } catch (err) {
        errors.push(`cannot read ${path.join(this.procRoot, file)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    read('stat', (t) => {
      const cpu = parseCpuTimes(t);
      if (this.lastCpu) sample.cpuRatio = cpuUsageRatio(this.lastCpu, cpu);
      this.lastCpu = cpu;
    });
    read('loadavg', (t) => {
      const { load1, threads } = parseLoadavg(t);
      sample.load1 = load1;
      sample.threads = threads;
    });
    read('meminfo', (t) => (sample.memory = parseMeminfo(t)));
    read('net/dev', (t) => (sample.net = parseNetDev(t)));
    read('diskstats', (t) => (sample.disk = parseDiskstats(t)));
    if (slow) {
      this.slowErrors = [];
      this.lastProcesses = undefined;
      try {
        this.lastProcesses = countProcesses(readdirSync(this.procRoot));
      } catch (err) {
        this.slowErrors.push(`cannot list ${this.procRoot}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    sample.processes = this.lastProcesses;
    // Until the next slow reading, its failure stands (the collector stays failed, not flapping).
    errors.push(...this.slowErrors);
    return { sample, errors };
  }

  private async readSystemInformation(): Promise<Sample> {
    try {
      // Loaded only here (off Linux, or without /proc): on Linux the exporter never needs it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const si = require('systeminformation') as typeof SI;
      const [load, mem, net, disk, procs] = await Promise.all([si.currentLoad(), si.mem(), si.networkStats('*'), si.fsStats(), si.processes()]);
      return {
        cpuRatio: load.currentLoad / 100,
        // Node reads the load average without spawning (it is 0 on Windows).
        load1: os.loadavg()[0],
        memory: { totalBytes: mem.total, availableBytes: mem.available },
        net: net.filter((n) => !isLoopback(n.iface)).map((n) => ({ name: n.iface, rxBytes: n.rx_bytes, txBytes: n.tx_bytes })),
        // fsStats resolves null on platforms it does not support.
        disk: disk && Number.isFinite(disk.rx) ? { readBytes: disk.rx, writtenBytes: disk.wx } : undefined,
        processes: procs.all,
      };
    } catch (err) {
      throw new Error(`system: systeminformation failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Mount points that cannot be read are left out (and reported once) so the others still count. */
  private async readFilesystems(): Promise<Filesystem[]> {
    const results = await Promise.all(
      this.opts.filesystems.map(async (mountpoint): Promise<Filesystem | undefined> => {
        try {
          const s = await statfs(mountpoint);
          this.unreadableMounts.delete(mountpoint);
          return { mountpoint, sizeBytes: s.blocks * s.bsize, availBytes: s.bavail * s.bsize };
        } catch (err) {
          if (!this.unreadableMounts.has(mountpoint)) {
            this.unreadableMounts.add(mountpoint);
            process.emitWarning(`system collector: skipping mount point ${mountpoint}: ${err instanceof Error ? err.message : String(err)}`, {
              code: 'RUNBOARD_FILESYSTEM_UNREADABLE',
            });
          }
          // A stale size would look current in Prometheus.
          this.metrics.filesystemSize.remove({ mountpoint });
          this.metrics.filesystemAvail.remove({ mountpoint });
          return undefined;
        }
      }),
    );
    return results.filter((f) => f !== undefined);
  }

  private apply(s: Sample, filesystems: Filesystem[], now: number): void {
    const m = this.metrics;
    const seconds = this.lastAt === undefined ? 0 : (now - this.lastAt) / 1000;
    this.lastAt = now;
    // Kept only for the ticks between two systeminformation samples; /proc is read every tick.
    const keep = this.source !== 'proc';
    this.liveValues = [];
    const live = (spec: SeriesSpec, value: number) => {
      if (keep) this.liveValues.push([spec, value]);
      this.store.set(spec, value);
    };
    // A counter seen for the first time has no previous reading to take a rate against.
    const rate = (increase: number, hadPrevious: boolean) => (hadPrevious && seconds > 0 ? increase / seconds : undefined);

    if (s.cpuRatio !== undefined) {
      m.cpuUsage.set(s.cpuRatio);
      live(LIVE.cpu, s.cpuRatio);
    }
    if (s.load1 !== undefined) {
      m.load1.set(s.load1);
      live(LIVE.load1, s.load1);
    }
    if (s.memory) {
      const used = s.memory.totalBytes - s.memory.availableBytes;
      m.memoryUsed.set(used);
      m.memoryTotal.set(s.memory.totalBytes);
      live(LIVE.memUsed, used);
      live(LIVE.memTotal, s.memory.totalBytes);
      if (s.memory.totalBytes > 0) live(LIVE.memRatio, used / s.memory.totalBytes);
    }
    if (s.net) {
      // Interfaces beyond the label limit share the `other` label, so their rates add up.
      const rates = new Map<string, { rx: number; tx: number }>();
      const next = new Map<string, { rx: number; tx: number }>();
      for (const dev of s.net) {
        const iface = m.guards.networkInterface.admit(dev.name);
        const prev = this.lastNet.get(dev.name);
        const rx = counterIncrease(prev?.rx, dev.rxBytes);
        const tx = counterIncrease(prev?.tx, dev.txBytes);
        m.networkReceive.inc({ interface: iface }, rx);
        m.networkTransmit.inc({ interface: iface }, tx);
        next.set(dev.name, { rx: dev.rxBytes, tx: dev.txBytes });
        const rxRate = rate(rx, prev !== undefined);
        const txRate = rate(tx, prev !== undefined);
        if (rxRate === undefined || txRate === undefined) continue;
        const sum = rates.get(iface) ?? { rx: 0, tx: 0 };
        rates.set(iface, { rx: sum.rx + rxRate, tx: sum.tx + txRate });
      }
      // Interfaces that vanished are forgotten: if one comes back, its counters restart from zero.
      this.lastNet = next;
      for (const [iface, r] of rates) {
        let specs = this.netSpecs.get(iface);
        if (specs === undefined) this.netSpecs.set(iface, (specs = withLabels({ rx: LIVE.netRx, tx: LIVE.netTx }, { interface: iface })));
        live(specs.rx, r.rx);
        live(specs.tx, r.tx);
      }
    }
    if (s.disk) {
      const prev = this.lastDisk;
      const read = counterIncrease(prev?.readBytes, s.disk.readBytes);
      const written = counterIncrease(prev?.writtenBytes, s.disk.writtenBytes);
      m.diskRead.inc(read);
      m.diskWritten.inc(written);
      this.lastDisk = s.disk;
      const readRate = rate(read, prev !== undefined);
      const writtenRate = rate(written, prev !== undefined);
      if (readRate !== undefined) live(LIVE.diskRead, readRate);
      if (writtenRate !== undefined) live(LIVE.diskWritten, writtenRate);
    }
    if (s.processes !== undefined) {
      m.processes.set(s.processes);
      live(LIVE.processes, s.processes);
    }
    if (s.threads !== undefined) {
      m.threads.set(s.threads);
      live(LIVE.threads, s.threads);
    }
    for (const f of filesystems) {
      m.filesystemSize.set({ mountpoint: f.mountpoint }, f.sizeBytes);
      m.filesystemAvail.set({ mountpoint: f.mountpoint }, f.availBytes);
      // Blocks reserved for root count as used (users cannot write to them), matching 1 - avail/size in PromQL.
      if (f.sizeBytes <= 0) continue;
      let spec = this.fsSpecs.get(f.mountpoint);
      if (spec === undefined) this.fsSpecs.set(f.mountpoint, (spec = withLabels({ used: LIVE.fsUsed }, { mountpoint: f.mountpoint }).used));
      live(spec, 1 - f.availBytes / f.sizeBytes);
    }
  }

  /** systeminformation spawns processes for the inventory, so it runs once, off the tick. */
  private startInventory(): void {
    if (this.inventoryStarted) return;
    this.inventoryStarted = true;
    void this.loadInventory();
  }

  private async loadInventory(): Promise<void> {
    let inv: Inventory;
    try {
      const { os: o, cpu: c } = await (this.opts.inventorySource ?? childInventory)();
      const fallback = nodeInventory();
      inv = {
        hostname: o.hostname || fallback.hostname,
        os: [o.distro, o.release].filter(Boolean).join(' ') || fallback.os,
        cpuModel: [c.manufacturer, c.brand].filter(Boolean).join(' ') || fallback.cpuModel,
        cores: c.cores || fallback.cores,
      };
    } catch {
      inv = nodeInventory();
    }
    this.inventoryValue = inv;
    this.metrics.systemInfo.set({ hostname: inv.hostname, os: inv.os, cpu_model: inv.cpuModel, cores: String(inv.cores) }, 1);
  }
}

function nodeInventory(): Inventory {
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    cpuModel: os.cpus()[0]?.model.trim() || 'unknown',
    cores: os.availableParallelism(),
  };
}
