import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../fixtures/commands');
export const fixture = (name: string): string => path.join(FIXTURES, name);

/**
 * Whether a process still runs. A zombie counts as gone: an orphaned grandchild is reaped by
 * PID 1, which in some sandboxes does not reap at all, and a zombie runs nothing.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Best-effort cleanup so a failing test does not leave sleepers behind. */
export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
