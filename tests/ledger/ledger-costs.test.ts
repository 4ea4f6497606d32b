import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger, type CostRecordInput } from '../../exporter/src/store/ledger';
import type { CostGrouping, CostRow } from '@runboard/protocol';

const OPTS = { retentionDays: 0, maxRuns: 10_000, maxCostRecords: 10_000_000 };
const HOUR = 3_600_000;
const DAY = 86_400_000;

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'ledger.db');
}

/** Small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeRecords(n: number, start: number, span: number, seed = 7): CostRecordInput[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const models = [
    ['openai', 'gpt-4o'],
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4'],
    ['google', 'gemini-2.5-flash'],
    ['local', 'llama'],
  ] as const;
  const out: CostRecordInput[] = [];
  for (let i = 0; i < n; i++) {
    const [provider, model] = pick(models);
    const unpriced = model === 'llama' || rnd() < 0.05;
    const command = pick([undefined, 'build', 'report', 'summarise']);
    const tag = pick([undefined, 'team-a', 'feature/x']);
    out.push({
      t: start + Math.floor(rnd() * span),
      provider,
      model,
      input_tokens: Math.floor(rnd() * 5000),
      output_tokens: Math.floor(rnd() * 2000),
      ...(unpriced ? {} : { cost_usd: Math.round(rnd() * 1e6) / 1e7 }),
      priced: unpriced ? 'unpriced' : pick(['client', 'table'] as const),
      duration_seconds: rnd() < 0.5 ? rnd() * 3 : undefined,
      success: rnd() < 0.9,
      run_id: command ? `run-${i}` : undefined,
      command,
      source: command ? 'command' : pick(['ingest', 'sdk'] as const),
      ...(tag ? { tag } : {}),
    });
  }
  return out;
}

/** The breakdown computed independently of the ledger, from the records sent. */
function expected(records: CostRecordInput[], groupBy: CostGrouping, from: number, to: number) {
  const keyOf = (r: CostRecordInput): string => {
    switch (groupBy) {
      case 'model':
        return r.model;
      case 'provider':
        return r.provider;
      case 'command':
        return r.command ?? '(none)';
      case 'tag':
        return r.tag ?? '(none)';
      case 'hour':
        return new Date(Math.floor(r.t / HOUR) * HOUR).toISOString();
      case 'day':
        return new Date(Math.floor(r.t / DAY) * DAY).toISOString();
    }
  };
  const rows = new Map<string, CostRow>();
  const total = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpriced: 0 };
  for (const r of records) {
    if (r.t < from || r.t > to) continue;
    const k = keyOf(r);
    const row = rows.get(k) ?? { key: k, requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpriced: 0 };
    for (const acc of [row, total]) {
      acc.requests += 1;
      acc.inputTokens += r.input_tokens;
      acc.outputTokens += r.output_tokens;
      if (r.priced === 'unpriced') acc.unpriced += 1;
      else acc.costUsd += r.cost_usd!;
    }
    rows.set(k, row);
  }
  return { rows, total };
}

