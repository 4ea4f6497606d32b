import { DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import type { RunboardQuery } from '@runboard/protocol';
import type { RunboardOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, RunboardQuery, RunboardOptions>(DataSource).setConfigEditor(ConfigEditor).setQueryEditor(QueryEditor);
