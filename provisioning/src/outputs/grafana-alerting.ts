/**
 * Grafana-managed alert rules (Prometheus query → reduce → threshold), the webhook contact
 * point and the notification policy, built with the foundation SDK's alerting builders and
 * written in Grafana's file-provisioning format.
 */
import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { ALERTS, grafanaQuery, type AlertDefinition, type ValueFormat } from '../alerts';
import { EXPRESSIONS, PROMETHEUS } from '../lib/datasources';
import { toYaml } from './yaml';

export const RULES_FILE = 'provisioning/alerting/runboard-alert-rules.yml';
export const NOTIFICATIONS_FILE = 'provisioning/alerting/runboard-notifications.yml';

export const ALERT_FOLDER = 'Runboard';
export const RULE_GROUP = 'runboard';
export const RULE_GROUP_INTERVAL = '1m';
export const CONTACT_POINT = 'runboard-webhook';
/** The contact point's URL comes from Grafana's environment (docker-compose.yml, .env). */
export const WEBHOOK_URL_ENV = 'RUNBOARD_ALERT_WEBHOOK_URL';

// Grafana renders annotations with the same template language as Prometheus; the reduced value is $values.B.
const GRAFANA_VALUE: Record<ValueFormat, string> = {
  percent: '{{ humanizePercentage $values.B.Value }}',
  number: '{{ humanize $values.B.Value }}',
  seconds: '{{ humanizeDuration $values.B.Value }}',
  usd: '{{ printf "%.3f" $values.B.Value }}',
};

export function grafanaRule(a: AlertDefinition): alerting.Rule {
  const evaluator = { type: a.op === '>' ? ('gt' as const) : ('lt' as const), params: [a.threshold] };
  return new alerting.RuleBuilder(a.name)
    .uid(a.uid)
    .condition('C')
    .withQuery(
      new alerting.QueryBuilder('A')
        .datasourceUid(PROMETHEUS.uid)
        .relativeTimeRange({ from: 900, to: 0 })
        .model(
          new prometheus.DataqueryBuilder()
            .refId('A')
            .datasource({ ...PROMETHEUS })
            .expr(grafanaQuery(a))
            .instant()
            .intervalMs(1000)
            .maxDataPoints(43200),
        ),
    )
    .withQuery(
      new alerting.QueryBuilder('B').datasourceUid(EXPRESSIONS.uid).model(
        new expr.TypeReduceBuilder()
          .refId('B')
          .datasource({ ...EXPRESSIONS })
          .expression('A')
          .reducer('last')
          .settings({ mode: 'dropNN' }),
      ),
    )
    .withQuery(
      new alerting.QueryBuilder('C').datasourceUid(EXPRESSIONS.uid).model(
        new expr.TypeThresholdBuilder()
          .refId('C')
          .datasource({ ...EXPRESSIONS })
          .expression('B')
          .conditions([{ evaluator }]),
      ),
    )
    .forDuration(a.for)
    .noDataState(a.noData)
    .execErrState('Error')
    .labels({ severity: a.severity })
    .annotations({
      summary: a.summary({ value: GRAFANA_VALUE[a.format], label: (name) => `{{ $labels.${name} }}` }),
      description: a.description,
    })
    .isPaused(false)
    .build();
}

/** The SDK builds the HTTP API's shape; provisioning files name a few fields differently. */
function toProvisioning(rule: alerting.Rule): Record<string, unknown> {
  return {
    uid: rule.uid,
    title: rule.title,
    condition: rule.condition,
    data: rule.data.map((q) => ({
      refId: q.refId,
      ...(q.relativeTimeRange ? { relativeTimeRange: q.relativeTimeRange } : { relativeTimeRange: { from: 0, to: 0 } }),
      datasourceUid: q.datasourceUid,
      model: q.model,
    })),
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    labels: rule.labels,
    annotations: rule.annotations,
    isPaused: rule.isPaused ?? false,
  };
}

export function grafanaAlertingFiles(): Record<string, string> {
  const rules = {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: RULE_GROUP,
        folder: ALERT_FOLDER,
        interval: RULE_GROUP_INTERVAL,
        rules: ALERTS.map((a) => toProvisioning(grafanaRule(a))),
      },
    ],
  };
  const contactPoint = new alerting.ContactPointBuilder()
    .uid(CONTACT_POINT)
    .name(CONTACT_POINT)
    .type('webhook')
    .settings({ url: `$${WEBHOOK_URL_ENV}`, httpMethod: 'POST' })
    .disableResolveMessage(false)
    .build();
  const policy = new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .build();
  const notifications = {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: contactPoint.name,
        receivers: [
          {
            uid: contactPoint.uid,
            type: contactPoint.type,
            settings: contactPoint.settings,
            disableResolveMessage: contactPoint.disableResolveMessage,
          },
        ],
      },
    ],
    policies: [{ orgId: 1, ...policy }],
  };
  return {
    [RULES_FILE]: toYaml(rules),
    [NOTIFICATIONS_FILE]: toYaml(
      notifications,
      ` Generated by provisioning/src (npm run dashboards). Grafana expands $${WEBHOOK_URL_ENV} from its environment\n (docker-compose.yml; set it in .env). The policy replaces the organisation's default policy.`,
    ),
  };
}
