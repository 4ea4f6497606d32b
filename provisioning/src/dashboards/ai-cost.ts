/** Runboard AI cost: tokens, spend and latency per source, provider and model (Prometheus), and the ledger's breakdowns. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { CostGrouping } from '@runboard/protocol';
import { PROMETHEUS, RUNBOARD } from '../lib/datasources';
import { barsPanel, labelVariable, newDashboard, prom, promChart, promStat, promTotal, statPanel, steps, tablePanel, timeseriesPanel, withThresholdLine } from '../lib/panels';
import { costs } from '../lib/runboard-query';
import { RECORD } from '../promql';
import { THRESHOLDS } from '../thresholds';

export const AI_COST_UID = 'runboard-ai-cost';

const SEL = 'provider=~"$provider", model=~"$model", source=~"$source"';

export function aiCost(): dashboard.DashboardBuilder {
  /** A total over the dashboard's time range: one instant query, no sparkline. */
  const total = (title: string, unit: string, expr: string, description: string) =>
    statPanel(title, unit)
      .datasource({ ...PROMETHEUS })
      .description(description)
      .graphMode(common.BigValueGraphMode.None)
      .withTarget(promTotal(expr));
  const ledger = (title: string, groupBy: CostGrouping, description: string) =>
    tablePanel(title)
      .datasource({ ...RUNBOARD })
      .description(description)
      .span(6)
      // The ledger's tables follow the dashboard's Source like its Prometheus panels.
      .withTarget(costs(groupBy).source('$source'));

  return (
    newDashboard({
      uid: AI_COST_UID,
      title: 'Runboard AI cost',
      description: 'LLM tokens, spend, cost per request and latency by provider and model',
      live: false,
      from: 'now-6h',
    })
      // Where the calls came from (README "Prometheus metrics": ingest, sdk, command, otlp, proxy).
      .withVariable(labelVariable('source', 'Source', 'runboard_llm_requests_total'))
      .withVariable(labelVariable('provider', 'Provider', 'runboard_llm_requests_total{source=~"$source"}'))
      .withVariable(labelVariable('model', 'Model', 'runboard_llm_requests_total{source=~"$source", provider=~"$provider"}'))
      .withRow(new dashboard.RowBuilder('Summary'))
      .withPanel(
        promStat(
          'Tokens / hour',
          'short',
          `sum(rate(runboard_llm_tokens_total{${SEL}}[$__rate_interval])) * 3600`,
          'Input + output tokens per hour at the current rate',
        ).thresholds(steps('green', [THRESHOLDS.llmTokensPerHour, 'red'])),
      )
      .withPanel(
        promStat(
          'Cost / request',
          'currencyUSD',
          `sum(rate(runboard_llm_cost_usd_total{${SEL}}[$__rate_interval])) / sum(rate(runboard_llm_requests_total{${SEL}}[$__rate_interval]))`,
          'Mean cost of one request',
        )
          .thresholds(steps('green', [THRESHOLDS.llmCostPerRequestUsd, 'red']))
          .decimals(4),
      )
      .withPanel(total('Spend in range', 'currencyUSD', `sum(increase(runboard_llm_cost_usd_total{${SEL}}[$__range]))`, 'USD spent over the dashboard time range').decimals(2))
      .withPanel(total('Requests in range', 'short', `sum(increase(runboard_llm_requests_total{${SEL}}[$__range]))`, 'LLM requests over the dashboard time range').decimals(0))
      .withPanel(
        total(
          'Unpriced requests',
          'short',
          `sum(increase(runboard_llm_unpriced_requests_total{${SEL}}[$__range]))`,
          'Requests of models missing from the price table, sent without cost_usd: their cost is unknown',
        )
          .decimals(0)
          .thresholds(steps('green', [1, 'orange'])),
      )
      .withPanel(
        promStat(
          'p95 latency',
          's',
          `histogram_quantile(0.95, sum by (le) (rate(runboard_llm_request_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
          '95th percentile request latency, all selected models',
        ).thresholds(steps('green', [THRESHOLDS.llmLatencyP95Seconds, 'red'])),
      )
      .withRow(new dashboard.RowBuilder('Tokens and spend'))
      .withPanel(
        withThresholdLine(
          promChart('Tokens per hour by model', 'short', 'Input + output tokens per hour; the dashed line is the alert threshold (the alert sums every model and source)')
            .withTarget(prom(`sum by (provider, model) (rate(runboard_llm_tokens_total{${SEL}}[$__rate_interval])) * 3600`, '{{provider}}/{{model}}'))
            .withTarget(prom(`sum(${RECORD.llmTokensPerHour15m}{source=~"$source"})`, 'all models of the selected sources (15-minute rate, as alerted)', 'B')),
          THRESHOLDS.llmTokensPerHour,
        ),
      )
      .withPanel(
        timeseriesPanel('Input vs output tokens per hour', 'short')
          .datasource({ ...PROMETHEUS })
          .withTarget(prom(`sum by (type) (rate(runboard_llm_tokens_total{${SEL}}[$__rate_interval])) * 3600`, '{{type}}')),
      )
      .withPanel(
        timeseriesPanel('Spend per hour by model', 'currencyUSD')
          .datasource({ ...PROMETHEUS })
          .withTarget(prom(`sum by (provider, model) (rate(runboard_llm_cost_usd_total{${SEL}}[$__rate_interval])) * 3600`, '{{provider}}/{{model}}')),
      )
      .withPanel(
        withThresholdLine(
          promChart(
            'Cost per request by model',
            'currencyUSD',
            '15-minute mean cost of one request per source (recording rule); the dashed line is the alert threshold (the alert sums every source)',
          ).withTarget(prom(`${RECORD.llmCostPerRequestByModel15m}{${SEL}}`, '{{provider}}/{{model}} ({{source}})')),
          THRESHOLDS.llmCostPerRequestUsd,
        ),
      )
      .withPanel(
        barsPanel('Spend by provider', 'currencyUSD')
          .datasource({ ...PROMETHEUS })
          .description('USD over the dashboard time range')
          .withTarget(promTotal(`sum by (provider) (increase(runboard_llm_cost_usd_total{${SEL}}[$__range]))`, '{{provider}}')),
      )
      .withPanel(
        barsPanel('Top models by spend', 'currencyUSD')
          .datasource({ ...PROMETHEUS })
          .description('The 10 models that cost the most over the dashboard time range')
          .withTarget(promTotal(`topk(10, sum by (provider, model) (increase(runboard_llm_cost_usd_total{${SEL}}[$__range])))`, '{{provider}}/{{model}}')),
      )
      .withRow(new dashboard.RowBuilder('Latency and errors'))
      .withPanel(
        withThresholdLine(
          promChart(
            'p95 latency by model',
            's',
            '5-minute p95 request latency per source (recording rule); the dashed line is the alert threshold (the alert sums every source)',
          ).withTarget(prom(`${RECORD.llmLatencyP95ByModel5m}{${SEL}}`, '{{provider}}/{{model}} ({{source}})')),
          THRESHOLDS.llmLatencyP95Seconds,
        ),
      )
      .withPanel(
        promChart('Failed requests by model', 'percentunit', 'Share of requests that failed').withTarget(
          prom(
            `sum by (provider, model) (rate(runboard_llm_requests_total{${SEL}, outcome="failure"}[$__rate_interval]))\n  / sum by (provider, model) (rate(runboard_llm_requests_total{${SEL}}[$__rate_interval]))`,
            '{{provider}}/{{model}}',
          ),
        ),
      )
      .withRow(new dashboard.RowBuilder('Ledger (every recorded cost, from the exporter)'))
      .withPanel(ledger('Cost by model', 'model', 'From the exporter ledger over the time range'))
      .withPanel(ledger('Cost by provider', 'provider', 'From the exporter ledger over the time range'))
      .withPanel(ledger('Cost by command', 'command', 'LLM cost of command runs (::llm lines), from the ledger'))
      .withPanel(ledger('Cost by tag', 'tag', "By the caller's tag (the ingest record's tag, the proxy's X-Runboard-Tag), from the ledger"))
      .withPanel(ledger('Cost by day', 'day', 'From the exporter ledger over the time range').span(12))
  );
}
