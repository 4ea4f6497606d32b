/**
 * Quiet hours: the provisioned mute timing in Grafana's file-provisioning format (`muteTimes`
 * with `orgId`, `name`, `time_intervals` of `times` {start_time, end_time}, `weekdays`,
 * `location`), referenced by name from the warnings route of the provisioned policy, never from
 * the root policy (Alertmanager refuses mute timings there) and never for critical alerts.
 * The committed file is read as a YAML 1.1 reader would (times must stay strings); the
 * generator's RUNBOARD_QUIET_HOURS spec is checked for what it produces.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT } from './provisioning-files';

/* eslint-disable @typescript-eslint/no-explicit-any -- provisioning YAML is untyped data */
type Json = any;

const NOTIFICATIONS_FILE = 'provisioning/alerting/runboard-notifications.yml';
const QUIET_HOURS = 'runboard-quiet-hours';
const QUIET_HOURS_ENV = 'RUNBOARD_QUIET_HOURS';

/** The generator's alerting output, compiled as `npm run dashboards` compiles it (its own tsconfig). */
let generator: { grafanaAlertingFiles(): Record<string, string>; quietHoursInterval(spec: string): Json };
let jsDir: string;

beforeAll(() => {
  // Compiled JS must live inside the repository so that it resolves node_modules.
  jsDir = fs.mkdtempSync(path.join(ROOT, 'node_modules/.cache/runboard-quiet-hours-'));
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'provisioning/src', '--outDir', jsDir], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p provisioning/src failed:\n${tsc.stdout}${tsc.stderr}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- compiled at run time, so no static import
  generator = require(path.join(jsDir, 'outputs/grafana-alerting.js'));
}, 60000);

afterAll(() => {
  if (jsDir) fs.rmSync(jsDir, { recursive: true, force: true });
});

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const WEEKDAY = /^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(:(monday|tuesday|wednesday|thursday|friday|saturday|sunday))?$/;

function routes(policy: Json): Json[] {
  return [policy, ...(policy.routes ?? []).flatMap(routes)];
}

/** The checks Grafana's provisioning and Alertmanager apply to a notifications file's mute timings. */
function validateMuteTimings(n: Json): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const mt of n.muteTimes ?? []) {
    if (!Number.isInteger(mt.orgId)) problems.push(`${mt.name}: orgId`);
    if (typeof mt.name !== 'string' || mt.name === '') problems.push('a mute timing without a name');
    names.add(`${mt.orgId}/${mt.name}`);
    if (!Array.isArray(mt.time_intervals) || mt.time_intervals.length === 0) problems.push(`${mt.name}: no time_intervals`);
    for (const ti of mt.time_intervals ?? []) {
      for (const t of ti.times ?? []) {
        if (typeof t.start_time !== 'string' || !HHMM.test(t.start_time) || typeof t.end_time !== 'string' || !HHMM.test(t.end_time)) {
          problems.push(`${mt.name}: times ${JSON.stringify(t)}`);
        } else if (!(t.start_time < t.end_time)) problems.push(`${mt.name}: ${t.start_time} is not before ${t.end_time}`);
      }
      for (const d of ti.weekdays ?? []) if (!WEEKDAY.test(d)) problems.push(`${mt.name}: weekday ${d}`);
      if (ti.location !== undefined) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: ti.location });
        } catch {
          problems.push(`${mt.name}: location ${ti.location}`);
        }
      }
    }
  }
  for (const p of n.policies ?? []) {
    if ((p.mute_time_intervals ?? []).length > 0) problems.push('the root policy has mute_time_intervals');
    for (const r of routes(p)) {
      for (const name of r.mute_time_intervals ?? []) if (!names.has(`${p.orgId}/${name}`)) problems.push(`route mutes with unknown ${name}`);
      const critical = (r.object_matchers ?? []).some(([l, op, v]: string[]) => l === 'severity' && op === '=' && v === 'critical');
      if (critical && (r.mute_time_intervals ?? []).length > 0) problems.push('critical alerts are muted');
    }
  }
  return problems;
}

const committed = YAML.parse(fs.readFileSync(path.join(ROOT, NOTIFICATIONS_FILE), 'utf8'), { version: '1.1' });

