/**
 * Grafana's datasource proxy enforces the plugin.json `reqRole: Editor` routes in a REAL Grafana:
 * a Viewer's POST to start a run is refused with 403 before it reaches the exporter, while the
 * Viewer can still read. Skipped only when GRAFANA_URL is unset.
 */
import { expect, test } from '@grafana/plugin-e2e';
import { randomBytes } from 'node:crypto';
import { ADMIN, DS_UID, GRAFANA_URL, proxyPath, SKIP_REASON } from './env';

test.skip(!GRAFANA_URL, SKIP_REASON);

test('a Viewer cannot start a run through the proxy, but can read', async ({ playwright }) => {
  const admin = await playwright.request.newContext({ baseURL: GRAFANA_URL, httpCredentials: { username: ADMIN.user, password: ADMIN.password } });
  const login = `rb-viewer-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const created = await admin.post('/api/admin/users', { data: { name: login, login, password } });
  expect(created.ok()).toBe(true);
  const { id } = await created.json();
  try {
    // New users join the main org as Viewers (auto_assign_org_role); make it explicit.
    expect((await admin.patch(`/api/org/users/${id}`, { data: { role: 'Viewer' } })).ok()).toBe(true);
    const viewer = await playwright.request.newContext({ baseURL: GRAFANA_URL, httpCredentials: { username: login, password } });
    const runsBefore = (await (await admin.get(proxyPath(DS_UID, 'runs'))).json()).runs.length;

    const refused = await viewer.post(proxyPath(DS_UID, 'commands/sample-task/runs'), { data: { parameters: {} } });
    expect(refused.status()).toBe(403);
    expect((await refused.json()).message).toMatch(/plugin proxy route access denied/i);
    expect((await viewer.get(proxyPath(DS_UID, 'commands'))).status()).toBe(200);
    expect((await (await admin.get(proxyPath(DS_UID, 'runs'))).json()).runs.length).toBe(runsBefore);
    await viewer.dispose();
  } finally {
    await admin.delete(`/api/admin/users/${id}`);
    await admin.dispose();
  }
});
