/**
 * The Runboard console panel in a REAL Grafana (the compose stack: Grafana 12.4.10 with both
 * built plugins mounted, the datasource provisioned as uid `runboard`, and the dashboards in the
 * folder Runboard), with @grafana/plugin-e2e: the *Runboard command center* dashboard's cards
 * panel ("Now") shows live values that change in place, and its console panel ("Console") runs
 * `system-report` through Grafana's datasource proxy and shows the output.
 *
 * Skipped only when GRAFANA_URL is unset. The same flows, and more (cancel, templates,
 * confirmation, viewer mode, screenshots), run on every machine in the Grafana test host
 * (tests/e2e/panel.spec.ts), which stands in for Grafana where none can run.
 *
 *   npm run stack
 *   GRAFANA_URL=http://localhost:3000 RUNBOARD_API_TOKEN=<.env token> npx playwright test --project=grafana
 */
import { expect, test } from '@grafana/plugin-e2e';
import { checkTags, tagElements } from '../helpers/panel';
import { DS_UID, GRAFANA_URL, proxyPath, SKIP_REASON } from './env';

test.skip(!GRAFANA_URL, SKIP_REASON);

/** Relative to provisioning/dashboards/ (generated from provisioning/src: npm run dashboards). */
const DASHBOARD_FILE = 'runboard/runboard-command-center.json';
const PANEL_ID = 'runboard-console-panel';

test('the command center dashboard is provisioned in the Runboard folder with both panel views', async ({ readProvisionedDashboard, page }) => {
  const provisioned = await readProvisionedDashboard({ fileName: DASHBOARD_FILE });
  const res = await page.request.get(`/api/dashboards/uid/${provisioned.uid}`);
  expect(res.ok()).toBe(true);
  const { dashboard, meta } = await res.json();
  expect(dashboard.title).toBe('Runboard command center');
  expect(meta.folderTitle).toBe('Runboard');
  const ours = (dashboard.panels as Array<{ type: string; title: string; options?: { view?: string } }>).filter((p) => p.type === PANEL_ID);
  expect(ours.map((p) => [p.title, p.options?.view])).toEqual(
    expect.arrayContaining([
      ['Console', 'console'],
      ['Now', 'cards'],
    ]),
  );
  // Grafana loaded the panel plugin (unsigned plugins allowed in the compose stack).
  const plugin = await page.request.get(`/api/plugins/${PANEL_ID}/settings`);
  expect(plugin.ok()).toBe(true);
  expect((await plugin.json()).id).toBe(PANEL_ID);
});

test('cards: the Now panel shows live values with units and threshold states, updated in place', async ({ readProvisionedDashboard, gotoDashboardPage, page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const provisioned = await readProvisionedDashboard({ fileName: DASHBOARD_FILE });
  const dashboardPage = await gotoDashboardPage({ uid: provisioned.uid });
  const panel = dashboardPage.getPanelByTitle('Now');
  await expect(panel.locator).toBeVisible();
  const cards = panel.locator.getByTestId('runboard-card');
  // One card per series of the panel's live query (command_runs_active, …, llm_tokens_per_hour).
  await expect(cards).toHaveCount(6, { timeout: 30_000 });
  const values = panel.locator.getByTestId('runboard-card-value');
  for (let i = 0; i < 6; i++) await expect(values.nth(i)).toHaveText(/\d/);
  // The cost card carries the exporter's currency unit.
  await expect(cards.filter({ hasText: 'llm_cost_usd_per_hour' }).getByTestId('runboard-card-value')).toHaveText(/^\$/);
  // With Grafana's default thresholds every card names its state in words.
  await expect(panel.locator.getByTestId('runboard-card-state').first()).toHaveText(/^(Normal|Warning|Critical)$/);

  // Read twice: the text changes within seconds (the demo workload), the card elements stay.
  await tagElements(page, '[data-testid="runboard-cards"]', '[data-testid="runboard-card"]', '__e2eCard');
  const first = await values.allTextContents();
  await expect.poll(async () => (await values.allTextContents()).some((v, i) => v !== first[i]), { timeout: 20_000, intervals: [1000] }).toBe(true);
  expect(await checkTags(page, '[data-testid="runboard-card"]', '__e2eCard')).toEqual({ count: 6, untagged: 0, reordered: 0, removed: [] });
  await testInfo.attach('now-cards.png', { body: await panel.locator.screenshot(), contentType: 'image/png' });
  expect(errors).toEqual([]);
});

test('console: system-report runs from the Console panel through Grafana’s proxy and shows its output', async ({ readProvisionedDashboard, gotoDashboardPage, page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const provisioned = await readProvisionedDashboard({ fileName: DASHBOARD_FILE });
  const dashboardPage = await gotoDashboardPage({ uid: provisioned.uid });
  const panel = dashboardPage.getPanelByTitle('Console');
  const consoleView = panel.locator.getByTestId('runboard-console');
  await expect(consoleView).toBeVisible({ timeout: 30_000 });
  // The signed-in admin may run: no read-only note.
  await expect(consoleView.getByRole('note')).toHaveCount(0);

  await consoleView
    .getByRole('list', { name: 'Commands' })
    .getByRole('button', { name: /^System report/ })
    .click();
  await expect(consoleView.getByRole('heading', { name: 'System report', exact: true })).toBeVisible();
  const started = page.waitForResponse((r) => r.url().includes(proxyPath(DS_UID, 'commands/system-report/runs')) && r.request().method() === 'POST');
  await consoleView.getByRole('button', { name: 'Run', exact: true }).click();
  const response = await started;
  expect(response.status()).toBe(202);
  const run = (await response.json()) as { id: string; command: string };
  expect(run.command).toBe('system-report');

  const view = consoleView.getByTestId('runboard-run-view');
  await expect(view.getByRole('heading')).toContainText(run.id);
  await expect(view.getByTestId('runboard-run-status')).toHaveText('Succeeded', { timeout: 30_000 });
  const lines = view.getByTestId('runboard-run-output').locator('[data-stream]');
  // The overview section (the default): host, os, cpu, load, memory, uptime.
  await expect(lines.filter({ hasText: /^host\s+\S/ })).toHaveCount(1);
  await expect(lines.filter({ hasText: /^memory\s+[\d.]+ GiB used of [\d.]+ GiB$/ })).toHaveCount(1);
  await expect(view.getByTestId('runboard-run-facts')).toContainText('success, exit code 0');
  // And it is the newest run in the history.
  await expect(consoleView.getByTestId('runboard-history-row').first()).toContainText('System report');
  await expect(consoleView.getByTestId('runboard-history-row').first()).toContainText('Succeeded');
  await testInfo.attach('console.png', { body: await panel.locator.screenshot(), contentType: 'image/png' });
  expect(errors).toEqual([]);
});
