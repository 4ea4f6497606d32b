import type { QueryEditorProps } from '@grafana/data';
import type { DataSource } from '../datasource';
import type { RunboardQuery } from '@runboard/protocol';
import type { RunboardOptions } from '../types';

/** Props every query-type editor takes: Grafana's query editor props for this datasource. */
export type EditorProps = QueryEditorProps<DataSource, RunboardQuery, RunboardOptions>;

/** Label width shared by the editors so their fields line up. */
export const LABEL_WIDTH = 14;
