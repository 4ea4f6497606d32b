/**
 * Ledger first on a full disk (README "The ledger"): a ledger capped with
 * `ledger.maxSizeBytes` (SQLite's max_page_count, so a full ledger fails exactly as a full disk:
 * SQLITE_FULL) fills up under ingest batches of LLM calls and actions, and a client keeps
 * retrying what was refused. /metrics must count exactly what the ledger holds and what was
 * acknowledged with 202, the refusals are 503 with a retryable code and the reason, logged once
 * per burst without a stack, and the exporter stays healthy. The in-process SDK, whose writes
 * have no caller to answer, must not count what the ledger refused either.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Exporter } from '../../exporter/src/exporter';
import type { Logger } from '../../exporter/src/log';
import type { RunningExporter } from '../helpers/exporter-process';
import { metricsText, metricValue, report, request, startWith, type RawResponse } from './harness';

/** Small enough to fill in a few seconds, large enough for the schema and a few thousand records. */
const MAX_SIZE = 256 * 1024;
const LLM_PER_BATCH = 50;
const ACTIONS_PER_BATCH = 5;
/** Sends of a refused batch, as a client that keeps retrying would (the issue: each retry inflated /metrics). */
const RETRIES = 40;

const errorOf = (res: RawResponse) => (JSON.parse(res.text) as { error: { code: string; message: string } }).error;
const FAILURE_LINE = /refused the write/;
const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

function batch(n: number) {
  const records: object[] = [];
  for (let i = 0; i < LLM_PER_BATCH; i++) {
    records.push({
      kind: 'llm',
      provider: 'openai',
      model: `model-${i % 3}`,
      input_tokens: 100 + i,
      output_tokens: 10 + (i % 7),
      success: i % 11 !== 0,
      duration_seconds: 0.5,
      run_id: `batch-${n}-${i}`,
    });
  }
  for (let i = 0; i < ACTIONS_PER_BATCH; i++) records.push({ kind: 'action', name: 'full-disk', duration_seconds: 0.1, success: true });
  return { records, inputTokens: records.reduce((s: number, r) => s + ((r as { input_tokens?: number }).input_tokens ?? 0), 0) };
}

