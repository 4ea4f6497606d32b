/**
 * The Runboard datasource in a REAL Grafana (the compose stack, Grafana 12.4.10 with the built
 * plugins mounted and the datasource provisioned as uid `runboard`), with @grafana/plugin-e2e:
 * configuring a datasource and its connection test, each query type in Explore, live streaming
 * through Grafana's own datasource proxy, and the token staying on Grafana's server.
 *
 * Skipped only when GRAFANA_URL is unset. The same flows run on every machine in the Grafana test
 * host (tests/e2e/datasource.spec.ts), which stands in for Grafana where none can run.
 *
 *   npm run stack
 *   GRAFANA_URL=http://localhost:3000 RUNBOARD_API_TOKEN=<.env token> npx playwright test --project=grafana
 */
import { expect, test } from '@grafana/plugin-e2e';
import type { Page } from '@playwright/test';
import { recordTraffic, secretInPage, secretInTraffic } from '../helpers/e2e';
import { DS_NAME, DS_UID, EXPORTER_URL_FROM_GRAFANA, exploreUrl, GRAFANA_URL, PLUGIN_ID, proxyPath, SERIES, SKIP_REASON, TOKEN } from './env';

test.skip(!GRAFANA_URL, SKIP_REASON);

const NEED_TOKEN = "set RUNBOARD_API_TOKEN to the stack's token (.env)";

/** Counts the chunks Chromium receives on the live stream (through Grafana's proxy). */
async function watchStream(page: Page): Promise<{ chunks: () => number; opened: () => boolean }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let streamId: string | undefined;
  let chunks = 0;
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.url.includes(proxyPath(DS_UID, 'stream')) && e.response.status === 200) streamId = e.requestId;
  });
  cdp.on('Network.dataReceived', (e) => {
    if (e.requestId === streamId) chunks++;
  });
  return { chunks: () => chunks, opened: () => streamId !== undefined };
}

test.describe('configuration', () => {
  test('a new Runboard datasource saves and its connection test succeeds', async ({ createDataSourceConfigPage, page }) => {
    // Against a real Grafana this must run: a missing token is a failure, not a skip.
    expect(TOKEN, NEED_TOKEN).toBeTruthy();
    const configPage = await createDataSourceConfigPage({ type: PLUGIN_ID });
    await page.locator('#runboard-url').fill(EXPORTER_URL_FROM_GRAFANA);
    await page.locator('#runboard-token').fill(TOKEN!);
    // A frontend datasource's test calls the exporter through the proxy, not a /health endpoint.
    await expect(configPage.saveAndTest({ path: proxyPath(configPage.datasource.uid, 'series') })).toBeOK();
    await expect(configPage).toHaveAlert('success', { hasText: /Connected to Runboard exporter/ });
  });

  test('a wrong token is reported as a rejected token (Grafana answers the 401 with a 400)', async ({ createDataSourceConfigPage, page }) => {
    const configPage = await createDataSourceConfigPage({ type: PLUGIN_ID });
    await page.locator('#runboard-url').fill(EXPORTER_URL_FROM_GRAFANA);
    await page.locator('#runboard-token').fill('not-the-exporter-token-0000');
    const response = await configPage.saveAndTest({ path: proxyPath(configPage.datasource.uid, 'series') });
    expect(response.status()).toBe(400);
    expect(await response.text()).toContain('Authentication to data source failed');
    await expect(configPage).toHaveAlert('error', { hasText: /rejected the API token/ });
  });

  test('the provisioned datasource (uid runboard) keeps its token on the server', async ({ readProvisionedDataSource, page }) => {
    const provisioned = await readProvisionedDataSource({ fileName: 'runboard.yml', name: DS_NAME });
    expect(provisioned.uid).toBe(DS_UID);
    const settings = await (await page.request.get(`/api/datasources/uid/${DS_UID}`)).json();
    expect(settings).toMatchObject({ uid: DS_UID, type: PLUGIN_ID, access: 'proxy', secureJsonFields: { apiToken: true } });
    expect(settings.secureJsonData).toBeUndefined();
    const series = await page.request.get(proxyPath(DS_UID, 'series'));
    expect(series.status()).toBe(200);
    expect((await series.json()).series.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(SERIES));
  });
});

