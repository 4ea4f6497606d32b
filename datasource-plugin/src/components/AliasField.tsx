import { InlineField, Input } from '@grafana/ui';
import { LABEL_WIDTH } from './editorProps';

interface Props {
  value?: string;
  onChange: (alias: string) => void;
  onCommit: () => void;
}

/** Display name of the series fields; `{{label}}` takes each series' label value. */
export function AliasField({ value, onChange, onCommit }: Props) {
  return (
    <InlineField
      label="Alias"
      labelWidth={LABEL_WIDTH}
      tooltip="Display name of each series. {{action}}, {{model}}, … insert the series' label; {{__name__}} its metric name. Empty: the series id."
    >
      <Input aria-label="Alias" width={40} value={value ?? ''} placeholder="{{__name__}} {{action}}" onChange={(e) => onChange(e.currentTarget.value)} onBlur={onCommit} />
    </InlineField>
  );
}
