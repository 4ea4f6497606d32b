/**
 * Argument templates → argv. Parameter values come from HTTP clients, so a value must never be
 * able to add, remove or split arguments: each template entry yields at most one argv entry, and
 * values are pasted in as opaque text (there is no shell and no re-parsing afterwards).
 */
import type { CommandSpec } from '../config';
import type { ParameterValue } from '@runboard/protocol';

/** One piece of a template entry. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'param'; name: string };

/**
 * A parsed template entry: `parts` are concatenated into one argument; a `conditional` entry
 * (`{flag?--text}`) is `text` when the boolean `name` is true and no argument at all when false.
 */
export type TemplateEntry = { kind: 'parts'; parts: TemplatePart[] } | { kind: 'conditional'; name: string; text: string };

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly entry: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses one template entry. Strict on purpose: a stray `{` or `}` is an error rather than
 * literal text, so a typo such as `{nmae` fails at start instead of passing `{nmae` to the program.
 */
export function parseTemplateEntry(entry: string): TemplateEntry {
  // A conditional must be the whole entry: anything around it would leave a half argument
  // behind when the flag is false.
  if (entry.startsWith('{') && !entry.startsWith('{{')) {
    const q = entry.indexOf('?');
    const close = entry.indexOf('}');
    if (q > 0 && (close === -1 || q < close)) {
      const name = entry.slice(1, q);
      if (!NAME.test(name)) throw new TemplateError(`"${name}" is not a valid parameter name`, entry);
      if (!entry.endsWith('}')) throw new TemplateError('a {name?text} placeholder must be the whole argument', entry);
      const text = unescapeLiteral(entry.slice(q + 1, -1), entry);
      return { kind: 'conditional', name, text };
    }
  }
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < entry.length) {
    const c = entry[i];
    if (c === '{' && entry[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (c === '}' && entry[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (c === '{') {
      const close = entry.indexOf('}', i + 1);
      if (close === -1) throw new TemplateError('unclosed "{" (write "{{" for a literal brace)', entry);
      const name = entry.slice(i + 1, close);
      if (name.includes('?')) throw new TemplateError('a {name?text} placeholder must be the whole argument', entry);
      if (!NAME.test(name)) throw new TemplateError(`"{${name}}" is not a valid placeholder (write "{{" for a literal brace)`, entry);
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'param', name });
      i = close + 1;
    } else if (c === '}') {
      throw new TemplateError('unmatched "}" (write "}}" for a literal brace)', entry);
    } else {
      text += c;
      i += 1;
    }
  }
  if (text || parts.length === 0) parts.push({ kind: 'text', text });
  return { kind: 'parts', parts };
}

function unescapeLiteral(s: string, entry: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if ((c === '{' || c === '}') && s[i + 1] === c) {
      out += c;
      i += 1;
    } else if (c === '{' || c === '}') {
      throw new TemplateError(`unescaped "${c}" in the text of a {name?text} placeholder`, entry);
    } else {
      out += c;
    }
  }
  return out;
}

/** Names of the parameters an entry refers to, with whether it is a `{name?text}` use. */
export function placeholders(entry: TemplateEntry): Array<{ name: string; conditional: boolean }> {
  if (entry.kind === 'conditional') return [{ name: entry.name, conditional: true }];
  return entry.parts.flatMap((p) => (p.kind === 'param' ? [{ name: p.name, conditional: false }] : []));
}

export function valueText(v: ParameterValue): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * Builds the argv (without argv[0]) for validated parameter values. Throws if the template refers
 * to a value that is not there: resolveParameters fills every declared parameter, so that is a
 * bug or a config checkCommandSpec would have refused, never something to paper over.
 */
export function renderArgv(spec: Pick<CommandSpec, 'id' | 'args'>, values: Record<string, ParameterValue>): string[] {
  const argv: string[] = [];
  for (const raw of spec.args) {
    const entry = parseTemplateEntry(raw);
    if (entry.kind === 'conditional') {
      const v = lookup(spec.id, values, entry.name);
      if (typeof v !== 'boolean') throw new Error(`command "${spec.id}": {${entry.name}?…} needs a boolean, got ${typeof v}`);
      if (v) argv.push(entry.text);
      continue;
    }
    let arg = '';
    for (const part of entry.parts) arg += part.kind === 'text' ? part.text : valueText(lookup(spec.id, values, part.name));
    argv.push(arg);
  }
  return argv;
}

function lookup(id: string, values: Record<string, ParameterValue>, name: string): ParameterValue {
  if (!Object.prototype.hasOwnProperty.call(values, name)) throw new Error(`command "${id}": no value for parameter "${name}"`);
  return values[name];
}