test.describe('Explore', () => {
  test('live: samples stream into Explore through Grafana’s proxy, and the token never reaches the browser', async ({ page, explorePage }) => {
    const traffic = recordTraffic(page);
    const stream = await watchStream(page);
    await page.goto(exploreUrl([{ refId: 'A', queryType: 'live', series: SERIES }]));
    await expect.poll(stream.opened, { timeout: 30_000 }).toBe(true);
    const n = stream.chunks();
    // The demo workload ticks once a second: a few more chunks within seconds.
    await expect.poll(stream.chunks, { timeout: 15_000 }).toBeGreaterThanOrEqual(n + 3);
    await expect(explorePage.timeSeriesPanel.locator).toBeVisible();
    await expect(explorePage.timeSeriesPanel.locator.getByText('system_memory_used_bytes').first()).toBeVisible();
    await expect(explorePage.getQueryEditorRow('A').getByRole('radio', { name: 'Live' })).toBeChecked();
    if (TOKEN) {
      await traffic.settle();
      expect(secretInTraffic(traffic, TOKEN)).toEqual([]);
      expect(await secretInPage(page, TOKEN)).toEqual([]);
    }
  });

  test('history: the editor picks the type and series, and the range is drawn', async ({ page, explorePage }) => {
    await explorePage.goto();
    await explorePage.datasource.set(DS_NAME);
    const row = explorePage.getQueryEditorRow('A');
    await row.getByRole('radio', { name: 'History' }).click();
    const history = page.waitForResponse((r) => r.url().includes(proxyPath(DS_UID, 'history')));
    const input = row.locator('#runboard-history-series-A');
    await input.fill('system_memory_used_bytes');
    await input.press('Enter');
    expect((await history).status()).toBe(200);
    await expect(explorePage.timeSeriesPanel.locator).toBeVisible();
    await expect(explorePage.timeSeriesPanel.locator.getByText('system_memory_used_bytes').first()).toBeVisible();
  });

  test('runs: command runs are listed in a table', async ({ page, explorePage }) => {
    // At least one run: start the demo stack's sample command through the proxy (as admin).
    const started = await page.request.post(proxyPath(DS_UID, 'commands/sample-task/runs'), { data: { parameters: { steps: 1, delay_ms: 0 } } });
    expect(started.status()).toBe(202);
    const runs = page.waitForResponse((r) => r.url().includes(proxyPath(DS_UID, 'runs')));
    await page.goto(exploreUrl([{ refId: 'A', queryType: 'runs' }], { from: 'now-1h', to: 'now' }));
    expect((await runs).status()).toBe(200);
    await expect(explorePage.tablePanel.locator).toBeVisible();
    await expect(explorePage.tablePanel.fieldNames.filter({ hasText: 'Command' }).first()).toBeVisible();
    await expect(explorePage.tablePanel.data.filter({ hasText: 'sample-task' }).first()).toBeVisible();
  });

  test('costs: the cost breakdown by model is a table', async ({ page, explorePage }) => {
    const costs = page.waitForResponse((r) => r.url().includes(proxyPath(DS_UID, 'costs')));
    await page.goto(exploreUrl([{ refId: 'A', queryType: 'costs', groupBy: 'model' }], { from: 'now-1h', to: 'now' }));
    expect((await costs).status()).toBe(200);
    await expect(explorePage.tablePanel.locator).toBeVisible();
    await expect(explorePage.tablePanel.fieldNames.filter({ hasText: 'Cost' }).first()).toBeVisible();
    await expect(explorePage.getQueryEditorRow('A').getByRole('radio', { name: 'Costs' })).toBeChecked();
  });
});
