/**
 * Grafana's datasource proxy enforces the plugin.json `reqRole: Editor` routes in a REAL Grafana:
 * a Viewer's POST to start a run is refused with 403 before it reaches the exporter, while the
 * Viewer can still read, and a Grafana server admin whose org role is Viewer is refused the same
 * way (the proxy checks the org role only; the console follows it). Skipped only when GRAFANA_URL
 * is unset.
 *
 * Credentials go with every request (`send: 'always'`): Playwright otherwise waits for a 401 with
 * `WWW-Authenticate`, which Grafana's API never sends, and the requests would run anonymously.
 */
import { expect, test } from '@grafana/plugin-e2e';
import { randomBytes } from 'node:crypto';
import { ADMIN, DS_UID, GRAFANA_URL, proxyPath, SKIP_REASON } from './env';

test.skip(!GRAFANA_URL, SKIP_REASON);

test('a Viewer, even a Grafana server admin, cannot start a run through the proxy, but can read', async ({ playwright }) => {
  const admin = await playwright.request.newContext({ baseURL: GRAFANA_URL, httpCredentials: { username: ADMIN.user, password: ADMIN.password, send: 'always' } });
  const login = `rb-viewer-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const created = await admin.post('/api/admin/users', { data: { name: login, login, password } });
  expect(created.ok()).toBe(true);
  const { id } = await created.json();
  try {
    // New users join the main org as Viewers (auto_assign_org_role); make it explicit.
    expect((await admin.patch(`/api/org/users/${id}`, { data: { role: 'Viewer' } })).ok()).toBe(true);
    const viewer = await playwright.request.newContext({ baseURL: GRAFANA_URL, httpCredentials: { username: login, password, send: 'always' } });
    const runsBefore = (await (await admin.get(proxyPath(DS_UID, 'runs'))).json()).runs.length;

    const refused = await viewer.post(proxyPath(DS_UID, 'commands/sample-task/runs'), { data: { parameters: {} } });
    expect(refused.status()).toBe(403);
    expect((await refused.json()).message).toMatch(/plugin proxy route access denied/i);
    expect((await viewer.get(proxyPath(DS_UID, 'commands'))).status()).toBe(200);
    expect((await (await admin.get(proxyPath(DS_UID, 'runs'))).json()).runs.length).toBe(runsBefore);

    // A server admin is still a Viewer in this org, and the proxy asks the org role.
    expect((await admin.put(`/api/admin/users/${id}/permissions`, { data: { isGrafanaAdmin: true } })).ok()).toBe(true);
    const user = await (await viewer.get('/api/user')).json();
    expect(user.isGrafanaAdmin).toBe(true);
    const stillRefused = await viewer.post(proxyPath(DS_UID, 'commands/sample-task/runs'), { data: { parameters: {} } });
    expect(stillRefused.status()).toBe(403);
    expect((await (await admin.get(proxyPath(DS_UID, 'runs'))).json()).runs.length).toBe(runsBefore);
    await viewer.dispose();
  } finally {
    await admin.delete(`/api/admin/users/${id}`);
    await admin.dispose();
  }
});
