/**
 * The run form's values and their checks. The checks mirror the exporter's
 * (exporter/src/commands/parameters.ts, `checkValue` and `resolveParameters`) with the same
 * reasons, so a user sees the same words whether the browser or the server refused a value; the
 * server stays the authority and its 400 lands on the same field (see serverFieldError).
 *
 * Form values are what the inputs hold: text for strings, enums and integers (an integer box may
 * hold "12a" while typing) and booleans for switches. An empty text box means "not given": the
 * command's default applies, or the parameter is required.
 */
import type { CommandInfo, ParameterInfo, ParameterValue } from '@runboard/protocol';

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;
/** Reasons by parameter name. */
export type FieldErrors = Record<string, string>;

/** The form as a command starts: defaults filled, or values taken from a template or an earlier run. */
export function initialFormValues(command: CommandInfo, from?: Record<string, ParameterValue>): FormValues {
  const values: FormValues = {};
  for (const [name, p] of Object.entries(command.parameters)) {
    const given = from && Object.prototype.hasOwnProperty.call(from, name) ? from[name] : undefined;
    values[name] = toFormValue(p, given !== undefined ? given : p.default);
  }
  return values;
}

function toFormValue(p: ParameterInfo, v: ParameterValue | undefined): FormValue {
  if (p.type === 'boolean') {
    return v === true;
  }
  return v === undefined ? '' : String(v);
}

export interface ResolvedParameters {
  parameters: Record<string, ParameterValue>;
  errors: FieldErrors;
}

/**
 * Form values → the request's parameters, with every problem found (the server stops at the
 * first; the form can show them all). Parameters left empty are omitted so the server applies
 * their defaults exactly as it would for any client.
 */
export function resolveFormValues(command: CommandInfo, values: FormValues): ResolvedParameters {
  const parameters: Record<string, ParameterValue> = {};
  const errors: FieldErrors = {};
  for (const [name, p] of Object.entries(command.parameters)) {
    const raw = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    const converted = fromFormValue(p, raw);
    if (converted.error) {
      errors[name] = converted.error;
      continue;
    }
    if (converted.value === undefined) {
      if (p.default === undefined) {
        errors[name] = 'is required';
      }
      continue;
    }
    const reason = checkParameterValue(p, converted.value);
    if (reason) {
      errors[name] = reason;
    } else {
      parameters[name] = converted.value;
    }
  }
  return { parameters, errors };
}

function fromFormValue(p: ParameterInfo, raw: FormValue | undefined): { value?: ParameterValue; error?: string } {
  if (p.type === 'boolean') {
    return { value: raw === true };
  }
  if (raw === undefined || raw === '' || raw === false) {
    return {};
  }
  const text = String(raw);
  if (p.type !== 'integer') {
    // A path is sent as typed: the exporter resolves it inside the root and may refuse it.
    return { value: text };
  }
  // Same rule as the CLI's coerceParameter: optional sign and digits, nothing else.
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) {
    return { error: `expected an integer, got "${text}"` };
  }
  return { value: Number(t) };
}

/** What every text value (string or path) must be to travel as one argv entry. */
function textProblem(v: string, maxLength: number): string | undefined {
  // NUL cannot be carried in an argv entry (the OS would cut the argument there).
  if (v.includes('\u0000')) {
    return 'must not contain NUL characters';
  }
  // Code points, not UTF-16 units, as the server counts.
  const length = [...v].length;
  if (length > maxLength) {
    return `must be at most ${maxLength} characters (got ${length})`;
  }
  return undefined;
}

/** The exporter's `checkValue`, reason for reason; undefined when the value is valid. */
export function checkParameterValue(p: ParameterInfo, v: ParameterValue): string | undefined {
  switch (p.type) {
    case 'string': {
      if (typeof v !== 'string') {
        return `expected a string, got ${kindOf(v)}`;
      }
      const problem = textProblem(v, p.maxLength);
      if (problem) {
        return problem;
      }
      if (!p.allowLeadingDash && v.startsWith('-')) {
        return 'must not begin with "-" (a program could read it as an option)';
      }
      if (p.pattern !== undefined) {
        // The browser's RegExp is only a hint: the server matches with RE2, and its answer counts.
        const re = fullMatch(p.pattern);
        // A pattern this browser cannot compile is left to the server.
        if (re && !re.test(v)) {
          return `must match the pattern ${p.pattern}`;
        }
      }
      return undefined;
    }
    case 'path': {
      // Only what the browser can know; whether the path stays inside the root is the server's check.
      if (typeof v !== 'string') {
        return `expected a string, got ${kindOf(v)}`;
      }
      return textProblem(v, p.maxLength);
    }
    case 'enum':
      if (typeof v !== 'string') {
        return `expected one of ${p.values.join(', ')}, got ${kindOf(v)}`;
      }
      return p.values.includes(v) ? undefined : `must be one of ${p.values.join(', ')}`;
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
        return `expected an integer, got ${typeof v === 'number' ? v : kindOf(v)}`;
      }
      // Unset min means 0 on the server too (a negative number reads as an option).
      if (v < (p.min ?? 0)) {
        return `must be at least ${p.min ?? 0}`;
      }
      if (p.max !== undefined && v > p.max) {
        return `must be at most ${p.max}`;
      }
      return undefined;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${kindOf(v)}`;
  }
}

const patterns = new Map<string, RegExp | null>();

/** `^(?:p)$`: a pattern like `a|b` must match the whole value, as on the server. */
export function fullMatch(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch {
      re = null;
    }
    patterns.set(pattern, re);
  }
  return re;
}

function kindOf(v: unknown): string {
  if (typeof v === 'string') {
    return 'a string';
  }
  if (typeof v === 'number') {
    return `the number ${v}`;
  }
  return `a ${typeof v}`;
}

/** A short hint under a field: its constraints in words. */
export function parameterHint(p: ParameterInfo): string | undefined {
  switch (p.type) {
    case 'string': {
      const parts = [`up to ${p.maxLength} characters`];
      if (p.pattern !== undefined) {
        parts.push(`matching ${p.pattern}`);
      }
      return parts.join(', ');
    }
    case 'integer':
      if (p.min !== undefined && p.max !== undefined) {
        return `a whole number from ${p.min} to ${p.max}`;
      }
      if (p.min !== undefined) {
        return `a whole number, at least ${p.min}`;
      }
      return p.max !== undefined ? `a whole number from 0 to ${p.max}` : 'a whole number, at least 0';
    case 'path':
      return `a path inside ${p.root}`;
    default:
      return undefined;
  }
}

/**
 * A server error's `field` (e.g. `parameters.steps`) → the form field it belongs to, and the
 * reason without the field prefix the exporter puts in its message.
 */
export function serverFieldError(command: CommandInfo, field: string | undefined, message: string): { name: string; reason: string } | undefined {
  const m = field ? /^parameters\.(.+)$/.exec(field) : null;
  if (!m || !field || !Object.prototype.hasOwnProperty.call(command.parameters, m[1])) {
    return undefined;
  }
  const prefix = `${field}: `;
  return { name: m[1], reason: message.startsWith(prefix) ? message.slice(prefix.length) : message };
}
