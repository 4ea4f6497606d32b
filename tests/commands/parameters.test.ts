import fs from 'node:fs';
import path from 'node:path';
import { commandSchema, type CommandSpec } from '../../exporter/src/config';
import {
  checkCommandSpec,
  coerceParameter,
  coerceParameters,
  CommandConfigError,
  ParameterError,
  resolveParameters,
  toCommandInfo,
} from '../../exporter/src/commands/parameters';
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
    for (const v of ['$(touch /tmp/x)', 'a; rm -rf /', '"quoted" \'single\'', 'line1\nline2', '../../etc/passwd', '--flag', '`id`', '']) {
      expect(resolveParameters(s, { v })).toEqual({ v });
    }
  });

  const rejected: [string, Record<string, unknown>, string, RegExp][] = [
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
  const table: [string, Record<string, unknown>, string, unknown][] = [
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

  const bad: [string, Record<string, unknown>, RegExp][] = [
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
