/**
 * Parameter values of a run, checked against the command's declared schema before anything runs,
 * and the start-time checks of a command declaration. Values come from HTTP clients and the CLI;
 * what passes here is pasted into argv entries as-is (argv.ts), so this is the gate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandSpec, ParameterSpec } from '../config';
import type { CommandInfo, ParameterInfo, ParameterValue } from '../protocol';
import { parseTemplateEntry, placeholders, TemplateError } from './argv';

/** A parameter value was refused; the HTTP layer answers 400 with `field`. */
export class ParameterError extends Error {
  constructor(
    /** `parameters.<name>` */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ParameterError';
  }
}

/** A command declaration cannot work; the exporter refuses to start. */
export class CommandConfigError extends Error {
  constructor(
    readonly commandId: string,
    readonly reason: string,
  ) {
    super(`command "${commandId}": ${reason}`);
    this.name = 'CommandConfigError';
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const patternCache = new Map<string, RegExp>();

/** `^(?:p)$`: a pattern like `a|b` must not turn into "starts with a or ends with b". */
function anchored(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    patternCache.set(pattern, re);
  }
  return re;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Returns a reason when `v` is not a valid value for `p`, else undefined. */
export function checkValue(p: ParameterSpec, v: unknown): string | undefined {
  switch (p.type) {
    case 'string': {
      if (typeof v !== 'string') return `expected a string, got ${kindOf(v)}`;
      // NUL cannot be carried in an argv entry (the OS would cut the argument there).
      if (v.includes('\u0000')) return 'must not contain NUL characters';
      // Nor can a lone UTF-16 surrogate: the OS would get U+FFFD instead of what was sent.
      if (LONE_SURROGATE.test(v)) return 'must be valid Unicode (no lone surrogate code units)';
      const length = [...v].length;
      if (length > p.maxLength) return `must be at most ${p.maxLength} characters (got ${length})`;
      if (p.pattern !== undefined && !anchored(p.pattern).test(v)) return `must match the pattern ${p.pattern}`;
      return undefined;
    }
    case 'enum':
      if (typeof v !== 'string') return `expected one of ${p.values.join(', ')}, got ${kindOf(v)}`;
      return p.values.includes(v) ? undefined : `must be one of ${p.values.join(', ')}`;
    case 'integer':
      // A string "5" is refused: JSON clients send numbers, and silently accepting text would
      // hide client bugs. The CLI converts its text with coerceParameter first.
      if (typeof v !== 'number') return `expected an integer, got ${kindOf(v)}`;
      if (!Number.isSafeInteger(v)) return `expected an integer, got ${v}`;
      if (p.min !== undefined && v < p.min) return `must be at least ${p.min}`;
      if (p.max !== undefined && v > p.max) return `must be at most ${p.max}`;
      return undefined;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${kindOf(v)}`;
  }
}

/**
 * The full set of values for a run: every declared parameter, from the input or its default.
 * Throws ParameterError for the first problem, naming the parameter.
 */
export function resolveParameters(spec: Pick<CommandSpec, 'parameters'>, input: Record<string, unknown>): Record<string, ParameterValue> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ParameterError('parameters', 'must be an object');
  const declared = spec.parameters;
  for (const name of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(declared, name)) throw new ParameterError(`parameters.${name}`, 'unknown parameter');
  }
  const out: Record<string, ParameterValue> = {};
  for (const [name, p] of Object.entries(declared)) {
    const given = Object.prototype.hasOwnProperty.call(input, name) ? input[name] : undefined;
    const value = given !== undefined ? given : p.default;
    if (value === undefined) throw new ParameterError(`parameters.${name}`, 'is required');
    const reason = checkValue(p, value);
    if (reason) throw new ParameterError(`parameters.${name}`, reason);
    out[name] = value as ParameterValue;
  }
  return out;
}

/**
 * Text from the command line (`--param k=v`) → the declared type. Only converts; resolveParameters
 * still validates the result. Takes a ParameterInfo too, since a remote CLI only has that.
 */
export function coerceParameter(spec: Pick<ParameterSpec | ParameterInfo, 'type'>, raw: string, name?: string): ParameterValue {
  const field = name ? `parameters.${name}` : 'parameters';
  switch (spec.type) {
    case 'string':
    case 'enum':
      return raw;
    case 'integer': {
      const t = raw.trim();
      if (!/^[+-]?\d+$/.test(t)) throw new ParameterError(field, `expected an integer, got "${raw}"`);
      const n = Number(t);
      if (!Number.isSafeInteger(n)) throw new ParameterError(field, `expected an integer, got "${raw}"`);
      return n;
    }
    case 'boolean': {
      const t = raw.trim().toLowerCase();
      if (['true', 'yes', 'y', 'on', '1'].includes(t)) return true;
      if (['false', 'no', 'n', 'off', '0'].includes(t)) return false;
      throw new ParameterError(field, `expected true or false, got "${raw}"`);
    }
  }
}

/**
 * `k=v` texts → typed values for a command's parameters. Unknown names are passed through as text
 * so resolveParameters reports them like any other unknown parameter.
 */
export function coerceParameters(parameters: Record<string, Pick<ParameterSpec | ParameterInfo, 'type'>>, raw: Record<string, string>): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const [name, text] of Object.entries(raw)) {
    const p = Object.prototype.hasOwnProperty.call(parameters, name) ? parameters[name] : undefined;
    out[name] = p ? coerceParameter(p, text, name) : text;
  }
  return out;
}

/** What clients see of a command: never its executable, argv template, environment or cwd. */
export function toCommandInfo(spec: CommandSpec): CommandInfo {
  const parameters: Record<string, ParameterInfo> = {};
  for (const [name, p] of Object.entries(spec.parameters)) parameters[name] = toParameterInfo(p);
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    parameters,
    timeoutSeconds: spec.timeoutSeconds,
    maxConcurrent: spec.maxConcurrent,
    confirm: spec.confirm,
  };
}

function toParameterInfo(p: ParameterSpec): ParameterInfo {
  // Copied field by field so a future private field in the config never leaks by default.
  const base = { help: p.help, ...(p.title !== undefined ? { title: p.title } : {}) };
  switch (p.type) {
    case 'string':
      return { type: 'string', ...base, maxLength: p.maxLength, ...opt('pattern', p.pattern), ...opt('default', p.default) };
    case 'enum':
      return { type: 'enum', ...base, values: [...p.values], ...opt('default', p.default) };
    case 'integer':
      return { type: 'integer', ...base, ...opt('min', p.min), ...opt('max', p.max), ...opt('default', p.default) };
    case 'boolean':
      return { type: 'boolean', ...base, ...opt('default', p.default) };
  }
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

export interface CheckOptions {
  /** The exporter's environment; its PATH finds bare executable names. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Base for a relative cwd and for relative executables without a cwd. Default process.cwd(). */
  baseDir?: string;
}

/**
 * Start-time checks of one command (after the config schema): placeholders, defaults, bounds,
 * working directory and executable. Returns the executable's absolute path, so the runner does
 * not depend on the PATH of the command's own (allow-listed) environment.
 */
export function checkCommandSpec(spec: CommandSpec, opts: CheckOptions = {}): string {
  const fail = (reason: string): never => {
    throw new CommandConfigError(spec.id, reason);
  };

  for (const [name, p] of Object.entries(spec.parameters)) {
    if (p.type === 'integer' && p.min !== undefined && p.max !== undefined && p.min > p.max) {
      fail(`parameter "${name}": min ${p.min} is greater than max ${p.max}`);
    }
    if (p.type === 'enum' && new Set(p.values).size !== p.values.length) fail(`parameter "${name}": values has duplicates`);
    if (p.default !== undefined) {
      const reason = checkValue(p, p.default);
      if (reason) fail(`parameter "${name}": default ${JSON.stringify(p.default)} ${reason}`);
    }
  }

  spec.args.forEach((arg, i) => {
    let entry;
    try {
      entry = parseTemplateEntry(arg);
    } catch (err) {
      if (err instanceof TemplateError) return fail(`args[${i}] ${JSON.stringify(arg)}: ${err.message}`);
      throw err;
    }
    for (const ph of placeholders(entry)) {
      const p = Object.prototype.hasOwnProperty.call(spec.parameters, ph.name) ? spec.parameters[ph.name] : undefined;
      if (!p) fail(`args[${i}] ${JSON.stringify(arg)} refers to unknown parameter "${ph.name}"`);
      else if (ph.conditional && p.type !== 'boolean') fail(`args[${i}] ${JSON.stringify(arg)}: {${ph.name}?…} needs a boolean parameter, "${ph.name}" is ${p.type}`);
    }
  });

  const baseDir = opts.baseDir ?? process.cwd();
  let cwd = baseDir;
  if (spec.cwd !== undefined) {
    cwd = path.resolve(baseDir, spec.cwd);
    let isDir = false;
    try {
      isDir = fs.statSync(cwd).isDirectory();
    } catch {
      fail(`working directory ${cwd} does not exist`);
    }
    if (!isDir) fail(`working directory ${cwd} is not a directory`);
  }

  const exe = spec.executable;
  if (path.isAbsolute(exe) || exe.includes('/')) {
    const full = path.resolve(cwd, exe);
    const problem = executableProblem(full);
    if (problem) fail(`executable ${full} ${problem}`);
    return full;
  }
  const env = opts.env ?? process.env;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    // An empty or relative PATH entry would make the lookup depend on the current directory.
    if (!path.isAbsolute(dir)) continue;
    const full = path.join(dir, exe);
    if (!executableProblem(full)) return full;
  }
  return fail(`executable "${exe}" was not found on PATH (${dirs.join(path.delimiter) || 'empty'})`);
}

function executableProblem(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return 'does not exist';
  }
  if (!st.isFile()) return 'is not a file';
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return 'is not executable';
  }
  // root passes X_OK for any file with at least one x bit, but not for none at all.
  if ((st.mode & 0o111) === 0) return 'is not executable';
  return undefined;
}
