/** History: the same series as a plain range query (no streaming), e.g. for stat or table panels. */
import { InlineField, Stack } from '@grafana/ui';
import { AliasField } from './AliasField';
import { LABEL_WIDTH, type EditorProps } from './editorProps';
import { SeriesPicker } from './SeriesPicker';

export function HistoryQueryEditor({ datasource, query, onChange, onRunQuery }: EditorProps) {
  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Series" labelWidth={LABEL_WIDTH} tooltip="Series to read over the time range from the exporter's live store (its recent window; Prometheus keeps the long history).">
        <SeriesPicker
          inputId={`runboard-history-series-${query.refId}`}
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
