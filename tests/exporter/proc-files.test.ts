/**
 * ProcFiles (exporter/src/collectors/proc-files.ts): /proc files read through descriptors kept
 * open. Each read must be the file's current text, whole, however long; and close() must give
 * the descriptors back (counted in /proc/self/fd).
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProcFiles } from '../../exporter/src/collectors/proc-files';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('ProcFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'runboard-procfiles-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the current text on every call, longer than its first buffer too', () => {
    const files = new ProcFiles(dir);
    const long = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`).join('\n');
    expect(long.length).toBeGreaterThan(64 * 1024);
    writeFileSync(path.join(dir, 'stat'), 'cpu  1 2 3 4\n');
    expect(files.read('stat')).toBe('cpu  1 2 3 4\n');
    writeFileSync(path.join(dir, 'stat'), long);
    expect(files.read('stat')).toBe(long);
    writeFileSync(path.join(dir, 'stat'), 'short\n');
    expect(files.read('stat')).toBe('short\n');
    files.close();
  });

  it('reads the real /proc as readFileSync does', () => {
    const files = new ProcFiles('/proc');
    // Fields that do not move between two reads of the same process.
    const head = (t: string) => t.split('\n').filter((l) => /^(Name|Pid|PPid|Uid):/.test(l));
    expect(head(files.read('self/status'))).toEqual(head(readFileSync('/proc/self/status', 'latin1')));
    expect(files.read('meminfo')).toMatch(/^MemTotal:\s+\d+ kB\n/);
    files.close();
  });

  it('throws for a missing file without keeping anything open, and reads it once it exists', () => {
    const files = new ProcFiles(dir);
    const before = openFds();
    expect(() => files.read('diskstats')).toThrow(/ENOENT/);
    expect(openFds()).toBe(before);
    writeFileSync(path.join(dir, 'diskstats'), '8 0 sda 1\n');
    expect(files.read('diskstats')).toBe('8 0 sda 1\n');
    files.close();
  });

  it('gives every descriptor back on close', () => {
    for (const f of ['a', 'b', 'c']) writeFileSync(path.join(dir, f), f);
    const before = openFds();
    const files = new ProcFiles(dir);
    for (let i = 0; i < 5; i++) for (const f of ['a', 'b', 'c']) expect(files.read(f)).toBe(f);
    expect(openFds()).toBe(before + 3);
    files.close();
    expect(openFds()).toBe(before);
    rmSync(path.join(dir, 'a'));
  });
});
