import fs from 'node:fs';
import path from 'node:path';
import { commandSchema } from '../../exporter/src/config';
import { renderArgv } from '../../exporter/src/commands/argv';
import { OutputBuffer } from '../../exporter/src/commands/output-buffer';
import { checkCommandSpec, resolveParameters } from '../../exporter/src/commands/parameters';
import { LineSplitter, runProcess, type RunProcessOptions } from '../../exporter/src/commands/process-runner';
import { parseProtocolLine } from '../../exporter/src/commands/protocol-lines';
import { tmpDir } from '../helpers/exporter-process';
import { alive, baseEnv, fixture, killQuietly, waitFor } from './process-helpers';

type Line = { stream: 'stdout' | 'stderr'; text: string; t: number };

function run(opts: Partial<RunProcessOptions> & Pick<RunProcessOptions, 'executable' | 'argv'>) {
  const lines: Line[] = [];
  const handle = runProcess({ env: baseEnv(), timeoutMs: 10_000, ...opts }, { onLine: (stream, text, t) => lines.push({ stream, text, t }) });
  return { handle, lines, out: () => lines.filter((l) => l.stream === 'stdout').map((l) => l.text), err: () => lines.filter((l) => l.stream === 'stderr').map((l) => l.text) };
}

const node = process.execPath;
const sh = '/bin/sh';

