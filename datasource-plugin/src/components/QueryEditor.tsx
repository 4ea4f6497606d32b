/** The query editor: a query type switch and that type's own editor. */
import type { SelectableValue } from '@grafana/data';
import { InlineField, RadioButtonGroup, Stack } from '@grafana/ui';
import type { ComponentType } from 'react';
import type { RunboardQueryType } from '@runboard/protocol';
import { QUERY_TYPES } from '../constants';
import { CostsQueryEditor } from './CostsQueryEditor';
import { LABEL_WIDTH, type EditorProps } from './editorProps';
import { HistoryQueryEditor } from './HistoryQueryEditor';
import { LiveQueryEditor } from './LiveQueryEditor';
import { RunsQueryEditor } from './RunsQueryEditor';

const EDITORS: Record<RunboardQueryType, ComponentType<EditorProps>> = {
  live: LiveQueryEditor,
  history: HistoryQueryEditor,
  runs: RunsQueryEditor,
  costs: CostsQueryEditor,
};

const typeOptions: Array<SelectableValue<RunboardQueryType>> = (Object.keys(QUERY_TYPES) as RunboardQueryType[]).map((value) => ({
  value,
  label: QUERY_TYPES[value].label,
  description: QUERY_TYPES[value].description,
}));

export function QueryEditor(props: EditorProps) {
  const { query, onChange, onRunQuery } = props;
  const queryType = query.queryType && query.queryType in EDITORS ? query.queryType : 'live';
  const Editor = EDITORS[queryType];
  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query type" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup<RunboardQueryType>
          options={typeOptions}
          value={queryType}
          onChange={(value) => {
            onChange({ ...query, queryType: value });
            onRunQuery();
          }}
        />
      </InlineField>
      <Editor {...props} />
    </Stack>
  );
}