function ledgerCount(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'runboard.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM cost_records').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('a full ledger (ledger.maxSizeBytes) behind the ingest route', () => {
  let exp: RunningExporter;
  afterAll(async () => {
    await exp?.stop();
  });

  it('counts in /metrics exactly what the ledger accepted, answers 503 + Retry-After to the rest, logs one line per burst', async () => {
    exp = await startWith({ ledger: { maxSizeBytes: MAX_SIZE }, limits: { requestsPerSecond: 0 } });
    const H = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
    const send = (b: { records: object[] }) => request(exp.url, 'POST', '/api/v1/ingest', { headers: H, body: JSON.stringify(b.records) });

    let acked = { llm: 0, actions: 0, inputTokens: 0 };
    let refused: RawResponse | undefined;
    let pending: ReturnType<typeof batch> | undefined;
    // Fill: new batches until the ledger refuses one (bounded: the cap holds far fewer records).
    for (let n = 0; n < 2000 && !refused; n++) {
      const b = batch(n);
      const res = await send(b);
      if (res.status === 202) {
        acked = { llm: acked.llm + LLM_PER_BATCH, actions: acked.actions + ACTIONS_PER_BATCH, inputTokens: acked.inputTokens + b.inputTokens };
      } else {
        refused = res;
        pending = b;
      }
    }
    expect(refused?.status).toBe(503);
    expect(acked.llm).toBeGreaterThan(0);

    // The client retries the refused batch, as the SDK's client does on a 503.
    let refusals = 1;
    for (let i = 0; i < RETRIES; i++) {
      const res = await send(pending!);
      expect(res.status).toBe(503);
      refusals++;
    }

    const err = errorOf(refused!);
    expect(err.code).toBe('ledger_unavailable');
    expect(err.message).toBe(`the ledger ${path.join(exp.dataDir, 'runboard.db')} refused the write: database or disk is full (SQLITE_FULL; ledger.maxSizeBytes is ${MAX_SIZE})`);
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0);

    const text = await metricsText(exp);
    const stored = ledgerCount(exp.dataDir);
    const counted = {
      llmRequests: metricValue(text, 'runboard_llm_requests_total'),
      llmInputTokens: metricValue(text, 'runboard_llm_tokens_total', { type: 'input' }),
      llmIngested: metricValue(text, 'runboard_ingest_records_total', { kind: 'llm' }),
      actions: metricValue(text, 'runboard_actions_total'),
      actionsIngested: metricValue(text, 'runboard_ingest_records_total', { kind: 'action' }),
    };
    // What the ledger holds = what was acknowledged = what /metrics counts; the retries added nothing.
    expect(stored).toBe(acked.llm);
    expect(counted).toEqual({ llmRequests: acked.llm, llmInputTokens: acked.inputTokens, llmIngested: acked.llm, actions: acked.actions, actionsIngested: acked.actions });
    expect(metricValue(text, 'runboard_ingest_rejected_total', { reason: 'ledger_unavailable' })).toBe(refusals);
    expect(metricValue(text, 'runboard_ledger_refused_records_total', { source: 'ingest' })).toBe(refusals * LLM_PER_BATCH);

    // One line for the whole burst, no stack, nothing per request.
    const stderr = exp.stderr();
    expect(stderr.split('\n').filter((l) => FAILURE_LINE.test(l))).toHaveLength(1);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).not.toMatch(/unexpected error/);

    // Still healthy, reads still work, and a batch without LLM calls (nothing for the ledger) is taken.
    expect((await request(exp.url, 'GET', '/api/v1/health')).status).toBe(200);
    const costs = await request(exp.url, 'GET', '/api/v1/costs?from=0', { headers: H });
    expect(costs.status).toBe(200);
    expect((JSON.parse(costs.text) as { total: { requests: number } }).total.requests).toBe(acked.llm);
    const actionsOnly = await request(exp.url, 'POST', '/api/v1/ingest', {
      headers: H,
      body: JSON.stringify([{ kind: 'action', name: 'full-disk', duration_seconds: 0.1, success: true }]),
    });
    expect(actionsOnly.status).toBe(202);
    expect(metricValue(await metricsText(exp), 'runboard_actions_total')).toBe(acked.actions + 1);

    report('full-disk', {
      maxSizeBytes: MAX_SIZE,
      acknowledgedLlm: acked.llm,
      ledgerRecords: stored,
      metricsLlmRequests: counted.llmRequests,
      refusedRequests: refusals,
      failureLogLines: 1,
    });
  });
});

