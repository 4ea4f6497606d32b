/**
 * A fast path in front of zod for records that are valid (the common case): a predicate compiled
 * once from the zod schema itself, so it follows the schema as it changes. zod's safeParse costs
 * ~1 µs for an action record and ~2.5 µs for an LLM record, more than the metric updates it
 * guards; the predicate costs a few tens of ns.
 *
 * It is conservative: it returns true only when zod would accept the value and return an equal
 * value (plain objects, no unknown keys, no defaults or transforms). Any construct or check it
 * does not know compiles to `false`, so the caller falls back to zod, which then decides and
 * words the error. A `false` never means "invalid".
 */
import type { z } from 'zod';

export type FastCheck = (value: unknown) => boolean;

const NEVER: FastCheck = () => false;

// zod's internals (v4): enough of `_zod.def` to read the schema's shape and checks.
interface CheckDef {
  check: string;
  when?: unknown;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
interface Def {
  type: string;
  coerce?: boolean;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  innerType?: Schema;
  values?: unknown[];
  entries?: Record<string, unknown>;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  options?: Schema[];
  discriminator?: string;
}
type Schema = { _zod: { def: Def } };

/** zod guards its length checks with `when: value has a length`, always true for a string. */
const LENGTH_CHECKS = new Set(['min_length', 'max_length', 'length_equals']);

function checksOf(def: Def): CheckDef[] | undefined {
  const out: CheckDef[] = [];
  for (const c of def.checks ?? []) {
    const d = c?._zod?.def;
    if (!d || (d.when !== undefined && !(def.type === 'string' && LENGTH_CHECKS.has(d.check)))) return undefined;
    out.push(d);
  }
  return out;
}

/** Code points, counting a surrogate pair as one and a lone surrogate as one (as zod does). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

function stringCheck(def: Def): FastCheck {
  const checks = checksOf(def);
  if (def.coerce || !checks) return NEVER;
  const parts: Array<(s: string) => boolean> = [];
  // zod measures strings in code points; a code point is one or two UTF-16 units, so the unit
  // count decides except in between, where the code points are counted as zod counts them.
  for (const c of checks) {
    if (c.check === 'min_length' && typeof c.minimum === 'number') {
      const min = c.minimum;
      parts.push((s) => s.length >= min * 2 || (s.length >= min && codePoints(s) >= min));
    } else if (c.check === 'max_length' && typeof c.maximum === 'number') {
      const max = c.maximum;
      parts.push((s) => s.length <= max || codePoints(s) <= max);
    } else if (c.check === 'length_equals' && typeof c.length === 'number') {
      const len = c.length;
      parts.push((s) => s.length >= len && s.length <= len * 2 && codePoints(s) === len);
    } else if (c.check === 'string_format' && c.format === 'regex' && c.pattern instanceof RegExp && !c.pattern.global && !c.pattern.sticky) {
      const re = c.pattern;
      parts.push((s) => re.test(s));
    } else return NEVER;
  }
  return (v) => {
    if (typeof v !== 'string') return false;
    for (let i = 0; i < parts.length; i++) if (!parts[i](v)) return false;
    return true;
  };
}

function numberCheck(def: Def): FastCheck {
  const checks = checksOf(def);
  if (def.coerce || !checks) return NEVER;
  let lo = -Infinity;
  let loInclusive = true;
  let hi = Infinity;
  let hiInclusive = true;
  let safeInt = false;
  for (const c of checks) {
    if (c.check === 'greater_than' && typeof c.value === 'number') {
      if (c.value > lo || (c.value === lo && !c.inclusive)) {
        lo = c.value;
        loInclusive = c.inclusive === true;
      }
    } else if (c.check === 'less_than' && typeof c.value === 'number') {
      if (c.value < hi || (c.value === hi && !c.inclusive)) {
        hi = c.value;
        hiInclusive = c.inclusive === true;
      }
    } else if (c.check === 'number_format' && c.format === 'safeint') safeInt = true;
    else return NEVER;
  }
  return (v) => typeof v === 'number' && Number.isFinite(v) && (loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi) && (!safeInt || Number.isSafeInteger(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function objectCheck(def: Def): FastCheck {
  const checks = checksOf(def);
  // Strict objects only (catchall never): zod's output then has exactly the input's keys.
  if (!checks || checks.length > 0 || !def.shape || def.catchall?._zod.def.type !== 'never') return NEVER;
  const keys = Object.keys(def.shape);
  const fields = keys.map((k) => compileFastCheck(def.shape![k]));
  if (fields.includes(NEVER)) return NEVER;
  return (v) => {
    if (!isPlainObject(v)) return false;
    // No unknown keys: as many enumerable keys as known keys present (symbol keys are ignored,
    // as zod ignores them).
    let enumerable = 0;
    for (const _ in v) enumerable++;
    let present = 0;
    for (let i = 0; i < keys.length; i++) {
      const x = v[keys[i]];
      if (x !== undefined || keys[i] in v) present++;
      if (!fields[i](x)) return false;
    }
    return enumerable === present;
  };
}

function unionCheck(def: Def): FastCheck {
  const checks = checksOf(def);
  if (!checks || checks.length > 0 || !def.options) return NEVER;
  const options = def.options.map((o) => compileFastCheck(o));
  if (options.includes(NEVER)) return NEVER;
  const disc = def.discriminator;
  if (disc !== undefined) {
    // Discriminated: the option is picked by its literal discriminator value.
    const byValue = new Map<unknown, FastCheck>();
    def.options.forEach((o, i) => {
      for (const value of o._zod.def.shape?.[disc]?._zod.def.values ?? []) byValue.set(value, options[i]);
    });
    return (v) => {
      if (!isPlainObject(v)) return false;
      const option = byValue.get(v[disc]);
      return option !== undefined && option(v);
    };
  }
  return (v) => options.some((o) => o(v));
}

/** Compiles `schema` into a conservative validity predicate (see the header). */
export function compileFastCheck(schema: z.core.$ZodType | Schema): FastCheck {
  const def = (schema as Schema)?._zod?.def;
  if (!def) return NEVER;
  switch (def.type) {
    case 'string':
      return stringCheck(def);
    case 'number':
      return numberCheck(def);
    case 'boolean': {
      const checks = checksOf(def);
      return def.coerce || !checks || checks.length > 0 ? NEVER : (v) => typeof v === 'boolean';
    }
    case 'literal': {
      const values = new Set(def.values ?? []);
      return (v) => values.has(v);
    }
    case 'enum': {
      const values = new Set(Object.values(def.entries ?? {}));
      return (v) => values.has(v);
    }
    case 'optional': {
      const inner = def.innerType ? compileFastCheck(def.innerType) : NEVER;
      return inner === NEVER ? NEVER : (v) => v === undefined || inner(v);
    }
    case 'nullable': {
      const inner = def.innerType ? compileFastCheck(def.innerType) : NEVER;
      return inner === NEVER ? NEVER : (v) => v === null || inner(v);
    }
    case 'object':
      return objectCheck(def);
    case 'union':
      return unionCheck(def);
    default:
      return NEVER;
  }
}
