import type { RunboardDatasourceType } from '@runboard/protocol';

/** The provisioned datasources (provisioning/datasources/runboard.yml) dashboards and rules name. */
export const RUNBOARD = { type: 'runboard-live-datasource', uid: 'runboard' } as const satisfies { type: RunboardDatasourceType; uid: string };
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const;
/** Grafana's server-side expressions (reduce, threshold, math) in alert rules. */
export const EXPRESSIONS = { type: '__expr__', uid: '__expr__' } as const;
/** The Prometheus scrape job of the exporter (provisioning/prometheus/prometheus.yml). */
export const JOB = 'runboard';