describe("a command's ::llm lines on a full ledger", () => {
  let exp: RunningExporter;
  afterAll(async () => {
    await exp?.stop();
  });

  it('are not counted, the run goes on and finishes, and the burst stays one log line', async () => {
    exp = await startWith({ ledger: { maxSizeBytes: 128 * 1024 }, limits: { requestsPerSecond: 0 } }, { commands: true });
    const H = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
    const llm = (i: number) => ({ kind: 'llm', provider: 'openai', model: 'cmd-fill', input_tokens: i, output_tokens: 1 });
    // Full even for one record: batches of 20 until refused, then single records until refused.
    let acked = 0;
    for (const size of [20, 1]) {
      for (let n = 0; n < 5000; n++) {
        const res = await request(exp.url, 'POST', '/api/v1/ingest', { headers: H, body: JSON.stringify(Array.from({ length: size }, (_, i) => llm(i))) });
        if (res.status !== 202) {
          expect(res.status).toBe(503);
          break;
        }
        acked += size;
      }
    }
    const linesBefore = exp
      .stderr()
      .split('\n')
      .filter((l) => FAILURE_LINE.test(l)).length;

    // The fixture prints two valid ::llm lines (tests/fixtures/commands/protocol.js).
    const started = await request(exp.url, 'POST', '/api/v1/commands/proto/runs', { headers: H, body: '{}' });
    expect(started.status).toBe(202);
    const id = (JSON.parse(started.text) as { id: string }).id;
    let run: { status: string; outcome: string; inputTokens: number; costUsd: number } | undefined;
    for (let i = 0; i < 200 && run?.status !== 'finished'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      run = JSON.parse((await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: H })).text);
    }
    expect(run).toMatchObject({ status: 'finished', outcome: 'success', inputTokens: 0, costUsd: 0 });

    const text = await metricsText(exp);
    expect(metricValue(text, 'runboard_ledger_refused_records_total', { source: 'command' })).toBe(2);
    expect(ledgerCount(exp.dataDir)).toBe(acked);
    expect(metricValue(text, 'runboard_llm_requests_total')).toBe(acked);
    const stderr = exp.stderr();
    // One failure line per burst (a burst ends with the next write that succeeds): the fill had
    // two (a single record fitted after the batch of 20 did not); the run's row fitted, so its two
    // refused ::llm records are one more burst at most, not a line each.
    const failures = stderr.split('\n').filter((l) => FAILURE_LINE.test(l)).length;
    expect(failures - linesBefore).toBeLessThanOrEqual(1);
    // Each burst: one failure line, then one recovery line once a write succeeds (the run's final
    // row may have been that write).
    const recoveries = stderr.split('\n').filter((l) => /ledger writes recovered after/.test(l)).length;
    expect([recoveries, recoveries + 1]).toContain(failures);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).not.toMatch(/run output handler failed/);
  });
});

describe('run starts and template writes on a full ledger', () => {
  let exp: RunningExporter;
  afterAll(async () => {
    await exp?.stop();
  });

  it('answer 503 + Retry-After naming the file, never run a refused run, and log one line per burst without a stack', async () => {
    exp = await startWith({ ledger: { maxSizeBytes: 96 * 1024 }, limits: { requestsPerSecond: 0, runQueue: 100, concurrentRuns: 2 } }, { commands: true });
    const H = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
    const ledgerFile = path.join(exp.dataDir, 'runboard.db');
    const text = 'x'.repeat(450);

    // Templates fill the ledger until one is refused.
    let template: RawResponse | undefined;
    let templates = 0;
    for (let n = 0; n < 2000; n++) {
      template = await request(exp.url, 'PUT', `/api/v1/templates/fill-${n}`, { headers: H, body: JSON.stringify({ command: 'echo', name: `fill ${n}`, parameters: { text } }) });
      if (template.status !== 201) break;
      templates++;
    }
    expect(template?.status).toBe(503);
    expect(errorOf(template!)).toEqual({
      code: 'ledger_unavailable',
      message: `the ledger ${ledgerFile} refused the write: database or disk is full (SQLITE_FULL; ledger.maxSizeBytes is ${96 * 1024})`,
    });
    expect(Number(template!.headers['retry-after'])).toBeGreaterThan(0);

    // Run starts until one is refused (a small run row may still fit where a template did not).
    let start: RawResponse | undefined;
    let accepted = 0;
    for (let n = 0; n < 500; n++) {
      start = await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: H, body: JSON.stringify({ parameters: { text: `run-${n}` } }) });
      if (start.status !== 202) break;
      accepted++;
    }
    expect(start?.status).toBe(503);
    expect(errorOf(start!).code).toBe('ledger_unavailable');

    // Every accepted run finishes; the refused one never ran (not listed, not counted).
    let finished = 0;
    for (let i = 0; i < 400 && finished < accepted; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      finished = metricValue(await metricsText(exp), 'runboard_command_runs_total', { command: 'echo' }) ?? 0;
    }
    expect(finished).toBe(accepted);
    const runs = JSON.parse((await request(exp.url, 'GET', '/api/v1/runs?limit=500', { headers: H })).text) as { total: number; runs: Array<{ parameters: { text: string } }> };
    expect(runs.total).toBe(accepted);
    expect(runs.runs.some((r) => r.parameters.text === `run-${accepted}`)).toBe(false);
    const list = JSON.parse((await request(exp.url, 'GET', '/api/v1/templates', { headers: H })).text) as { templates: unknown[] };
    expect(list.templates).toHaveLength(templates);

    const stderr = exp.stderr();
    const failures = stderr.split('\n').filter((l) => FAILURE_LINE.test(l)).length;
    expect(failures).toBeGreaterThanOrEqual(1);
    const recoveries = stderr.split('\n').filter((l) => /ledger writes recovered after/.test(l)).length;
    expect([recoveries, recoveries + 1]).toContain(failures);
    // Fewer lines than refused writes: the bursts are logged, not every request.
    expect(failures).toBeLessThan(2);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).not.toMatch(/unexpected error/);
    expect((await request(exp.url, 'GET', '/api/v1/health')).status).toBe(200);
    report('full-disk-runs', { templatesStored: templates, runsAccepted: accepted, failureLogLines: failures });
  });
});

