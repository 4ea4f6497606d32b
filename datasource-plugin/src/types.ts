/**
 * The plugin's own models: the datasource settings and the variable query. The query model
 * (RunboardQuery, which dashboards store) and the wire types (series, samples, runs, costs,
 * templates) come from @runboard/protocol and are never re-declared here.
 */
import type { DataQuery, DataSourceJsonData } from '@grafana/data';

export interface RunboardOptions extends DataSourceJsonData {
  /**
   * A copy of the exporter URL for messages only. In proxy mode the browser sees Grafana's proxy
   * URL as `instanceSettings.url`, so testDatasource could not otherwise name the URL it failed
   * to reach. Requests never use it.
   */
  exporterUrl?: string;
}

/** Stored encrypted by Grafana; the browser only learns whether it is set. */
export interface RunboardSecureOptions {
  apiToken?: string;
}

/** What a query variable lists. */
export type VariableKind = 'series' | 'actions' | 'eventTypes' | 'models' | 'providers' | 'commands';

export interface RunboardVariableQuery extends DataQuery {
  kind: VariableKind;
  /** series: only series of this metric name (e.g. `actions_per_minute`). */
  metric?: string;
  /** models: only models of this provider. */
  provider?: string;
}
