/** Shared panel, query and dashboard helpers on top of the foundation SDK builders. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { PROMETHEUS, RUNBOARD } from './datasources';
import { live, runs, type RunsQueryOptions } from './runboard-query';

export const TAG = 'runboard';

/** The parts every Prometheus query of the dashboards shares; the caller picks range or instant. */
function promQuery(expr: string, legend: string, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource({ ...PROMETHEUS })
    .refId(refId)
    .expr(expr)
    .legendFormat(legend || '__auto')
    .editorMode(prometheus.QueryEditorMode.Code);
}

/** A Prometheus query (range by default). */
export function prom(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return promQuery(expr, legend, refId).range();
}

/** An instant Prometheus query: one value per series at the end of the range (totals in stat panels). */
export function promTotal(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return promQuery(expr, legend, refId).instant();
}

/** An instant Prometheus query shown as a table (top-N lists, totals over the range). */
export function promInstant(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return promQuery(expr, legend, refId).instant().format(prometheus.PromQueryFormat.Table);
}

/** Threshold steps: the first is the base colour, then [value, colour] pairs. */
export function steps(base: string, ...rest: Array<[number, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null as unknown as number, color: base }, ...rest.map(([value, color]) => ({ value, color }))]);
}

export function timeseriesPanel(title: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .unit(unit)
    .height(8)
    .span(12)
    .lineWidth(1)
    .fillOpacity(12)
    .gradientMode(common.GraphGradientMode.Opacity)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).calcs([]))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** A timeseries with the threshold drawn as a dashed line. */
export function withThresholdLine(panel: timeseries.PanelBuilder, threshold: number, base = 'green', over = 'red'): timeseries.PanelBuilder {
  return panel.thresholds(steps(base, [threshold, over])).thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
}

export function statPanel(title: string, unit: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .unit(unit)
    .height(4)
    .span(4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(steps('blue'));
}

export function tablePanel(title: string): table.PanelBuilder {
  return new table.PanelBuilder().title(title).height(9).span(12).cellHeight(common.TableCellHeight.Sm).filterable(true);
}

export function barsPanel(title: string, unit: string): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(title)
    .unit(unit)
    .height(8)
    .span(12)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .valueMode(common.BarGaugeValueMode.Color)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(steps('blue'));
}

/** A timeseries panel on Prometheus; the caller adds its queries. */
export function promChart(title: string, unit: string, description: string): timeseries.PanelBuilder {
  return timeseriesPanel(title, unit)
    .datasource({ ...PROMETHEUS })
    .description(description);
}

/** A stat panel of one Prometheus range query (with its sparkline). */
export function promStat(title: string, unit: string, expr: string, description: string): stat.PanelBuilder {
  return statPanel(title, unit)
    .datasource({ ...PROMETHEUS })
    .description(description)
    .withTarget(prom(expr));
}

/** A timeseries panel of series streamed live from the Runboard datasource. */
export function liveChart(title: string, unit: string, series: string[], description: string): timeseries.PanelBuilder {
  return timeseriesPanel(title, unit)
    .datasource({ ...RUNBOARD })
    .description(description)
    .withTarget(live(series));
}

/** Command runs from the ledger drawn as annotations on every panel. */
export function runsAnnotation(name: string, iconColor: string, filter: RunsQueryOptions, refId: string): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource({ ...RUNBOARD })
    .enable(true)
    .iconColor(iconColor)
    .target(runs(filter, refId));
}

/** A Prometheus `label_values` variable: multi-select with All (= any value, `.*`). */
export function labelVariable(name: string, label: string, metric: string, labelName = name): dashboard.QueryVariableBuilder {
  // A plain label_values() string: Grafana's Prometheus datasource reads it in every version.
  const query = `label_values(${metric}, ${labelName})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource({ ...PROMETHEUS })
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/** The links bar every Runboard dashboard shows: the other Runboard dashboards. */
export function runboardLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Runboard')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags([TAG])
    .asDropdown(false)
    .includeVars(false)
    .keepTime(true)
    .targetBlank(false)
    .icon('external link')
    .tooltip('');
}

export interface DashboardOptions {
  uid: string;
  title: string;
  description: string;
  /** Live dashboards stream from the Runboard datasource: liveNow on, auto-refresh off. */
  live: boolean;
  from: string;
}

export function newDashboard(o: DashboardOptions): dashboard.DashboardBuilder {
  const d = new dashboard.DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags([TAG])
    .editable()
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: o.from, to: 'now' })
    .liveNow(o.live)
    .link(runboardLinks());
  // Auto-refresh would restart every stream on each tick (the datasource keeps one SSE connection open); history dashboards refresh.
  d.refresh(o.live ? '' : '30s');
  return d;
}