describe('the in-process SDK on a full ledger', () => {
  let dataDir: string;
  let exp: Exporter | undefined;
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-full-sdk-'));
  });
  afterAll(async () => {
    await exp?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const llmCount = async (e: Exporter) => (await e.metrics.llmRequests.get()).values.reduce((s, v) => s + v.value, 0);
  const call = (i: number) => ({ provider: 'p', model: 'sdk-model', input_tokens: 10, output_tokens: i % 5 });

  it('counts only calls whose cost records the ledger committed; flush() rejects for the rest', async () => {
    exp = await Exporter.start({ port: 0, dataDir, auth: { token: 'full-disk-sdk-token-0123456789' }, ledger: { maxSizeBytes: MAX_SIZE } }, { log, system: false });
    const e = exp;
    let acked = 0;
    let failure: unknown;
    for (let n = 0; n < 2000 && !failure; n++) {
      for (let i = 0; i < 100; i++) e.recordLlmCall(call(i));
      failure = await e.flush().then(
        () => ((acked += 100), undefined),
        (err: unknown) => err,
      );
    }
    expect(failure).toMatchObject({ code: 'ledger_unavailable', message: expect.stringMatching(/refused the write: database or disk is full \(SQLITE_FULL/) });

    // More calls while full: flushed at the end of the event-loop turn with no caller, then by flush().
    for (let i = 0; i < 100; i++) e.recordLlmCall(call(i));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await expect(e.flush()).rejects.toMatchObject({ code: 'ledger_unavailable' });
    for (let i = 0; i < 100; i++) e.recordLlmCall(call(i));
    await expect(e.flush()).rejects.toMatchObject({ code: 'ledger_unavailable' });

    const stored = e.ledger.costs('model', 0, Date.now()).total.requests;
    expect(stored).toBe(acked);
    expect(await llmCount(e)).toBe(acked);
    expect((await e.metrics.ledgerRefusedRecords.get()).values.find((v) => v.labels.source === 'sdk')?.value).toBe(300);
    expect(lines.filter((l) => FAILURE_LINE.test(l))).toHaveLength(1);

    // An operator frees room (another connection deletes old records): writes succeed again,
    // are counted again, and the recovery is logged once.
    const other = new Database(path.join(dataDir, 'runboard.db'));
    other.prepare('DELETE FROM cost_records WHERE id IN (SELECT id FROM cost_records ORDER BY id LIMIT 1000)').run();
    other.close();
    for (let i = 0; i < 100; i++) e.recordLlmCall(call(i));
    await e.flush();
    expect(await llmCount(e)).toBe(acked + 100);
    expect(lines.filter((l) => /ledger writes recovered after 3 failures/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => FAILURE_LINE.test(l))).toHaveLength(1);
  });
});
