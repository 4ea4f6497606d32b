/** Query variables: what to list (series, actions, event types, models, providers, commands) and an optional filter. */
import type { DataSourceApi, QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, Select, Stack } from '@grafana/ui';
import { useEffect, useMemo, useState } from 'react';
import type { RunboardQuery, SeriesInfo } from '@runboard/protocol';
import { VARIABLE_KINDS } from '../constants';
import type { DataSource } from '../datasource';
import type { RunboardOptions, RunboardVariableQuery, VariableKind } from '../types';
import { LABEL_WIDTH } from './editorProps';

/**
 * Grafana types the editor of a CustomVariableSupport with the base DataSourceApi (the property
 * is not generic in the datasource), so the instance is narrowed inside.
 */
export type VariableEditorProps = QueryEditorProps<DataSourceApi<RunboardQuery, RunboardOptions>, RunboardQuery, RunboardOptions, RunboardVariableQuery>;

const kindOptions: Array<SelectableValue<VariableKind>> = (Object.keys(VARIABLE_KINDS) as VariableKind[]).map((value) => ({
  value,
  label: VARIABLE_KINDS[value].label,
  description: VARIABLE_KINDS[value].description,
}));

function distinct(values: Iterable<string>): Array<SelectableValue<string>> {
  return [...new Set(values)].sort((a, b) => a.localeCompare(b)).map((v) => ({ label: v, value: v }));
}

export function VariableQueryEditor({ datasource: base, query, onChange }: VariableEditorProps) {
  const datasource = base as DataSource;
  const kind: VariableKind = query.kind in VARIABLE_KINDS ? query.kind : 'series';
  const [series, setSeries] = useState<SeriesInfo[]>([]);
  useEffect(() => {
    let current = true;
    datasource.listSeries().then(
      (s) => current && setSeries(s),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [datasource]);
  const variables = useMemo(() => datasource.getVariableOptions(), [datasource]);
  const metrics = useMemo(() => [...variables, ...distinct(series.map((s) => s.name))], [variables, series]);
  const providers = useMemo(() => [...variables, ...distinct(series.flatMap((s) => (s.labels.provider ? [s.labels.provider] : [])))], [variables, series]);
  const asOption = (options: Array<SelectableValue<string>>, v?: string) => (v ? (options.find((o) => o.value === v) ?? { label: v, value: v }) : null);

  return (
    <Stack direction="column" gap={0}>
      <InlineField label="List" labelWidth={LABEL_WIDTH}>
        <Select<VariableKind>
          inputId="runboard-variable-kind"
          aria-label="Variable kind"
          width={32}
          options={kindOptions}
          value={kind}
          onChange={(v) => onChange({ refId: query.refId ?? 'variable', kind: v?.value ?? 'series' })}
        />
      </InlineField>
      {kind === 'series' && (
        <InlineField label="Metric" labelWidth={LABEL_WIDTH} tooltip="Only series of this metric (empty: all series)">
          <Select<string>
            inputId="runboard-variable-metric"
            aria-label="Metric"
            width={40}
            options={metrics}
            value={asOption(metrics, query.metric)}
            allowCustomValue
            isClearable
            placeholder="All metrics"
            onChange={(v) => onChange({ ...query, kind, metric: v?.value || undefined })}
          />
        </InlineField>
      )}
      {kind === 'models' && (
        <InlineField label="Provider" labelWidth={LABEL_WIDTH} tooltip="Only models of this provider (empty: all)">
          <Select<string>
            inputId="runboard-variable-provider"
            aria-label="Provider"
            width={32}
            options={providers}
            value={asOption(providers, query.provider)}
            allowCustomValue
            isClearable
            placeholder="All providers"
            onChange={(v) => onChange({ ...query, kind, provider: v?.value || undefined })}
          />
        </InlineField>
      )}
    </Stack>
  );
}
