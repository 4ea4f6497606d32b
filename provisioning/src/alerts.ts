/**
 * The alerts, defined once: outputs/prometheus-rules.ts turns them into Prometheus alerting rules
 * and `promtool test rules` cases, outputs/grafana-alerting.ts into Grafana-managed alert rules
 * (Prometheus query → reduce → threshold). The thresholds come from thresholds.ts.
 */
import { JOB } from './lib/datasources';
import { EXPR } from './promql';
import { FOR, THRESHOLDS } from './thresholds';

/** How a summary shows the alert's value. */
export type ValueFormat = 'percent' | 'number' | 'seconds' | 'usd';

/** Renders the parts of a summary that differ between Prometheus, Grafana and the unit tests. */
export interface SummaryContext {
  value: string;
  label(name: string): string;
}

/** A `promtool test rules` case: input series (1-minute steps) and whether the alert fires. */
export interface AlertFixture {
  title: string;
  series: Array<{ series: string; values: string }>;
  evalTime: string;
  /** Present when the alert must fire: its labels (besides alertname/severity) and the rendered value. */
  fires?: { labels: Record<string, string>; value: string };
}

export interface AlertDefinition {
  /** alertname in Prometheus and the rule title in Grafana. */
  name: string;
  /** Grafana rule uid. */
  uid: string;
  /** The value the threshold applies to (PromQL, one series per alerting entity). */
  expr: string;
  op: '>' | '<';
  threshold: number;
  /** An extra condition (a filter on another series) the alert also needs. */
  guard?: { expr: string; op: '>'; value: number };
  for: string;
  severity: 'warning' | 'critical';
  /** Grafana's state when the query returns nothing. */
  noData: 'OK' | 'Alerting';
  format: ValueFormat;
  summary(ctx: SummaryContext): string;
  /** Runbook-style: what it means, what to look at, what to do. Plain text, no templates. */
  description: string;
  /** Dashboard (uid) to open first. */
  dashboard: string;
  fixtures: AlertFixture[];
}

const SERIES_LABELS = `job="${JOB}", instance="exporter:9477"`;
const TARGET = { job: JOB, instance: 'exporter:9477' };

