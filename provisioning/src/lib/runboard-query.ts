/**
 * Queries of the Runboard datasource (runboard-live-datasource) for the foundation SDK, which
 * ships builders only for Grafana's core datasources.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { CostGrouping, RunboardQuery, RunboardQueryType, RunOutcome } from '@runboard/protocol';
import { RUNBOARD } from './datasources';

/** The datasource's query model (@runboard/protocol) as the foundation SDK's panels take a query. */
type RunboardDataquery = RunboardQuery & cog.Dataquery;

export class RunboardQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: RunboardDataquery;

  constructor(queryType: RunboardQueryType) {
    this.internal = { refId: 'A', datasource: { ...RUNBOARD }, queryType, _implementsDataqueryVariant() {} };
  }

  build(): RunboardDataquery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  series(series: string[]): this {
    this.internal.series = series;
    return this;
  }

  command(command: string): this {
    this.internal.command = command;
    return this;
  }

  outcome(outcome: RunOutcome): this {
    this.internal.outcome = outcome;
    return this;
  }

  limit(limit: number): this {
    this.internal.limit = limit;
    return this;
  }

  groupBy(groupBy: CostGrouping): this {
    this.internal.groupBy = groupBy;
    return this;
  }

  /** costs: CostSources, comma-separated, or a `$variable`. */
  source(source: string): this {
    this.internal.source = source;
    return this;
  }
}

/** A live stream of series (back-filled from the exporter's history first). */
export const live = (series: string[], refId = 'A') => new RunboardQueryBuilder('live').refId(refId).series(series);
/** The exporter's recent history of series, without streaming. */
export const history = (series: string[], refId = 'A') => new RunboardQueryBuilder('history').refId(refId).series(series);
/** Which runs a `runs` query asks for (a subset of the datasource query model). */
export interface RunsQueryOptions {
  command?: string;
  outcome?: RunOutcome;
  limit?: number;
}
/** Command runs from the ledger, newest first (a table; also the annotations of runs). */
export const runs = (opts: RunsQueryOptions = {}, refId = 'A') => {
  const q = new RunboardQueryBuilder('runs').refId(refId);
  if (opts.command) q.command(opts.command);
  if (opts.outcome) q.outcome(opts.outcome);
  if (opts.limit) q.limit(opts.limit);
  return q;
};
/** A cost breakdown from the ledger (a table). */
export const costs = (groupBy: CostGrouping, refId = 'A') => new RunboardQueryBuilder('costs').refId(refId).groupBy(groupBy);
