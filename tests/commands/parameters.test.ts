import fs from 'node:fs';
import path from 'node:path';
import { commandSchema, ConfigError, parseConfig, type CommandSpec } from '../../exporter/src/config';
import { checkCommandSpec, coerceParameter, coerceParameters, CommandConfigError, ParameterError, resolveParameters, toCommandInfo } from '../../exporter/src/commands/parameters';
import { tmpDir } from '../helpers/exporter-process';

function spec(over: Record<string, unknown> = {}): CommandSpec {
  return commandSchema.parse({ id: 'demo', title: 'Demo', executable: process.execPath, ...over });
}

const command = spec({
  args: ['{name}', '{count}', '{level}', '{verbose?--verbose}'],
  parameters: {
    name: { type: 'string', pattern: '[a-z]+|x', maxLength: 8 },
    free: { type: 'string', default: '', maxLength: 10 },
    level: { type: 'enum', values: ['low', 'high'], default: 'low' },
    count: { type: 'integer', min: 1, max: 10, default: 3 },
    verbose: { type: 'boolean', default: false },
  },
});

function paramError(fn: () => unknown): ParameterError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParameterError) return err;
    throw err;
  }
  throw new Error('expected a ParameterError');
}

function configError(fn: () => unknown): CommandConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CommandConfigError) return err;
    throw err;
  }
  throw new Error('expected a CommandConfigError');
}

describe('resolveParameters', () => {
  it('applies defaults and keeps given values', () => {
    expect(resolveParameters(command, { name: 'abc' })).toEqual({ name: 'abc', free: '', level: 'low', count: 3, verbose: false });
    expect(resolveParameters(command, { name: 'x', level: 'high', count: 10, verbose: true, free: 'a b' })).toEqual({
      name: 'x',
      free: 'a b',
      level: 'high',
      count: 10,
      verbose: true,
    });
  });

  it('lets strings carry shell metacharacters, quotes and newlines (they never reach a shell)', () => {
    const s = spec({ parameters: { v: { type: 'string', maxLength: 100 } } });
    for (const v of ['$(touch /tmp/x)', 'a; rm -rf /', '"quoted" \'single\'', 'line1\nline2', '../../etc/passwd', ' --flag', 'a-b', '`id`', '']) {
      expect(resolveParameters(s, { v })).toEqual({ v });
    }
  });

  const rejected: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown parameter', { name: 'abc', extra: 1 }, 'parameters.extra', /unknown parameter/],
    ['a missing required parameter', {}, 'parameters.name', /required/],
    ['a string for an integer', { name: 'abc', count: '5' }, 'parameters.count', /expected an integer, got a string/],
    ['a fraction', { name: 'abc', count: 2.5 }, 'parameters.count', /expected an integer/],
    ['NaN', { name: 'abc', count: NaN }, 'parameters.count', /expected an integer/],
    ['an integer below min', { name: 'abc', count: 0 }, 'parameters.count', /at least 1/],
    ['an integer above max', { name: 'abc', count: 11 }, 'parameters.count', /at most 10/],
    ['a number for a string', { name: 5 }, 'parameters.name', /expected a string/],
    ['null', { name: null }, 'parameters.name', /expected a string, got null/],
    ['a string over maxLength', { name: 'abcdefghi' }, 'parameters.name', /at most 8 characters/],
    ['a string matching only part of the pattern', { name: 'abc1' }, 'parameters.name', /pattern/],
    ['a string matching an alternative only as a prefix', { name: 'xy1' }, 'parameters.name', /pattern/],
    ['a NUL byte', { name: 'x', free: 'a\u0000b' }, 'parameters.free', /NUL/],
    ['an enum value not listed', { name: 'abc', level: 'medium' }, 'parameters.level', /one of low, high/],
    ['an enum value of the wrong case', { name: 'abc', level: 'LOW' }, 'parameters.level', /one of/],
    ['a string for a boolean', { name: 'abc', verbose: 'true' }, 'parameters.verbose', /true or false/],
    ['a number for a boolean', { name: 'abc', verbose: 1 }, 'parameters.verbose', /true or false/],
    ['an array', { name: ['abc'] }, 'parameters.name', /an array/],
    ['an object', { name: 'abc', free: { toString: 'x' } }, 'parameters.free', /an object/],
  ];
  it.each(rejected)('rejects %s', (_what, input, field, reason) => {
    const err = paramError(() => resolveParameters(command, input));
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(reason);
    expect(err.message).toContain(field);
  });

  it('counts maxLength in characters, not UTF-16 units', () => {
    const s = spec({ parameters: { v: { type: 'string', maxLength: 2 } } });
    expect(resolveParameters(s, { v: '😀😀' })).toEqual({ v: '😀😀' });
    expect(paramError(() => resolveParameters(s, { v: '😀😀😀' })).field).toBe('parameters.v');
  });

  it('does not treat inherited object keys as parameters', () => {
    expect(paramError(() => resolveParameters(command, { name: 'abc', constructor: 'x' })).field).toBe('parameters.constructor');
    expect(paramError(() => resolveParameters(command, JSON.parse('{"name":"abc","__proto__":{"x":1}}'))).field).toBe('parameters.__proto__');
  });
});

