/**
 * Auth matrix (README "Reliability"): every read and mutating endpoint × credentials that are missing, wrong,
 * padded with whitespace, in another scheme or spelling, or right; with auth.readPublic off and
 * on (and /metrics behind the token). A refused request changes nothing; the token never shows
 * in a log line, an error body or a command's environment; the comparison is constant-time.
 */
import { tokenChecker } from '../../exporter/src/http/auth';
import type { RunningExporter } from '../helpers/exporter-process';
import { report, request, startWith, type RawResponse } from './harness';

interface Endpoint {
  name: string;
  method: string;
  path: (ids: Ids) => string;
  body?: (tag: string) => string;
  kind: 'read' | 'write' | 'metrics' | 'health';
}
interface Ids {
  run: string;
  template: string;
  doomed: () => string;
}

const ENDPOINTS: Endpoint[] = [
  { name: 'GET series', method: 'GET', path: () => '/api/v1/series', kind: 'read' },
  { name: 'GET latest', method: 'GET', path: () => '/api/v1/latest', kind: 'read' },
  { name: 'GET history', method: 'GET', path: () => '/api/v1/history?from=now-1m', kind: 'read' },
  { name: 'GET stream', method: 'GET', path: () => '/api/v1/stream', kind: 'read' },
  {
    name: 'POST ingest',
    method: 'POST',
    path: () => '/api/v1/ingest',
    body: (tag) => JSON.stringify({ kind: 'action', name: `auth-${tag}`, duration_seconds: 1, success: true }),
    kind: 'write',
  },
  { name: 'GET commands', method: 'GET', path: () => '/api/v1/commands', kind: 'write' },
  {
    name: 'POST runs',
    method: 'POST',
    path: () => '/api/v1/commands/echo/runs',
    body: (tag) => JSON.stringify({ parameters: { text: 'auth' }, startedBy: `auth-${tag}` }),
    kind: 'write',
  },
  { name: 'GET runs', method: 'GET', path: () => '/api/v1/runs', kind: 'write' },
  { name: 'GET run', method: 'GET', path: (ids) => `/api/v1/runs/${ids.run}`, kind: 'write' },
  { name: 'GET run output', method: 'GET', path: (ids) => `/api/v1/runs/${ids.run}/output`, kind: 'write' },
  { name: 'POST cancel', method: 'POST', path: (ids) => `/api/v1/runs/${ids.run}/cancel`, kind: 'write' },
  { name: 'GET templates', method: 'GET', path: () => '/api/v1/templates', kind: 'write' },
  { name: 'GET template', method: 'GET', path: (ids) => `/api/v1/templates/${ids.template}`, kind: 'write' },
  {
    name: 'POST template',
    method: 'POST',
    path: () => '/api/v1/templates',
    body: (tag) => JSON.stringify({ command: 'echo', name: `auth-${tag}`, parameters: {} }),
    kind: 'write',
  },
  {
    name: 'PUT template',
    method: 'PUT',
    path: (ids) => `/api/v1/templates/${ids.template}`,
    body: (tag) => JSON.stringify({ command: 'echo', name: 'kept', parameters: { text: `auth-${tag}` } }),
    kind: 'write',
  },
  { name: 'DELETE template', method: 'DELETE', path: (ids) => `/api/v1/templates/${ids.doomed()}`, kind: 'write' },
  { name: 'GET costs', method: 'GET', path: () => '/api/v1/costs', kind: 'write' },
  { name: 'GET metrics', method: 'GET', path: () => '/metrics', kind: 'metrics' },
  // Served before Express; Express serves the other spellings (exporter/src/http/plain-get.ts).
  { name: 'GET metrics, another spelling', method: 'GET', path: () => '/Metrics/', kind: 'metrics' },
  { name: 'GET health', method: 'GET', path: () => '/api/v1/health', kind: 'health' },
];

interface Variant {
  name: string;
  headers: (t: string) => Record<string, string | string[]>;
  query?: (t: string) => string;
  /** The credentials are the right ones, as HTTP reads the header. */
  accepted: boolean;
}

