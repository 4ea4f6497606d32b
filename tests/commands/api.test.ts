/**
 * Integration: commands, runs, output streams, templates and costs through the real exporter's
 * HTTP API, with real child processes from the fixture scripts.
 */
import fs from 'node:fs';
import { auth, readJson, startExporter, type RunningExporter } from '../helpers/exporter-process';
import { commandsConfig } from '../helpers/commands-config';
import { connectSse } from '../helpers/sse-client';
import type { RunInfo } from '@runboard/protocol';

let exp: RunningExporter;
let config: string;

beforeAll(async () => {
  config = commandsConfig();
  exp = await startExporter(['--config', config, '--interval', '0.2']);
});
afterAll(async () => {
  await exp?.stop();
});

const headers = () => ({ ...auth(exp.token), 'Content-Type': 'application/json' });
const api = (path: string, init: RequestInit = {}) => fetch(exp.url + '/api/v1' + path, { ...init, headers: { ...headers(), ...(init.headers as object) } });
const startRun = (command: string, parameters: object = {}, extra: object = {}) =>
  api(`/commands/${command}/runs`, { method: 'POST', body: JSON.stringify({ parameters, ...extra }) });

async function waitRun(id: string, timeoutMs = 15000): Promise<RunInfo> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const run: RunInfo = await readJson(api(`/runs/${id}`));
    if (run.status === 'finished') return run;
    if (Date.now() > end) throw new Error(`run ${id} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runToEnd(command: string, parameters: object = {}): Promise<{ run: RunInfo; lines: string[] }> {
  const res = await startRun(command, parameters);
  expect(res.status).toBe(202);
  const { id } = await readJson(res);
  const run = await waitRun(id);
  const c = await connectSse(`${exp.url}/api/v1/runs/${id}/output`, auth(exp.token));
  await c.closed;
  return { run, lines: c.events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data).text) };
}

describe('commands', () => {
  it('lists commands with parameter schemas but never executables or argv', async () => {
    const body = await readJson(api('/commands'));
    const echo = body.commands.find((c: { id: string }) => c.id === 'echo');
    expect(echo.parameters.count).toEqual({ type: 'integer', min: 1, max: 10, default: 1, help: '' });
    expect(echo.parameters.mode.values).toEqual(['a', 'b']);
    expect(JSON.stringify(body)).not.toContain('print-argv');
    expect(JSON.stringify(body)).not.toContain(process.execPath);
  });

  it('passes hostile parameter values literally, one argv entry each, without a shell', async () => {
    const marker = `/tmp/runboard-injected-${process.pid}`;
    const hostile = `a b "c" 'd' $(touch ${marker}) \`touch ${marker}\`; touch ${marker} && echo x | cat > ${marker}\nnext ../../etc/passwd --evil`;
    const { run, lines } = await runToEnd('echo', { text: hostile, verbose: true, count: 3 });
    expect(run.outcome).toBe('success');
    const printed = JSON.parse(lines[0]);
    expect(printed.argv).toEqual([`--text=${hostile}`, '--', hostile, '--verbose', '3']);
    expect(fs.existsSync(marker)).toBe(false);
    // only the allow-listed environment (plus the run's own ids and the exporter's URL) reaches the command
    expect(Object.keys(printed.env).sort()).toEqual(['PATH', 'RUNBOARD_COMMAND', 'RUNBOARD_RUN_ID', 'RUNBOARD_URL']);
    expect(printed.env.RUNBOARD_URL).toBe(exp.url);
    const off = await runToEnd('echo', { text: '--flag-looking', verbose: false });
    expect(JSON.parse(off.lines[0]).argv).toEqual(['--text=--flag-looking', '--', '--flag-looking', '1']);
  });

  it.each([
    [{ count: 11 }, 'parameters.count', /at most 10/],
    [{ count: '3' }, 'parameters.count', /integer|number/],
    [{ mode: 'c' }, 'parameters.mode', /one of/],
    [{ text: 'x'.repeat(501) }, 'parameters.text', /500/],
    [{ text: 'a\u0000b' }, 'parameters.text', /NUL/i],
    [{ nope: 1 }, 'parameters.nope', /unknown/],
  ])('rejects bad parameters with 400 naming %#, before anything runs', async (parameters, field, reason) => {
    const before = (await readJson(api('/runs?command=echo'))).total;
    const res = await startRun('echo', parameters);
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expect(body.error.field).toBe(field);
    expect(body.error.message).toMatch(reason);
    expect((await readJson(api('/runs?command=echo'))).total).toBe(before);
  });

  it('404s an unknown command and 400s a malformed body', async () => {
    expect((await startRun('nope')).status).toBe(404);
    const res = await api('/commands/echo/runs', { method: 'POST', body: JSON.stringify({ parameters: [], extra: 1 }) });
    expect(res.status).toBe(400);
  });
});

