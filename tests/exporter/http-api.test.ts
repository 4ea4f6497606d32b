/**
 * Integration: the real exporter binary on a free port, spoken to over real HTTP.
 */
import { auth, readJson, startExporter, type RunningExporter } from '../helpers/exporter-process';

let exp: RunningExporter;

beforeAll(async () => {
  exp = await startExporter(['--interval', '0.2']);
});
afterAll(async () => {
  expect(await exp.stop()).toBe(0);
});

const get = (path: string, token: string | null = exp.token) => fetch(exp.url + path, { headers: token ? auth(token) : {} });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(exp.url + path, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...auth(exp.token), ...headers } });

async function waitForValue(id: string, pred: (v: number) => boolean, timeoutMs = 5000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const latest = await readJson(get(`/api/v1/latest?series=${encodeURIComponent(id)}`));
    const v = latest.values[id];
    if (v !== undefined && pred(v)) return v;
    if (Date.now() > end) throw new Error(`${id} = ${v} never matched`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('read endpoints', () => {
  it('health is public and reports collectors and version', async () => {
    const res = await get('/api/v1/health', null);
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.collectors.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['system', 'actions', 'events', 'llm']));
  });

  it('series lists system series with units and descriptions', async () => {
    await waitForValue('system_memory_total_bytes', (v) => v > 0);
    const body = await readJson(get('/api/v1/series'));
    const mem = body.series.find((s: { id: string }) => s.id === 'system_memory_total_bytes');
    expect(mem).toMatchObject({ name: 'system_memory_total_bytes', unit: 'bytes', labels: {} });
    expect(mem.description.length).toBeGreaterThan(5);
    expect(body.intervalMs).toBe(200);
  });

  it('needs the token for reads unless auth.readPublic', async () => {
    for (const path of ['/api/v1/series', '/api/v1/latest', '/api/v1/history', '/api/v1/stream']) {
      const none = await get(path, null);
      expect(none.status).toBe(401);
      expect((await readJson(none)).error.code).toBe('unauthorized');
      expect((await get(path, 'wrong-token-wrong-token')).status).toBe(401);
    }
  });

  it('serves Prometheus text with runboard families and process metrics', async () => {
    const res = await get('/metrics', null);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^runboard_system_memory_total_bytes \d+/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^runboard_collect_duration_seconds\{collector="system"\} /m);
  });

  it('history returns columns for the asked series, bounded by maxPoints', async () => {
    await new Promise((r) => setTimeout(r, 1200));
    const body = await readJson(get('/api/v1/history?series=system_memory_total_bytes&from=now-1m&maxPoints=3'));
    expect(body.t.length).toBeGreaterThan(0);
    expect(body.t.length).toBeLessThanOrEqual(3);
    expect(body.values.system_memory_total_bytes).toHaveLength(body.t.length);
    expect(Object.keys(body.values)).toEqual(['system_memory_total_bytes']);
  });

  it.each([
    ['/api/v1/history?maxPoints=abc', 'maxPoints', /whole number/],
    ['/api/v1/history?maxPoints=0', 'maxPoints', /between/],
    ['/api/v1/history?from=yesterday', 'from', /not a time/],
    ['/api/v1/history?from=now&to=now-1h', 'from', /after/],
    ['/api/v1/history?series=nope', 'series', /unknown series/],
  ])('history rejects %s naming %s', async (path, field, reason) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expect(body.error.field).toBe(field);
    expect(body.error.message).toMatch(reason);
  });

  it('unknown API routes are JSON 404s', async () => {
    const res = await get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect((await readJson(res)).error.code).toBe('not_found');
  });
});

