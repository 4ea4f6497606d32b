/**
 * A TemplateSrv for @grafana/runtime's `setTemplateSrv` with fixed dashboard variables: the
 * `$var`, `${var}`, `${var:format}` and `[[var]]` syntaxes Grafana accepts, scoped variables
 * first, `$__from`/`$__to` from the last time range, and Grafana's common formats (multi-value
 * default = glob).
 */
import type { ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv, VariableInterpolation } from '@grafana/runtime';

// Same shape as Grafana's variableRegex.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

type Value = string | string[];
type FormatFn = (value: unknown, variable?: unknown, fallback?: unknown) => string;

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

function formatValue(value: Value, format: string | FormatFn | undefined, name: string): string {
  if (typeof format === 'function') return format(value, { name }, formatValue);
  const list = Array.isArray(value) ? value : [value];
  switch (format) {
    case 'csv':
    case 'raw':
      return list.join(',');
    case 'pipe':
      return list.join('|');
    case 'regex':
      return list.length === 1 ? escapeRegex(list[0]) : `(${list.map(escapeRegex).join('|')})`;
    case 'json':
      return JSON.stringify(value);
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'percentencode':
      return list.map(encodeURIComponent).join(',');
    case 'queryparam':
      return list.map((v) => `var-${name}=${encodeURIComponent(v)}`).join('&');
    case 'text':
      return list.join(' + ');
    case 'glob':
    default:
      return Array.isArray(value) && value.length > 1 ? `{${value.join(',')}}` : list.join(',');
  }
}

export class HostTemplateSrv implements TemplateSrv {
  private range?: TimeRange;

  constructor(private readonly variables: Record<string, Value>) {}

  getVariables(): TypedVariableModel[] {
    return Object.entries(this.variables).map(([name, value], index) => {
      const list = Array.isArray(value) ? value : [value];
      return {
        type: 'custom',
        id: name,
        rootStateKey: 'host',
        name,
        label: name,
        index,
        global: false,
        hide: 0,
        skipUrlSync: false,
        state: 'Done',
        error: null,
        description: null,
        query: list.join(','),
        multi: Array.isArray(value),
        includeAll: false,
        allValue: null,
        current: { text: value, value, selected: true },
        options: list.map((v) => ({ text: v, value: v, selected: true })),
      } as unknown as TypedVariableModel;
    });
  }

  containsTemplate(target?: string): boolean {
    if (!target) return false;
    VARIABLE.lastIndex = 0;
    for (const m of target.matchAll(VARIABLE)) {
      const name = m[1] || m[2] || m[4];
      if (name in this.variables || name.startsWith('__')) return true;
    }
    return false;
  }

  updateTimeRange(timeRange: TimeRange): void {
    this.range = timeRange;
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: Parameters<TemplateSrv['replace']>[2], interpolations?: VariableInterpolation[]): string {
    if (!target) return target ?? '';
    return target.replace(VARIABLE, (match, var1, var2, fmt2, var3, fieldPath, fmt3) => {
      const name: string = var1 || var2 || var3;
      const fmt = (fmt2 || fmt3 || format) as string | FormatFn | undefined;
      const scoped = scopedVars?.[name];
      let value: Value | undefined;
      if (scoped !== undefined) value = scoped.value === undefined || scoped.value === null ? '' : (scoped.value as Value);
      else if (name in this.variables) value = this.variables[name];
      else if (name === '__from' && this.range) value = String(this.range.from.valueOf());
      else if (name === '__to' && this.range) value = String(this.range.to.valueOf());
      if (value === undefined) {
        interpolations?.push({ match, variableName: name, fieldPath, format: typeof fmt === 'string' ? fmt : undefined, value: match, found: false });
        return match;
      }
      const out = typeof value === 'object' && !Array.isArray(value) ? String(value) : formatValue(value, fmt, name);
      interpolations?.push({ match, variableName: name, fieldPath, format: typeof fmt === 'string' ? fmt : undefined, value: out, found: true });
      return out;
    });
  }
}
