import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger, type CostRecordInput, type LedgerOptions } from '../../exporter/src/store/ledger';
import { queuedRun, type RunInfo } from '@runboard/protocol';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);

function open(opts: Partial<LedgerOptions>): Ledger {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'ledger.db');
  return Ledger.open(file, { retentionDays: 0, maxRuns: 10_000, maxCostRecords: 1_000_000, ...opts });
}

function run(id: string, requestedAt: number, status: RunInfo['status'] = 'finished'): RunInfo {
  return { ...queuedRun({ id, command: 'c', parameters: {}, startedBy: null, requestedAt }), status, outcome: status === 'finished' ? 'success' : null };
}

function cost(t: number, i: number): CostRecordInput {
  return {
    t,
    provider: 'p',
    model: `m${i % 3}`,
    input_tokens: i,
    output_tokens: 1,
    cost_usd: 0.01 * (i + 1),
    priced: 'client',
    success: true,
    source: 'ingest',
    command: i % 2 ? 'c' : undefined,
    // Rollup rows differing only by tag: pruning must take each record off its own row.
    tag: i % 5 ? `t${i % 5 > 2 ? 1 : 0}` : undefined,
  };
}

const allCosts = (l: Ledger) => l.costRecords({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1e9 });
const allRuns = (l: Ledger) =>
  l
    .listRuns({ limit: 1e6 })
    .runs.map((r) => r.id)
    .sort();

/** The breakdown from the records still stored must equal the breakdown the ledger serves. */
function expectRollupsMatch(l: Ledger) {
  expect(l.integrityCheck()).toBe('ok');
  const left = allCosts(l);
  const got = l.costs('model', 0, Number.MAX_SAFE_INTEGER);
  expect(got.total.requests).toBe(left.length);
  expect(got.total.inputTokens).toBe(left.reduce((s, r) => s + r.input_tokens, 0));
  expect(got.total.costUsd).toBeCloseTo(
    left.reduce((s, r) => s + (r.cost_usd ?? 0), 0),
    9,
  );
}

describe('Ledger retention', () => {
  it('deletes finished runs (with their output) and cost records older than retentionDays', () => {
    const l = open({ retentionDays: 30 });
    l.insertRun(run('old', NOW - 31 * DAY));
    l.saveOutput('old', [{ seq: 0, t: 1, stream: 'stdout', text: 'x' }]);
    l.insertRun(run('old-but-running', NOW - 40 * DAY, 'running'));
    l.insertRun(run('edge', NOW - 30 * DAY)); // exactly at the cutoff: kept
    l.insertRun(run('new', NOW - DAY));
    l.saveOutput('new', [{ seq: 0, t: 1, stream: 'stdout', text: 'y' }]);
    const records = [NOW - 45 * DAY, NOW - 31 * DAY, NOW - 30 * DAY - 1, NOW - 30 * DAY, NOW - 1000, NOW].map((t, i) => cost(t, i));
    l.insertCostRecords(records);

    expect(l.prune(NOW)).toEqual({ runs: 1, costRecords: 3, done: true });
    expect(allRuns(l)).toEqual(['edge', 'new', 'old-but-running']);
    expect(l.getOutput('old')).toBeUndefined();
    expect(l.getOutput('new')).toHaveLength(1);
    expect(allCosts(l).map((r) => r.t)).toEqual([NOW - 30 * DAY, NOW - 1000, NOW]);
    expectRollupsMatch(l);
    expect(l.prune(NOW)).toEqual({ runs: 0, costRecords: 0, done: true });
    l.close();
  });

  it('keeps everything with retentionDays 0', () => {
    const l = open({ retentionDays: 0 });
    l.insertRun(run('ancient', 1));
    l.insertCostRecords([cost(1, 0)]);
    expect(l.prune(NOW)).toEqual({ runs: 0, costRecords: 0, done: true });
    expect(allRuns(l)).toEqual(['ancient']);
    l.close();
  });

  it('keeps at most maxRuns / maxCostRecords, deleting the oldest first', () => {
    const l = open({ maxRuns: 3, maxCostRecords: 10 });
    // insertion order differs from age order, so "oldest" must come from the times
    const ages = [5, 1, 4, 2, 6, 3];
    ages.forEach((a) => l.insertRun(run(`r${a}`, NOW - a * 1000)));
    l.insertRun(run('active-oldest', NOW - 99_000, 'queued'));
    const ts = Array.from({ length: 25 }, (_, i) => NOW - ((i * 11) % 25) * 60_000 - 7 * 3_600_000 * (i % 4));
    l.insertCostRecords(ts.map((t, i) => cost(t, i)));

    const res = l.prune(NOW);
    // 7 runs, max 3: the 4 oldest finished ones go; the queued one is never pruned
    expect(res).toEqual({ runs: 4, costRecords: 15, done: true });
    expect(allRuns(l)).toEqual(['active-oldest', 'r1', 'r2'].sort());
    const newest10 = [...ts].sort((a, b) => a - b).slice(-10);
    expect(allCosts(l).map((r) => r.t)).toEqual(newest10);
    expectRollupsMatch(l);
    l.close();
  });

  it('bounds the work of one call with maxDeletes and reports when more is left', () => {
    const l = open({ retentionDays: 1, maxCostRecords: 100 });
    const old = Array.from({ length: 120 }, (_, i) => cost(NOW - 2 * DAY - i * 1000, i));
    const recent = Array.from({ length: 150 }, (_, i) => cost(NOW - i * 1000, i));
    l.insertCostRecords([...recent, ...old]);
    const calls = [];
    for (let i = 0; i < 10; i++) {
      const r = l.prune(NOW, { maxDeletes: 50 });
      calls.push(r);
      expectRollupsMatch(l);
      if (r.done) break;
    }
    expect(calls.map((c) => c.costRecords)).toEqual([50, 50, 50, 20]);
    expect(calls.map((c) => c.done)).toEqual([false, false, false, true]);
    expect(allCosts(l).map((r) => r.t)).toEqual(
      recent
        .slice(0, 100)
        .map((r) => r.t)
        .reverse(),
    );
    l.close();
  });

  it('serves the same breakdown after pruning as the remaining records add up to, across partial hours', () => {
    const l = open({ maxCostRecords: 500 });
    const start = Date.UTC(2025, 5, 1, 22, 17, 3);
    const records = Array.from({ length: 1200 }, (_, i) => cost(start + ((i * 7919) % 1200) * 97_531, i));
    for (let i = 0; i < records.length; i += 100) l.insertCostRecords(records.slice(i, i + 100));
    l.prune(NOW);
    const kept = allCosts(l);
    expect(kept).toHaveLength(500);
    const from = kept[37].t - 1;
    const to = kept[451].t + 1;
    for (const groupBy of ['hour', 'day', 'model', 'command', 'tag'] as const) {
      const got = l.costs(groupBy, from, to);
      const inRange = kept.filter((r) => r.t >= from && r.t <= to);
      expect(got.total.requests).toBe(inRange.length);
      expect(got.rows.reduce((s, r) => s + r.requests, 0)).toBe(inRange.length);
      expect(got.total.costUsd).toBeCloseTo(
        inRange.reduce((s, r) => s + r.cost_usd!, 0),
        9,
      );
    }
    expectRollupsMatch(l);
    l.close();
  });
});
