/** Runboard actions & events: rates, success ratio, durations, queues and failures (Prometheus), and command runs. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS } from '../lib/datasources';
import { barsPanel, labelVariable, newDashboard, prom, promChart, promStat, promTotal, steps, withThresholdLine } from '../lib/panels';
import { RECORD } from '../promql';
import { THRESHOLDS } from '../thresholds';

export const ACTIONS_EVENTS_UID = 'runboard-actions-events';

const ACTION = 'action=~"$action"';
const COMMAND = 'command=~"$command"';

export function actionsEvents(): dashboard.DashboardBuilder {
  return newDashboard({
    uid: ACTIONS_EVENTS_UID,
    title: 'Runboard actions & events',
    description: 'Action and event rates, success ratio, p95 durations, queue depths and failures; command runs',
    live: false,
    from: 'now-1h',
  })
    .withVariable(labelVariable('action', 'Action', 'runboard_actions_total'))
    .withVariable(labelVariable('command', 'Command', 'runboard_command_runs_total'))
    .withRow(new dashboard.RowBuilder('Actions'))
    .withPanel(promStat('Actions / min', 'opm', `sum(rate(runboard_actions_total{${ACTION}}[$__rate_interval])) * 60`, 'Finished actions per minute'))
    .withPanel(
      promStat(
        'Success ratio',
        'percentunit',
        `sum(rate(runboard_actions_total{${ACTION}, outcome="success"}[$__rate_interval]))\n  / sum(rate(runboard_actions_total{${ACTION}}[$__rate_interval]))`,
        'Share of finished actions that succeeded',
      )
        .thresholds(steps('red', [1 - THRESHOLDS.actionFailureRatio, 'green']))
        .decimals(1),
    )
    .withPanel(
      promStat(
        'p95 duration',
        's',
        `histogram_quantile(0.95, sum by (le) (rate(runboard_action_duration_seconds_bucket{${ACTION}}[$__rate_interval])))`,
        '95th percentile action duration',
      ),
    )
    .withPanel(promStat('In flight', 'short', 'sum(runboard_actions_in_flight)', 'Actions running now'))
    .withPanel(promStat('Action queue', 'short', 'sum(runboard_action_queue_depth)', 'Actions waiting to run'))
    .withPanel(promStat('Event queue', 'short', 'sum(runboard_event_queue_depth)', 'Events waiting').thresholds(steps('green', [THRESHOLDS.eventQueueMinDepth, 'orange'])))
    .withPanel(
      promChart('Actions per minute by action', 'opm', 'Finished actions per minute').withTarget(
        prom(`sum by (action) (rate(runboard_actions_total{${ACTION}}[$__rate_interval])) * 60`, '{{action}}'),
      ),
    )
    .withPanel(
      promChart('Success ratio by action', 'percentunit', 'Share of finished actions that succeeded')
        .min(0)
        .max(1)
        .withTarget(
          prom(
            `sum by (action) (rate(runboard_actions_total{${ACTION}, outcome="success"}[$__rate_interval]))\n  / sum by (action) (rate(runboard_actions_total{${ACTION}}[$__rate_interval]))`,
            '{{action}}',
          ),
        ),
    )
    .withPanel(
      withThresholdLine(
        promChart(
          'Failure ratio by action',
          'percentunit',
          '5-minute failure ratio (recording rules); the dashed line is the alert threshold, which applies to all actions together',
        )
          .withTarget(prom(`${RECORD.actionFailureRatioByAction5m}{${ACTION}}`, '{{action}}'))
          .withTarget(prom(RECORD.actionFailureRatio5m, 'all actions', 'B')),
        THRESHOLDS.actionFailureRatio,
      ),
    )
    .withPanel(
      promChart('p95 duration by action', 's', '5-minute 95th percentile action duration (recording rule)').withTarget(
        prom(`${RECORD.actionDurationP95ByAction5m}{${ACTION}}`, '{{action}}'),
      ),
    )
    .withPanel(
      promChart('In flight and queued', 'short', 'Actions running and waiting')
        .withTarget(prom('sum(runboard_actions_in_flight)', 'in flight'))
        .withTarget(prom('sum(runboard_action_queue_depth)', 'queued', 'B')),
    )
    .withPanel(
      barsPanel('Failures', 'short')
        .datasource({ ...PROMETHEUS })
        .description('Failed actions over the dashboard time range')
        .decimals(0)
        .thresholds(steps('green', [1, 'red']))
        .withTarget(promTotal(`sort_desc(sum by (action) (increase(runboard_actions_total{${ACTION}, outcome="failure"}[$__range])))`, '{{action}}')),
    )
    .withRow(new dashboard.RowBuilder('Events'))
    .withPanel(
      promChart('Events per minute', 'opm', 'Queued, processed and failed events per minute').withTarget(
        prom('sum by (outcome) (rate(runboard_events_total[$__rate_interval])) * 60', '{{outcome}}'),
      ),
    )
    .withPanel(
      promChart('Processed per minute by type', 'opm', 'Processed events per minute').withTarget(
        prom('sum by (type) (rate(runboard_events_total{outcome="processed"}[$__rate_interval])) * 60', '{{type}}'),
      ),
    )
    .withPanel(
      promChart('p95 processing time by type', 's', '5-minute 95th percentile processing time (recording rule)').withTarget(prom(RECORD.eventProcessingP95ByType5m, '{{type}}')),
    )
    .withPanel(
      promChart('Event queue', 'short', 'Events waiting, and the 10-minute trend in events per minute (recording rule)')
        .withTarget(prom('sum(runboard_event_queue_depth)', 'depth'))
        .withTarget(prom(`sum(${RECORD.eventQueueGrowthPerMinute10m})`, 'growth / min', 'B')),
    )
    .withPanel(
      promChart('Failed events by type', 'opm', 'Failed events per minute').withTarget(
        prom('sum by (type) (rate(runboard_events_total{outcome="failed"}[$__rate_interval])) * 60', '{{type}}'),
      ),
    )
    .withPanel(
      promChart('Event failure ratio', 'percentunit', 'Failed / (processed + failed)').withTarget(
        prom('sum(rate(runboard_events_total{outcome="failed"}[$__rate_interval]))\n  / sum(rate(runboard_events_total{outcome=~"processed|failed"}[$__rate_interval]))', 'failed'),
      ),
    )
    .withRow(new dashboard.RowBuilder('Command runs'))
    .withPanel(
      promChart('Runs per minute by outcome', 'opm', 'Finished command runs per minute').withTarget(
        prom(`sum by (command, outcome) (rate(runboard_command_runs_total{${COMMAND}}[$__rate_interval])) * 60`, '{{command}} {{outcome}}'),
      ),
    )
    .withPanel(
      promChart('p95 run duration by command', 's', '95th percentile duration of finished runs').withTarget(
        prom(`histogram_quantile(0.95, sum by (command, le) (rate(runboard_command_duration_seconds_bucket{${COMMAND}}[$__rate_interval])))`, '{{command}}'),
      ),
    )
    .withPanel(
      promChart('Active and queued runs', 'short', 'Runs executing and waiting for a slot')
        .withTarget(prom('sum(runboard_command_runs_active)', 'active'))
        .withTarget(prom('sum(runboard_command_queue_depth)', 'queued', 'B')),
    )
    .withPanel(
      barsPanel('Runs by outcome', 'short')
        .datasource({ ...PROMETHEUS })
        .description('Finished runs over the dashboard time range')
        .decimals(0)
        .withTarget(promTotal(`sort_desc(sum by (command, outcome) (increase(runboard_command_runs_total{${COMMAND}}[$__range])))`, '{{command}} {{outcome}}')),
    );
}
