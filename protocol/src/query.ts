/**
 * The Runboard datasource's query model: what a dashboard stores in `targets`, written by the
 * datasource's query editors, by provisioning's dashboard code (provisioning/src) and read by
 * DataSource.query(). Types only, so both plugins import it with `import type`.
 *
 * Shaped like Grafana's DataQuery (refId, hide, key, queryType, datasource) without depending on
 * @grafana/data, so provisioning's generator and the exporter's tooling can use it too.
 */

/** The datasource plugin's id (datasource-plugin/src/plugin.json), as dashboards and the panel name it. */
export type RunboardDatasourceType = 'runboard-live-datasource';

/** One query type per editor under datasource-plugin/src/components and one branch in DataSource.query(). */
export type RunboardQueryType = 'live' | 'history' | 'runs' | 'costs';

/** A datasource reference as Grafana stores it in a dashboard. */
export interface RunboardDatasourceRef {
  type?: string;
  uid?: string;
}

export interface RunboardQuery {
  refId: string;
  hide?: boolean;
  key?: string;
  datasource?: RunboardDatasourceRef | null;
  queryType?: RunboardQueryType;
  /** live, history: series ids (`name` or `name{label="value"}`) or `$variables`. */
  series?: string[];
  /** live, history: display name; `{{label}}` is replaced by the series' label (`{{__name__}}` by its name). */
  alias?: string;
  /** runs: command id (empty: every command). */
  command?: string;
  /** runs: a RunOutcome (empty: every outcome). A string so `$variables` fit. */
  outcome?: string;
  /** runs: newest runs to return (the exporter allows 1-500). */
  limit?: number;
  /** costs: a CostGrouping, or a `$variable`. */
  groupBy?: string;
  /** costs: CostSources, comma-separated, or a `$variable` (empty, or the variable's All: every source). */
  source?: string;
}
