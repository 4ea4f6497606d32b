/**
 * `runboard-exporter query|record` (and serve's failure modes) through the real built binary:
 * a real exporter child on a free port, the CLI as another child, exit codes and output checked
 * as a user would see them.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cliEnv, expectOneLineError, spawnCli, until, type CliResult } from '../helpers/cli';
import { startExporter, tmpDir, TOKEN, type RunningExporter } from '../helpers/exporter-process';
import { freePort } from '../helpers/prometheus';

/** A clean environment: no RUNBOARD_* from the developer's shell, and an empty default data dir. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}) => cliEnv(emptyXdg, extra);
const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => spawnCli(args, cleanEnv(env), 20000).done;

let emptyXdg: string;
let exp: RunningExporter;
let conn: string[];

beforeAll(async () => {
  emptyXdg = tmpDir('runboard-cli-xdg-');
  exp = await startExporter(['--interval', '0.2'], { env: cleanEnv({ RUNBOARD_API_TOKEN: TOKEN }) });
  conn = ['--url', exp.url, '--token', TOKEN];
}, 180000);

afterAll(async () => {
  await exp?.stop();
});

describe('record', () => {
  it('records an action, an event and an LLM call, and query latest --json shows them', async () => {
    const results = await Promise.all([
      run(['record', 'action', '--name', 'deploy', '--duration', '1.5', '--success', ...conn]),
      run(['record', 'action', '--name', 'deploy', '--duration', '2', '--failure', ...conn]),
      run(['record', 'event', '--type', 'email', '--outcome', 'processed', '--processing', '0.25', ...conn]),
      run(['record', 'llm', '--provider', 'openai', '--model', 'gpt-4o-mini', '--input-tokens', '1200', '--output-tokens', '300', '--duration', '2.1', '--cost', '0.002', ...conn]),
    ]);
    for (const r of results) expect(r).toEqual({ code: 0, stdout: 'accepted\n', stderr: '' });

    const values = await until(async () => {
      const r = await run(['query', 'latest', '--json', ...conn]);
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as { t: number | null; values: Record<string, number> };
      return (body.values['llm_tokens_per_hour{model="gpt-4o-mini",provider="openai"}'] ?? 0) > 0 ? body.values : undefined;
    }, 'the records to show in the latest tick');
    expect(values['actions_per_minute']).toBeGreaterThan(0);
    expect(values['actions_per_minute{action="deploy"}']).toBeGreaterThan(0);
    expect(values['action_failures{action="deploy"}']).toBe(1);
    expect(values['events_processed_per_minute{type="email"}']).toBeGreaterThan(0);
    expect(values['llm_tokens_per_hour']).toBeGreaterThan(0);
  });

  it('prints nothing with --quiet', async () => {
    const r = await run(['record', 'event', '--type', 'email', '--outcome', 'queued', '--quiet', ...conn]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('rejects a bad value with exit 2 and one line naming the flag, before any network call', async () => {
    // An unreachable URL: if the CLI went to the network first, it would exit 3, not 2.
    const nowhere = ['--url', `http://127.0.0.1:${await freePort()}`, '--token', TOKEN];
    const cases: Array<[string[], RegExp]> = [
      [['record', 'action', '--name', 'deploy', '--duration', 'abc', '--success'], /^runboard-exporter: --duration: "abc" is not a number$/],
      [['record', 'action', '--name', 'deploy', '--duration', '-1', '--success'], /^runboard-exporter: --duration: must not be negative$/],
      [['record', 'action', '--name', '', '--duration', '1', '--success'], /^runboard-exporter: --name: must not be empty$/],
      [['record', 'action', '--name', 'deploy', '--duration', '1'], /--success\/--failure/],
      [['record', 'action', '--name', 'deploy', '--duration', '1', '--success', '--failure'], /--success\/--failure: give only one/],
      [['record', 'event', '--type', 'email', '--outcome', 'nope'], /^runboard-exporter: --outcome: must be one of queued, processed, failed/],
      [['record', 'event', '--type', 'email', '--outcome', 'failed', '--processing', 'x'], /--processing: "x" is not a number/],
      [['record', 'llm', '--provider', 'openai', '--model', 'm', '--input-tokens', '-5', '--output-tokens', '1'], /^runboard-exporter: --input-tokens: must not be negative$/],
      [['record', 'llm', '--provider', 'openai', '--model', 'm', '--input-tokens', '1', '--output-tokens', '2.5'], /^runboard-exporter: --output-tokens: must be an integer$/],
      [['record', 'llm', '--provider', 'openai', '--model', 'm', '--input-tokens', '1', '--output-tokens', '1', '--cost', '-1'], /--cost: must not be negative/],
      [['record', 'llm', '--provider', 'openai', '--model', 'm', '--input-tokens', '1'], /required option '--output-tokens <n>' not specified/],
      [['query', 'history', '--series', 'actions_per_minute', '--from', 'yesterday'], /^runboard-exporter: --from: "yesterday" is not a time/],
      [['query', 'history', '--series', 'actions_per_minute', '--max-points', '0'], /--max-points/],
      [['query', 'latest', '--timeout', '-1'], /--timeout/],
    ];
    const results = await Promise.all(cases.map(([args]) => run([...args, ...nowhere])));
    results.forEach((r, i) => expectOneLineError(r, 2, cases[i][1]));
  });
});

describe('query', () => {
  it('query series prints an aligned table with a header and rows', async () => {
    const r = await run(['query', 'series', ...conn]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+unit\s+description$/);
    expect(lines.length).toBeGreaterThan(3);
    const unitCol = lines[0].indexOf('unit');
    const descCol = lines[0].indexOf('description');
    const row = lines.find((l) => l.startsWith('actions_per_minute '));
    expect(row).toBeDefined();
    expect(row!.slice(unitCol, descCol).trim()).toBe('opm');
    expect(row!.slice(descCol)).toMatch(/per minute/);

    const json = await run(['query', 'series', '--json', ...conn]);
    const body = JSON.parse(json.stdout) as { series: Array<{ id: string; unit: string }> };
    expect(body.series.map((s) => s.id)).toContain('actions_per_minute');
  });

  it('query latest prints the time and a series/value table, with units', async () => {
    const r = await run(['query', 'latest', '--series', 'actions_per_minute,action_success_ratio', ...conn]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[1]).toMatch(/^series\s+value$/);
    expect(
      lines
        .slice(2)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['action_success_ratio', 'actions_per_minute']);
    expect(lines.find((l) => l.startsWith('actions_per_minute'))).toMatch(/\/min$/);
    expect(lines.find((l) => l.startsWith('action_success_ratio'))).toMatch(/%$/);
  });

  it('query history --json returns the columns; the table has a time column then one per series', async () => {
    const labelled = 'actions_per_minute{action="deploy"}';
    const r = await run([
      'query',
      'history',
      '--series',
      `actions_per_minute,${labelled}`,
      '--series',
      'llm_tokens_per_hour',
      '--from',
      'now-1m',
      '--max-points',
      '20',
      '--json',
      ...conn,
    ]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { t: number[]; values: Record<string, Array<number | null>> };
    expect(Object.keys(body.values).sort()).toEqual(['actions_per_minute', labelled, 'llm_tokens_per_hour'].sort());
    expect(body.t.length).toBeGreaterThan(0);
    expect(body.t.length).toBeLessThanOrEqual(20);
    for (const col of Object.values(body.values)) expect(col).toHaveLength(body.t.length);

    const table = await run(['query', 'history', '--series', `actions_per_minute,${labelled}`, '--max-points', '5', ...conn]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['time', 'actions_per_minute', labelled]);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\s+\S/);
  });

  it('an unknown series in history is the exporter answering 400: exit 4', async () => {
    const r = await run(['query', 'history', '--series', 'no_such_series', ...conn]);
    expectOneLineError(r, 4, /^runboard-exporter: exporter answered 400: .*unknown series "no_such_series"/);
  });
});

describe('connection failures', () => {
  it('an unreachable exporter is exit 3 with one line', async () => {
    const port = await freePort();
    const r = await run(['query', 'series', '--url', `http://127.0.0.1:${port}`, '--token', TOKEN]);
    expectOneLineError(r, 3, new RegExp(`^runboard-exporter: cannot reach the exporter at http://127\\.0\\.0\\.1:${port}: \\S`));
    const rec = await run(['record', 'action', '--name', 'deploy', '--duration', '1', '--success', '--url', `http://127.0.0.1:${port}`, '--token', TOKEN]);
    expectOneLineError(rec, 3, /cannot reach the exporter/);
  });

  it('an exporter that does not answer in time is exit 3', async () => {
    const silent = net.createServer(() => {
      /* accept and never answer */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const r = await run(['query', 'series', '--url', `http://127.0.0.1:${port}`, '--token', TOKEN, '--timeout', '0.5']);
      expectOneLineError(r, 3, /cannot reach the exporter at .*: no answer within 0\.5 s$/);
    } finally {
      silent.close();
    }
  });

  it('a wrong token is exit 4 with the exporter message', async () => {
    const r = await run(['query', 'latest', '--url', exp.url, '--token', 'wrong-token-0000000000']);
    expectOneLineError(r, 4, /^runboard-exporter: exporter answered 401: invalid API token$/);
    const rec = await run(['record', 'event', '--type', 'x', '--outcome', 'queued', '--url', exp.url], { RUNBOARD_API_TOKEN: 'wrong-token-0000000000' });
    expectOneLineError(rec, 4, /exporter answered 401: invalid API token/);
  });

  it('URL and token come from RUNBOARD_URL and RUNBOARD_API_TOKEN', async () => {
    const r = await run(['query', 'series'], { RUNBOARD_URL: exp.url, RUNBOARD_API_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^id\s+unit\s+description/);
  });

  it('a bad --url is exit 2', async () => {
    expectOneLineError(await run(['query', 'series', '--url', 'not a url']), 2, /--url: "not a url" is not a URL/);
  });
});