describe('runs', () => {
  it('records outcome, exit code, stderr separately and duration', async () => {
    const { run, lines } = await runToEnd('fail');
    expect(run).toMatchObject({ outcome: 'failure', exitCode: 3, status: 'finished' });
    expect(run.durationSeconds).toBeGreaterThan(0);
    expect(lines).toEqual(expect.arrayContaining(['to stdout', 'to stderr', 'no newline at the end']));
    const c = await connectSse(`${exp.url}/api/v1/runs/${run.id}/output`, auth(exp.token));
    await c.closed;
    const streams = Object.fromEntries(c.events.filter((e) => e.event === 'line').map((e) => [JSON.parse(e.data).text, JSON.parse(e.data).stream]));
    expect(streams['to stderr']).toBe('stderr');
    expect(streams['to stdout']).toBe('stdout');
  });

  it('turns protocol lines into progress and cost records of the run; malformed ones stay output', async () => {
    const { run, lines } = await runToEnd('proto');
    expect(run.progress).toBe(100);
    expect(run.progressMessage).toBe('done');
    expect(run.inputTokens).toBe(125);
    expect(run.outputTokens).toBe(37);
    expect(run.costUsd).toBeCloseTo((120 * 0.15 + 30 * 0.6) / 1e6 + 0.0125, 10);
    expect(lines).toContain('::progress 150 too much');
    const costs = await readJson(api('/costs?groupBy=command&from=now-1h'));
    const row = costs.rows.find((r: { key: string }) => r.key === 'proto');
    expect(row).toMatchObject({ requests: 2, inputTokens: 125, outputTokens: 37 });
    const metrics = await (await fetch(exp.url + '/metrics')).text();
    expect(metrics).toMatch(/runboard_command_runs_total\{command="proto",outcome="success"\} [1-9]/);
    // a finished run also counts as an action named after the command
    expect(metrics).toMatch(/runboard_actions_total\{action="proto",outcome="success"\} [1-9]/);
  });

  it('streams output live to a subscriber, and replays it all to a late one', async () => {
    const res = await startRun('slow');
    const { id } = await readJson(res);
    const live = await connectSse(`${exp.url}/api/v1/runs/${id}/output`, auth(exp.token));
    await live.waitFor(4);
    expect(live.events[0].event).toBe('status');
    const cancel = await api(`/runs/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    await live.closed;
    const end = live.events[live.events.length - 1];
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toMatchObject({ outcome: 'cancelled', status: 'finished' });
    const liveLines = live.events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data).text);
    expect(liveLines[0]).toBe('ready');
    expect(liveLines).toContain('got SIGTERM');

    const late = await connectSse(`${exp.url}/api/v1/runs/${id}/output`, auth(exp.token));
    await late.closed;
    expect(late.events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data).text)).toEqual(liveLines);
    expect(late.events[late.events.length - 1].event).toBe('end');

    const again = await api(`/runs/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
  });

  it('resumes output after Last-Event-ID without repeating lines', async () => {
    const { run } = await runToEnd('fail');
    const c = await connectSse(`${exp.url}/api/v1/runs/${run.id}/output`, { ...auth(exp.token), 'Last-Event-ID': '0' });
    await c.closed;
    const seqs = c.events.filter((e) => e.event === 'line').map((e) => Number(e.id));
    expect(seqs.length).toBeGreaterThan(0);
    expect(Math.min(...seqs)).toBe(1);
  });

  it('kills the command at its timeout', async () => {
    const { run } = await runToEnd('quick-timeout');
    expect(run.outcome).toBe('timeout');
  });

  it('caps stored output, keeping head and tail with a marker', async () => {
    const { run, lines } = await runToEnd('flood');
    expect(run.truncated).toBe(true);
    expect(run.outputBytes).toBeGreaterThan(4096 * 10);
    expect(lines[0]).toMatch(/^line 0\b/);
    expect(lines[lines.length - 1]).toMatch(/^line 1999\b/);
    expect(lines.some((l) => /truncated/.test(l))).toBe(true);
  });

  it('queues beyond the per-command limit with a visible position, and refuses a full queue with 429', async () => {
    const ids: string[] = [];
    const first = await readJson(startRun('slow'));
    ids.push(first.id);
    const second = await readJson(startRun('slow'));
    ids.push(second.id);
    expect(second.status).toBe('queued');
    expect(second.queuePosition).toBe(1);
    const third = await readJson(startRun('slow'));
    ids.push(third.id);
    expect(third.queuePosition).toBe(2);
    // runQueue is 2: a third waiting run is refused
    const refused = await startRun('slow');
    expect(refused.status).toBe(429);
    expect((await readJson(refused)).error.code).toBe('queue_full');
    // a queued run shows its position in the run list and can be cancelled before it starts
    const list = await readJson(api('/runs?status=queued'));
    expect(list.runs.map((r: RunInfo) => r.id)).toEqual(expect.arrayContaining([second.id, third.id]));
    expect(list.runs.find((r: RunInfo) => r.id === third.id).queuePosition).toBe(2);
    const cancelledSecond = await readJson(api(`/runs/${second.id}/cancel`, { method: 'POST' }));
    expect(cancelledSecond).toMatchObject({ status: 'finished', outcome: 'cancelled' });
    // the run behind it moves up
    expect((await readJson(api(`/runs/${third.id}`))).queuePosition).toBe(1);
    await api(`/runs/${first.id}/cancel`, { method: 'POST' });
    // the queued one starts when the first ends
    const deadline = Date.now() + 10000;
    let s: RunInfo = await readJson(api(`/runs/${third.id}`));
    while (s.status !== 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      s = await readJson(api(`/runs/${third.id}`));
    }
    expect(s.status).toBe('running');
    await api(`/runs/${third.id}/cancel`, { method: 'POST' });
    await waitRun(third.id);
  });

  it('pages and filters run history', async () => {
    const page = await readJson(api('/runs?limit=2&offset=0'));
    expect(page.runs).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
    expect(page.runs[0].requestedAt).toBeGreaterThanOrEqual(page.runs[1].requestedAt);
    const failures = await readJson(api('/runs?outcome=failure'));
    expect(failures.runs.every((r: RunInfo) => r.outcome === 'failure')).toBe(true);
    expect((await api('/runs?outcome=bad')).status).toBe(400);
    expect((await api('/runs?limit=0')).status).toBe(400);
    expect((await api('/runs/does-not-exist')).status).toBe(404);
  });
});

describe('templates', () => {
  it('saves, lists, updates, uses and deletes a template validated against the command', async () => {
    const created = await api('/templates', { method: 'POST', body: JSON.stringify({ command: 'echo', name: 'loud', parameters: { text: 'hi', verbose: true } }) });
    expect(created.status).toBe(200);
    const t = await readJson(created);
    expect(t.parameters).toEqual({ text: 'hi', verbose: true, count: 1, mode: 'a' });
    const put = await api(`/templates/${t.id}`, { method: 'PUT', body: JSON.stringify({ command: 'echo', name: 'loud', parameters: { text: 'bye' } }) });
    expect(put.status).toBe(200);
    expect((await readJson(put)).parameters.text).toBe('bye');
    const list = await readJson(api('/templates?command=echo'));
    expect(list.templates.map((x: { name: string }) => x.name)).toContain('loud');
    const bad = await api('/templates', { method: 'POST', body: JSON.stringify({ command: 'echo', name: 'x', parameters: { count: 99 } }) });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.field).toBe('parameters.count');
    expect((await api('/templates', { method: 'POST', body: JSON.stringify({ command: 'nope', name: 'x' }) })).status).toBe(400);
    expect((await api(`/templates/${t.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/templates/${t.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`/templates/${t.id}`)).status).toBe(404);
  });
});

describe('costs', () => {
  it('breaks down ingested records by model, provider and day, as JSON and CSV', async () => {
    const records = [
      { kind: 'llm', provider: 'p-cost', model: 'm-cost-1', input_tokens: 100, output_tokens: 10, cost_usd: 0.5 },
      { kind: 'llm', provider: 'p-cost', model: 'm-cost-1', input_tokens: 200, output_tokens: 20, cost_usd: 0.25 },
      { kind: 'llm', provider: 'p-cost', model: 'm-cost-2', input_tokens: 7, output_tokens: 3 },
    ];
    expect((await api('/ingest', { method: 'POST', body: JSON.stringify(records) })).status).toBe(202);
    const byModel = await readJson(api('/costs?groupBy=model&from=now-1h'));
    expect(byModel.rows.find((r: { key: string }) => r.key === 'm-cost-1')).toEqual({
      key: 'm-cost-1',
      requests: 2,
      inputTokens: 300,
      outputTokens: 30,
      costUsd: 0.75,
      unpriced: 0,
    });
    expect(byModel.rows.find((r: { key: string }) => r.key === 'm-cost-2')).toMatchObject({ requests: 1, costUsd: 0, unpriced: 1 });
    const byProvider = await readJson(api('/costs?groupBy=provider&from=now-1h'));
    expect(byProvider.rows.find((r: { key: string }) => r.key === 'p-cost')).toMatchObject({ requests: 3, inputTokens: 307 });
    const byDay = await readJson(api('/costs?groupBy=day&from=now-1h'));
    const today = new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z';
    expect(byDay.rows.map((r: { key: string }) => r.key)).toContain(today);
    const csv = await (await api('/costs?groupBy=model&from=now-1h&format=csv')).text();
    expect(csv.split('\n')[0]).toBe('model,requests,input_tokens,output_tokens,cost_usd,unpriced');
    expect(csv).toContain('m-cost-1,2,300,30,0.75,0');
    expect((await api('/costs?groupBy=week')).status).toBe(400);
    expect((await api('/costs?format=xml')).status).toBe(400);
  });
});

describe('auth', () => {
  it.each([
    ['GET', '/commands'],
    ['POST', '/commands/echo/runs'],
    ['GET', '/runs'],
    ['GET', '/runs/x'],
    ['GET', '/runs/x/output'],
    ['POST', '/runs/x/cancel'],
    ['GET', '/templates'],
    ['POST', '/templates'],
    ['PUT', '/templates/x'],
    ['DELETE', '/templates/x'],
    ['GET', '/costs'],
  ])('%s %s needs the token', async (method, path) => {
    for (const h of [{}, auth('wrong-token-wrong-token'), { Authorization: exp.token }]) {
      const res = await fetch(`${exp.url}/api/v1${path}`, {
        method,
        headers: { ...h, 'Content-Type': 'application/json' },
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
      });
      expect(res.status).toBe(401);
    }
  });
});