describe('coerceParameter', () => {
  const table: Array<[string, Record<string, unknown>, string, unknown]> = [
    ['string', { type: 'string' }, ' 5 ', ' 5 '],
    ['enum', { type: 'enum' }, 'high', 'high'],
    ['integer', { type: 'integer' }, '42', 42],
    ['negative integer', { type: 'integer' }, '-7', -7],
    ['boolean true', { type: 'boolean' }, 'true', true],
    ['boolean yes', { type: 'boolean' }, 'YES', true],
    ['boolean 0', { type: 'boolean' }, '0', false],
  ];
  it.each(table)('converts %s', (_w, p, raw, expected) => {
    expect(coerceParameter(p as never, raw)).toEqual(expected);
  });

  it.each([
    ['integer', '4.5'],
    ['integer', '12abc'],
    ['integer', ''],
    ['integer', '99999999999999999999'],
    ['boolean', 'maybe'],
  ])('refuses %s text %j', (type, raw) => {
    const err = paramError(() => coerceParameter({ type } as never, raw, 'p'));
    expect(err.field).toBe('parameters.p');
  });

  it('coerces a whole set, leaving unknown names for resolveParameters to refuse', () => {
    const values = coerceParameters(command.parameters, { name: 'abc', count: '4', verbose: 'on', bogus: '1' });
    expect(values).toEqual({ name: 'abc', count: 4, verbose: true, bogus: '1' });
    expect(paramError(() => resolveParameters(command, values)).field).toBe('parameters.bogus');
  });
});

describe('toCommandInfo', () => {
  it('shows the parameter schema but never executable, args, env or cwd', () => {
    const s = spec({ ...command, cwd: '/tmp', env: ['SECRET_TOKEN'], confirm: true, description: 'd' });
    const info = toCommandInfo(s);
    expect(info).toEqual({
      id: 'demo',
      title: 'Demo',
      description: 'd',
      timeoutSeconds: 600,
      maxConcurrent: 1,
      confirm: true,
      parameters: {
        name: { type: 'string', help: '', pattern: '[a-z]+|x', maxLength: 8 },
        free: { type: 'string', help: '', default: '', maxLength: 10 },
        level: { type: 'enum', help: '', values: ['low', 'high'], default: 'low' },
        count: { type: 'integer', help: '', min: 1, max: 10, default: 3 },
        verbose: { type: 'boolean', help: '', default: false },
      },
    });
    const text = JSON.stringify(info);
    expect(text).not.toContain(process.execPath);
    expect(text).not.toContain('SECRET_TOKEN');
    expect(text).not.toContain('--verbose');
    expect(text).not.toContain('/tmp');
  });
});

