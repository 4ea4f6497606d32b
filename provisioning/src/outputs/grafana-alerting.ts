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

/** The mute timing the warnings route honours; critical alerts are never muted. */
export const QUIET_HOURS = 'runboard-quiet-hours';
/**
 * Read by `npm run dashboards`, not by Grafana: Grafana does not expand variables in mute timing
 * intervals (README, Alerting). `<weekdays> <HH:MM>-<HH:MM> [<IANA zone>]`, or `off`.
 */
export const QUIET_HOURS_ENV = 'RUNBOARD_QUIET_HOURS';
export const QUIET_HOURS_DEFAULT = 'monday:sunday 22:00-07:00 UTC';

const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const WEEKDAYS = new RegExp(`^${WEEKDAY}(?::${WEEKDAY})?(?:,${WEEKDAY}(?::${WEEKDAY})?)*$`);
const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** Grafana's file-provisioning `time_intervals` entry for a quiet-hours spec, or undefined for `off`. */
export function quietHoursInterval(spec: string): alerting.TimeInterval | undefined {
  const parts = spec.trim().toLowerCase().split(/\s+/);
  if (parts.length === 1 && parts[0] === 'off') return undefined;
  const [days, hours, location, ...rest] = spec.trim().split(/\s+/);
  const m = HOURS.exec(hours ?? '');
  if (!WEEKDAYS.test((days ?? '').toLowerCase()) || !m || rest.length > 0 || `${m[1]}:${m[2]}` === `${m[3]}:${m[4]}`) {
    throw new Error(`${QUIET_HOURS_ENV}=${JSON.stringify(spec)}: expected "<weekdays> <HH:MM>-<HH:MM> [<IANA zone>]" (e.g. "${QUIET_HOURS_DEFAULT}") or "off"`);
  }
  const start = `${m[1]}:${m[2]}`;
  const end = `${m[3]}:${m[4]}`;
  // A range may not wrap midnight (Alertmanager's time_intervals): split it into evening and morning.
  const times =
    start < end ? [{ start_time: start, end_time: end }] : [{ start_time: start, end_time: '24:00' }, ...(end === '00:00' ? [] : [{ start_time: '00:00', end_time: end }])];
  return { times, weekdays: days.toLowerCase().split(','), location: location ?? 'UTC' } as unknown as alerting.TimeInterval;
}

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
  // Off by default: muting warnings at fixed hours surprises a team in another time zone. The
  // timing is provisioned either way (default hours), so it can also be switched on in Grafana.
  const spec = process.env[QUIET_HOURS_ENV] ?? '';
  const applied = spec !== '' && spec !== 'off';
  const quiet = quietHoursInterval(applied ? spec : QUIET_HOURS_DEFAULT);
  // The root policy may not carry mute timings, so warnings get a child route that does.
  const warnings = new alerting.NotificationPolicyBuilder().receiver(CONTACT_POINT).objectMatchers([['severity', '=', 'warning']]);
  if (applied) warnings.muteTimeIntervals([QUIET_HOURS]);
  const policy = new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([warnings])
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
    ...(quiet ? { muteTimes: [{ orgId: 1, name: QUIET_HOURS, time_intervals: [quiet] }] } : {}),
  };
  return {
    [RULES_FILE]: toYaml(rules),
    [NOTIFICATIONS_FILE]: toYaml(
      notifications,
      ` Generated by provisioning/src (npm run dashboards). Grafana expands $${WEBHOOK_URL_ENV} from its environment\n (docker-compose.yml; set it in .env). The policy replaces the organisation's default policy.\n ${applied ? `Warnings are muted during ${QUIET_HOURS}` : `${QUIET_HOURS} is provisioned but mutes nothing`} (${QUIET_HOURS_ENV} when generating; README, Alert rules); critical alerts never are.`,
    ),
  };
}
