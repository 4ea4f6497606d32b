/**
 * Issue 13 item 10: who started a run comes from Grafana, not the browser. Through Grafana's data
 * proxy the exporter sees X-Grafana-User (send_user_header; Grafana drops one the browser sent)
 * and the datasource route's X-Runboard-Via; a direct API client may name itself, but never as
 * Grafana. Checked against the real exporter, by what the run and the ledger record.
 */
import type { RunningExporter } from '../helpers/exporter-process';
import { rawExchange, request, startWith } from './harness';

let exp: RunningExporter;

beforeAll(async () => {
  exp = await startWith({}, { commands: true });
}, 60000);

afterAll(async () => {
  await exp?.stop();
});

interface Run {
  id: string;
  startedBy: string | null;
  status: string;
}

async function startRun(body: unknown, headers: Record<string, string> = {}) {
  const res = await request(exp.url, 'POST', '/api/v1/commands/echo/runs', {
    headers: { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: JSON.parse(res.text) as Run & { error?: { code: string; message: string; field?: string } } };
}

async function runCount(): Promise<number> {
  const res = await request(exp.url, 'GET', '/api/v1/runs?limit=1', { headers: { Authorization: `Bearer ${exp.token}` } });
  return (JSON.parse(res.text) as { total: number }).total;
}

/** The ledger's row once the run is finished (what history and annotations show). */
async function recorded(id: string): Promise<Run> {
  for (const deadline = Date.now() + 15000; ;) {
    const res = await request(exp.url, 'GET', `/api/v1/runs/${id}`, { headers: { Authorization: `Bearer ${exp.token}` } });
    const run = JSON.parse(res.text) as Run;
    if (run.status === 'finished') return run;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a direct API client', () => {
  it('cannot claim to be Grafana: 400 naming startedBy, and no run is recorded', async () => {
    const before = await runCount();
    for (const claim of ['grafana:admin', 'Grafana:admin', ' grafana : admin', 'grafana', 'GRAFANA']) {
      const r = await startRun({ parameters: { text: 'x' }, startedBy: claim });
      expect([claim, r.status, r.body.error?.field]).toEqual([claim, 400, 'startedBy']);
      expect(r.body.error?.message).toMatch(/^startedBy: .*reserved/);
    }
    expect(await runCount()).toBe(before);
  });

  it('names itself only in plain printable text', async () => {
    for (const claim of ['ci\u0000bot', 'ci\nbot', 'ci\u001b[31mbot', '\u202egrafana:admin', 'a\u200bb', 'x'.repeat(201)]) {
      const r = await startRun({ parameters: { text: 'x' }, startedBy: claim });
      expect([JSON.stringify(claim).slice(0, 40), r.status, r.body.error?.field]).toEqual([JSON.stringify(claim).slice(0, 40), 400, 'startedBy']);
    }
    const ok = await startRun({ parameters: { text: 'x' }, startedBy: 'ci-bot (deploy #12) <ops@example.com>' });
    expect(ok.status).toBe(202);
    expect((await recorded(ok.body.id)).startedBy).toBe('ci-bot (deploy #12) <ops@example.com>');
    const none = await startRun({ parameters: { text: 'x' } });
    expect((await recorded(none.body.id)).startedBy).toBeNull();
  });
});

describe('through Grafana', () => {
  it('records the user Grafana named, whatever the body claims', async () => {
    const r = await startRun({ parameters: { text: 'x' }, startedBy: 'grafana:admin' }, { 'X-Grafana-User': 'alice', 'X-Runboard-Via': 'grafana' });
    expect(r.status).toBe(202);
    expect(r.body.startedBy).toBe('grafana:alice');
    expect((await recorded(r.body.id)).startedBy).toBe('grafana:alice');
  });

  it('reads the login as the UTF-8 bytes Grafana sends', async () => {
    const body = JSON.stringify({ parameters: { text: 'x' } });
    const head = `POST /api/v1/commands/echo/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${exp.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Runboard-Via: grafana\r\nConnection: close\r\nX-Grafana-User: `;
    const res = await rawExchange(exp.url, Buffer.concat([Buffer.from(head), Buffer.from('josé', 'utf8'), Buffer.from(`\r\n\r\n${body}`)]));
    expect(res.status).toBe(202);
    const id = /"id":"([^"]+)"/.exec(res.text)![1];
    expect((await recorded(id)).startedBy).toBe('grafana:josé');
  });

  it('without send_user_header the run says only "grafana", and the exporter says how to name the user', async () => {
    const r = await startRun({ parameters: { text: 'x' }, startedBy: 'grafana:admin' }, { 'X-Runboard-Via': 'grafana' });
    expect(r.status).toBe(202);
    expect((await recorded(r.body.id)).startedBy).toBe('grafana');
    await startRun({ parameters: { text: 'x' } }, { 'X-Runboard-Via': 'grafana' });
    const logged = (exp.stdout() + exp.stderr()).split('\n').filter((l) => l.includes('send_user_header'));
    // Once, not per run.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('GF_DATAPROXY_SEND_USER_HEADER=true');
  });
});
