/**
 * `--param name=value` for `run` and `templates save`: text → the parameter's JSON type, from the
 * command's schema as GET /commands shows it (with the exporter's own coerceParameter). Only the
 * type is checked here, so `steps=abc` is a one-line exit 2 before anything runs; bounds, patterns
 * and enum values are the exporter's to judge, and its 400 names the parameter.
 */
import { coerceParameter, ParameterError } from '../commands/parameters';
import type { CommandInfo, ParameterInfo, ParameterValue } from '@runboard/protocol';
import { EXIT_USAGE } from './connection';
import { CliError } from './errors';

export interface RawParam {
  name: string;
  value: string;
}

/** Commander collector: `--param k=v` may be repeated. */
export function collectParam(value: string, previous: RawParam[] | undefined): RawParam[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--param: "${clip(value)}" must be name=value`, EXIT_USAGE);
  return [...(previous ?? []), { name: value.slice(0, eq).trim(), value: value.slice(eq + 1) }];
}

/** One value from its text, by the parameter's type (the exporter's own conversion). */
export function convertParam(name: string, spec: ParameterInfo, raw: string): ParameterValue {
  try {
    return coerceParameter(spec, raw, name);
  } catch (err) {
    if (err instanceof ParameterError) throw new CliError(`--param ${name}: ${err.reason}`, EXIT_USAGE);
    throw err;
  }
}

/** All `--param`s for a command; an unknown name is a usage error listing the known ones. */
export function convertParams(command: CommandInfo, raw: RawParam[] = []): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const { name, value } of raw) {
    const spec = command.parameters[name];
    if (!spec) {
      const known = Object.keys(command.parameters);
      throw new CliError(`--param ${name}: command "${command.id}" has no such parameter (${known.length > 0 ? `it has ${known.join(', ')}` : 'it takes none'})`, EXIT_USAGE);
    }
    out[name] = convertParam(name, spec, value);
  }
  return out;
}

/** `name:type=default` for each parameter, as the `commands` table shows them. */
export function summarizeParameters(command: CommandInfo): string {
  return Object.entries(command.parameters)
    .map(([name, p]) => `${name}:${p.type}${p.default !== undefined ? `=${String(p.default)}` : ''}`)
    .join(', ');
}

export function formatParamValues(values: Record<string, ParameterValue>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /[\s,"]/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