describe('the committed notifications file', () => {
  it('provisions runboard-quiet-hours in Grafana’s format; by default no route mutes with it', () => {
    expect(validateMuteTimings(committed)).toEqual([]);
    expect(committed.muteTimes).toEqual([{ orgId: 1, name: QUIET_HOURS, time_intervals: [expect.objectContaining({ times: expect.any(Array), location: expect.any(String) })] }]);
    const warnings = routes(committed.policies[0]).filter((r) => JSON.stringify(r.object_matchers) === JSON.stringify([['severity', '=', 'warning']]));
    expect(warnings).toEqual([expect.objectContaining({ receiver: committed.contactPoints[0].name })]);
    expect(routes(committed.policies[0]).flatMap((r) => r.mute_time_intervals ?? [])).toEqual([]);
  });

  it('the validator catches what Grafana would refuse', () => {
    const broken = structuredClone(committed);
    broken.policies[0].routes[0].mute_time_intervals = ['no-such-timing'];
    broken.policies[0].mute_time_intervals = [QUIET_HOURS];
    broken.muteTimes[0].time_intervals[0].times[0] = { start_time: 1320, end_time: '07:00' };
    expect(validateMuteTimings(broken)).toEqual([
      `${QUIET_HOURS}: times {"start_time":1320,"end_time":"07:00"}`,
      'the root policy has mute_time_intervals',
      'route mutes with unknown no-such-timing',
    ]);
  });
});

describe(`${QUIET_HOURS_ENV} (read by npm run dashboards)`, () => {
  const saved = process.env[QUIET_HOURS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[QUIET_HOURS_ENV];
    else process.env[QUIET_HOURS_ENV] = saved;
  });

  it('a range past midnight becomes an evening and a morning range on the given days and zone', () => {
    expect(generator.quietHoursInterval('monday:friday 22:00-07:00 Europe/Berlin')).toEqual({
      times: [
        { start_time: '22:00', end_time: '24:00' },
        { start_time: '00:00', end_time: '07:00' },
      ],
      weekdays: ['monday:friday'],
      location: 'Europe/Berlin',
    });
    expect(generator.quietHoursInterval('saturday,sunday 09:00-18:00')).toEqual({
      times: [{ start_time: '09:00', end_time: '18:00' }],
      weekdays: ['saturday', 'sunday'],
      location: 'UTC',
    });
  });

  it('a malformed spec stops the generator, naming the variable', () => {
    for (const bad of ['22:00-07:00', 'weekdays 22:00-07:00', 'monday 25:00-07:00', 'monday 22:00-22:00', 'monday 22:00-07:00 UTC extra']) {
      expect(() => generator.quietHoursInterval(bad)).toThrow(QUIET_HOURS_ENV);
    }
  });

  it('a spec turns quiet hours on: the timing has those hours and the warnings route (only) mutes with it; `off` mutes nothing', () => {
    process.env[QUIET_HOURS_ENV] = 'saturday:sunday 00:00-24:00 America/New_York';
    const custom = YAML.parse(generator.grafanaAlertingFiles()[NOTIFICATIONS_FILE], { version: '1.1' });
    expect(validateMuteTimings(custom)).toEqual([]);
    expect(custom.muteTimes[0].time_intervals).toEqual([{ times: [{ start_time: '00:00', end_time: '24:00' }], weekdays: ['saturday:sunday'], location: 'America/New_York' }]);
    const warnings = routes(custom.policies[0]).filter((r) => JSON.stringify(r.object_matchers) === JSON.stringify([['severity', '=', 'warning']]));
    expect(warnings).toEqual([expect.objectContaining({ mute_time_intervals: [QUIET_HOURS] })]);
    expect(routes(custom.policies[0]).flatMap((r) => r.mute_time_intervals ?? [])).toEqual([QUIET_HOURS]);

    process.env[QUIET_HOURS_ENV] = 'off';
    const off = YAML.parse(generator.grafanaAlertingFiles()[NOTIFICATIONS_FILE], { version: '1.1' });
    expect(validateMuteTimings(off)).toEqual([]);
    expect(routes(off.policies[0]).flatMap((r) => r.mute_time_intervals ?? [])).toEqual([]);
  });
});
