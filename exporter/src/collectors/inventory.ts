/**
 * The host inventory (hostname, OS, CPU model, cores) from systeminformation, the product's
 * source for it. It is read once, at start, by a short-lived child process: the module (23
 * modules, ~1.5 MB of heap, mostly source text) is needed for one reading and would otherwise
 * stay loaded for the exporter's life (bench/README.md, change 13). A worker thread was tried:
 * its isolate's memory did not all go back to the system when it exited. On Linux the ticks
 * read /proc, so the exporter never loads systeminformation itself.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

/** The systeminformation fields the inventory is built from. */
export interface RawInventory {
  os: { hostname?: string; distro?: string; release?: string };
  cpu: { manufacturer?: string; brand?: string; cores?: number };
}

export type InventorySource = () => Promise<RawInventory>;

/** Reads the inventory in this process (the child's body; tests that mock systeminformation use it directly). */
export const siInventory: InventorySource = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const si = require('systeminformation') as typeof import('systeminformation');
  const [o, c] = await Promise.all([si.osInfo(), si.cpu()]);
  return { os: { hostname: o.hostname, distro: o.distro, release: o.release }, cpu: { manufacturer: c.manufacturer, brand: c.brand, cores: c.cores } };
};

/** Reads the inventory in a short-lived child process (inventory-child.js next to this file). */
export const childInventory: InventorySource = () =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(__dirname, 'inventory-child.js')],
      // systeminformation's own commands (lscpu, …) answer in well under a second; a hung one must not linger.
      { timeout: 30_000, maxBuffer: 64 * 1024, windowsHide: true },
      (err, stdout) => {
        if (err) return reject(err);
        try {
          resolve(JSON.parse(stdout) as RawInventory);
        } catch (parseErr) {
          reject(parseErr instanceof Error ? parseErr : new Error(String(parseErr)));
        }
      },
    );
    // Never the reason the process stays up (an SDK app that stops early, a short CLI command):
    // neither the child nor its pipes hold the event loop.
    child.unref();
    for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
  });
