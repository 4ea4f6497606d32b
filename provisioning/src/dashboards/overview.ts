/** Runboard Overview: the home dashboard. Live cards and charts of everything, from the exporter's stream. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RUNBOARD } from '../lib/datasources';
import { liveChart, newDashboard, runsAnnotation, statPanel, steps, withThresholdLine } from '../lib/panels';
import { live } from '../lib/runboard-query';
import { THRESHOLDS } from '../thresholds';

export const OVERVIEW_UID = 'runboard-overview';

export function overview(): dashboard.DashboardBuilder {
  const card = (title: string, unit: string, series: string, description: string) =>
    statPanel(title, unit)
      .datasource({ ...RUNBOARD })
      .description(description)
      .withTarget(live([series]));

  return newDashboard({
    uid: OVERVIEW_UID,
    title: 'Runboard Overview',
    description: 'Live system, action, event and AI metrics from the Runboard exporter',
    live: true,
    from: 'now-15m',
  })
    .annotation(runsAnnotation('Command runs', 'purple', { limit: 100 }, 'Anno'))
    .withRow(new dashboard.RowBuilder('Now'))
    .withPanel(
      card('CPU', 'percentunit', 'system_cpu_usage_ratio', 'Host CPU busy')
        .thresholds(steps('green', [0.7, 'orange'], [THRESHOLDS.cpuUsageRatio, 'red']))
        .min(0)
        .max(1),
    )
    .withPanel(
      card('Memory', 'percentunit', 'system_memory_used_ratio', 'Host memory in use')
        .thresholds(steps('green', [0.8, 'orange'], [0.95, 'red']))
        .min(0)
        .max(1),
    )
    .withPanel(card('Actions / min', 'opm', 'actions_per_minute', 'Finished actions per minute (rolling window)'))
    .withPanel(
      card('Action success', 'percentunit', 'action_success_ratio', 'Share of actions that succeeded (rolling window)')
        .thresholds(steps('red', [1 - THRESHOLDS.actionFailureRatio, 'green']))
        .decimals(1),
    )
    .withPanel(card('Action p95', 's', 'action_duration_p95_seconds', '95th percentile of action duration (rolling window)'))
    .withPanel(card('Action queue', 'short', 'action_queue_depth', 'Actions waiting to run'))
    .withPanel(card('Events / min', 'opm', 'events_processed_per_minute', 'Events processed per minute (rolling window)'))
    .withPanel(card('Event queue', 'short', 'event_queue_depth', 'Events waiting to be processed').thresholds(steps('green', [THRESHOLDS.eventQueueMinDepth, 'orange'])))
    .withPanel(card('LLM requests / min', 'reqpm', 'llm_requests_per_minute', 'LLM requests per minute (rolling window)'))
    .withPanel(
      card('Tokens / hour', 'short', 'llm_tokens_per_hour', 'LLM tokens (input + output) per hour at the current rate').thresholds(
        steps('green', [THRESHOLDS.llmTokensPerHour, 'red']),
      ),
    )
    .withPanel(card('Cost / hour', 'currencyUSD', 'llm_cost_usd_per_hour', 'LLM spend per hour at the current rate').decimals(2))
    .withPanel(
      card('Cost / request', 'currencyUSD', 'llm_cost_usd_per_request', 'Mean cost of one LLM request (rolling window)')
        .thresholds(steps('green', [THRESHOLDS.llmCostPerRequestUsd, 'red']))
        .decimals(4),
    )
    .withRow(new dashboard.RowBuilder('Live'))
    .withPanel(
      withThresholdLine(
        liveChart('CPU and memory', 'percentunit', ['system_cpu_usage_ratio', 'system_memory_used_ratio'], 'Host CPU busy and memory in use'),
        THRESHOLDS.cpuUsageRatio,
      )
        .min(0)
        .max(1),
    )
    .withPanel(liveChart('Disk throughput', 'Bps', ['system_disk_read_bytes_per_second', 'system_disk_written_bytes_per_second'], 'Bytes read from and written to disk per second'))
    .withPanel(liveChart('Actions', 'short', ['actions_per_minute', 'actions_in_flight', 'action_queue_depth'], 'Finished per minute, running now and waiting'))
    .withPanel(liveChart('Action duration', 's', ['action_duration_mean_seconds', 'action_duration_p95_seconds'], 'Mean and 95th percentile duration of finished actions'))
    .withPanel(liveChart('Events', 'short', ['events_queued_per_minute', 'events_processed_per_minute', 'event_queue_depth'], 'Queued and processed per minute, and the queue'))
    .withPanel(
      withThresholdLine(
        liveChart('LLM latency', 's', ['llm_latency_mean_seconds', 'llm_latency_p95_seconds'], 'Mean and 95th percentile LLM request latency'),
        THRESHOLDS.llmLatencyP95Seconds,
      ),
    )
    .withPanel(
      withThresholdLine(
        liveChart('LLM tokens per hour', 'short', ['llm_tokens_per_hour', 'llm_input_tokens_per_hour', 'llm_output_tokens_per_hour'], 'Tokens per hour at the current rate'),
        THRESHOLDS.llmTokensPerHour,
      ),
    )
    .withPanel(liveChart('LLM spend', 'currencyUSD', ['llm_cost_usd_per_hour'], 'LLM spend per hour at the current rate'));
}
