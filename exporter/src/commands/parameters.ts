/**
 * Parameter values of a run, checked against the command's declared schema before anything runs,
 * and the start-time checks of a command declaration. Values come from HTTP clients and the CLI;
 * what passes here is pasted into argv entries as-is (argv.ts), so this is the gate. Argv without
 * a shell stops shell tricks but not options: the rules that keep a value from becoming one are
 * in the README, "Parameter rules".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandSpec, ParameterSpec } from '../config';
import type { CommandInfo, ParameterInfo, ParameterValue } from '@runboard/protocol';
import { parseTemplateEntry, placeholders, TemplateError } from './argv';
import { matchesWhole } from './pattern';

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

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The checks every text value passes: what an argv entry can carry, and the length. */
function textProblem(v: unknown, maxLength: number): string | undefined {
  if (typeof v !== 'string') return `expected a string, got ${kindOf(v)}`;
  // NUL cannot be carried in an argv entry (the OS would cut the argument there).
  if (v.includes('\u0000')) return 'must not contain NUL characters';
  // Nor can a lone UTF-16 surrogate: the OS would get U+FFFD instead of what was sent.
  if (LONE_SURROGATE.test(v)) return 'must be valid Unicode (no lone surrogate code units)';
  const length = [...v].length;
  if (length > maxLength) return `must be at most ${maxLength} characters (got ${length})`;
  return undefined;
}

/** Integers below 0 need a declared `min`: "-5" is an option to most programs. */
export function effectiveMin(p: { min?: number }): number {
  return p.min ?? 0;
}

/** Returns a reason when `v` is not a valid value for `p`, else undefined. */
export function checkValue(p: ParameterSpec, v: unknown): string | undefined {
  switch (p.type) {
    case 'string': {
      const problem = textProblem(v, p.maxLength);
      if (problem) return problem;
      const s = v as string;
      if (!p.allowLeadingDash && s.startsWith('-')) return 'must not begin with "-" (a program could read it as an option)';
      // Length first (above), then the pattern, on a linear-time engine: bounded work per value.
      if (p.pattern !== undefined && !matchesWhole(p.pattern, s)) return `must match the pattern ${p.pattern}`;
      return undefined;
    }
    case 'path': {
      const r = resolvePath(p, v);
      return 'reason' in r ? r.reason : undefined;
    }
    case 'enum':
      if (typeof v !== 'string') return `expected one of ${p.values.join(', ')}, got ${kindOf(v)}`;
      return p.values.includes(v) ? undefined : `must be one of ${p.values.join(', ')}`;
    case 'integer':
      // A string "5" is refused: JSON clients send numbers, and silently accepting text would
      // hide client bugs. The CLI converts its text with coerceParameter first.
      if (typeof v !== 'number') return `expected an integer, got ${kindOf(v)}`;
      if (!Number.isSafeInteger(v)) return `expected an integer, got ${v}`;
      if (v < effectiveMin(p)) return `must be at least ${effectiveMin(p)}`;
      if (p.max !== undefined && v > p.max) return `must be at most ${p.max}`;
      return undefined;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${kindOf(v)}`;
  }
}

type PathSpec = Extract<ParameterSpec, { type: 'path' }>;

/**
 * A `path` value → the absolute path the command gets, or why it is refused. Relative values are
 * taken from `root`; absolute ones must already be inside it. `..` is resolved by text first,
 * then every part of the path that exists is resolved through its symbolic links
 * (realpath) and must still be inside the root's own realpath, so neither `../..` nor a link in
 * the tree leads out. The result never begins with "-": it is absolute.
 */
export function resolvePath(p: PathSpec, v: unknown): { value: string } | { reason: string } {
  const problem = textProblem(v, p.maxLength);
  if (problem) return { reason: problem };
  const outside = { reason: `must be a path inside ${p.root}` };
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(p.root);
  } catch (err) {
    return { reason: `cannot be checked: the root ${p.root} is not available (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const lexical = path.resolve(p.root, v as string);
  // An absolute value may name the root as configured or as resolved (what an earlier run recorded).
  const rel = [p.root, rootReal].map((r) => path.relative(path.resolve(r), lexical)).find((r) => !escapes(r));
  if (rel === undefined) return outside;
  // Walk up to the longest part that exists; what is below it is plain names (no `..` left).
  let existing = path.join(rootReal, rel);
  const rest: string[] = [];
  for (;;) {
    try {
      existing = fs.realpathSync(existing);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { reason: `cannot be resolved (${code ?? 'error'})` };
      // A link whose target is missing would be followed by whatever the command does with it.
      if (isLink(existing)) return outside;
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
  const real = path.join(existing, ...rest);
  if (escapes(path.relative(rootReal, real))) return outside;
  return { value: real };
}

function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
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
    if (p.type === 'path') {
      // The resolved absolute path is what runs, and what the run records.
      const r = resolvePath(p, value);
      if ('reason' in r) throw new ParameterError(`parameters.${name}`, r.reason);
      out[name] = r.value;
      continue;
    }
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
    case 'path':
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
      return {
        type: 'string',
        ...base,
        maxLength: p.maxLength,
        ...opt('pattern', p.pattern),
        ...(p.allowLeadingDash ? { allowLeadingDash: true } : {}),
        ...opt('default', p.default),
      };
    case 'enum':
      return { type: 'enum', ...base, values: [...p.values], ...opt('default', p.default) };
    case 'integer':
      // The effective min, always: clients need not know that an unset min means 0.
      return { type: 'integer', ...base, min: effectiveMin(p), ...opt('max', p.max), ...opt('default', p.default) };
    case 'boolean':
      return { type: 'boolean', ...base, ...opt('default', p.default) };
    case 'path':
      // The root is the admin's directory, shown so a form can say what values are relative to.
      return { type: 'path', ...base, root: p.root, maxLength: p.maxLength, ...opt('default', p.default) };
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
    if (p.type === 'integer' && p.max !== undefined && effectiveMin(p) > p.max) {
      fail(`parameter "${name}": min ${effectiveMin(p)}${p.min === undefined ? ' (the default when min is not set)' : ''} is greater than max ${p.max}`);
    }
    if (p.type === 'path') {
      let isDir = false;
      try {
        isDir = fs.statSync(p.root).isDirectory();
      } catch {
        fail(`parameter "${name}": root ${p.root} does not exist`);
      }
      if (!isDir) fail(`parameter "${name}": root ${p.root} is not a directory`);
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
