/**
 * The plugin's own models: the query, the datasource settings and the variable query. Wire
 * types (series, samples, runs, costs, templates) come from the exporter's protocol module and
 * are never re-declared here.
 */
import type { DataQuery, DataSourceJsonData } from '@grafana/data';

/** One query type per editor under components/ and one branch in DataSource.query(). */
export type RunboardQueryType = 'live' | 'history' | 'runs' | 'costs';

export interface RunboardQuery extends DataQuery {
  queryType?: RunboardQueryType;
  /** live, history: series ids (`name` or `name{label="value"}`) or `$variables`. */
  series?: string[];
  /** live, history: display name; `{{label}}` is replaced by the series' label (`{{__name__}}` by its name). */
  alias?: string;
  /** runs: command id (empty: every command). */
  command?: string;
  /** runs: a RunOutcome (empty: every outcome). Kept a string so `$variables` fit. */
  outcome?: string;
  /** runs: newest runs to return (the exporter allows 1-500). */
  limit?: number;
  /** costs: a CostGrouping, or a `$variable`. */
  groupBy?: string;
}

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