export const ALERTS: AlertDefinition[] = [
  {
    name: 'RunboardHighCpu',
    uid: 'runboard-high-cpu',
    expr: EXPR.cpuUsageAvg5m,
    op: '>',
    threshold: THRESHOLDS.cpuUsageRatio,
    for: FOR.cpu,
    severity: 'warning',
    noData: 'OK',
    format: 'percent',
    summary: (c) => `CPU of the Runboard host ${c.label('instance')} averages ${c.value} over 5 minutes`,
    description:
      `The host the exporter runs on has been busier than ${THRESHOLDS.cpuUsageRatio * 100}% for ${FOR.cpu}. ` +
      'Check the Overview dashboard for the load and the Actions & events dashboard for a burst of work; ' +
      'find the processes with `runboard-exporter run system-report --param section=processes`. ' +
      'Spread or throttle the work, or give the host more CPU.',
    dashboard: 'runboard-overview',
    fixtures: [
      {
        title: 'CPU at 95% for 15 minutes fires',
        series: [{ series: `runboard_system_cpu_usage_ratio{${SERIES_LABELS}}`, values: '0.95x30' }],
        evalTime: '15m',
        fires: { labels: TARGET, value: '95%' },
      },
      {
        title: 'CPU at 50% does not fire',
        series: [{ series: `runboard_system_cpu_usage_ratio{${SERIES_LABELS}}`, values: '0.5x30' }],
        evalTime: '15m',
      },
      {
        title: 'a 3-minute spike to 100% does not fire',
        series: [{ series: `runboard_system_cpu_usage_ratio{${SERIES_LABELS}}`, values: '0.3x9 1x2 0.3x18' }],
        evalTime: '15m',
      },
    ],
  },
  {
    name: 'RunboardActionFailureRatioHigh',
    uid: 'runboard-action-failures',
    expr: EXPR.actionFailureRatio5m,
    op: '>',
    threshold: THRESHOLDS.actionFailureRatio,
    for: FOR.actionFailures,
    severity: 'warning',
    noData: 'OK',
    format: 'percent',
    summary: (c) => `${c.value} of actions on ${c.label('instance')} fail (threshold ${THRESHOLDS.actionFailureRatio * 100}%)`,
    description:
      `More than ${THRESHOLDS.actionFailureRatio * 100}% of finished actions failed over the last 5 minutes, for ${FOR.actionFailures}. ` +
      'Open the Actions & events dashboard: "Failure ratio by action" shows which action fails and "Failures" since when. ' +
      "Check that action's logs and its dependencies (APIs, credentials, quotas); command runs are actions too, " +
      'so also look at failed runs in the Command center.',
    dashboard: 'runboard-actions-events',
    fixtures: [
      {
        title: '10% of actions failing fires',
        series: [
          { series: `runboard_actions_total{${SERIES_LABELS}, action="build", outcome="failure"}`, values: '0+6x30' },
          { series: `runboard_actions_total{${SERIES_LABELS}, action="build", outcome="success"}`, values: '0+54x30' },
        ],
        evalTime: '20m',
        fires: { labels: TARGET, value: '10%' },
      },
      {
        title: '1% of actions failing does not fire',
        series: [
          { series: `runboard_actions_total{${SERIES_LABELS}, action="build", outcome="failure"}`, values: '0+1x30' },
          { series: `runboard_actions_total{${SERIES_LABELS}, action="build", outcome="success"}`, values: '0+99x30' },
        ],
        evalTime: '20m',
      },
      {
        title: 'no failures at all does not fire',
        series: [{ series: `runboard_actions_total{${SERIES_LABELS}, action="build", outcome="success"}`, values: '0+99x30' }],
        evalTime: '20m',
      },
    ],
  },
  {
    name: 'RunboardLlmLatencyHigh',
    uid: 'runboard-llm-latency',
    expr: EXPR.llmLatencyP95_5m,
    op: '>',
    threshold: THRESHOLDS.llmLatencyP95Seconds,
    for: FOR.llmLatency,
    severity: 'warning',
    noData: 'OK',
    format: 'seconds',
    summary: (c) => `p95 latency of ${c.label('provider')}/${c.label('model')} is ${c.value} (threshold ${THRESHOLDS.llmLatencyP95Seconds}s)`,
    description:
      `The 95th percentile of LLM request latency for one provider and model has been above ${THRESHOLDS.llmLatencyP95Seconds} s for ${FOR.llmLatency}. ` +
      'Open the AI cost dashboard ("p95 latency by model"): one model slow points at the provider (status page, rate limits), ' +
      'all models slow at the network or the calling app. Shorter prompts, a smaller model or streaming responses lower it.',
    dashboard: 'runboard-ai-cost',
    fixtures: [
      {
        title: 'requests taking 2.5-5 s fire',
        series: [
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="anthropic", model="claude-sonnet-4", le="1"}`, values: '0x30' },
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="anthropic", model="claude-sonnet-4", le="2.5"}`, values: '0x30' },
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="anthropic", model="claude-sonnet-4", le="5"}`, values: '0+10x30' },
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="anthropic", model="claude-sonnet-4", le="+Inf"}`, values: '0+10x30' },
        ],
        evalTime: '20m',
        fires: { labels: { ...TARGET, provider: 'anthropic', model: 'claude-sonnet-4' }, value: '4.875s' },
      },
      {
        title: 'requests under a second do not fire',
        series: [
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="openai", model="gpt-4o-mini", le="0.5"}`, values: '0x30' },
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="openai", model="gpt-4o-mini", le="1"}`, values: '0+10x30' },
          { series: `runboard_llm_request_duration_seconds_bucket{${SERIES_LABELS}, provider="openai", model="gpt-4o-mini", le="+Inf"}`, values: '0+10x30' },
        ],
        evalTime: '20m',
      },
    ],
  },
  {
    name: 'RunboardLlmTokensPerHourHigh',
    uid: 'runboard-llm-tokens',
    expr: EXPR.llmTokensPerHour15m,
    op: '>',
    threshold: THRESHOLDS.llmTokensPerHour,
    for: FOR.llmTokens,
    severity: 'warning',
    noData: 'OK',
    format: 'number',
    summary: (c) => `LLM usage on ${c.label('instance')} runs at ${c.value} tokens per hour (threshold ${THRESHOLDS.llmTokensPerHour})`,
    description:
      `LLM tokens (input + output) have been consumed at more than ${THRESHOLDS.llmTokensPerHour} per hour for ${FOR.llmTokens}. ` +
      'Open the AI cost dashboard: "Tokens per hour by model" shows which model, and the ledger tables which command or hour. ' +
      'Look for a loop retrying a prompt, a job run more often than planned, or prompts that grew; cap or cache them.',
    dashboard: 'runboard-ai-cost',
    fixtures: [
      {
        // 30k from each of two sources: the alert sums over source (30k alone does not fire, below).
        title: '60k tokens per hour from two sources fires',
        series: [
          { series: `runboard_llm_tokens_total{${SERIES_LABELS}, provider="openai", model="gpt-4o", type="input", source="sdk"}`, values: '0+500x40' },
          { series: `runboard_llm_tokens_total{${SERIES_LABELS}, provider="openai", model="gpt-4o", type="input", source="proxy"}`, values: '0+500x40' },
        ],
        evalTime: '35m',
        fires: { labels: TARGET, value: '60k' },
      },
      {
        title: '30k tokens per hour does not fire',
        series: [{ series: `runboard_llm_tokens_total{${SERIES_LABELS}, provider="openai", model="gpt-4o", type="input"}`, values: '0+500x40' }],
        evalTime: '35m',
      },
    ],
  },
  {
    name: 'RunboardLlmCostPerRequestHigh',
    uid: 'runboard-llm-cost-per-request',
    expr: EXPR.llmCostPerRequest15m,
    op: '>',
    threshold: THRESHOLDS.llmCostPerRequestUsd,
    for: FOR.llmCost,
    severity: 'warning',
    noData: 'OK',
    format: 'usd',
    summary: (c) => `A request to ${c.label('provider')}/${c.label('model')} costs USD ${c.value} on average (threshold USD ${THRESHOLDS.llmCostPerRequestUsd})`,
    description:
      `The mean cost of one LLM request to a provider and model has been above USD ${THRESHOLDS.llmCostPerRequestUsd} for ${FOR.llmCost}. ` +
      'Open the AI cost dashboard ("Cost per request by model", "Cost by command" from the ledger). ' +
      'Usually prompts grew (more context, long histories) or work moved to a pricier model; ' +
      'also check the price table (`prices:` in the exporter config) if the numbers look wrong.',
    dashboard: 'runboard-ai-cost',
    fixtures: [
      {
        title: 'USD 0.20 per request fires',
        series: [
          { series: `runboard_llm_cost_usd_total{${SERIES_LABELS}, provider="openai", model="gpt-4o"}`, values: '0+0.2x40' },
          { series: `runboard_llm_requests_total{${SERIES_LABELS}, provider="openai", model="gpt-4o", outcome="success"}`, values: '0+1x40' },
        ],
        evalTime: '35m',
        fires: { labels: { ...TARGET, provider: 'openai', model: 'gpt-4o' }, value: '0.200' },
      },
      {
        title: 'USD 0.01 per request does not fire',
        series: [
          { series: `runboard_llm_cost_usd_total{${SERIES_LABELS}, provider="openai", model="gpt-4o-mini"}`, values: '0+0.01x40' },
          { series: `runboard_llm_requests_total{${SERIES_LABELS}, provider="openai", model="gpt-4o-mini", outcome="success"}`, values: '0+1x40' },
        ],
        evalTime: '35m',
      },
    ],
  },
  {
    name: 'RunboardEventQueueGrowing',
    uid: 'runboard-event-queue-growing',
    expr: EXPR.eventQueueGrowthPerMinute10m,
    op: '>',
    threshold: THRESHOLDS.eventQueueGrowthPerMinute,
    guard: { expr: EXPR.eventQueueDepth, op: '>', value: THRESHOLDS.eventQueueMinDepth },
    for: FOR.eventQueue,
    severity: 'warning',
    noData: 'OK',
    format: 'number',
    summary: (c) => `The event queue on ${c.label('instance')} grows by ${c.value} events per minute`,
    description:
      `The event queue holds more than ${THRESHOLDS.eventQueueMinDepth} events and has been growing by more than ` +
      `${THRESHOLDS.eventQueueGrowthPerMinute} per minute (10-minute trend) for ${FOR.eventQueue}: events arrive faster than they are processed. ` +
      'Open the Actions & events dashboard: compare "Events per minute" queued vs processed, and "p95 processing time by type" ' +
      'for a slow consumer; failed events may be retried into the queue. Add consumers or slow the producers down.',
    dashboard: 'runboard-actions-events',
    fixtures: [
      {
        title: 'a queue of 100+ gaining 5 events a minute fires',
        series: [{ series: `runboard_event_queue_depth{${SERIES_LABELS}}`, values: '100+5x30' }],
        evalTime: '25m',
        fires: { labels: TARGET, value: '5' },
      },
      {
        title: 'a steady queue does not fire',
        series: [{ series: `runboard_event_queue_depth{${SERIES_LABELS}}`, values: '400x30' }],
        evalTime: '25m',
      },
      {
        title: 'a short queue that grows does not fire',
        series: [{ series: `runboard_event_queue_depth{${SERIES_LABELS}}`, values: '0+1x30' }],
        evalTime: '25m',
      },
    ],
  },
  {
    name: 'RunboardExporterDown',
    uid: 'runboard-exporter-down',
    expr: EXPR.exporterUp,
    op: '<',
    threshold: 1,
    for: FOR.exporterDown,
    severity: 'critical',
    noData: 'Alerting',
    format: 'number',
    summary: (c) => `Prometheus cannot scrape the Runboard exporter ${c.label('instance')}`,
    description:
      `Prometheus has failed to scrape the exporter (job "${JOB}") for ${FOR.exporterDown}, so no other Runboard alert can fire. ` +
      'Check the container: `docker compose ps exporter` and `docker compose logs exporter` (a bad config value ' +
      'stops it at start with one line naming the key); its health is at http://localhost:9477/api/v1/health. ' +
      'The Exporter health dashboard shows when it was last up.',
    dashboard: 'runboard-exporter-health',
    fixtures: [
      {
        title: 'a failing scrape fires',
        series: [{ series: `up{${SERIES_LABELS}}`, values: '0x10' }],
        evalTime: '5m',
        fires: { labels: TARGET, value: '0' },
      },
      {
        title: 'a healthy target does not fire',
        series: [{ series: `up{${SERIES_LABELS}}`, values: '1x10' }],
        evalTime: '5m',
      },
    ],
  },
];

/** The Prometheus alerting expression: the value compared with the threshold (and the guard). */
export function alertExpr(a: AlertDefinition): string {
  const cmp = `${wrap(a.expr)} ${a.op} ${a.threshold}`;
  return a.guard ? `${cmp}\nand ${wrap(a.guard.expr)} ${a.guard.op} ${a.guard.value}` : cmp;
}

/** The query Grafana runs (refId A): the value, filtered by the guard; the threshold is a Grafana expression. */
export function grafanaQuery(a: AlertDefinition): string {
  return a.guard ? `${wrap(a.expr)}\nand ${wrap(a.guard.expr)} ${a.guard.op} ${a.guard.value}` : a.expr;
}

function wrap(expr: string): string {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?$/.test(expr) || (/^[a-z_]+\(.*\)$/s.test(expr) && balanced(expr)) ? expr : `(${expr})`;
}

/** True when the expression's first opening parenthesis closes at its very end. */
function balanced(expr: string): boolean {
  let depth = 0;
  const start = expr.indexOf('(');
  for (let i = start; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0) return i === expr.length - 1;
  }
  return false;
}
