/** Live metrics: series to stream (after a back-fill of the time range) and an optional alias. */
import { InlineField, Stack } from '@grafana/ui';
import { AliasField } from './AliasField';
import { LABEL_WIDTH, type EditorProps } from './editorProps';
import { SeriesPicker } from './SeriesPicker';

export function LiveQueryEditor({ datasource, query, onChange, onRunQuery }: EditorProps) {
  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Series" labelWidth={LABEL_WIDTH} tooltip="Series to stream live. The time range is back-filled from the exporter's live store first.">
        <SeriesPicker
          inputId={`runboard-live-series-${query.refId}`}
          datasource={datasource}
          value={query.series ?? []}
          onChange={(series) => {
            onChange({ ...query, series });
            onRunQuery();
          }}
        />
      </InlineField>
      <AliasField value={query.alias} onChange={(alias) => onChange({ ...query, alias })} onCommit={onRunQuery} />
    </Stack>
  );
}
