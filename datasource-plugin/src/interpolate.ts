/**
 * Template variables in query fields. Grafana's TemplateSrv replaces `$var`; this module adds
 * the expansion of multi-value variables into several series: `actions_per_minute{action="$action"}`
 * with `$action` = deploy + build becomes two series, and several multi-value variables in one
 * entry expand to every combination (bounded by MAX_EXPANSION).
 */
import type { ScopedVars } from '@grafana/data';
import type { RunboardQuery } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import { MAX_EXPANSION } from './constants';

/** The part of Grafana's TemplateSrv used here; tests pass a fake. */
export interface TemplateReplacer {
  replace(target?: string, scopedVars?: ScopedVars, format?: string | ((value: unknown) => string)): string;
}

// Markers that cannot occur in series ids or label values (the exporter refuses control characters).
const OPEN = '\u0001';
const SEP = '\u0002';
const CLOSE = '\u0003';

function markMulti(value: unknown): string {
  if (Array.isArray(value)) return value.length === 1 ? String(value[0]) : OPEN + value.map(String).join(SEP) + CLOSE;
  return String(value ?? '');
}

function expandGroups(s: string, limit: number): string[] {
  const start = s.indexOf(OPEN);
  const end = start < 0 ? -1 : s.indexOf(CLOSE, start);
  if (end < 0) return [s];
  const head = s.slice(0, start);
  const rest = expandGroups(s.slice(end + 1), limit);
  const out: string[] = [];
  for (const alt of s.slice(start + 1, end).split(SEP)) {
    for (const tail of rest) {
      out.push(head + alt + tail);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Every value one field expands to: one per combination of multi-value variables it uses. */
export function expandValue(value: string | undefined, srv: TemplateReplacer, scopedVars?: ScopedVars, limit = MAX_EXPANSION): string[] {
  if (!value) return [];
  return expandGroups(srv.replace(value, scopedVars, markMulti), limit);
}

/**
 * Series entries after interpolation: multi-value variables expanded, comma-separated lists (a
 * text variable holding `a,b`) split the way the exporter splits `series=`, duplicates dropped.
 */
export function expandSeries(series: readonly string[] | undefined, srv: TemplateReplacer, scopedVars?: ScopedVars): string[] {
  const out = new Set<string>();
  for (const entry of series ?? []) {
    for (const value of expandValue(entry, srv, scopedVars)) {
      for (const id of splitSeriesList(value)) {
        if (out.size >= MAX_EXPANSION) return [...out];
        out.add(id);
      }
    }
  }
  return [...out];
}

/** A comma-separated filter field (command, outcome) as its values; empty means "any". */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** What a multi-value variable's All becomes (its allValue, e.g. the Prometheus-style `.*`): no filter. */
const ALL_VALUES = new Set(['$__all', '.*', '.+', '*']);

/** The query with every field interpolated; filter fields keep several values as a comma list. */
export function interpolateQuery(query: RunboardQuery, srv: TemplateReplacer, scopedVars?: ScopedVars): RunboardQuery {
  const csv = (v: string | undefined) => (v ? srv.replace(v, scopedVars, 'csv') : v);
  return {
    ...query,
    series: query.series ? expandSeries(query.series, srv, scopedVars) : query.series,
    alias: query.alias ? srv.replace(query.alias, scopedVars) : query.alias,
    command: csv(query.command),
    outcome: csv(query.outcome),
    source: query.source ? sourceList(csv(query.source)) : query.source,
    groupBy: query.groupBy ? (splitList(srv.replace(query.groupBy, scopedVars, 'csv'))[0] ?? '') : query.groupBy,
  };
}

/** An interpolated source filter as a comma list; empty (every source) when a variable's All is in it. */
function sourceList(value: string | undefined): string {
  const values = splitList(value);
  return values.some((v) => ALL_VALUES.has(v)) ? '' : values.join(',');
}
