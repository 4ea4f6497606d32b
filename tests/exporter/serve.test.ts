/**
 * The `serve` command as a user runs it: token handling, banner, public reads, signals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { auth, readJson, startExporter, tmpDir } from '../helpers/exporter-process';

describe('API token', () => {
  it('is generated at first start, printed, kept in the data dir (0600) and reused after a restart', async () => {
    const dataDir = tmpDir();
    const first = await startExporter([], { dataDir, token: null });
    await first.stop();
    const file = path.join(dataDir, 'api-token');
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.stdout()).toContain(`API token: ${token}`);
    expect(first.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(first.stdout()).toMatch(/\/metrics/);

    const second = await startExporter([], { dataDir, token: null });
    try {
      expect(second.stdout()).toContain(`API token: ${token}`);
      expect((await fetch(`${second.url}/api/v1/series`, { headers: auth(token) })).status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('is not printed when it comes from RUNBOARD_API_TOKEN, and never appears in logs', async () => {
    const exp = await startExporter();
    try {
      await fetch(`${exp.url}/api/v1/series`, { headers: auth('wrong-wrong-wrong-wrong') });
      await fetch(`${exp.url}/api/v1/ingest`, { method: 'POST', headers: auth(exp.token), body: '{"kind":"x"}' });
    } finally {
      await exp.stop();
    }
    expect(exp.stdout()).toContain('API token: as configured');
    expect(exp.stdout() + exp.stderr()).not.toContain(exp.token);
  });
});

describe('auth.readPublic', () => {
  it('serves reads without a token but still guards ingest', async () => {
    const exp = await startExporter([], { env: { RUNBOARD_READ_PUBLIC: 'true' } });
    try {
      expect((await fetch(`${exp.url}/api/v1/series`)).status).toBe(200);
      expect((await fetch(`${exp.url}/api/v1/latest`)).status).toBe(200);
      const ingest = await fetch(`${exp.url}/api/v1/ingest`, { method: 'POST', body: '[]' });
      expect(ingest.status).toBe(401);
    } finally {
      await exp.stop();
    }
  });
});

describe('auth.metricsPublic', () => {
  it('can require the token on /metrics', async () => {
    const exp = await startExporter([], { env: { RUNBOARD_METRICS_PUBLIC: 'false' } });
    try {
      expect((await fetch(`${exp.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${exp.url}/metrics`, { headers: auth(exp.token) })).status).toBe(200);
    } finally {
      await exp.stop();
    }
  });
});

describe('signals and --demo', () => {
  it('exits 0 on SIGINT', async () => {
    const exp = await startExporter();
    expect(await exp.stop('SIGINT')).toBe(0);
    expect(exp.stderr()).toMatch(/SIGINT received: stopping/);
  });

  it('--demo records actions, events and LLM calls on its own', async () => {
    const exp = await startExporter(['--demo', '--interval', '0.2']);
    try {
      const deadline = Date.now() + 8000;
      let values: Record<string, number> = {};
      while (Date.now() < deadline) {
        values = (await readJson(fetch(`${exp.url}/api/v1/latest`, { headers: auth(exp.token) }))).values;
        // the first LLM call may be the unpriced local model: wait for a priced one too
        if (values.actions_per_minute > 0 && values.llm_requests_per_minute > 0 && values.events_queued_per_minute > 0 && values.llm_cost_usd_per_hour > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(values.actions_per_minute).toBeGreaterThan(0);
      expect(values.events_queued_per_minute).toBeGreaterThan(0);
      expect(values.llm_requests_per_minute).toBeGreaterThan(0);
      expect(values.llm_cost_usd_per_hour).toBeGreaterThan(0);
      const health = await readJson(fetch(`${exp.url}/api/v1/health`));
      expect(typeof health.currentAction).toBe('string');
    } finally {
      await exp.stop();
    }
  });
});

describe('command declarations', () => {
  it.each([
    [{ id: 'ghost', title: 'Ghost', executable: '/nonexistent/bin/tool' }, /command "ghost": .*\/nonexistent\/bin\/tool/],
    [{ id: 'typo', title: 'Typo', executable: process.execPath, args: ['{missing}'] }, /command "typo": .*missing/],
  ])('a bad command fails the start with its id and the reason (%#)', async (command, message) => {
    const dir = tmpDir();
    const file = path.join(dir, 'runboard.json');
    fs.writeFileSync(file, JSON.stringify({ commands: [command] }));
    const err = await startExporter(['--config', file]).then(
      (exp) => exp.stop().then(() => new Error('started')),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/exited with 2/);
    expect(err.message).toMatch(message);
    expect(err.message.trim().split('\n')).toHaveLength(1);
  });
});