describe('checkCommandSpec', () => {
  const dir = tmpDir('runboard-cmdcheck-');
  const tool = path.join(dir, 'bin', 'tool');
  const plain = path.join(dir, 'bin', 'not-executable');
  fs.mkdirSync(path.dirname(tool));
  fs.writeFileSync(tool, '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(plain, 'data', { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'work', 'scripts'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'work', 'scripts', 'run'), '#!/bin/sh\n', { mode: 0o755 });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns the absolute executable of a valid command', () => {
    expect(checkCommandSpec(command)).toBe(process.execPath);
    expect(checkCommandSpec(spec({ executable: tool }))).toBe(tool);
  });

  it('finds a bare name on the exporter PATH, skipping relative PATH entries', () => {
    expect(checkCommandSpec(spec({ executable: 'tool' }), { env: { PATH: `relative:${path.join(dir, 'bin')}` } })).toBe(tool);
    const err = configError(() => checkCommandSpec(spec({ executable: 'tool' }), { env: { PATH: '/nonexistent' } }));
    expect(err.message).toMatch(/^command "demo": executable "tool" was not found on PATH/);
  });

  it('resolves a relative path with a slash against cwd, else the base directory', () => {
    expect(checkCommandSpec(spec({ executable: './scripts/run', cwd: path.join(dir, 'work') }))).toBe(path.join(dir, 'work', 'scripts', 'run'));
    expect(checkCommandSpec(spec({ executable: 'scripts/run' }), { baseDir: path.join(dir, 'work') })).toBe(path.join(dir, 'work', 'scripts', 'run'));
    expect(checkCommandSpec(spec({ executable: '../bin/tool', cwd: 'work' }), { baseDir: dir })).toBe(tool);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing absolute executable', { executable: '/nonexistent/tool' }, /executable \/nonexistent\/tool does not exist/],
    ['a directory as executable', { executable: '/tmp' }, /is not a file/],
    ['a missing working directory', { cwd: '/nonexistent-dir' }, /working directory \/nonexistent-dir does not exist/],
    ['an unknown parameter in args', { args: ['--x={nope}'] }, /args\[0\] "--x=\{nope\}" refers to unknown parameter "nope"/],
    ['a conditional on a non-boolean', { args: ['{n?--n}'], parameters: { n: { type: 'integer', default: 1 } } }, /needs a boolean parameter, "n" is integer/],
    ['a conditional inside an argument', { args: ['x{f?y}'], parameters: { f: { type: 'boolean', default: true } } }, /must be the whole argument/],
    ['an unclosed brace', { args: ['{oops'] }, /unclosed "\{"/],
    ['a stray closing brace', { args: ['a}b'] }, /unmatched "\}"/],
    ['an invalid placeholder name', { args: ['{1x}'] }, /not a valid placeholder/],
    ['a default over maxLength', { parameters: { s: { type: 'string', maxLength: 2, default: 'abc' } } }, /parameter "s": default "abc" must be at most 2/],
    ['a default not matching the pattern', { parameters: { s: { type: 'string', pattern: '\\d+', default: '1a' } } }, /parameter "s": default "1a" must match/],
    ['a default not among the values', { parameters: { e: { type: 'enum', values: ['a'], default: 'b' } } }, /parameter "e": default "b" must be one of a/],
    ['a default out of bounds', { parameters: { i: { type: 'integer', min: 1, max: 5, default: 9 } } }, /parameter "i": default 9 must be at most 5/],
    ['min above max', { parameters: { i: { type: 'integer', min: 5, max: 1 } } }, /parameter "i": min 5 is greater than max 1/],
    ['duplicate enum values', { parameters: { e: { type: 'enum', values: ['a', 'a'] } } }, /values has duplicates/],
  ];
  it.each(bad)('refuses %s, naming the command and the reason', (_w, over, reason) => {
    const err = configError(() => checkCommandSpec(spec(over)));
    expect(err.commandId).toBe('demo');
    expect(err.message.startsWith('command "demo": ')).toBe(true);
    expect(err.message).toMatch(reason);
  });

  it('refuses a file without execute permission', () => {
    expect(configError(() => checkCommandSpec(spec({ executable: plain }))).message).toMatch(/is not executable/);
  });

  it('accepts literal braces and a conditional on a boolean', () => {
    const s = spec({ args: ['{{literal}}', '{f?--f}', 'a={s}'], parameters: { f: { type: 'boolean', default: false }, s: { type: 'string', default: 'x' } } });
    expect(checkCommandSpec(s)).toBe(process.execPath);
  });
});