describe('runProcess: arguments never reach a shell', () => {
  const dir = tmpDir('runboard-argv-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('delivers metacharacters, quotes, $(...), ;, newlines, ../ and --flags literally, one entry each', async () => {
    const marker = path.join(dir, 'pwned');
    const values = [
      `$(touch ${marker}1)`,
      `\`touch ${marker}2\``,
      `x; touch ${marker}3`,
      `a && touch ${marker}4 || true`,
      `"double" 'single' \\"escaped\\"`,
      'line one\nline two\r\nline three',
      '../../../etc/passwd',
      '--flag=value',
      '-rf',
      '  spaced  out  ',
      '*',
      '$HOME ${PATH} ~',
      `> ${marker}5`,
      '',
      'ünïcödé 😀',
    ];
    const spec = commandSchema.parse({
      id: 'echo-args',
      title: 'Echo',
      executable: 'node',
      args: [fixture('print-argv.js'), '{v}', '--value={v}', '{loud?--loud}', '{quiet?--quiet}', '{{literal}}'],
      parameters: {
        // Opted in: this shows a "--flag" value arrives as one literal entry (README "Parameter rules").
        v: { type: 'string', maxLength: 200, allowLeadingDash: true },
        loud: { type: 'boolean', default: true },
        quiet: { type: 'boolean', default: false },
      },
    });
    const executable = checkCommandSpec(spec, { env: { PATH: path.dirname(node) } });
    expect(executable).toBe(path.join(path.dirname(node), 'node'));
    for (const v of values) {
      const argv = renderArgv(spec, resolveParameters(spec, { v }));
      const r = run({ executable, argv, env: { ONLY: 'this' } });
      const result = await r.handle.done;
      expect(result.outcome).toBe('success');
      const got = JSON.parse(r.out().join('\n'));
      expect(got.argv).toEqual([v, `--value=${v}`, '--loud', '{literal}']);
      // the command's environment is exactly what it was given
      expect(got.env).toEqual({ ONLY: 'this' });
    }
    for (let i = 1; i <= 5; i++) expect(fs.existsSync(`${marker}${i}`)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('runs in the given working directory', async () => {
    const r = run({ executable: node, argv: [fixture('print-argv.js')], cwd: dir });
    await r.handle.done;
    expect(JSON.parse(r.out()[0]).cwd).toBe(fs.realpathSync(dir));
  });
});

describe('runProcess: outcomes', () => {
  it('reports success with exit code 0 and a duration', async () => {
    const r = run({ executable: node, argv: ['-e', 'console.log("hi")'] });
    const res = await r.handle.done;
    expect(res).toMatchObject({ exitCode: 0, signal: null, outcome: 'success' });
    expect(res.error).toBeUndefined();
    expect(res.durationSeconds).toBeGreaterThan(0);
    expect(r.out()).toEqual(['hi']);
    expect(typeof r.handle.pid).toBe('number');
  });

  it('captures stderr separately, flushes a last line without newline, and reports exit 3 as failure', async () => {
    const r = run({ executable: sh, argv: [fixture('fail-stderr.sh')] });
    const res = await r.handle.done;
    expect(res).toMatchObject({ exitCode: 3, signal: null, outcome: 'failure' });
    expect(r.out()).toEqual(['to stdout']);
    expect(r.err()).toEqual(['to stderr', 'no newline at the end']);
    for (const l of r.lines) expect(l.t).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reports a missing executable as a failure with an error, without throwing', async () => {
    const r = run({ executable: '/nonexistent/runboard-tool', argv: [] });
    expect(r.handle.pid).toBeUndefined();
    const res = await r.handle.done;
    expect(res).toMatchObject({ outcome: 'failure', exitCode: null, signal: null });
    expect(res.error).toMatch(/cannot run \/nonexistent\/runboard-tool: no such file \(ENOENT\)/);
    r.handle.cancel(); // harmless afterwards
  });

  it('reports a file without execute permission as a failure', async () => {
    const dir = tmpDir('runboard-noexec-');
    const file = path.join(dir, 'tool');
    fs.writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    try {
      const res = await run({ executable: file, argv: [] }).handle.done;
      expect(res.outcome).toBe('failure');
      expect(res.error).toMatch(/permission denied \(EACCES\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing working directory', async () => {
    const res = await run({ executable: node, argv: ['-e', ''], cwd: '/nonexistent-runboard-dir' }).handle.done;
    expect(res.outcome).toBe('failure');
    expect(res.error).toMatch(/working directory \/nonexistent-runboard-dir does not exist/);
  });

  it('reports a NUL byte in argv as a failure instead of throwing', async () => {
    const res = await run({ executable: node, argv: ['a\u0000b'] }).handle.done;
    expect(res.outcome).toBe('failure');
    expect(res.error).toMatch(/cannot run/);
  });

  it('reports a command killed by a signal of its own as failure with the signal', async () => {
    const res = await run({ executable: sh, argv: ['-c', 'kill -9 $$'] }).handle.done;
    expect(res).toMatchObject({ outcome: 'failure', exitCode: null, signal: 'SIGKILL' });
  });
});

describe('runProcess: timeout and cancel take down the whole process group', () => {
  let grandchild: number | undefined;
  afterEach(() => killQuietly(grandchild));

  it('on timeout, SIGTERMs the group and SIGKILLs a grandchild that ignores SIGTERM', async () => {
    const started = Date.now();
    const r = run({ executable: sh, argv: [fixture('grandchild.sh')], timeoutMs: 300, killGraceMs: 400 });
    await waitFor(() => r.out().length > 0);
    grandchild = Number(/^grandchild (\d+)$/.exec(r.out()[0])![1]);
    expect(alive(grandchild)).toBe(true);
    const res = await r.handle.done;
    expect(res.outcome).toBe('timeout');
    // the leader died of SIGTERM; the grandchild ignored it and needed the SIGKILL
    expect(res.signal).toBe('SIGTERM');
    // the grandchild holds the output pipes, so the run cannot end before its SIGKILL (300 + 400 ms)
    expect(Date.now() - started).toBeGreaterThanOrEqual(690);
    await waitFor(() => !alive(grandchild!), 2000);
    expect(alive(grandchild)).toBe(false);
  });

  it('cancel mid-run gives outcome cancelled and keeps the output so far', async () => {
    const r = run({ executable: node, argv: [fixture('sleeper.js')] });
    await waitFor(() => r.out().includes('tick'));
    r.handle.cancel();
    r.handle.cancel(); // a second cancel changes nothing
    const res = await r.handle.done;
    expect(res.outcome).toBe('cancelled');
    expect(res.exitCode).toBe(143);
    expect(r.out()[0]).toBe('ready');
    expect(r.out()).toContain('got SIGTERM');
    expect(alive(r.handle.pid!)).toBe(false);
  });

  it('cancel also reaches a grandchild that ignores SIGTERM', async () => {
    const r = run({ executable: sh, argv: [fixture('grandchild.sh')], killGraceMs: 300 });
    await waitFor(() => r.out().length > 0);
    grandchild = Number(/^grandchild (\d+)$/.exec(r.out()[0])![1]);
    r.handle.cancel();
    const res = await r.handle.done;
    expect(res.outcome).toBe('cancelled');
    await waitFor(() => !alive(grandchild!), 2000);
  });

  it('does not hang when a background process keeps the pipes open after the command exited', async () => {
    const r = run({ executable: sh, argv: [fixture('grandchild.sh'), 'leave'], pipeGraceMs: 300, timeoutMs: 30_000 });
    const started = Date.now();
    const res = await r.handle.done;
    grandchild = Number(/^grandchild (\d+)$/.exec(r.out()[0])![1]);
    expect(res).toMatchObject({ outcome: 'success', exitCode: 0 });
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor(() => !alive(grandchild!), 2000);
  });

  it('leaves nothing of the group running after a normal exit', async () => {
    const r = run({ executable: sh, argv: [fixture('background-quiet.sh')] });
    const res = await r.handle.done;
    expect(res.outcome).toBe('success');
    grandchild = Number(/^background (\d+)$/.exec(r.out()[0])![1]);
    await waitFor(() => !alive(grandchild!), 2000);
  });
});

describe('runProcess: output', () => {
  it('turns protocol lines into progress and LLM records, keeping malformed ones as output', async () => {
    const r = run({ executable: node, argv: [fixture('protocol.js')] });
    const res = await r.handle.done;
    expect(res.outcome).toBe('success');
    // CRLF line ends are gone
    expect(r.out().some((l) => l.includes('\r'))).toBe(false);
    const parsed = r.lines.map((l) => ({ l, p: l.stream === 'stdout' ? parseProtocolLine(l.text) : null }));
    const progress = parsed.flatMap(({ p }) => (p?.kind === 'progress' ? [p.percent] : []));
    expect(progress).toEqual([0, 50, 100]);
    const llm = parsed.flatMap(({ p }) => (p?.kind === 'llm' ? [p.record] : []));
    expect(llm).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 120, output_tokens: 30 },
      { provider: 'anthropic', model: 'claude-sonnet-4', input_tokens: 5, output_tokens: 7, cost_usd: 0.0125, duration_seconds: 1.5 },
    ]);
    const plain = parsed.filter(({ p }) => p === null).map(({ l }) => l.text);
    expect(plain).toEqual([
      'starting',
      '::progress 150 too much',
      '::progress abc not a number',
      '::llm provider=openai model=gpt-4o input_tokens=-1 output_tokens=2',
      '::llm provider=openai input_tokens=1 output_tokens=2',
      '::llm provider=openai model=x input_tokens=1 output_tokens=2 run_id=someone-else',
      'finished',
      '::progress 75 on stderr is just output',
    ]);
  });

  it('caps a flood of output to head + marker + tail', async () => {
    const buffer = new OutputBuffer(64 * 1024);
    const handle = runProcess(
      { executable: node, argv: [fixture('flood.js'), 'lines', '50000', '100'], env: baseEnv(), timeoutMs: 30_000 },
      { onLine: (stream, text, t) => buffer.push(stream, text, t) },
    );
    const res = await handle.done;
    expect(res.outcome).toBe('success');
    const lines = buffer.lines();
    expect(lines[0].text).toMatch(/^line 0 x{100}$/);
    expect(lines[lines.length - 1].text).toMatch(/^line 49999 x{100}$/);
    const markers = lines.filter((l) => l.stream === 'system');
    expect(markers).toHaveLength(1);
    expect(markers[0].text).toMatch(/^… \d+ lines \(\d+ bytes\) truncated …$/);
    expect(buffer.storedBytes).toBeLessThanOrEqual(64 * 1024);
    // every line arrived, in order, none lost between head and tail
    let total = 0;
    for (let i = 0; i < 50_000; i++) total += `line ${i} `.length + 100 + 1;
    expect(buffer.totalBytes).toBe(total);
    const seqs = lines.filter((l) => l.stream !== 'system').map((l) => l.seq);
    expect(seqs[seqs.length - 1]).toBe(49_999);
  });

  it('delivers a giant line without newline in bounded pieces', async () => {
    const sizes: number[] = [];
    const res = await runProcess(
      { executable: node, argv: [fixture('flood.js'), 'giant', String(5 * 1024 * 1024)], env: baseEnv(), timeoutMs: 30_000 },
      { onLine: (_s, text) => sizes.push(Buffer.byteLength(text)) },
    ).done;
    expect(res.outcome).toBe('success');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5 * 1024 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('LineSplitter', () => {
  it('decodes UTF-8 split across chunks and handles CRLF across chunks', () => {
    const got: string[] = [];
    const s = new LineSplitter((t) => got.push(t));
    const bytes = Buffer.from('héllo 😀\r\nwörld\r\nlast');
    for (let i = 0; i < bytes.length; i++) s.write(bytes.subarray(i, i + 1));
    expect(got).toEqual(['héllo 😀', 'wörld']);
    s.end();
    expect(got).toEqual(['héllo 😀', 'wörld', 'last']);
  });

  it('keeps empty lines and a lone \\r inside a line', () => {
    const got: string[] = [];
    const s = new LineSplitter((t) => got.push(t));
    s.write(Buffer.from('\n\na\rb\n'));
    s.end();
    expect(got).toEqual(['', '', 'a\rb']);
  });

  it('cuts a line longer than the limit on character boundaries', () => {
    const got: string[] = [];
    const s = new LineSplitter((t) => got.push(t), 10);
    s.write(Buffer.from('€'.repeat(10)));
    s.write(Buffer.from('€€\nok\n'));
    s.end();
    expect(got.join('')).toBe('€'.repeat(12) + 'ok');
    for (const g of got) expect(Buffer.byteLength(g)).toBeLessThanOrEqual(10);
    expect(got[got.length - 1]).toBe('ok');
  });
});
