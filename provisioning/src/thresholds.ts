/**
 * Every alert threshold of the stack, in one place. provisioning/src generates from these:
 * Grafana's alert rules (provisioning/alerting), the Prometheus alerts and their unit tests
 * (provisioning/prometheus) and the threshold colours and lines of the dashboards.
 */
export const THRESHOLDS = {
  /** Host CPU busy, as a 0-1 ratio averaged over 5 minutes. */
  cpuUsageRatio: 0.9,
  /** Failed / finished actions over 5 minutes. */
  actionFailureRatio: 0.05,
  /** 95th percentile of LLM request latency per provider and model, in seconds. */
  llmLatencyP95Seconds: 2,
  /** LLM tokens (input + output) per hour, at the rate of the last 15 minutes. */
  llmTokensPerHour: 50_000,
  /** Mean USD cost of one LLM request per provider and model over 15 minutes. */
  llmCostPerRequestUsd: 0.1,
  /** The event queue counts as growing when it gains more than this many events per minute (10-minute trend)… */
  eventQueueGrowthPerMinute: 1,
  /** …while it holds more than this many events. */
  eventQueueMinDepth: 50,
} as const;

/** How long a condition must hold before an alert fires. */
export const FOR = {
  cpu: '10m',
  actionFailures: '10m',
  llmLatency: '10m',
  llmTokens: '15m',
  llmCost: '15m',
  eventQueue: '10m',
  exporterDown: '1m',
} as const;