// README "Parameter rules": what keeps a value from becoming an option of the program it is given to.
describe('values that could become options', () => {
  const s = spec({
    parameters: {
      ref: { type: 'string', maxLength: 100 },
      topic: { type: 'string', maxLength: 100, allowLeadingDash: true, default: '' },
      flag: { type: 'enum', values: ['-v', '--quiet', 'plain'], default: 'plain' },
      n: { type: 'integer', default: 1 },
      offset: { type: 'integer', min: -10, max: 10, default: 0 },
    },
  });

  it.each(['-', '--output=/tmp/x', '-rf', '--', '-5'])('refuses a string beginning with "-" (%j), naming the parameter', (ref) => {
    const err = paramError(() => resolveParameters(s, { ref }));
    expect(err.field).toBe('parameters.ref');
    expect(err.message).toBe('parameters.ref: must not begin with "-" (a program could read it as an option)');
  });

  it('accepts "-" elsewhere in a value, and at the start where the parameter opts in', () => {
    expect(resolveParameters(s, { ref: 'a--b', topic: '--fail' })).toMatchObject({ ref: 'a--b', topic: '--fail' });
  });

  it('passes enum values as the admin declared them, "-" included', () => {
    expect(resolveParameters(s, { ref: 'x', flag: '-v' })).toMatchObject({ flag: '-v' });
    expect(paramError(() => resolveParameters(s, { ref: 'x', flag: '-x' })).field).toBe('parameters.flag');
  });

  it('refuses a negative integer unless min allows it', () => {
    const err = paramError(() => resolveParameters(s, { ref: 'x', n: -5 }));
    expect(err.field).toBe('parameters.n');
    expect(err.reason).toBe('must be at least 0');
    expect(resolveParameters(s, { ref: 'x', n: 0, offset: -10 })).toMatchObject({ n: 0, offset: -10 });
    expect(paramError(() => resolveParameters(s, { ref: 'x', offset: -11 })).reason).toBe('must be at least -10');
  });

  it('tells clients the effective min and which strings may begin with "-"', () => {
    const info = toCommandInfo(s);
    expect(info.parameters.n).toEqual({ type: 'integer', help: '', min: 0, default: 1 });
    expect(info.parameters.offset).toMatchObject({ min: -10 });
    expect(info.parameters.topic).toMatchObject({ allowLeadingDash: true });
    expect(info.parameters.ref).not.toHaveProperty('allowLeadingDash');
  });

  it.each([
    ['a default beginning with "-"', { s: { type: 'string', default: '--all' } }, /parameter "s": default "--all" must not begin with "-"/],
    ['a negative default without min', { i: { type: 'integer', default: -1 } }, /parameter "i": default -1 must be at least 0/],
    ['a negative max without min', { i: { type: 'integer', max: -1 } }, /parameter "i": min 0 \(the default when min is not set\) is greater than max -1/],
  ])('refuses at start %s', (_w, parameters, reason) => {
    expect(configError(() => checkCommandSpec(spec({ parameters }))).message).toMatch(reason);
  });
});

describe('patterns run on a linear-time engine', () => {
  it('refuses a catastrophic-backtracking value at once, after the length check', () => {
    const s = spec({ parameters: { v: { type: 'string', pattern: '([a-z]+)+$', maxLength: 65536 } } });
    // A backtracking RegExp needs ~2^n steps here (seconds at n=30, ages at n=40); RE2 is linear.
    const t0 = performance.now();
    expect(paramError(() => resolveParameters(s, { v: 'a'.repeat(40) + '!' })).reason).toMatch(/must match the pattern/);
    expect(paramError(() => resolveParameters(s, { v: 'a'.repeat(65535) + '!' })).reason).toMatch(/must match the pattern/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(resolveParameters(s, { v: 'abc' })).toEqual({ v: 'abc' });
    expect(paramError(() => resolveParameters(s, { v: 'a'.repeat(65537) })).reason).toMatch(/at most 65536 characters/);
  });

  it.each([
    ['a backreference', '(a)\\1'],
    ['a lookahead', '(?=a)a'],
    ['a lookbehind', '(?<!x)a'],
    ['a pattern only valid once wrapped', 'a)|(b'],
  ])('refuses %s when the config loads, naming the key', (_w, pattern) => {
    const load = () => parseConfig({ commands: [{ id: 'c', title: 'C', executable: process.execPath, parameters: { v: { type: 'string', pattern } } }] });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^config key "commands\.0\.parameters\.v\.pattern": is not a valid pattern for the linear-time \(RE2\) engine/);
  });

  it('loads the example commands (their patterns compile)', () => {
    expect(parseConfig({}).commands.map((c) => c.id)).toEqual(['sample-task', 'system-report', 'http-check']);
  });
});

