/** Runboard command center: the console panel, metric cards, live charts with runs as annotations, run history. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ConsolePanelBuilder } from '../lib/console-panel';
import { RUNBOARD } from '../lib/datasources';
import { liveChart, newDashboard, runsAnnotation, tablePanel, withThresholdLine } from '../lib/panels';
import { costs, live, runs } from '../lib/runboard-query';
import { THRESHOLDS } from '../thresholds';

export const COMMAND_CENTER_UID = 'runboard-command-center';

export function commandCenter(): dashboard.DashboardBuilder {
  return newDashboard({
    uid: COMMAND_CENTER_UID,
    title: 'Runboard command center',
    description: 'Run allow-listed commands, follow their output live, and see what they do to the metrics',
    live: true,
    from: 'now-15m',
  })
    .annotation(runsAnnotation('Command runs', 'purple', { limit: 200 }, 'Anno'))
    .annotation(runsAnnotation('Failed runs', 'red', { outcome: 'failure', limit: 200 }, 'AnnoFailed'))
    .withPanel(
      new ConsolePanelBuilder({ view: 'console', console: { datasource: { ...RUNBOARD } } })
        .title('Console')
        .description('Pick a command, fill its parameters, run it and follow its output; Editor role needed to run or cancel')
        .datasource({ ...RUNBOARD })
        .height(18)
        .span(14),
    )
    .withPanel(
      new ConsolePanelBuilder({ view: 'cards' })
        .title('Now')
        .description('Live metric cards')
        .datasource({ ...RUNBOARD })
        .height(18)
        .span(10)
        .withTarget(live(['command_runs_active', 'command_queue_depth', 'actions_per_minute', 'action_success_ratio', 'llm_cost_usd_per_hour', 'llm_tokens_per_hour'])),
    )
    .withPanel(liveChart('Runs and queue', 'short', ['command_runs_active', 'command_queue_depth'], 'Runs executing and waiting; purple marks are runs, red ones failed runs'))
    .withPanel(liveChart('LLM spend', 'currencyUSD', ['llm_cost_usd_per_hour'], 'LLM spend per hour, including ::llm lines of runs'))
    .withPanel(liveChart('Actions', 'short', ['actions_per_minute', 'actions_in_flight', 'action_queue_depth'], 'Command runs count as actions too'))
    .withPanel(
      withThresholdLine(
        liveChart('System', 'percentunit', ['system_cpu_usage_ratio', 'system_memory_used_ratio'], 'Host CPU and memory while commands run'),
        THRESHOLDS.cpuUsageRatio,
      )
        .min(0)
        .max(1),
    )
    .withRow(new dashboard.RowBuilder('Run history'))
    .withPanel(
      tablePanel('Recent runs')
        .datasource({ ...RUNBOARD })
        .description('The last 50 runs from the ledger, newest first')
        .span(24)
        .height(10)
        .withTarget(runs({ limit: 50 })),
    )
    .withPanel(
      tablePanel('Failed runs')
        .datasource({ ...RUNBOARD })
        .description('The last 20 failed runs')
        .withTarget(runs({ outcome: 'failure', limit: 20 })),
    )
    .withPanel(
      tablePanel('LLM cost by command')
        .datasource({ ...RUNBOARD })
        .description('From the ledger, over the time range')
        .withTarget(costs('command')),
    );
}
