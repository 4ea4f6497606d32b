/**
 * Query frames → one series per card. Works with any datasource's frames:
 *  - wide frames (a time field and several numeric fields, as Runboard's streams and most
 *    time-series datasources return),
 *  - many frames (one per series, as Prometheus returns by default),
 *  - long frames (rows of time, label columns and values, as Prometheus' table format or SQL
 *    datasources return) and instant tables without time: rows are grouped by their label
 *    columns, one series per group and numeric column.
 */
import { FieldType, getFieldDisplayName, type DataFrame, type Field, type Labels, type LinkModel } from '@grafana/data';
import type { CardSeries } from '../types/cards';

export interface FindSeriesOptions {
  /** Field names or card titles to keep; empty keeps every numeric field. */
  include?: string[];
}

export function findCardSeries(frames: DataFrame[], options: FindSeriesOptions = {}): CardSeries[] {
  const found: CardSeries[] = [];
  for (const frame of frames) {
    const time = frame.fields.find((f) => f.type === FieldType.time);
    const numeric = frame.fields.filter((f) => f.type === FieldType.number);
    if (numeric.length === 0) {
      continue;
    }
    const labelColumns = frame.fields.filter((f) => f.type === FieldType.string);
    if (labelColumns.length > 0 && frame.length > 1) {
      found.push(...longFrameSeries(frame, frames, time, numeric, labelColumns));
    } else {
      for (const field of numeric) {
        found.push(wideFieldSeries(frame, frames, time, field));
      }
    }
  }
  const include = (options.include ?? []).filter((s) => s.length > 0);
  const kept = include.length === 0 ? found : found.filter((s) => include.includes(s.title) || include.includes(s.field.name));
  return withUniqueKeys(kept);
}

/** Card titles and field names, for the "Fields" option's choices. */
export function cardFieldNames(frames: DataFrame[]): string[] {
  const names = new Set<string>();
  for (const s of findCardSeries(frames)) {
    names.add(s.title);
  }
  return [...names];
}

function wideFieldSeries(frame: DataFrame, frames: DataFrame[], time: Field | undefined, field: Field): CardSeries {
  const title = getFieldDisplayName(field, frame, frames);
  const order = time && !isAscending(time.values) ? sortedRows(rangeOf(frame.length), time) : undefined;
  if (!order) {
    return {
      key: seriesKey(frame, field, field.labels),
      title,
      field,
      time,
      getLinks: () => linksAt(field, lastValueIndex(field.values)),
    };
  }
  const sorted = subsetField(field, order, field.labels);
  return {
    key: seriesKey(frame, field, field.labels),
    title,
    field: sorted,
    time: time ? subsetField(time, order, time.labels) : undefined,
    getLinks: () => linksAt(field, order[lastValueIndex(sorted.values)] ?? -1),
  };
}

function longFrameSeries(frame: DataFrame, frames: DataFrame[], time: Field | undefined, numeric: Field[], labelColumns: Field[]): CardSeries[] {
  const groups = new Map<string, { labels: Labels; rows: number[] }>();
  for (let row = 0; row < frame.length; row++) {
    const labels: Labels = {};
    for (const column of labelColumns) {
      labels[column.name] = String(column.values[row] ?? '');
    }
    const id = labelsText(labels);
    let group = groups.get(id);
    if (!group) {
      group = { labels, rows: [] };
      groups.set(id, group);
    }
    group.rows.push(row);
  }
  const out: CardSeries[] = [];
  // Sorted by labels: rows may arrive in any order, cards should not swap places between updates.
  const sortedGroups = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  for (const { labels, rows } of sortedGroups) {
    const order = time ? sortedRows(rows, time) : rows;
    const groupTime = time ? subsetField(time, order, time.labels) : undefined;
    for (const field of numeric) {
      const merged = { ...(field.labels ?? {}), ...labels };
      const values = subsetField(field, order, merged);
      out.push({
        key: seriesKey(frame, field, merged),
        title: getFieldDisplayName(values, frame, frames),
        field: values,
        time: groupTime,
        getLinks: () => linksAt(field, order[lastValueIndex(values.values)] ?? -1),
      });
    }
  }
  return out;
}

/** A copy of `field` with only the given rows; config and display processor carry over. */
function subsetField(field: Field, rows: number[], labels: Labels | undefined): Field {
  return {
    name: field.name,
    type: field.type,
    config: field.config,
    values: rows.map((r) => field.values[r]),
    labels,
    display: field.display,
    // Display names are cached in `state`: a subset with other labels needs its own.
    state: undefined,
  };
}

function linksAt(field: Field, row: number): LinkModel[] {
  if (row < 0 || !field.getLinks) {
    return [];
  }
  return field.getLinks({ valueRowIndex: row });
}

/** Index of the last finite number in `values`, or -1. */
export function lastValueIndex(values: readonly unknown[]): number {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) {
      return i;
    }
  }
  return -1;
}

function seriesKey(frame: DataFrame, field: Field, labels: Labels | undefined): string {
  return [frame.refId ?? '', frame.name ?? '', field.name, labelsText(labels ?? {}), field.config.displayName ?? ''].join('|');
}

/** `{a="1", b="2"}` with sorted names: the same labels always give the same text. */
export function labelsText(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/** Two identical series (e.g. the same query twice without refIds) still need distinct keys. */
function withUniqueKeys(series: CardSeries[]): CardSeries[] {
  const seen = new Map<string, number>();
  return series.map((s) => {
    const n = (seen.get(s.key) ?? 0) + 1;
    seen.set(s.key, n);
    return n === 1 ? s : { ...s, key: `${s.key}#${n}` };
  });
}

function isAscending(values: readonly unknown[]): boolean {
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) < (values[i - 1] as number)) {
      return false;
    }
  }
  return true;
}

function rangeOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sortedRows(rows: number[], time: Field): number[] {
  // Stable: rows with equal times keep their order.
  return [...rows].sort((a, b) => (time.values[a] as number) - (time.values[b] as number));
}
