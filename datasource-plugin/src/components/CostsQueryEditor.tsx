/** Costs: the AI cost ledger over the time range, grouped by model, provider, command, hour or day. */
import type { SelectableValue } from '@grafana/data';
import { InlineField, Select } from '@grafana/ui';
import { useMemo } from 'react';
import { COST_GROUPINGS } from '../constants';
import { LABEL_WIDTH, type EditorProps } from './editorProps';

const groupings: Array<SelectableValue<string>> = Object.entries(COST_GROUPINGS).map(([value, label]) => ({ value, label }));

export function CostsQueryEditor({ datasource, query, onChange, onRunQuery }: EditorProps) {
  const options = useMemo(() => [...groupings, ...datasource.getVariableOptions()], [datasource]);
  const value = query.groupBy || 'model';
  return (
    <InlineField label="Group by" labelWidth={LABEL_WIDTH} tooltip="Hour and day give a time series; the others a table">
      <Select<string>
        inputId={`runboard-costs-groupby-${query.refId}`}
        aria-label="Group by"
        width={24}
        options={options}
        value={options.find((o) => o.value === value) ?? { label: value, value }}
        allowCustomValue
        onChange={(v) => {
          onChange({ ...query, groupBy: v?.value ?? 'model' });
          onRunQuery();
        }}
      />
    </InlineField>
  );
}