const flip = (t: string) => t.slice(0, -1) + (t.endsWith('x') ? 'y' : 'x');
const VARIANTS: Variant[] = [
  { name: 'no token', headers: () => ({}), accepted: false },
  { name: 'empty header', headers: () => ({ Authorization: '' }), accepted: false },
  { name: 'scheme only', headers: () => ({ Authorization: 'Bearer' }), accepted: false },
  { name: 'wrong token, same length', headers: (t) => ({ Authorization: `Bearer ${flip(t)}` }), accepted: false },
  { name: 'wrong token, a prefix', headers: (t) => ({ Authorization: `Bearer ${t.slice(0, -1)}` }), accepted: false },
  { name: 'wrong token, longer', headers: (t) => ({ Authorization: `Bearer ${t}x` }), accepted: false },
  { name: 'wrong token, huge', headers: (t) => ({ Authorization: `Bearer ${t.repeat(200)}` }), accepted: false },
  { name: 'space inside the token', headers: (t) => ({ Authorization: `Bearer ${t.slice(0, 5)} ${t.slice(5)}` }), accepted: false },
  { name: 'two spaces after Bearer', headers: (t) => ({ Authorization: `Bearer  ${t}` }), accepted: false },
  { name: 'tab after Bearer', headers: (t) => ({ Authorization: `Bearer\t${t}` }), accepted: false },
  { name: 'no-break space after the token', headers: (t) => ({ Authorization: `Bearer ${t}\u00a0` }), accepted: false },
  { name: 'quoted token', headers: (t) => ({ Authorization: `Bearer "${t}"` }), accepted: false },
  { name: 'lower-case bearer', headers: (t) => ({ Authorization: `bearer ${t}` }), accepted: false },
  { name: 'upper-case BEARER', headers: (t) => ({ Authorization: `BEARER ${t}` }), accepted: false },
  { name: 'Basic scheme', headers: (t) => ({ Authorization: `Basic ${Buffer.from(`runboard:${t}`).toString('base64')}` }), accepted: false },
  { name: 'Token scheme', headers: (t) => ({ Authorization: `Token ${t}` }), accepted: false },
  { name: 'bare token', headers: (t) => ({ Authorization: t }), accepted: false },
  { name: 'token in X-Api-Key', headers: (t) => ({ 'X-Api-Key': t }), accepted: false },
  { name: 'token in the query', headers: () => ({}), query: (t) => `token=${t}&access_token=${t}`, accepted: false },
  { name: 'wrong header first, right second', headers: (t) => ({ Authorization: [`Bearer ${flip(t)}`, `Bearer ${t}`] }), accepted: false },
  { name: 'right token', headers: (t) => ({ Authorization: `Bearer ${t}` }), accepted: true },
  // RFC 9110 §5.5: whitespace around a field value is not part of it; Node's parser strips it.
  { name: 'right token, trailing spaces', headers: (t) => ({ Authorization: `Bearer ${t}   ` }), accepted: true },
  { name: 'right token, leading spaces', headers: (t) => ({ Authorization: `   Bearer ${t}` }), accepted: true },
];

const tagOf = (v: Variant, public_: boolean) => `${public_ ? 'p' : 'c'}${VARIANTS.indexOf(v)}`;

async function setup(exp: RunningExporter): Promise<Ids> {
  const h = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
  const run = JSON.parse((await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: h, body: '{"parameters":{"text":"setup"}}' })).text) as { id: string };
  const template = JSON.parse((await request(exp.url, 'POST', '/api/v1/templates', { headers: h, body: '{"command":"echo","name":"kept","parameters":{}}' })).text) as {
    id: string;
  };
  // Wait for the run to end, so cancel answers 409 (not 202) to the right token.
  for (let i = 0; i < 200; i++) {
    const r = JSON.parse((await request(exp.url, 'GET', `/api/v1/runs/${run.id}`, { headers: h })).text) as { status: string };
    if (r.status === 'finished') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  let n = 0;
  return {
    run: run.id,
    template: template.id,
    // Every accepted DELETE removes a template of its own.
    doomed: () => `doomed-${n++}`,
  };
}

