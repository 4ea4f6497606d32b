/**
 * Durability: a child process writes cost records in batches through the real Ledger and prints
 * "acked N" after each insert returns; we kill -9 it mid-stream, reopen the ledger, and check
 * that every acknowledged record is there, batches are all-or-nothing, and the file is sound.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger } from '../../exporter/src/store/ledger';

const FIXTURE = path.join(__dirname, '../fixtures/ledger/cost-writer.js');
const OPTS = { retentionDays: 0, maxRuns: 1000, maxCostRecords: 10_000_000 };
const BATCH = 250;

/** Starts the writer, kills it with SIGKILL `afterMs` after it is ready; resolves with the last ack. */
function writeUntilKilled(file: string, start: number, afterMs: number, sync: 'normal' | 'full'): Promise<{ acked: number; acks: number; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, file, String(start), String(BATCH), sync], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let acked = start;
    let acks = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // Only whole lines count: a torn "acked 12" could read as 1.
        const m = /^acked (\d+)$/.exec(line);
        if (m) {
          acked = Number(m[1]);
          acks++;
        } else if (line === 'ready' && !timer) {
          timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}, signal ${signal}): ${stderr}`));
      else resolve({ acked, acks, signal });
    });
  });
}

describe('Ledger durability', () => {
  it('keeps every acknowledged cost record across kill -9 (several rounds, both sync modes)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'ledger.db');
    let stored = 0;
    const rounds: Array<[number, 'normal' | 'full']> = [
      [150, 'normal'],
      [333, 'normal'],
      [70, 'full'],
      [480, 'normal'],
    ];
    for (const [afterMs, sync] of rounds) {
      const { acked, acks } = await writeUntilKilled(file, stored, afterMs, sync);
      expect(acks).toBeGreaterThan(0); // it was killed mid-stream, not before it wrote anything

      const ledger = Ledger.open(file, OPTS);
      try {
        expect(ledger.integrityCheck()).toBe('ok');
        const seqs = ledger.costRecords({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1e9 }).map((r) => r.input_tokens);
        // Every record is there once, as a gap-free prefix 0..n-1: batches are all or nothing.
        const n = seqs.length;
        expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i));
        // Everything acknowledged is stored; at most the one batch in flight at the kill is extra.
        expect(n).toBeGreaterThanOrEqual(acked);
        expect(n - acked).toBeLessThanOrEqual(BATCH);
        expect(n % BATCH).toBe(0);
        const costs = ledger.costs('model', 0, Number.MAX_SAFE_INTEGER);
        expect(costs.total.requests).toBe(n);
        console.log(`durability round (${sync}, kill after ${afterMs} ms): acked ${acked}, stored ${n}`);
        stored = n;
      } finally {
        ledger.close();
      }
    }
    expect(stored).toBeGreaterThan(0);
  }, 60_000);
});
