/** Costs: the AI cost ledger over the time range, grouped by model, provider, command, tag, hour or day, of some sources or all. */
import type { SelectableValue } from '@grafana/data';
import { InlineField, MultiSelect, Select, Stack } from '@grafana/ui';
import { useMemo } from 'react';
import { COST_GROUPINGS, COST_SOURCES } from '../constants';
import { splitList } from '../interpolate';
import { LABEL_WIDTH, type EditorProps } from './editorProps';

const groupings: Array<SelectableValue<string>> = Object.entries(COST_GROUPINGS).map(([value, label]) => ({ value, label }));
const sources: Array<SelectableValue<string>> = Object.entries(COST_SOURCES).map(([value, label]) => ({ value, label, description: value }));

export function CostsQueryEditor({ datasource, query, onChange, onRunQuery }: EditorProps) {
  const variables = useMemo(() => datasource.getVariableOptions(), [datasource]);
  const options = useMemo(() => [...groupings, ...variables], [variables]);
  const sourceOptions = useMemo(() => [...variables, ...sources], [variables]);
  const value = query.groupBy || 'model';
  const set = (patch: Partial<typeof query>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  return (
    <Stack direction="row" gap={0} wrap="wrap">
      <InlineField label="Group by" labelWidth={LABEL_WIDTH} tooltip="Hour and day give a time series; the others a table">
        <Select<string>
          inputId={`runboard-costs-groupby-${query.refId}`}
          aria-label="Group by"
          width={24}
          options={options}
          value={options.find((o) => o.value === value) ?? { label: value, value }}
          allowCustomValue
          onChange={(v) => set({ groupBy: v?.value ?? 'model' })}
        />
      </InlineField>
      <InlineField label="Source" labelWidth={10} tooltip="Only cost records from these sources, or a $variable (empty, or the variable's All: every source)">
        <MultiSelect<string>
          inputId={`runboard-costs-source-${query.refId}`}
          aria-label="Source"
          width={40}
          options={sourceOptions}
          value={splitList(query.source).map((s) => sourceOptions.find((o) => o.value === s) ?? { label: s, value: s })}
          placeholder="All sources"
          allowCustomValue
          onChange={(picked) =>
            set({
              source: picked
                .map((p) => p.value ?? '')
                .filter((v) => v !== '')
                .join(','),
            })
          }
        />
      </InlineField>
    </Stack>
  );
}
