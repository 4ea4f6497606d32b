/** History: the same series as a plain range query (no streaming), e.g. for stat or table panels. */
import type { EditorProps } from './editorProps';
import { SeriesQueryFields } from './SeriesQueryFields';

export function HistoryQueryEditor(props: EditorProps) {
  return (
    <SeriesQueryFields
      {...props}
      idPrefix="runboard-history-series"
      tooltip="Series to read over the time range from the exporter's live store (its recent window; Prometheus keeps the long history)."
    />
  );
}
