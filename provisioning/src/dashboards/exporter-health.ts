/** Runboard exporter health: collectors, stream clients, ingest, label overflow, process CPU and memory. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { JOB } from '../lib/datasources';
import { newDashboard, prom, promChart, promStat, steps } from '../lib/panels';

export const EXPORTER_HEALTH_UID = 'runboard-exporter-health';

const PROC = `job="${JOB}"`;

export function exporterHealth(): dashboard.DashboardBuilder {
  /** A 0/1 status shown as a word on a red or green background. */
  const status = (title: string, expr: string, description: string, down: string, up: string) =>
    promStat(title, 'short', expr, description)
      .mappings([{ type: dashboard.MappingType.ValueToText, options: { '0': { text: down, color: 'red', index: 0 }, '1': { text: up, color: 'green', index: 1 } } }])
      .thresholds(steps('red', [1, 'green']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None);

  return newDashboard({
    uid: EXPORTER_HEALTH_UID,
    title: 'Runboard exporter health',
    description: 'Is the exporter healthy and cheap: collectors, streams, ingest, label limits, CPU and memory',
    live: false,
    from: 'now-1h',
  })
    .withRow(new dashboard.RowBuilder('Status'))
    .withPanel(status('Scrape', `min(up{${PROC}})`, 'Whether Prometheus reaches the exporter', 'DOWN', 'UP'))
    .withPanel(promStat('Uptime', 's', `time() - max(process_start_time_seconds{${PROC}})`, 'Since the exporter process started').graphMode(common.BigValueGraphMode.None))
    .withPanel(status('Collectors OK', 'min(runboard_collect_success)', "Whether every collector's last run succeeded", 'FAILING', 'OK'))
    .withPanel(promStat('Stream clients', 'short', 'sum(runboard_stream_clients)', 'Open live streams (Grafana panels, CLI followers)'))
    .withPanel(promStat('CPU', 'percentunit', `sum(rate(process_cpu_seconds_total{${PROC}}[$__rate_interval]))`, 'CPU of the exporter process, in cores').decimals(2))
    .withPanel(promStat('Memory (RSS)', 'bytes', `sum(process_resident_memory_bytes{${PROC}})`, 'Resident memory of the exporter process'))
    .withRow(new dashboard.RowBuilder('Collectors'))
    .withPanel(
      promChart('Collector duration', 's', "Duration of each collector's last run, highest per interval").withTarget(
        prom('max by (collector) (max_over_time(runboard_collect_duration_seconds[$__rate_interval]))', '{{collector}}'),
      ),
    )
    .withPanel(
      promChart('Collector success', 'short', '1 = the last run succeeded')
        .min(0)
        .max(1)
        .withTarget(prom('min by (collector) (min_over_time(runboard_collect_success[$__rate_interval]))', '{{collector}}')),
    )
    .withRow(new dashboard.RowBuilder('Streams and ingest'))
    .withPanel(promChart('Stream clients', 'short', 'Open SSE streams').withTarget(prom('sum(runboard_stream_clients)', 'clients')))
    .withPanel(
      promChart('Stream disconnects', 'short', 'Per minute, by reason (a slow client is dropped when its buffer fills)').withTarget(
        prom('sum by (reason) (rate(runboard_stream_disconnects_total[$__rate_interval])) * 60', '{{reason}}'),
      ),
    )
    .withPanel(
      promChart('Ingested records', 'short', 'Records per minute through POST /api/v1/ingest, by kind').withTarget(
        prom('sum by (kind) (rate(runboard_ingest_records_total[$__rate_interval])) * 60', '{{kind}}'),
      ),
    )
    .withPanel(
      promChart('Ingest rejections', 'short', 'Rejected records or requests per minute, by reason')
        .thresholds(steps('green', [1, 'red']))
        .withTarget(prom('sum by (reason) (rate(runboard_ingest_rejected_total[$__rate_interval])) * 60', '{{reason}}')),
    )
    .withPanel(
      promChart('Label overflow', 'short', 'Values folded into "other" because a label reached limits.labelValues, per minute').withTarget(
        prom('sum by (metric, label) (rate(runboard_label_overflow_total[$__rate_interval])) * 60', '{{metric}} {{label}}'),
      ),
    )
    .withPanel(promChart('Event loop lag', 's', "p99 lag of the exporter's event loop").withTarget(prom(`max(nodejs_eventloop_lag_p99_seconds{${PROC}})`, 'p99')))
    .withRow(new dashboard.RowBuilder('Process'))
    .withPanel(
      promChart('CPU', 'percentunit', 'CPU of the exporter process, in cores (user and system)')
        .withTarget(prom(`sum(rate(process_cpu_user_seconds_total{${PROC}}[$__rate_interval]))`, 'user'))
        .withTarget(prom(`sum(rate(process_cpu_system_seconds_total{${PROC}}[$__rate_interval]))`, 'system', 'B')),
    )
    .withPanel(
      promChart('Memory', 'bytes', 'Resident set and V8 heap of the exporter process')
        .withTarget(prom(`sum(process_resident_memory_bytes{${PROC}})`, 'RSS'))
        .withTarget(prom(`sum(nodejs_heap_size_used_bytes{${PROC}})`, 'heap used', 'B'))
        .withTarget(prom(`sum(nodejs_heap_size_total_bytes{${PROC}})`, 'heap total', 'C')),
    );
}