describe('Ledger cost records', () => {
  let ledger: Ledger;
  beforeEach(() => {
    ledger = Ledger.open(tmpFile(), OPTS);
  });
  afterEach(() => ledger.close());

  const start = Date.UTC(2025, 0, 30, 17, 20); // spans several days and a month boundary
  const records = makeRecords(3000, start, 4 * DAY);

  it.each(['model', 'provider', 'command', 'tag', 'hour', 'day'] as const)('groups by %s exactly as the records sent', (groupBy) => {
    for (let i = 0; i < records.length; i += 700) ledger.insertCostRecords(records.slice(i, i + 700));
    for (const [from, to] of [
      [0, Number.MAX_SAFE_INTEGER],
      [start + 5 * HOUR + 123, start + 2 * DAY + 17],
    ]) {
      const got = ledger.costs(groupBy, from, to);
      const want = expected(records, groupBy, from, to);
      expect(got.groupBy).toBe(groupBy);
      expect([got.from, got.to]).toEqual([from, to]);
      expect(got.rows.map((r) => r.key).sort()).toEqual([...want.rows.keys()].sort());
      for (const row of got.rows) {
        const w = want.rows.get(row.key)!;
        expect({ ...row, costUsd: 0 }).toEqual({ ...w, costUsd: 0 });
        expect(row.costUsd).toBeCloseTo(w.costUsd, 9);
      }
      expect({ ...got.total, costUsd: 0 }).toEqual({ ...want.total, costUsd: 0 });
      expect(got.total.costUsd).toBeCloseTo(want.total.costUsd, 9);
      // Some sources: the whole hours from the rollups (kept per source), the rest from the records.
      for (const sources of [['ingest'], ['sdk'], ['command'], ['ingest', 'command']] as const) {
        const one = ledger.costs(groupBy, from, to, sources);
        const mine = expected(
          records.filter((r) => (sources as readonly string[]).includes(r.source)),
          groupBy,
          from,
          to,
        );
        expect(Object.fromEntries(one.rows.map((r) => [r.key, r.requests]))).toEqual(Object.fromEntries([...mine.rows].map(([k, r]) => [k, r.requests])));
        expect(one.total.costUsd).toBeCloseTo(mine.total.costUsd, 9);
      }
      // order: time buckets ascending; the rest by cost, highest first
      const keys = got.rows.map((r) => r.key);
      if (groupBy === 'hour' || groupBy === 'day') {
        expect(keys).toEqual([...keys].sort());
        for (const k of keys) expect(k).toMatch(groupBy === 'day' ? /^\d{4}-\d\d-\d\dT00:00:00\.000Z$/ : /^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
      } else {
        const costs = got.rows.map((r) => r.costUsd);
        expect(costs).toEqual([...costs].sort((a, b) => b - a));
      }
    }
    if (groupBy === 'command') expect(ledger.costs('command', 0, Number.MAX_SAFE_INTEGER).rows.map((r) => r.key)).toContain('(none)');
    if (groupBy === 'tag') {
      expect(
        ledger
          .costs('tag', 0, Number.MAX_SAFE_INTEGER)
          .rows.map((r) => r.key)
          .sort(),
      ).toEqual(['(none)', 'feature/x', 'team-a']);
    }
    expect(ledger.integrityCheck()).toBe('ok');
    if (groupBy === 'model') expect(ledger.costs('model', 0, Number.MAX_SAFE_INTEGER).rows.find((r) => r.key === 'llama')).toMatchObject({ costUsd: 0 });
  });

  it('returns an empty breakdown for an empty range', () => {
    ledger.insertCostRecords(records.slice(0, 10));
    expect(ledger.costs('day', 0, 1)).toEqual({ groupBy: 'day', from: 0, to: 1, rows: [], total: { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpriced: 0 } });
  });

  it('exports raw records in time order for CSV, with bounds and limit', () => {
    const some = records.slice(0, 200);
    ledger.insertCostRecords(some);
    const all = ledger.costRecords({ from: 0, to: Number.MAX_SAFE_INTEGER });
    expect(all).toHaveLength(200);
    expect(all.map((r) => r.t)).toEqual(some.map((r) => r.t).sort((a, b) => a - b));
    const first = some[0];
    const stored = all.find((r) => r.run_id === (first.run_id ?? null) && r.t === first.t && r.input_tokens === first.input_tokens)!;
    expect(stored).toEqual({
      id: expect.any(Number),
      t: first.t,
      provider: first.provider,
      model: first.model,
      input_tokens: first.input_tokens,
      output_tokens: first.output_tokens,
      cost_usd: first.priced === 'unpriced' ? null : first.cost_usd,
      priced: first.priced,
      duration_seconds: first.duration_seconds ?? null,
      success: first.success,
      run_id: first.run_id ?? null,
      command: first.command ?? null,
      source: first.source,
      tag: first.tag ?? null,
    });
    const mid = all[100].t;
    expect(ledger.costRecords({ from: mid, to: Number.MAX_SAFE_INTEGER, limit: 5 }).map((r) => r.t)).toEqual(
      all
        .filter((r) => r.t >= mid)
        .slice(0, 5)
        .map((r) => r.t),
    );
  });

  it('stores a batch all or nothing', () => {
    const good = records.slice(0, 50);
    const bad: CostRecordInput = { ...records[0], priced: 'client', cost_usd: undefined };
    expect(() => ledger.insertCostRecords([...good, bad])).toThrow(/CHECK constraint/);
    expect(ledger.costRecords({ from: 0, to: Number.MAX_SAFE_INTEGER })).toHaveLength(0);
    // also when the bad record sits inside a multi-row chunk
    expect(() => ledger.insertCostRecords([...good.slice(0, 10), bad, ...good, ...good])).toThrow(/CHECK constraint/);
    expect(ledger.costRecords({ from: 0, to: Number.MAX_SAFE_INTEGER })).toHaveLength(0);
    expect(ledger.costs('model', 0, Number.MAX_SAFE_INTEGER).total.requests).toBe(0);
    expect(ledger.insertCostRecords(good)).toBe(50);
    expect(ledger.insertCostRecords([])).toBe(0);
    // an unpriced record's cost is stored as NULL even if one was passed
    ledger.insertCostRecords([{ ...records[0], t: 1, priced: 'unpriced', cost_usd: 5 }]);
    expect(ledger.costRecords({ from: 1, to: 1 })[0].cost_usd).toBeNull();
  });

  it('measures a 1,000-record batch (printed, not asserted)', () => {
    type Stats = { median: number; p90: number; max: number };
    const timeBatches = (l: Ledger, batches: CostRecordInput[][]): Stats => {
      const ms: number[] = [];
      for (const b of batches) {
        const t0 = process.hrtime.bigint();
        l.insertCostRecords(b);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const warm = ms.slice(10).sort((a, b) => a - b);
      return { median: warm[Math.floor(warm.length / 2)], p90: warm[Math.floor(warm.length * 0.9)], max: warm[warm.length - 1] };
    };
    // Ingest-like: records stamped within the last second (a few rollup keys per batch).
    const live = Array.from({ length: 60 }, (_, i) => makeRecords(1000, start + i * 1000, 1000, i + 1));
    // Worst case: every batch spread over a whole day (hundreds of rollup keys per batch).
    const spread = Array.from({ length: 60 }, (_, i) => makeRecords(1000, start, DAY, i + 100));
    const normal = timeBatches(ledger, live);
    const normalSpread = timeBatches(ledger, spread);
    const full = Ledger.open(tmpFile(), { ...OPTS, synchronous: 'full' });
    const fullRes = timeBatches(full, live);
    full.close();
    const f = (x: Stats) => `median ${x.median.toFixed(2)} ms, p90 ${x.p90.toFixed(2)} ms, max ${x.max.toFixed(2)} ms`;
    console.log(
      'insertCostRecords, 1,000 records per batch (50 batches after 10 warm-up):\n' +
        `  synchronous=NORMAL, ingest-like timestamps: ${f(normal)}\n` +
        `  synchronous=NORMAL, spread over a day:      ${f(normalSpread)}\n` +
        `  synchronous=FULL,   ingest-like timestamps: ${f(fullRes)}`,
    );
    expect(normal.median).toBeGreaterThan(0);
  });
});