describe('path parameters', () => {
  const dir = tmpDir('runboard-pathparam-');
  const root = path.join(dir, 'root');
  const secret = path.join(dir, 'secret');
  fs.mkdirSync(path.join(root, 'logs', 'app'), { recursive: true });
  fs.mkdirSync(secret);
  fs.symlinkSync(secret, path.join(root, 'out-link'));
  fs.symlinkSync(path.join(root, 'logs'), path.join(root, 'in-link'));
  fs.symlinkSync(path.join(secret, 'missing'), path.join(root, 'dangling'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const realRoot = fs.realpathSync(root);
  const s = spec({ args: ['{p}'], parameters: { p: { type: 'path', root, default: '.' } } });
  const resolve = (p: string) => resolveParameters(s, { p }).p;

  it('resolves relative values under the root, and absolute ones already inside it', () => {
    expect(resolve('logs/app')).toBe(path.join(realRoot, 'logs', 'app'));
    expect(resolve('logs/../logs/./app/new-file.txt')).toBe(path.join(realRoot, 'logs', 'app', 'new-file.txt'));
    expect(resolve(path.join(root, 'logs'))).toBe(path.join(realRoot, 'logs'));
    expect(resolve(path.join(realRoot, 'logs'))).toBe(path.join(realRoot, 'logs'));
    expect(resolveParameters(s, {}).p).toBe(realRoot);
    expect(resolve('in-link/app')).toBe(path.join(realRoot, 'logs', 'app'));
  });

  it('turns a value that looks like an option into a path inside the root', () => {
    expect(resolve('--help')).toBe(path.join(realRoot, '--help'));
    expect(resolve('-rf')).toBe(path.join(realRoot, '-rf'));
  });

  it.each([
    ['..', '..'],
    ['a .. escape', '../../../../etc/ssh'],
    ['a .. escape after a real directory', 'logs/../../secret'],
    ['an absolute path outside', '/etc'],
    ['a sibling with the root as prefix', `${root}-other/x`],
    ['a symbolic link leading out', 'out-link'],
    ['a path below a link leading out', 'out-link/new-file'],
    ['a link whose target is missing', 'dangling'],
  ])('refuses %s', (_w, p) => {
    const err = paramError(() => resolveParameters(s, { p }));
    expect(err.field).toBe('parameters.p');
    expect(err.reason).toBe(`must be a path inside ${root}`);
  });

  it('refuses NUL and overlong values like strings', () => {
    expect(paramError(() => resolveParameters(s, { p: 'a\u0000b' })).reason).toMatch(/NUL/);
    const short = spec({ parameters: { p: { type: 'path', root, maxLength: 3 } } });
    expect(paramError(() => resolveParameters(short, { p: 'abcd' })).reason).toMatch(/at most 3/);
  });

  it('shows clients the root, and the CLI passes the text on', () => {
    expect(toCommandInfo(s).parameters.p).toEqual({ type: 'path', help: '', root, maxLength: 1024, default: '.' });
    expect(coerceParameter({ type: 'path' }, ' a b ')).toBe(' a b ');
  });

  it('checks the root at start and in the schema', () => {
    expect(checkCommandSpec(s)).toBe(process.execPath);
    expect(configError(() => checkCommandSpec(spec({ parameters: { p: { type: 'path', root: path.join(dir, 'nope') } } }))).message).toMatch(
      /parameter "p": root .*nope does not exist/,
    );
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(configError(() => checkCommandSpec(spec({ parameters: { p: { type: 'path', root: path.join(dir, 'file') } } }))).message).toMatch(/is not a directory/);
    expect(configError(() => checkCommandSpec(spec({ parameters: { p: { type: 'path', root, default: '../x' } } }))).message).toMatch(/default "\.\.\/x" must be a path inside/);
    expect(() => spec({ parameters: { p: { type: 'path', root: 'relative/dir' } } })).toThrow(/absolute/);
  });
});