describe('ingest', () => {
  it('accepts a mixed batch (202 with counts) and the values show up live and in /metrics', async () => {
    const records = [
      { kind: 'action', name: 'itest-deploy', duration_seconds: 2, success: true },
      { kind: 'action', name: 'itest-deploy', duration_seconds: 4, success: false },
      { kind: 'event', type: 'itest-hook', outcome: 'processed', processing_seconds: 0.1 },
      { kind: 'llm', provider: 'openai', model: 'gpt-4o', input_tokens: 1000, output_tokens: 100, duration_seconds: 1.2 },
      { kind: 'llm', provider: 'acme', model: 'itest-unpriced', input_tokens: 10, output_tokens: 10 },
      { kind: 'state', current_action: 'itest-deploy', action_queue_depth: 7, event_queue_depth: 3 },
    ];
    const res = await post('/api/v1/ingest', JSON.stringify({ records }));
    expect(res.status).toBe(202);
    expect(await readJson(res)).toEqual({ accepted: 6, byKind: { action: 2, event: 1, llm: 2, state: 1 } });

    expect(await waitForValue('action_success_ratio{action="itest-deploy"}', () => true)).toBeCloseTo(0.5);
    expect(await waitForValue('action_queue_depth', (v) => v === 7)).toBe(7);
    expect(await waitForValue('llm_cost_usd_per_request{model="gpt-4o",provider="openai"}', () => true)).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 8);

    const text = await (await get('/metrics', null)).text();
    expect(text).toContain('runboard_actions_total{action="itest-deploy",outcome="success"} 1');
    expect(text).toContain('runboard_actions_total{action="itest-deploy",outcome="failure"} 1');
    expect(text).toContain('runboard_llm_tokens_total{provider="openai",model="gpt-4o",type="input",source="ingest"} 1000');
    expect(text).toContain('runboard_llm_unpriced_requests_total{provider="acme",model="itest-unpriced",source="ingest"} 1');
    expect(text).toContain('runboard_current_action_info{action="itest-deploy"} 1');
    expect(text).toContain('runboard_event_queue_depth 3');
    const health = await readJson(get('/api/v1/health', null));
    expect(health.currentAction).toBe('itest-deploy');
  });

  it('accepts nothing from a batch with one invalid record and names it', async () => {
    const before = await (await get('/metrics', null)).text();
    const res = await post(
      '/api/v1/ingest',
      JSON.stringify([
        { kind: 'action', name: 'atomic-check', duration_seconds: 1, success: true },
        { kind: 'action', name: 'atomic-check', duration_seconds: -1, success: true },
      ]),
    );
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expect(body.error).toMatchObject({ code: 'invalid_record', field: 'records[1].duration_seconds' });
    expect(before).not.toContain('atomic-check');
    expect(await (await get('/metrics', null)).text()).not.toContain('atomic-check');
  });

  it('needs the token', async () => {
    const res = await fetch(exp.url + '/api/v1/ingest', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(401);
    const wrong = await post('/api/v1/ingest', '{}', auth('x'.repeat(30)));
    expect(wrong.status).toBe(401);
    const spaced = await post('/api/v1/ingest', '[]', { Authorization: `Bearer  ${exp.token}` });
    expect(spaced.status).toBe(401);
  });

  it.each([
    ['not json', '{"kind":', 400, 'invalid_json'],
    ['a number', '5', 400, 'invalid_body'],
    ['NaN literal', '{"kind":"action","name":"a","duration_seconds":NaN,"success":true}', 400, 'invalid_json'],
    ['a huge number', '{"kind":"llm","provider":"p","model":"m","input_tokens":1e400,"output_tokens":1}', 400, 'invalid_record'],
  ])('rejects %s', async (_name, body, status, code) => {
    const res = await post('/api/v1/ingest', body);
    expect(res.status).toBe(status);
    expect((await readJson(res)).error.code).toBe(code);
  });

  it('answers 413 over the body limit and keeps serving', async () => {
    const big = JSON.stringify({ records: [{ kind: 'action', name: 'x'.repeat(200), duration_seconds: 1, success: true }] }).padEnd(1024 * 1024 + 10, ' ');
    const res = await post('/api/v1/ingest', big);
    expect(res.status).toBe(413);
    expect((await readJson(res)).error.message).toMatch(/limits.bodyBytes/);
    expect((await get('/api/v1/health', null)).status).toBe(200);
    const text = await (await get('/metrics', null)).text();
    expect(text).toMatch(/runboard_ingest_rejected_total\{reason="invalid_record"\} [1-9]/);
  });
});
