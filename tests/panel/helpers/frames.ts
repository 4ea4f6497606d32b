/** Query frames as datasources return them, for the card tests. */
import { createDataFrame, DataFrameType, FieldType, ThresholdsMode, type DataFrame, type FieldConfig } from '@grafana/data';

export const T0 = 1_700_000_000_000;
export const MIN = 60_000;

/** Times every minute from T0, one per value. */
export function minutes(n: number): number[] {
  return Array.from({ length: n }, (_, i) => T0 + i * MIN);
}

/** Grafana's default thresholds: green base, red from 80. Three steps here: base, 70, 90. */
export const THREE_STEPS: FieldConfig['thresholds'] = {
  mode: ThresholdsMode.Absolute,
  steps: [
    { value: -Infinity, color: 'green' },
    { value: 70, color: 'orange' },
    { value: 90, color: 'red' },
  ],
};

/** A wide frame: one time field, several numeric fields (Runboard's live streams look like this). */
export function wideFrame(fields: Record<string, { values: Array<number | null>; config?: FieldConfig }>, refId = 'A', times?: number[]): DataFrame {
  const length = Object.values(fields)[0]?.values.length ?? 0;
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: times ?? minutes(length) },
      ...Object.entries(fields).map(([name, f]) => ({ name, type: FieldType.number, values: f.values, config: f.config ?? {} })),
    ],
  });
}

/** Prometheus' default: one frame per series, `Value` with labels. */
export function prometheusMultiFrames(series: Array<{ labels: Record<string, string>; values: number[] }>, refId = 'A'): DataFrame[] {
  return series.map((s) =>
    createDataFrame({
      refId,
      meta: { type: DataFrameType.TimeSeriesMulti },
      fields: [
        { name: 'Time', type: FieldType.time, values: minutes(s.values.length) },
        { name: 'Value', type: FieldType.number, values: s.values, labels: s.labels, config: { displayNameFromDS: undefined } },
      ],
    }),
  );
}

/** Prometheus' table format (long): rows of time, label columns, value; series interleaved. */
export function prometheusLongFrame(rows: Array<[number, string, number]>, refId = 'A'): DataFrame {
  return createDataFrame({
    refId,
    meta: { type: DataFrameType.TimeSeriesLong },
    fields: [
      { name: 'Time', type: FieldType.time, values: rows.map((r) => r[0]) },
      { name: 'instance', type: FieldType.string, values: rows.map((r) => r[1]) },
      { name: 'Value #A', type: FieldType.number, values: rows.map((r) => r[2]) },
    ],
  });
}
