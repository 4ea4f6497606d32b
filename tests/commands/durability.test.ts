/**
 * What the exporter acknowledged survives `kill -9`: cost records (202), runs (202) and templates,
 * and the ledger passes SQLite's integrity check afterwards.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { auth, readJson, startExporter } from '../helpers/exporter-process';
import { commandsConfig } from '../helpers/commands-config';

it('keeps every acknowledged cost record, run and template across kill -9 and restart', async () => {
  const config = commandsConfig();
  const first = await startExporter(['--config', config]);
  const { dataDir } = first;
  const headers = { ...auth(first.token), 'Content-Type': 'application/json' };
  const api = (url: string, p: string, init: RequestInit = {}) => fetch(url + '/api/v1' + p, { ...init, headers });

  const template = await readJson(api(first.url, '/templates', { method: 'POST', body: JSON.stringify({ command: 'echo', name: 'kept', parameters: { text: 'survives' } }) }));
  const finished = await readJson(api(first.url, '/commands/proto/runs', { method: 'POST', body: '{}' }));
  const running = await readJson(api(first.url, '/commands/slow/runs', { method: 'POST', body: '{}' }));

  // Stream ingest batches until the process dies; count what was acknowledged.
  let acked = 0;
  let inFlight = 0;
  let batch = 0;
  const pump = (async () => {
    for (;;) {
      const records = Array.from({ length: 50 }, (_, i) => ({
        kind: 'llm',
        provider: 'durable',
        model: `m${(batch * 50 + i) % 7}`,
        input_tokens: 1,
        output_tokens: 1,
        cost_usd: 0.001,
      }));
      batch++;
      inFlight = records.length;
      try {
        const res = await api(first.url, '/ingest', { method: 'POST', body: JSON.stringify(records) });
        if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
        acked += records.length;
        inFlight = 0;
      } catch {
        return; // the exporter is gone
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  first.child.kill('SIGKILL');
  await pump;
  await first.stop();
  expect(acked).toBeGreaterThan(100);

  const db = new Database(path.join(dataDir, 'runboard.db'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }

  const second = await startExporter(['--config', config], { dataDir });
  try {
    const costs = await readJson(api(second.url, '/costs?groupBy=provider&from=now-1h'));
    const row = costs.rows.find((r: { key: string }) => r.key === 'durable');
    expect(row.requests).toBeGreaterThanOrEqual(acked);
    expect(row.requests).toBeLessThanOrEqual(acked + inFlight);
    expect((await readJson(api(second.url, `/templates/${template.id}`))).parameters.text).toBe('survives');
    const f = await readJson(api(second.url, `/runs/${finished.id}`));
    expect(f.command).toBe('proto');
    const r = await readJson(api(second.url, `/runs/${running.id}`));
    expect(r).toMatchObject({ status: 'finished', outcome: 'cancelled' });
    expect(r.error).toMatch(/stopped while this run was active/);
    expect(second.stderr()).toMatch(/were active when the exporter last stopped/);
  } finally {
    await second.stop();
  }
}, 60000);