describe('token from the data dir', () => {
  let own: RunningExporter;
  let xdg: string;

  beforeAll(async () => {
    // No RUNBOARD_API_TOKEN: the exporter generates one into <data-dir>/api-token.
    xdg = tmpDir('runboard-cli-home-');
    own = await startExporter(['--interval', '0.2'], { token: null, dataDir: path.join(xdg, 'runboard'), env: cleanEnv() });
  });

  afterAll(async () => {
    await own?.stop();
  });

  it('reads the token file from --data-dir, RUNBOARD_DATA_DIR or the default data dir', async () => {
    expect(fs.readFileSync(path.join(own.dataDir, 'api-token'), 'utf8').trim()).toBe(own.token);
    const byFlag = await run(['query', 'series', '--url', own.url, '--data-dir', own.dataDir]);
    expect(byFlag.code).toBe(0);
    expect(byFlag.stdout).toMatch(/^id\s+unit\s+description/);
    const byEnv = await run(['record', 'action', '--name', 'build', '--duration', '3', '--success', '--url', own.url], { RUNBOARD_DATA_DIR: own.dataDir });
    expect(byEnv).toEqual({ code: 0, stdout: 'accepted\n', stderr: '' });
    // The default data dir is $XDG_DATA_HOME/runboard: "it just works" on the same machine.
    const byDefault = await run(['query', 'latest', '--json', '--url', own.url], { XDG_DATA_HOME: xdg });
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toHaveProperty('values');
  });

  it('without any token the 401 says how to give one', async () => {
    const r = await run(['query', 'series', '--url', own.url]);
    expectOneLineError(r, 4, /^runboard-exporter: exporter answered 401: missing API token.*--token/);
  });
});

describe('serve and the program', () => {
  it('serve on a port in use exits non-zero with one line', async () => {
    const port = new URL(exp.url).port;
    const r = await run(['serve', '--port', port, '--data-dir', tmpDir()], { RUNBOARD_API_TOKEN: TOKEN });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/already in use/);
  });

  it('an unknown flag exits 2 with one line', async () => {
    expectOneLineError(await run(['query', 'series', '--nope']), 2, /unknown option '--nope'/);
    expectOneLineError(await run(['record', 'event', '--type', 'x', '--outcome', 'queued', '--bogus']), 2, /unknown option '--bogus'/);
    expectOneLineError(await run(['serve', '--nope']), 2, /unknown option '--nope'/);
  });

  it('SIGTERM makes serve exit 0', async () => {
    const own = await startExporter(['--interval', '0.2'], { env: cleanEnv({ RUNBOARD_API_TOKEN: TOKEN }) });
    expect((await run(['query', 'series', '--url', own.url, '--token', TOKEN])).code).toBe(0);
    expect(await own.stop('SIGTERM')).toBe(0);
  });
});