async function matrix(exp: RunningExporter, readPublic: boolean, metricsPublic: boolean) {
  const ids = await setup(exp);
  const h = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
  for (let i = 0; i < VARIANTS.length; i++) {
    await request(exp.url, 'PUT', `/api/v1/templates/doomed-${i}`, { headers: h, body: JSON.stringify({ command: 'echo', name: `doomed-${i}`, parameters: {} }) });
  }
  const problems: string[] = [];
  let requests = 0;
  let refused = 0;
  for (const e of ENDPOINTS) {
    for (const v of VARIANTS) {
      const tag = tagOf(v, readPublic);
      const protectedHere = e.kind === 'write' || (e.kind === 'read' && !readPublic) || (e.kind === 'metrics' && !metricsPublic);
      const q = v.query ? (e.path(ids).includes('?') ? '&' : '?') + v.query(exp.token) : '';
      const path = e.name === 'DELETE template' ? `/api/v1/templates/doomed-${VARIANTS.indexOf(v)}` : e.path(ids) + q;
      const headers: Record<string, string | string[]> = { ...v.headers(exp.token) };
      if (e.body) headers['Content-Type'] = 'application/json';
      const res: RawResponse = await request(exp.url, e.method, path, { headers, body: e.body?.(tag), timeoutMs: 10000 });
      requests++;
      const where = `${e.name} × ${v.name} (readPublic ${readPublic})`;
      const shouldPass = !protectedHere || v.accepted;
      if (res.status === 401) refused++;
      if (shouldPass && res.status === 401) problems.push(`${where}: refused`);
      if (!shouldPass && res.status !== 401) problems.push(`${where}: answered ${res.status}, not 401`);
      if (res.status >= 500) problems.push(`${where}: ${res.status}`);
      if (res.status === 401) {
        const body = JSON.parse(res.text) as { error: { code: string; message: string } };
        if (body.error.code !== 'unauthorized' || !body.error.message) problems.push(`${where}: 401 body ${res.text}`);
        if (!/^Bearer /.test(String(res.headers['www-authenticate']))) problems.push(`${where}: no WWW-Authenticate`);
        if (res.text.includes(exp.token.slice(0, 12))) problems.push(`${where}: 401 body echoes the token`);
      }
    }
  }

  // Refused requests changed nothing: only accepted variants left traces.
  const acceptedTags = new Set(VARIANTS.filter((v) => v.accepted).map((v) => `auth-${tagOf(v, readPublic)}`));
  const templates = (JSON.parse((await request(exp.url, 'GET', '/api/v1/templates', { headers: h })).text) as { templates: Array<{ name: string; parameters: { text?: string } }> })
    .templates;
  for (const t of templates) {
    if (t.name.startsWith('auth-') && !acceptedTags.has(t.name)) problems.push(`template ${t.name} created by a refused request`);
    if (t.name.startsWith('doomed-') && VARIANTS[Number(t.name.slice(7))].accepted) problems.push(`template ${t.name} not deleted by an accepted request`);
    if (t.name === 'kept' && t.parameters.text !== undefined && !acceptedTags.has(t.parameters.text)) {
      problems.push(`template kept changed by a refused request (${t.parameters.text})`);
    }
  }
  const deletedByRefused = VARIANTS.filter((v, i) => !v.accepted && !templates.some((t) => t.name === `doomed-${i}`));
  if (deletedByRefused.length) problems.push(`templates deleted by refused requests: ${deletedByRefused.map((v) => v.name).join(', ')}`);
  const runs = (JSON.parse((await request(exp.url, 'GET', '/api/v1/runs?limit=500', { headers: h })).text) as { runs: Array<{ startedBy: string | null }> }).runs;
  for (const r of runs) if (r.startedBy?.startsWith('auth-') && !acceptedTags.has(r.startedBy)) problems.push(`run started by a refused request (${r.startedBy})`);
  const metrics = (await request(exp.url, 'GET', '/metrics', { headers: h })).text;
  for (const m of metrics.matchAll(/runboard_actions_total\{action="(auth-[^"]+)"/g)) if (!acceptedTags.has(m[1])) problems.push(`action ${m[1]} ingested by a refused request`);
  return { problems, requests, refused };
}

describe('auth matrix', () => {
  const results: Record<string, unknown> = {};
  afterAll(() => report('auth', results));

  it('refuses every protected endpoint without exactly the right bearer token, reads private (token configured)', async () => {
    const exp = await startWith({}, { commands: true });
    try {
      const { problems, requests, refused } = await matrix(exp, false, true);
      // A run of the echo command prints its whole environment: the token must not be in it.
      const h = { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' };
      // (The matrix's accepted runs may still fill the small queue: retry a 429 for a while.)
      let started = await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: h, body: '{}' });
      for (let i = 0; i < 100 && started.status === 429; i++) {
        await new Promise((r) => setTimeout(r, 100));
        started = await request(exp.url, 'POST', '/api/v1/commands/echo/runs', { headers: h, body: '{}' });
      }
      expect(started.status).toBe(202);
      const output = await waitOutput(exp, (JSON.parse(started.text) as { id: string }).id);
      if (!output.includes('argv')) problems.push(`echo printed nothing: ${output.slice(0, 200)}`);
      if (output.includes(exp.token)) problems.push('the token reached a command environment');
      const stopped = await exp.stop();
      const logs = exp.stdout() + exp.stderr();
      results.private = {
        endpoints: ENDPOINTS.length,
        variants: VARIANTS.length,
        requests,
        refused401: refused,
        problems: problems.length,
        tokenInLogs: logs.includes(exp.token),
        exit: stopped,
      };
      expect(problems).toEqual([]);
      expect(logs).not.toContain(exp.token);
      expect(exp.stdout()).toContain('API token: as configured');
    } finally {
      await exp.stop();
    }
  }, 120000);

  it('serves reads publicly with auth.readPublic but still guards writes, runs, templates, costs and (metricsPublic off) /metrics', async () => {
    const exp = await startWith({ auth: { readPublic: true, metricsPublic: false } }, { commands: true, token: null });
    try {
      const { problems, requests, refused } = await matrix(exp, true, false);
      await exp.stop();
      // A generated token is printed once, in the start banner, and nowhere else.
      const banner = exp
        .stdout()
        .split('\n')
        .filter((l) => l.includes('API token:'));
      const rest =
        exp
          .stdout()
          .split('\n')
          .filter((l) => !l.includes('API token:'))
          .join('\n') + exp.stderr();
      results.public = { requests, refused401: refused, problems: problems.length, tokenInLogsOutsideBanner: rest.includes(exp.token) };
      expect(problems).toEqual([]);
      expect(banner).toHaveLength(1);
      expect(banner[0]).toContain(exp.token);
      expect(rest).not.toContain(exp.token);
    } finally {
      await exp.stop();
    }
  }, 120000);

  // Timing is reported, never asserted (tests make no timed assertions): the guarantee is structural
  // (both sides are hashed, then crypto.timingSafeEqual), and the figure goes in the report.
  it('checks tokens exactly, and reports the time per check for right and near-miss tokens', () => {
    const token = 'k'.repeat(32);
    const check = tokenChecker(token);
    const candidates: Record<string, string> = {
      right: `Bearer ${token}`,
      'first char wrong': `Bearer x${token.slice(1)}`,
      'last char wrong': `Bearer ${token.slice(0, -1)}x`,
      'half right': `Bearer ${token.slice(0, 16)}${'x'.repeat(16)}`,
    };
    const N = 5000;
    const best: Record<string, number> = Object.fromEntries(Object.keys(candidates).map((k) => [k, Infinity]));
    const names = Object.keys(candidates);
    for (let round = 0; round < 16; round++) {
      // Rotating order, minimum over rounds: GC pauses and the other worker only ever add time.
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length];
        const header = candidates[name];
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < N; i++) check(header);
        if (round > 0) best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t0) / N);
      }
    }
    const values = Object.values(best);
    const spread = Math.max(...values) / Math.min(...values);
    results.constantTime = { nsPerCheck: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])), spread: Math.round(spread * 100) / 100 };
    expect(check(candidates.right)).toBe(true);
    expect(check(candidates['last char wrong'])).toBe(false);
    expect(check(candidates['first char wrong'])).toBe(false);
    expect(check(candidates['half right'])).toBe(false);
  });
});

async function waitOutput(exp: RunningExporter, id: string): Promise<string> {
  const h = { Authorization: `Bearer ${exp.token}` };
  for (let i = 0; i < 200; i++) {
    const r = JSON.parse((await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: h })).text) as { status: string };
    if (r.status === 'finished') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const res = await fetch(`${exp.url}/api/v1/runs/${id}/output`, { headers: h });
  return res.text();
}
