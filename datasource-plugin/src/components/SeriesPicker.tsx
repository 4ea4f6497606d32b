/**
 * A multi-select of the exporter's live series (from /api/v1/series), labels shown, plus the
 * dashboard's variables. Custom values are allowed so `$var` or a series not yet reported can
 * be typed; a pasted comma-separated list becomes several entries.
 */
import type { SelectableValue } from '@grafana/data';
import { MultiSelect } from '@grafana/ui';
import { useEffect, useMemo, useState } from 'react';
import type { SeriesInfo } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import type { DataSource } from '../datasource';
import { messageOf } from '../errors';

/** Option for one series: its metric name and labels as the label, unit and description below. */
export function seriesOption(info: SeriesInfo): SelectableValue<string> {
  const labels = Object.entries(info.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const unit = info.unit && info.unit !== 'none' ? `[${info.unit}] ` : '';
  return { label: labels ? `${info.name} · ${labels}` : info.name, value: info.id, description: `${unit}${info.description}`.trim() || undefined };
}

interface Props {
  datasource: DataSource;
  value: string[];
  onChange: (series: string[]) => void;
  inputId?: string;
}

export function SeriesPicker({ datasource, value, onChange, inputId }: Props) {
  const [series, setSeries] = useState<SeriesInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let current = true;
    datasource.listSeries().then(
      (s) => current && setSeries(s),
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [datasource]);

  const options = useMemo(() => [...datasource.getVariableOptions(), ...(series ?? []).map(seriesOption)], [datasource, series]);
  const selected = value.map((v) => options.find((o) => o.value === v) ?? { label: v, value: v });

  return (
    <MultiSelect<string>
      inputId={inputId}
      aria-label="Series"
      options={options}
      value={selected}
      isLoading={series === undefined && error === undefined}
      placeholder={error ? `Series unavailable: ${error}` : 'Choose series'}
      allowCustomValue
      onCreateOption={(typed) => onChange([...value, ...splitSeriesList(typed).filter((id) => !value.includes(id))])}
      onChange={(items) => onChange(items.map((i) => i.value).filter((v): v is string => typeof v === 'string'))}
      width={60}
    />
  );
}
