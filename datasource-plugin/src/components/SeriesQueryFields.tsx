/** The fields the live and history editors share: a series picker and an alias. */
import { InlineField, Stack } from '@grafana/ui';
import { AliasField } from './AliasField';
import { LABEL_WIDTH, type EditorProps } from './editorProps';
import { SeriesPicker } from './SeriesPicker';

export function SeriesQueryFields({ datasource, query, onChange, onRunQuery, idPrefix, tooltip }: EditorProps & { idPrefix: string; tooltip: string }) {
  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Series" labelWidth={LABEL_WIDTH} tooltip={tooltip}>
        <SeriesPicker
          inputId={`${idPrefix}-${query.refId}`}
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
