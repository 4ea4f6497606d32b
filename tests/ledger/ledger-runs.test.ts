import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INTERRUPTED_RUN_ERROR, Ledger } from '../../exporter/src/store/ledger';
import { queuedRun, type OutputLine, type RunInfo } from '@runboard/protocol';

const OPTS = { retentionDays: 0, maxRuns: 10_000, maxCostRecords: 1_000_000 };

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'nested', 'dir', 'ledger.db');
}

function run(over: Partial<RunInfo> & { id: string }): RunInfo {
  return { ...queuedRun({ id: over.id, command: 'build', parameters: {}, startedBy: null, requestedAt: 1_000 }), status: 'finished', outcome: 'success', ...over };
}

describe('Ledger runs', () => {
  let file: string;
  let ledger: Ledger;
  beforeEach(() => {
    file = tmpFile();
    ledger = Ledger.open(file, OPTS);
  });
  afterEach(() => ledger.close());

  it('creates the directory and uses WAL', () => {
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.existsSync(file + '-wal')).toBe(true);
  });

  it('round-trips every RunInfo field, and updates keep or replace the output tail', () => {
    const full = run({
      id: 'r1',
      command: 'deploy',
      parameters: { target: 'prod; rm -rf / "$(x)"\n', count: 3, dry: false },
      status: 'running',
      outcome: null,
      queuePosition: 2,
      startedBy: 'grafana:alice',
      requestedAt: 1_700_000_000_123,
      startedAt: 1_700_000_000_456,
      progress: 42.5,
      progressMessage: 'half way ✓',
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 0.125,
      outputBytes: 999,
      truncated: true,
      error: null,
    });
    ledger.insertRun(full);
    expect(ledger.getRun('r1')).toEqual(full);
    expect(() => ledger.insertRun(full)).toThrow(/UNIQUE|constraint/i);

    const done: RunInfo = {
      ...full,
      status: 'finished',
      outcome: 'failure',
      queuePosition: null,
      finishedAt: 1_700_000_010_000,
      durationSeconds: 9.544,
      exitCode: 2,
      signal: 'SIGTERM',
      error: 'boom',
    };
    ledger.updateRun(done, 'last lines\n');
    expect(ledger.getRun('r1')).toEqual(done);
    expect(ledger.getOutputTail('r1')).toBe('last lines\n');
    ledger.updateRun({ ...done, costUsd: 1 });
    expect(ledger.getOutputTail('r1')).toBe('last lines\n');
    expect(ledger.getRun('r1')!.costUsd).toBe(1);

    // updateRun of a run that is not there yet inserts it
    ledger.updateRun(run({ id: 'r2' }));
    expect(ledger.getRun('r2')?.id).toBe('r2');
    expect(ledger.getRun('nope')).toBeUndefined();
  });

  it('lists newest first with filters, paging and a total', () => {
    const commands = ['a', 'b', 'c'];
    const outcomes = ['success', 'failure', 'timeout', 'cancelled'] as const;
    const all: RunInfo[] = [];
    for (let i = 0; i < 40; i++) {
      const r = run({ id: `r${i}`, command: commands[i % 3], outcome: outcomes[i % 4], requestedAt: 10_000 + ((i * 7) % 40) * 1000 });
      all.push(r);
      ledger.insertRun(r);
    }
    ledger.insertRun(run({ id: 'q', status: 'queued', outcome: null, command: 'a', requestedAt: 5 }));
    const sorted = (rs: RunInfo[]) => [...rs].sort((x, y) => y.requestedAt - x.requestedAt).map((r) => r.id);

    const page1 = ledger.listRuns({ limit: 10, offset: 0 });
    expect(page1.total).toBe(41);
    expect(page1.runs.map((r) => r.id)).toEqual(sorted(all).slice(0, 10));
    const page3 = ledger.listRuns({ limit: 10, offset: 20 });
    expect(page3.runs.map((r) => r.id)).toEqual(sorted(all).slice(20, 30));
    expect(ledger.listRuns({ limit: 10, offset: 40 }).runs.map((r) => r.id)).toEqual(['q']);

    const f = ledger.listRuns({ command: 'b', outcome: 'failure', limit: 100 });
    const want = all.filter((r) => r.command === 'b' && r.outcome === 'failure');
    expect(f.total).toBe(want.length);
    expect(f.runs.map((r) => r.id)).toEqual(sorted(want));

    const range = ledger.listRuns({ from: 20_000, to: 29_000, limit: 3, offset: 1 });
    const inRange = all.filter((r) => r.requestedAt >= 20_000 && r.requestedAt <= 29_000);
    expect(range.total).toBe(inRange.length);
    expect(range.runs.map((r) => r.id)).toEqual(sorted(inRange).slice(1, 4));

    expect(ledger.listRuns({ status: 'queued', limit: 5 })).toEqual({ runs: [expect.objectContaining({ id: 'q' })], total: 1 });
  });

  it('saves and loads output lines', () => {
    ledger.insertRun(run({ id: 'o1' }));
    expect(ledger.getOutput('o1')).toBeUndefined();
    const lines: OutputLine[] = [
      { seq: 0, t: 1, stream: 'stdout', text: 'hello' },
      { seq: 1, t: 2, stream: 'stderr', text: 'warn: "quoted" \u0000 \ud83d\ude00' },
      { seq: 2, t: 3, stream: 'system', text: '… 1234 bytes truncated …' },
    ];
    ledger.saveOutput('o1', lines);
    expect(ledger.getOutput('o1')).toEqual(lines);
    ledger.saveOutput('o1', lines.slice(0, 1));
    expect(ledger.getOutput('o1')).toEqual(lines.slice(0, 1));
    expect(() => ledger.saveOutput('no-such-run', lines)).toThrow(/FOREIGN KEY/i);
  });

  it('marks runs left active by a previous process as cancelled at reopen', () => {
    ledger.insertRun(run({ id: 'queued', status: 'queued', outcome: null, queuePosition: 1 }));
    ledger.insertRun(run({ id: 'running', status: 'running', outcome: null, startedAt: 2_000 }));
    ledger.insertRun(run({ id: 'done', status: 'finished', outcome: 'success', finishedAt: 3_000 }));
    ledger.close();

    ledger = Ledger.open(file, OPTS);
    expect(ledger.interruptActiveRuns(9_000)).toBe(2);
    for (const id of ['queued', 'running']) {
      expect(ledger.getRun(id)).toMatchObject({ status: 'finished', outcome: 'cancelled', finishedAt: 9_000, queuePosition: null, error: INTERRUPTED_RUN_ERROR });
    }
    expect(ledger.getRun('running')!.startedAt).toBe(2_000);
    expect(ledger.getRun('done')).toMatchObject({ outcome: 'success', finishedAt: 3_000, error: null });
    expect(ledger.interruptActiveRuns(10_000)).toBe(0);
    expect(INTERRUPTED_RUN_ERROR).toBe('the exporter stopped while this run was active');
  });
});
