/** Live metrics: series to stream (after a back-fill of the time range) and an optional alias. */
import type { EditorProps } from './editorProps';
import { SeriesQueryFields } from './SeriesQueryFields';

export function LiveQueryEditor(props: EditorProps) {
  return <SeriesQueryFields {...props} idPrefix="runboard-live-series" tooltip="Series to stream live. The time range is back-filled from the exporter's live store first." />;
}
