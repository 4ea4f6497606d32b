/**
 * PromQL shared by the Prometheus recording rules, the alerts (Prometheus and Grafana) and the
 * dashboards. Fixed windows here; dashboards that follow the time range use $__rate_interval.
 */
import { JOB } from './lib/datasources';

/** The expressions the alerts compare with their thresholds (one series per job/instance/…). */
export const EXPR = {
  cpuUsageAvg5m: 'avg_over_time(runboard_system_cpu_usage_ratio[5m])',
  actionFailureRatio5m: 'sum by (job, instance) (rate(runboard_actions_total{outcome="failure"}[5m]))\n' + '  / sum by (job, instance) (rate(runboard_actions_total[5m]))',
  llmLatencyP95_5m: 'histogram_quantile(0.95, sum by (job, instance, provider, model, le) (rate(runboard_llm_request_duration_seconds_bucket[5m])))',
  llmTokensPerHour15m: 'sum by (job, instance) (rate(runboard_llm_tokens_total[15m])) * 3600',
  llmCostPerRequest15m:
    'sum by (job, instance, provider, model) (rate(runboard_llm_cost_usd_total[15m]))\n' + '  / sum by (job, instance, provider, model) (rate(runboard_llm_requests_total[15m]))',
  eventQueueGrowthPerMinute10m: 'deriv(runboard_event_queue_depth[10m]) * 60',
  eventQueueDepth: 'runboard_event_queue_depth',
  exporterUp: `up{job="${JOB}"}`,
} as const;

export interface RecordingRule {
  record: string;
  expr: string;
}

/** Recording rules (provisioning/prometheus/rules/runboard-recording.yml) the dashboards use. */
export const RECORD = {
  actionFailureRatio5m: 'runboard:actions_failure_ratio:rate5m',
  actionFailureRatioByAction5m: 'action:runboard_actions_failure_ratio:rate5m',
  actionDurationP95ByAction5m: 'action:runboard_action_duration_seconds:p95_rate5m',
  eventProcessingP95ByType5m: 'type:runboard_event_processing_seconds:p95_rate5m',
  eventQueueGrowthPerMinute10m: 'runboard:event_queue_depth_growth_per_minute:deriv10m',
  llmLatencyP95ByModel5m: 'provider_model_source:runboard_llm_request_duration_seconds:p95_rate5m',
  llmTokensPerHour15m: 'source:runboard_llm_tokens_per_hour:rate15m',
  llmCostPerRequestByModel15m: 'provider_model_source:runboard_llm_cost_per_request_usd:rate15m',
} as const;

export const RECORDING_RULES: RecordingRule[] = [
  { record: RECORD.actionFailureRatio5m, expr: EXPR.actionFailureRatio5m },
  {
    record: RECORD.actionFailureRatioByAction5m,
    expr: 'sum by (job, instance, action) (rate(runboard_actions_total{outcome="failure"}[5m]))\n' + '  / sum by (job, instance, action) (rate(runboard_actions_total[5m]))',
  },
  {
    record: RECORD.actionDurationP95ByAction5m,
    expr: 'histogram_quantile(0.95, sum by (job, instance, action, le) (rate(runboard_action_duration_seconds_bucket[5m])))',
  },
  {
    record: RECORD.eventProcessingP95ByType5m,
    expr: 'histogram_quantile(0.95, sum by (job, instance, type, le) (rate(runboard_event_processing_seconds_bucket[5m])))',
  },
  { record: RECORD.eventQueueGrowthPerMinute10m, expr: EXPR.eventQueueGrowthPerMinute10m },
  // The LLM rules keep `source`, so the AI-cost dashboard can select sources; the alerts (EXPR)
  // sum over it.
  {
    record: RECORD.llmLatencyP95ByModel5m,
    expr: 'histogram_quantile(0.95, sum by (job, instance, provider, model, source, le) (rate(runboard_llm_request_duration_seconds_bucket[5m])))',
  },
  { record: RECORD.llmTokensPerHour15m, expr: 'sum by (job, instance, source) (rate(runboard_llm_tokens_total[15m])) * 3600' },
  {
    record: RECORD.llmCostPerRequestByModel15m,
    expr:
      'sum by (job, instance, provider, model, source) (rate(runboard_llm_cost_usd_total[15m]))\n' +
      '  / sum by (job, instance, provider, model, source) (rate(runboard_llm_requests_total[15m]))',
  },
];
