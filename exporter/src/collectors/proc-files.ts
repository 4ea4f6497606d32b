/**
 * /proc files read every tick through descriptors kept open: a read at offset 0 makes the kernel
 * generate the file afresh, so keeping the descriptor only saves the open, the path lookup and the
 * close (more than half the cost of a small /proc read; bench/README.md change 16). The text is
 * ASCII, decoded from one reused buffer.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';

/** Start size of the read buffer; it doubles when a file fills it (proc files have no size). */
const INITIAL_BYTES = 16 * 1024;

export class ProcFiles {
  private readonly fds = new Map<string, number>();
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);

  constructor(private readonly root: string) {}

  /** The whole current text of `file` (relative to the root); throws as readFileSync would. */
  read(file: string): string {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(path.join(this.root, file), 'r');
      this.fds.set(file, fd);
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, 0);
        // A full buffer may have cut the file short: read it again into a larger one.
        if (n < this.buf.length) return this.buf.toString('latin1', 0, n);
        this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
    } catch (err) {
      // Opened afresh on the next tick: the file may come back (a remounted procfs, a test fixture).
      this.fds.delete(file);
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
