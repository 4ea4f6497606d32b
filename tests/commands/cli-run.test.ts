/**
 * `runboard-exporter commands | run | runs | templates | costs` through the real built binary,
 * against a real exporter whose config declares small fixture commands (tests/fixtures/cli),
 * run by this Node binary. Exit codes, stdout and stderr are checked as a user would see them.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exitCodeOf, renderProgressBar, summaryLine } from '../../exporter/src/cli/follow';
import type { CostsResponse, RunInfo, RunsPage, Template } from '@runboard/protocol';
import { cliEnv, expectOneLineError, spawnCli, until, type CliResult } from '../helpers/cli';
import { auth, readJson, startExporter, tmpDir, TOKEN, type RunningExporter } from '../helpers/exporter-process';
import { freePort } from '../helpers/prometheus';

const FIXTURES = path.resolve(__dirname, '../fixtures/cli');
const fixture = (name: string) => path.join(FIXTURES, name);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

let emptyXdg: string;

/** No RUNBOARD_* from the developer's shell, and an empty default data dir. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}) => cliEnv(emptyXdg, extra);
const startCli = (args: string[]) => spawnCli(args, cleanEnv(), 25000);
const cli = (args: string[]): Promise<CliResult> => startCli(args).done;

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

let exp: RunningExporter;
let conn: string[];

async function api<T>(route: string): Promise<T> {
  return readJson<T>(fetch(`${exp.url}/api/v1${route}`, { headers: auth(TOKEN) }));
}

beforeAll(async () => {
  emptyXdg = tmpDir('runboard-cli-run-xdg-');
  const dir = tmpDir('runboard-cli-run-');
  const node = process.execPath;
  const config = {
    stream: { retryMs: 200 },
    commands: [
      { id: 'progress-fail', title: 'Progress then fail', executable: node, args: [fixture('progress-fail.js')], maxConcurrent: 4 },
      {
        id: 'sleeper',
        title: 'Sleeper',
        executable: node,
        args: [fixture('sleeper.js'), '{stubborn?--stubborn}'],
        parameters: { stubborn: { type: 'boolean', help: 'ignore SIGTERM', default: false } },
        maxConcurrent: 4,
      },
      { id: 'short-timeout', title: 'Sleeps past its timeout', executable: node, args: [fixture('sleeper.js')], timeoutSeconds: 0.5 },
      {
        id: 'echo',
        title: 'Echo argv',
        executable: node,
        args: [fixture('echo-args.js'), '--count', '{count}', '{loud?--loud}', '--name={name}', '{level}'],
        parameters: {
          count: { type: 'integer', help: 'how many', min: 1, max: 10, default: 1 },
          loud: { type: 'boolean', help: 'shout', default: false },
          name: { type: 'string', help: 'who', default: 'world', maxLength: 40 },
          level: { type: 'enum', help: 'how much', values: ['low', 'high'], default: 'low' },
        },
        maxConcurrent: 4,
      },
      { id: 'numbered', title: 'Numbered lines', executable: node, args: [fixture('numbered.js'), '20', '40'] },
    ],
  };
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  exp = await startExporter(['--config', file], { env: cleanEnv({ RUNBOARD_API_TOKEN: TOKEN }) });
  conn = ['--url', exp.url, '--token', TOKEN];
}, 60000);

afterAll(async () => {
  await exp?.stop();
});

describe('commands', () => {
  it('lists the configured commands with a parameter summary', async () => {
    const r = await cli(['commands', ...conn]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = lines(r.stdout);
    expect(rows[0]).toMatch(/^id\s+title\s+parameters$/);
    expect(rows.find((l) => l.startsWith('echo '))).toMatch(/^echo\s+Echo argv\s+count:integer=1, loud:boolean=false, name:string=world, level:enum=low$/);
    expect(rows.find((l) => l.startsWith('progress-fail '))).toMatch(/Progress then fail\s+-$/);

    const json = await cli(['commands', '--json', ...conn]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { commands: Array<{ id: string }> };
    expect(body.commands.map((c) => c.id)).toEqual(['progress-fail', 'sleeper', 'short-timeout', 'echo', 'numbered']);
  });

  it('shows the example commands of an exporter whose config has no commands', async () => {
    const plain = await startExporter([], { env: cleanEnv({ RUNBOARD_API_TOKEN: TOKEN }) });
    try {
      const r = await cli(['commands', '--url', plain.url, '--token', TOKEN]);
      expect(r.code).toBe(0);
      const ids = lines(r.stdout)
        .slice(1)
        .map((l) => l.split(/\s+/)[0]);
      expect(ids).toEqual(expect.arrayContaining(['sample-task', 'system-report', 'http-check']));
      expect(r.stdout).toMatch(/sample-task\s+Sample AI task\s+.*steps:integer=5/);
    } finally {
      await plain.stop();
    }
  });
});

describe('run', () => {
  it('streams stdout and stderr apart, shows progress, ends with a summary and the run’s exit code', async () => {
    const r = await cli(['run', 'progress-fail', ...conn]);
    expect(r.code).toBe(3);
    // stdout: exactly the command's own stdout lines (protocol lines are shown as progress).
    expect(r.stdout).toBe('out: first\nout: second\n');
    const err = lines(r.stderr);
    expect(err).toEqual(expect.arrayContaining(['err: warning one', 'err: giving up', 'progress 10% starting', 'progress 50% halfway', 'progress 100% done']));
    expect(err.filter((l) => l.startsWith('progress '))).toEqual(['progress 10% starting', 'progress 50% halfway', 'progress 100% done']);
    const summary = err[err.length - 1];
    expect(summary).toMatch(new RegExp(`^run ${UUID.source} \\(progress-fail\\): failure, exit code 3, [\\d.]+ s, tokens 100 in / 20 out, cost \\$0\\.00045$`));
    expect(r.stderr).not.toMatch(/::llm|::progress/);

    // The same run's stored output replays the same way, with the same exit code.
    const id = UUID.exec(summary)![0];
    const again = await cli(['runs', 'output', id, ...conn]);
    expect(again.code).toBe(3);
    expect(again.stdout).toBe('out: first\nout: second\n');
    expect(lines(again.stderr).filter((l) => l.startsWith('progress '))).toEqual(['progress 10% starting', 'progress 50% halfway', 'progress 100% done']);
    expect(lines(again.stderr).pop()).toBe(summary);
  });

  it('--json prints each output event as one JSON line', async () => {
    const r = await cli(['run', 'progress-fail', '--json', ...conn]);
    expect(r.code).toBe(3);
    const events = lines(r.stdout).map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> });
    expect(events[0].event).toBe('status');
    expect(events.filter((e) => e.event === 'line').map((e) => e.data.text)).toEqual(expect.arrayContaining(['out: first', 'err: warning one']));
    expect(events.some((e) => e.event === 'progress' && e.data.percent === 50)).toBe(true);
    expect(events.some((e) => e.event === 'llm' && e.data.model === 'gpt-4o')).toBe(true);
    const end = events[events.length - 1];
    expect(end.event).toBe('end');
    expect(end.data).toMatchObject({ outcome: 'failure', exitCode: 3, inputTokens: 100, outputTokens: 20 });
  });

  it('converts --param values by type and passes them literally, never through a shell', async () => {
    const r = await cli(['run', 'echo', '--param', 'count=3', '-p', 'loud=yes', '-p', 'name=a b;$(echo hi) "q"', '-p', 'level=high', ...conn]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`argv ${JSON.stringify(['--count', '3', '--loud', '--name=a b;$(echo hi) "q"', 'high'])}\n`);
    expect(lines(r.stderr).pop()).toMatch(/\(echo\): success, exit code 0, /);

    const off = await cli(['run', 'echo', '-p', 'loud=0', '-p', 'count=+2', ...conn]);
    expect(off.code).toBe(0);
    expect(off.stdout).toBe(`argv ${JSON.stringify(['--count', '2', '--name=world', 'low'])}\n`);

    const page = await api<RunsPage>('/runs?command=echo&limit=1');
    expect(page.runs[0].parameters).toEqual({ count: 2, loud: false, name: 'world', level: 'low' });
  });

  it('refuses bad parameters with exit 2 and one line naming the parameter', async () => {
    const before = (await api<RunsPage>('/runs?command=echo')).total;
    // The exporter's 400 (out of range, not an enum value): its message, naming the parameter.
    expectOneLineError(await cli(['run', 'echo', '-p', 'count=11', ...conn]), 2, /^runboard-exporter: parameters\.count: .*10/);
    expectOneLineError(await cli(['run', 'echo', '-p', 'level=medium', ...conn]), 2, /^runboard-exporter: parameters\.level: .*low, high/);
    // Caught here before anything is sent: the wrong type, an unknown name, no `=`.
    expectOneLineError(await cli(['run', 'echo', '-p', 'count=three', ...conn]), 2, /^runboard-exporter: --param count: .*"three"/);
    expectOneLineError(await cli(['run', 'echo', '-p', 'loud=perhaps', ...conn]), 2, /^runboard-exporter: --param loud: .*"perhaps"/);
    expectOneLineError(
      await cli(['run', 'echo', '-p', 'colour=red', ...conn]),
      2,
      /^runboard-exporter: --param colour: command "echo" has no such parameter \(it has count, loud, name, level\)$/,
    );
    expectOneLineError(await cli(['run', 'echo', '-p', 'count', ...conn]), 2, /^runboard-exporter: --param: "count" must be name=value$/);
    expectOneLineError(await cli(['run', 'nope', ...conn]), 2, /^runboard-exporter: no command "nope" on the exporter \(it has progress-fail, /);
    expect((await api<RunsPage>('/runs?command=echo')).total).toBe(before);
  });

  it('exits 3 when the exporter cannot be reached', async () => {
    const r = await cli(['run', 'echo', '--url', `http://127.0.0.1:${await freePort()}`, '--token', TOKEN]);
    expectOneLineError(r, 3, /^runboard-exporter: cannot reach the exporter at .*connection refused/);
  });

  it('exits 124 when the run times out', async () => {
    const r = await cli(['run', 'short-timeout', ...conn]);
    expect(r.code).toBe(124);
    expect(r.stdout).toBe('sleeping\n');
    expect(lines(r.stderr).pop()).toMatch(/\(short-timeout\): timeout, /);
  });

  it('--detach prints the run id; runs cancel cancels it; runs show and runs list say cancelled', async () => {
    const started = await cli(['run', 'sleeper', '--detach', ...conn]);
    expect(started.code).toBe(0);
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(new RegExp(`^${UUID.source}\\n$`));
    const id = started.stdout.trim();
    await until(async () => ((await api<RunInfo>(`/runs/${id}`)).status === 'running' ? true : undefined), 'the run to start');

    const cancel = await cli(['runs', 'cancel', id, ...conn]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^cancel(ling|led) run ${id} \\(sleeper\\)`));

    const shown = await until(async () => {
      const r = await cli(['runs', 'show', id, ...conn]);
      expect(r.code).toBe(0);
      return /^outcome:\s+cancelled$/m.test(r.stdout) ? r.stdout : undefined;
    }, 'the run to be cancelled');
    expect(shown).toMatch(new RegExp(`^id:\\s+${id}$`, 'm'));
    expect(shown).toMatch(/^command:\s+sleeper$/m);
    expect(shown).toMatch(/^status:\s+finished$/m);

    const json = JSON.parse((await cli(['runs', 'show', id, '--json', ...conn])).stdout) as RunInfo;
    expect(json).toMatchObject({ id, command: 'sleeper', status: 'finished', outcome: 'cancelled' });

    const list = await cli(['runs', 'list', '--command', 'sleeper', '--outcome', 'cancelled', ...conn]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+sleeper\\s+cancelled\\s`, 'm'));

    // Its output replays; the exit code is the cancelled one. A second cancel is a conflict.
    const output = await cli(['runs', 'output', id, ...conn]);
    expect(output.code).toBe(130);
    expect(output.stdout).toBe('sleeping\n');
    expectOneLineError(await cli(['runs', 'cancel', id, ...conn]), 4, /^runboard-exporter: exporter answered 409: .*already finished/);
    expectOneLineError(await cli(['runs', 'show', 'no-such-run', ...conn]), 4, /^runboard-exporter: exporter answered 404: /);
    expectOneLineError(await cli(['runs', 'list', '--outcome', 'meh', ...conn]), 2, /--outcome must be one of success, failure, timeout, cancelled/);
  });

  it('Ctrl-C while following cancels the run, keeps following to the end, and exits 130', async () => {
    const p = startCli(['run', 'sleeper', ...conn]);
    await until(() => (p.stdout().includes('sleeping') ? true : undefined), 'the command to start');
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('sleeping\n');
    expect(r.stderr).toMatch(new RegExp(`^\\[runboard\\] cancelling run ${UUID.source}`, 'm'));
    const summary = lines(r.stderr).pop()!;
    expect(summary).toMatch(/\(sleeper\): cancelled, /);
    const id = UUID.exec(summary)![0];
    expect(await api<RunInfo>(`/runs/${id}`)).toMatchObject({ status: 'finished', outcome: 'cancelled' });
  });

  it('a second Ctrl-C stops waiting at once, while the run is still being cancelled', async () => {
    const p = startCli(['run', 'sleeper', '-p', 'stubborn=true', ...conn]);
    await until(() => (p.stdout().includes('sleeping') ? true : undefined), 'the command to start');
    p.child.kill('SIGINT');
    await until(() => (p.stderr().includes('cancelling run') ? true : undefined), 'the cancel');
    const id = UUID.exec(p.stderr())![0];
    const t0 = Date.now();
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.stdout).toMatch(/^sleeping\n/);
    expect(r.stderr).not.toMatch(/\(sleeper\): cancelled/); // no summary: it did not wait for the end
    // The fixture ignores SIGTERM; the exporter's SIGKILL ends it after the grace period.
    await until(async () => ((await api<RunInfo>(`/runs/${id}`)).outcome === 'cancelled' ? true : undefined), 'the run to end', 15000);
  }, 30000);

  it('resumes a dropped output stream with Last-Event-ID and prints no line twice', async () => {
    const upstream = new URL(exp.url);
    const lastEventIds: Array<string | undefined> = [];
    let dropped = false;
    const proxy = http.createServer((req, res) => {
      const isOutput = /\/runs\/[^/]+\/output/.test(req.url ?? '');
      if (isOutput) lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        let seen = 0;
        upRes.on('data', (chunk: Buffer) => {
          res.write(chunk);
          seen += chunk.toString().split('event: line').length - 1;
          if (isOutput && !dropped && seen >= 5) {
            // Cut the first output stream mid-run, as a flaky network would.
            dropped = true;
            upRes.destroy();
            res.destroy();
          }
        });
        upRes.on('end', () => res.end());
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await cli(['run', 'numbered', '--url', url, '--token', TOKEN]);
      expect(r.code).toBe(0);
      expect(dropped).toBe(true);
      expect(r.stdout).toBe(Array.from({ length: 20 }, (_, i) => `line ${i + 1}\n`).join(''));
      expect(lastEventIds.length).toBeGreaterThanOrEqual(2);
      expect(lastEventIds[0]).toBeUndefined();
      expect(lastEventIds[1]).toMatch(/^\d+$/);
      expect(lines(r.stderr).pop()).toMatch(/\(numbered\): success, exit code 0/);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('templates', () => {
  it('save, run --template (with a --param override), list, delete', async () => {
    const saved = await cli(['templates', 'save', 'echo', 'loud-three', '-p', 'count=3', '-p', 'loud=true', ...conn]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(new RegExp(`^saved template "loud-three" for echo \\(id ${UUID.source}\\): count=3, loud=true, name=world, level=low\\n$`));
    const id = UUID.exec(saved.stdout)![0];

    const run = await cli(['run', 'echo', '--template', 'loud-three', '-p', 'name=zed', ...conn]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`argv ${JSON.stringify(['--count', '3', '--loud', '--name=zed', 'low'])}\n`);
    const byId = await cli(['run', 'echo', '--template', id, ...conn]);
    expect(byId.stdout).toBe(`argv ${JSON.stringify(['--count', '3', '--loud', '--name=world', 'low'])}\n`);

    // Saving the same name again replaces it.
    expect((await cli(['templates', 'save', 'echo', 'loud-three', '-p', 'count=4', '-p', 'loud=true', ...conn])).code).toBe(0);
    const list = await cli(['templates', 'list', '--command', 'echo', ...conn]);
    expect(list.code).toBe(0);
    expect(lines(list.stdout)[0]).toMatch(/^id\s+command\s+name\s+parameters\s+updated$/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+echo\\s+loud-three\\s+count=4, loud=true, name=world, level=low\\s+\\d{4}-`, 'm'));
    const json = JSON.parse((await cli(['templates', 'list', '--json', ...conn])).stdout) as { templates: Template[] };
    expect(json.templates.filter((t) => t.name === 'loud-three')).toEqual([
      expect.objectContaining({ id, command: 'echo', parameters: { count: 4, loud: true, name: 'world', level: 'low' } }),
    ]);

    expectOneLineError(await cli(['templates', 'save', 'echo', 'too-many', '-p', 'count=50', ...conn]), 2, /^runboard-exporter: parameters\.count: /);
    expectOneLineError(await cli(['run', 'echo', '--template', 'nope', ...conn]), 2, /^runboard-exporter: --template: no template "nope" for command "echo"/);

    const del = await cli(['templates', 'delete', 'loud-three', '--command', 'echo', ...conn]);
    expect(del).toEqual({ code: 0, stdout: `deleted template "loud-three" of echo (id ${id})\n`, stderr: '' });
    const after = JSON.parse((await cli(['templates', 'list', '--json', ...conn])).stdout) as { templates: Template[] };
    expect(after.templates.find((t) => t.id === id)).toBeUndefined();
    expectOneLineError(await cli(['templates', 'delete', 'loud-three', ...conn]), 4, /^runboard-exporter: no template "loud-three"/);
  });
});

describe('costs', () => {
  it('breaks the ::llm records of runs down by model, with a total row, as a table, JSON and CSV', async () => {
    expect((await cli(['run', 'progress-fail', ...conn])).code).toBe(3);
    // Every progress-fail run printed one ::llm line: openai gpt-4o, 100 in, 20 out.
    const n = (await api<RunsPage>('/runs?command=progress-fail')).total;
    expect(n).toBeGreaterThanOrEqual(1);

    const r = await cli(['costs', '--group-by', 'model', ...conn]);
    expect(r.code).toBe(0);
    const rows = lines(r.stdout);
    expect(rows[0]).toMatch(/^costs by model, \d{4}-.*Z to \d{4}-.*Z$/);
    expect(rows[1]).toMatch(/^model\s+requests\s+input tokens\s+output tokens\s+cost\s+unpriced$/);
    const cost = `$${Number((0.00045 * n).toPrecision(3))}`;
    const gpt = rows.find((l) => l.startsWith('gpt-4o '))!;
    expect(gpt.split(/\s+/)).toEqual(['gpt-4o', String(n), String(100 * n), String(20 * n), cost, '0']);
    expect(rows[rows.length - 1].split(/\s+/)).toEqual(['total', String(n), String(100 * n), String(20 * n), cost, '0']);

    const json = JSON.parse((await cli(['costs', '--json', '--group-by', 'provider', ...conn])).stdout) as CostsResponse;
    expect(json.groupBy).toBe('provider');
    expect(json.rows).toEqual([expect.objectContaining({ key: 'openai', requests: n, inputTokens: 100 * n, outputTokens: 20 * n })]);
    expect(json.rows[0].costUsd).toBeCloseTo(0.00045 * n, 10);

    const csv = await cli(['costs', '--csv', '--group-by', 'model', '--from', 'now-1h', ...conn]);
    expect(csv.code).toBe(0);
    const csvLines = lines(csv.stdout);
    expect(csvLines[0]).toBe('model,requests,input_tokens,output_tokens,cost_usd,unpriced');
    const [key, requests, input, output, usd, unpriced] = csvLines[1].split(',');
    expect([key, requests, input, output, unpriced]).toEqual(['gpt-4o', String(n), String(100 * n), String(20 * n), '0']);
    expect(Number(usd)).toBeCloseTo(0.00045 * n, 10);

    // Nothing before the runs: the window is honoured.
    const old = await cli(['costs', '--from', 'now-30d', '--to', 'now-20d', ...conn]);
    expect(old.code).toBe(0);
    expect(lines(old.stdout).slice(2)).toEqual([expect.stringMatching(/^total\s+0\s+0\s+0\s+\$0\s+0$/)]);

    expectOneLineError(await cli(['costs', '--csv', '--json', ...conn]), 2, /--csv\/--json: give only one/);
    expectOneLineError(await cli(['costs', '--from', 'yesterday', ...conn]), 2, /^runboard-exporter: --from: "yesterday" is not a time/);
    expectOneLineError(await cli(['costs', '--group-by', 'week', ...conn]), 2, /--group-by must be one of model, provider, command, tag, hour, day/);
    // By tag: a run's ::llm records carry none.
    const byTag = lines((await cli(['costs', '--group-by', 'tag', ...conn])).stdout);
    expect(byTag[0]).toMatch(/^costs by tag, /);
    expect(byTag[2].split(/\s+/)).toEqual(['(none)', String(n), String(100 * n), String(20 * n), cost, '0']);

    // --source: the runs' ::llm records are the command source's, none are the SDK's.
    const byCommand = lines((await cli(['costs', '--source', 'command', ...conn])).stdout);
    expect(byCommand[0]).toMatch(/, source command$/);
    expect(byCommand[byCommand.length - 1].split(/\s+/)).toEqual(['total', String(n), String(100 * n), String(20 * n), cost, '0']);
    const bySdk = lines((await cli(['costs', '--csv', '--source', 'sdk', ...conn])).stdout);
    expect(bySdk).toEqual(['model,requests,input_tokens,output_tokens,cost_usd,unpriced']);
    expectOneLineError(await cli(['costs', '--source', 'email', ...conn]), 2, /--source must be one of ingest, sdk, command, otlp, proxy/);
  });
});

describe('helpers', () => {
  const base: RunInfo = {
    id: 'r1',
    command: 'c',
    parameters: {},
    status: 'finished',
    outcome: 'success',
    queuePosition: null,
    startedBy: null,
    requestedAt: 0,
    startedAt: 0,
    finishedAt: 1500,
    durationSeconds: 1.5,
    exitCode: 0,
    signal: null,
    progress: null,
    progressMessage: null,
    inputTokens: 1200,
    outputTokens: 300,
    costUsd: 0.0123,
    outputBytes: 0,
    truncated: false,
    error: null,
  };

  it('maps a finished run to the CLI exit code', () => {
    expect(exitCodeOf(base)).toBe(0);
    expect(exitCodeOf({ ...base, outcome: 'failure', exitCode: 3 })).toBe(3);
    expect(exitCodeOf({ ...base, outcome: 'failure', exitCode: null, signal: 'SIGKILL' })).toBe(1);
    expect(exitCodeOf({ ...base, outcome: 'failure', exitCode: 0, error: 'could not record' })).toBe(1);
    expect(exitCodeOf({ ...base, outcome: 'timeout', exitCode: null, signal: 'SIGTERM' })).toBe(124);
    expect(exitCodeOf({ ...base, outcome: 'cancelled', exitCode: 0 })).toBe(130);
  });

  it('draws the progress bar and the summary line', () => {
    expect(renderProgressBar(50, 'half', 80, 10)).toBe('[#####-----] 50% half');
    expect(renderProgressBar(0, '', 80, 10)).toBe('[----------] 0%');
    expect(renderProgressBar(120, 'x', 80, 10)).toBe('[##########] 100% x');
    expect(renderProgressBar(30, 'a very long message '.repeat(10), 40).length).toBeLessThanOrEqual(39);
    expect(summaryLine({ ...base, outcome: 'failure', exitCode: 2 })).toBe('run r1 (c): failure, exit code 2, 1.5 s, tokens 1200 in / 300 out, cost $0.0123');
  });
});
